// h = beta * h + (1 - beta) * scale * g^2 over the flat parameter buffer (see fisher.wgsl).

struct Params {
    n: u32,
    beta: f32,
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> fisher: array<f32>;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let g = grads[i];
    fisher[i] = params.beta * fisher[i] + (1.0 - params.beta) * params.scale * g * g;
}
