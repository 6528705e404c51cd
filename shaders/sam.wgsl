// SAM (Foret et al. 2021) around a base step:
//   `ascend`:  backup = theta; theta += rho * g / ||g||  (g: gradient at theta, ||g|| from the
//              gradient-norm reduction); also keeps the loss at theta, which is the one reported.
//   `restore`: theta = backup, before the base optimizer applies the gradient taken at the
//              perturbed point. Restoring from a copy returns exactly to theta.
// Bindings and uniform struct: declared once in src/kernels/sam.rs (generated into this module).

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
