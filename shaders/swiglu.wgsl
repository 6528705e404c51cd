// SwiGLU (Shazeer 2020; Llama's feed-forward gate): h = silu(a) * b, a the gate projection and b
// the up projection, silu(a) = a * sigmoid(a). Backward: da = dh * b * silu'(a) with
// silu'(a) = sigmoid(a) * (1 + a * (1 - sigmoid(a))), and db = dh * silu(a).
// Bindings and uniform struct: declared once in src/kernels/swiglu.rs (generated into this module).

fn sigmoid(v: f32) -> f32 {
    // exp of a clamped argument: no overflow to inf for very negative v.
    return 1.0 / (1.0 + exp(-clamp(v, -80.0, 80.0)));
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        out[i] = a[i] * sigmoid(a[i]) * b[i];
    }
}

@compute @workgroup_size(256)
fn backward_gate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        let s = sigmoid(a[i]);
        out[i] = dh[i] * b[i] * s * (1.0 + a[i] * (1.0 - s));
    }
}

@compute @workgroup_size(256)
fn backward_up(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        out[i] = dh[i] * a[i] * sigmoid(a[i]);
    }
}
