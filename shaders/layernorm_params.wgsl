// LayerNorm parameter gradients: dgamma[c] = sum_r dy[r,c] * xhat[r,c], dbeta[c] = sum_r dy[r,c].
// Bindings and uniform struct: declared once in src/kernels/layernorm.rs (generated into this module).

@compute @workgroup_size(64)
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= dims.cols) {
        return;
    }
    var sg = 0.0;
    var sb = 0.0;
    for (var r = 0u; r < dims.rows; r++) {
        let i = r * dims.cols + c;
        let xhat = (x[i] - stats[2u * r]) * stats[2u * r + 1u];
        sg += dy[i] * xhat;
        sb += dy[i];
    }
    dgamma[c] = sg;
    dbeta[c] = sb;
}
