// Shared helpers, prepended to every kernel file by the Rust side (kernels/mod.rs).

// Elementwise kernels use 256-wide workgroups on a 2-D grid so that buffers larger than
// 65535 * 256 elements still fit the dispatch limit; this recovers the flat index.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

// WGSL has no isNan/isInf; test the exponent bits instead (the compiler may not fold these away).
fn is_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Layout of the small `scalars` buffer shared by loss, clipping and optimizer kernels.
const S_LOSS: u32 = 0u;        // mean training loss of the last step
const S_GRAD_NORM: u32 = 1u;   // global L2 norm of the gradient (before clipping)
const S_CLIP_SCALE: u32 = 2u;  // factor the optimizer multiplies gradients by
const S_NONFINITE: u32 = 3u;   // 1.0 when loss or gradient was NaN/Inf: the update is skipped
const S_EVAL_LOSS: u32 = 4u;   // sum of per-batch mean losses during evaluation
