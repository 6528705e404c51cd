// GELU, tanh approximation (GPT-2; PyTorch `gelu(approximate="tanh")`), forward and backward.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/elementwise.rs, generated into this module.

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const COEF: f32 = 0.044715;

// tanh of a clamped argument: some drivers compute tanh via exp and return NaN for |u| >~ 44.
fn safe_tanh(u: f32) -> f32 {
    return tanh(clamp(u, -15.0, 15.0));
}

fn forward_at(i: u32) {
    let v = x[i];
    let t = safe_tanh(SQRT_2_OVER_PI * (v + COEF * v * v * v));
    out[i] = 0.5 * v * (1.0 + t);
}

fn backward_at(i: u32) {
    let v = x[i];
    let u = SQRT_2_OVER_PI * (v + COEF * v * v * v);
    let t = safe_tanh(u);
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * COEF * v * v);
    let grad = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du;
    out[i] = dy[i] * grad;
}
