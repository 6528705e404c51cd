// Vector operations over the flat parameter layout, for SAM and the sharpness probes.
//   `axpy`:        out = base + alpha * v          (alpha from the uniform, or scaled by
//                                                   1 / scalars[norm_slot] when norm_slot != NONE)
//   `hvp`:         out = (a - b) * alpha             (central-difference Hessian-vector product)
//   `normalize`:   out = v / sqrt(scalars[norm_slot]) (unchanged when the norm is zero)
//   `rademacher`:  out = +-1 on real coordinates (valid = 1), 0 on padding; hashed, deterministic
//   `dot_partial`: partials[t] = sum over chunk t of a * b (finished by reduce.wgsl's `finish`)
// and, for the analyses (loss-landscape slices, Lanczos):
//   `axpy2`:       out = a + alpha * b + beta * c     (c bound where `scalars` usually is)
//   `axpy_slot`:   out = a + alpha * scalars[norm_slot] * b (a coefficient computed on the GPU)
//   `set_slot`:    out[norm_slot] = alpha             (one invocation)
//   `add_slot`:    out[counter] += alpha * scalars[norm_slot] (one invocation)
// Bindings and uniform struct: declared once in src/kernels/vector.rs (generated into this module).

const NONE: u32 = 0xffffffffu;

fn alpha() -> f32 {
    if (params.norm_slot == NONE) {
        return params.alpha;
    }
    let norm = sqrt(scalars[params.norm_slot]);
    return select(0.0, params.alpha / norm, norm > 0.0 && is_finite(norm));
}

@compute @workgroup_size(256)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    out[i] = a[i] + alpha() * b[i];
}

@compute @workgroup_size(256)
fn hvp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    out[i] = (a[i] - b[i]) * params.alpha;
}

@compute @workgroup_size(256)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let norm = sqrt(scalars[params.norm_slot]);
    out[i] = select(a[i], a[i] / norm, norm > 0.0 && is_finite(norm));
}

@compute @workgroup_size(256)
fn rademacher(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let sign = select(-1.0, 1.0, uniform_at(params.seed, params.counter, i) < 0.5);
    out[i] = sign * a[i];
}

@compute @workgroup_size(64)
fn dot_partial(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let start = t * params.chunk;
    if (start >= params.n) {
        return;
    }
    let end = min(start + params.chunk, params.n);
    var acc = 0.0;
    for (var i = start; i < end; i++) {
        acc += a[i] * b[i];
    }
    out[t] = acc;
}

@compute @workgroup_size(256)
fn axpy2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    // `scalars` is the third vector here.
    out[i] = a[i] + params.alpha * b[i] + params.beta * scalars[i];
}

@compute @workgroup_size(256)
fn axpy_slot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    out[i] = a[i] + params.alpha * scalars[params.norm_slot] * b[i];
}

@compute @workgroup_size(1)
fn set_slot() {
    out[params.norm_slot] = params.alpha;
}

@compute @workgroup_size(1)
fn add_slot() {
    out[params.counter] += params.alpha * scalars[params.norm_slot];
}
