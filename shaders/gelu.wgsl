// GELU, tanh approximation (GPT-2; PyTorch `gelu(approximate="tanh")`), forward and backward.
// Bindings and uniform struct: declared once in src/kernels/elementwise.rs (generated into this module).

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const COEF: f32 = 0.044715;

// tanh of a clamped argument: some drivers compute tanh via exp and return NaN for |u| >~ 44.
fn safe_tanh(u: f32) -> f32 {
    return tanh(clamp(u, -15.0, 15.0));
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        let v = x[i];
        let t = safe_tanh(SQRT_2_OVER_PI * (v + COEF * v * v * v));
        out[i] = 0.5 * v * (1.0 + t);
    }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        let v = x[i];
        let u = SQRT_2_OVER_PI * (v + COEF * v * v * v);
        let t = safe_tanh(u);
        let du = SQRT_2_OVER_PI * (1.0 + 3.0 * COEF * v * v);
        let grad = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du;
        out[i] = dy[i] * grad;
    }
}
