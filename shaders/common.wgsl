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
const S_FISHER_SUM: u32 = 5u;  // sum of the diagonal Fisher estimate over all parameters
const S_SAM_LOSS: u32 = 6u;    // SAM: loss at the unperturbed weights (the reported loss)
const S_DOT: u32 = 7u;         // probes: scratch dot product / norm
const S_DOT2: u32 = 8u;        // probes: second scratch value

// Deterministic per-(seed, counter, index) random numbers: PCG hash, so that sampled labels and
// probe vectors are identical on every adapter for the same seed.
fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn uniform_at(seed: u32, counter: u32, index: u32) -> f32 {
    let h = pcg_hash(seed ^ pcg_hash(counter ^ pcg_hash(index)));
    return f32(h >> 8u) / 16777216.0;
}
