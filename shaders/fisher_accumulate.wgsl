// h = beta * h + (1 - beta) * scale * g^2 over the flat parameter buffer (see fisher.wgsl).
// Bindings and uniform struct: declared once in src/kernels/ire.rs (generated into this module).

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let g = grads[i];
    fisher[i] = params.beta * fisher[i] + (1.0 - params.beta) * params.scale * g * g;
}
