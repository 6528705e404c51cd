// ReLU forward/backward and global average pooling (CNHW [channels, batch, pixels] -> [batch,
// channels], the classifier's row layout) forward/backward.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/relu_pool.rs, generated into this module.

fn relu_forward_at(i: u32) {
    out[i] = max(a[i], 0.0);
}

// The ReLU with its activation pattern held fixed: out = a where the gate b (the ReLU's output
// at an anchor point) is positive, else 0. The sharpness probes differentiate through it so that
// their finite differences see the Hessian PyTorch's autograd sees, without ReLU kinks.
fn relu_forward_gated_at(i: u32) {
    out[i] = select(0.0, a[i], b[i] > 0.0);
}

// a: the gate, the ReLU's output (positive exactly where the input was), b: dy.
fn relu_backward_at(i: u32) {
    out[i] = select(0.0, b[i], a[i] > 0.0);
}

// One invocation per (batch, channel) output.
@compute @workgroup_size(64)
fn pool_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= d.n * d.batch) {
        return;
    }
    let n = i / d.n;
    let c = i % d.n;
    let base = (c * d.batch + n) * d.pixels;
    var s = 0.0;
    for (var p = 0u; p < d.pixels; p++) {
        s += a[base + p];
    }
    out[i] = s / f32(d.pixels);
}

// b: dy [batch, channels]; out: dx [channels, batch, pixels].
fn pool_backward_at(i: u32) {
    let c = i / (d.batch * d.pixels);
    let n = (i / d.pixels) % d.batch;
    out[i] = b[n * d.n + c] / f32(d.pixels);
}
