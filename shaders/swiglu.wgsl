// SwiGLU (Shazeer 2020; Llama's feed-forward gate): h = silu(a) * b, a the gate projection and b
// the up projection, silu(a) = a * sigmoid(a). Backward: da = dh * b * silu'(a) with
// silu'(a) = sigmoid(a) * (1 + a * (1 - sigmoid(a))), and db = dh * silu(a).
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/swiglu.rs, generated into this module.

fn sigmoid(v: f32) -> f32 {
    // exp of a clamped argument: no overflow to inf for very negative v.
    return 1.0 / (1.0 + exp(-clamp(v, -80.0, 80.0)));
}

fn forward_at(i: u32) {
    out[i] = a[i] * sigmoid(a[i]) * b[i];
}

fn backward_gate_at(i: u32) {
    let s = sigmoid(a[i]);
    out[i] = dh[i] * b[i] * s * (1.0 + a[i] * (1.0 - s));
}

fn backward_up_at(i: u32) {
    out[i] = dh[i] * a[i] * sigmoid(a[i]);
}
