// Residual add: out = a + b. Its backward is the identity on both inputs, which the layers express
// by reading the same gradient buffer (see layernorm_backward's HAS_RESIDUAL).

struct Dims {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= dims.n) {
        return;
    }
    out[i] = a[i] + b[i];
}
