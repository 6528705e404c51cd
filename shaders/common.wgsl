// Shared helpers, prepended to every kernel file by the Rust side (gpu/pipelines.rs).

// Elementwise kernels use 256-wide workgroups on a 2-D grid so that buffers larger than
// 65535 * 256 elements still fit the dispatch limit; this recovers the flat index.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

// Elements per invocation of the elementwise kernels, which visit element `run_index(.., r)` for
// r < RUN (grid-strided, so neighbouring invocations still touch neighbouring elements on a GPU).
// 1 on GPUs; more on CPU adapters (`GpuContext::elementwise_run`), where an invocation carries a
// fixed cost of its own: llvmpipe starts every 8-lane chunk by computing its local ids with
// scalar integer divisions, which cost more than a ReLU's or im2col's element.
override RUN: u32 = 1u;

fn run_index(gid: vec3<u32>, nwg: vec3<u32>, r: u32) -> u32 {
    return flat_index(gid, nwg) + r * nwg.x * nwg.y * 256u;
}

// WGSL has no isNan/isInf; test the exponent bits instead (the compiler may not fold these away).
fn is_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// The scalar slots (`S_LOSS`, ...) are generated from the table in src/kernels/slot.rs.

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
