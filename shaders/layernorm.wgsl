// LayerNorm over the last dimension (PyTorch nn.LayerNorm, eps from the uniform, biased variance),
// and with RMS = true RMSNorm (PyTorch nn.RMSNorm: no mean subtracted, beta bound to zeros):
// the same kernels with the mean taken as zero, saved as such.
//   forward:       y = (x - mean) * rstd * gamma + beta; saves mean and rstd per row.
//   backward:      dx = dresidual + rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma.
//                  The residual stream's gradient is added here (HAS_RESIDUAL) so the backward pass
//                  needs no separate accumulate kernel.
//   param_grads:   dgamma[c] = sum_r dy * xhat, dbeta[c] = sum_r dy (one invocation per column).
// Bindings and uniform struct: declared once in src/kernels/layernorm.rs (generated into this module).

override RMS: bool = false;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.cols;
    var mean = 0.0;
    if (!RMS) {
        for (var c = 0u; c < dims.cols; c++) {
            mean += x[base + c];
        }
        mean /= f32(dims.cols);
    }
    var var_sum = 0.0;
    for (var c = 0u; c < dims.cols; c++) {
        let d = x[base + c] - mean;
        var_sum += d * d;
    }
    let rstd = inverseSqrt(var_sum / f32(dims.cols) + dims.eps);
    for (var c = 0u; c < dims.cols; c++) {
        y[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
    }
    stats[2u * r] = mean;
    stats[2u * r + 1u] = rstd;
}
