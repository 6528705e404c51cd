// Flat-direction indicators from the Fisher estimate h and the radix-select threshold:
//   mask[i]  = 1 when h[i] <= threshold (the gamma-fraction with the smallest h, plus ties), else 0
//   below[i] = 1 when h[i] < eps_rel * mean(h) (mean over real parameters), else 0
// `below` is a scale-free flatness count that is comparable between runs with and without IRE.
// Bindings and uniform struct: declared once in src/kernels/ire.rs (generated into this module).

@compute @workgroup_size(256)
fn mark(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let h = fisher[i];
    let empty = state[3] != 0u;
    mask[i] = select(0.0, 1.0, !empty && bitcast<u32>(h) <= state[2]);
    let cutoff = params.eps_rel * scalars[S_FISHER_SUM] / f32(params.real_count);
    below[i] = select(0.0, 1.0, h < cutoff);
}
