// SAM (Foret et al. 2021) around a base step:
//   `ascend`:  backup = theta; theta += rho * g / ||g||  (g: gradient at theta, ||g|| from the
//              gradient-norm reduction); also keeps the loss at theta, which is the one reported.
//   `restore`: theta = backup, before the base optimizer applies the gradient taken at the
//              perturbed point. Restoring from a copy returns exactly to theta.

struct Params {
    n: u32,
    rho: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> scalars: array<f32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> backup: array<f32>;

@compute @workgroup_size(256)
fn ascend(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i == 0u) {
        scalars[S_SAM_LOSS] = scalars[S_LOSS];
    }
    if (i >= params.n) {
        return;
    }
    let w = weights[i];
    backup[i] = w;
    let norm = scalars[S_GRAD_NORM];
    if (norm > 0.0 && is_finite(norm)) {
        weights[i] = w + params.rho * grads[i] / norm;
    }
}

@compute @workgroup_size(256)
fn restore(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    weights[i] = backup[i];
}
