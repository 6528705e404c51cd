// BatchNorm2d over the engine's CNHW layout: channel c owns the contiguous slice
// x[c * len .. (c + 1) * len] (len = batch * height * width), so one workgroup per channel
// reduces it without strided access. Training mode normalises with the batch statistics (biased
// variance) and, when UPDATE_RUNNING is set, updates the running statistics as PyTorch does
// (momentum 0.1, unbiased variance); evaluation mode uses the running statistics.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/batchnorm.rs, generated into this module.

override UPDATE_RUNNING: f32 = 1.0;

// `stats`: [mean, inverse std] per channel of the last training forward pass;
// `running`: [running mean (channels), running var (channels)].

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn forward_train(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
    let c = wid.x;
    let lid = lid3.x;
    let base = c * d.len;
    var s = 0.0;
    for (var i = lid; i < d.len; i += WG) {
        s += x[base + i];
    }
    let mean = workgroup_sum(s, lid) / f32(d.len);
    // Two passes (mean, then squared deviations): no cancellation for large means.
    var q = 0.0;
    for (var i = lid; i < d.len; i += WG) {
        let t = x[base + i] - mean;
        q += t * t;
    }
    let var_biased = workgroup_sum(q, lid) / f32(d.len);
    let inv_std = inverseSqrt(var_biased + d.eps);
    let g = gamma[c] * inv_std;
    let b = beta[c] - mean * g;
    for (var i = lid; i < d.len; i += WG) {
        y[base + i] = x[base + i] * g + b;
    }
    if (lid == 0u) {
        stats[2u * c] = mean;
        stats[2u * c + 1u] = inv_std;
        if (UPDATE_RUNNING != 0.0) {
            let unbiased = var_biased * f32(d.len) / max(f32(d.len) - 1.0, 1.0);
            running[c] = (1.0 - d.momentum) * running[c] + d.momentum * mean;
            running[d.channels + c] = (1.0 - d.momentum) * running[d.channels + c] + d.momentum * unbiased;
        }
    }
}

// One element of the elementwise `forward_eval` (RUN elements per invocation, see common.wgsl).
fn forward_eval_at(i: u32) {
    let c = i / d.len;
    let inv_std = inverseSqrt(running[d.channels + c] + d.eps);
    y[i] = (x[i] - running[c]) * inv_std * gamma[c] + beta[c];
}
