// Backward of layernorm.wgsl; see the comment there for the formulas.
// Bindings and uniform struct: declared once in src/kernels/layernorm.rs (generated into this module).

override HAS_RESIDUAL: bool = false;
// RMSNorm: the mean was not subtracted, so its gradient term drops out.
override RMS: bool = false;

@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.cols;
    let mean = stats[2u * r];
    let rstd = stats[2u * r + 1u];
    var mean_g = 0.0;
    var mean_gx = 0.0;
    for (var c = 0u; c < dims.cols; c++) {
        let g = dy[base + c] * gamma[c];
        mean_g += g;
        mean_gx += g * (x[base + c] - mean) * rstd;
    }
    mean_g = select(mean_g / f32(dims.cols), 0.0, RMS);
    mean_gx /= f32(dims.cols);
    for (var c = 0u; c < dims.cols; c++) {
        let xhat = (x[base + c] - mean) * rstd;
        var v = rstd * (dy[base + c] * gamma[c] - mean_g - xhat * mean_gx);
        if (HAS_RESIDUAL) {
            v += dresidual[base + c];
        }
        dx[base + c] = v;
    }
}
