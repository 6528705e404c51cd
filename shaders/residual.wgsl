// Residual add: out = a + b. Its backward is the identity on both inputs, which the layers express
// by reading the same gradient buffer (see layernorm_backward's HAS_RESIDUAL).
// Bindings and uniform struct: declared once in src/kernels/elementwise.rs (generated into this module).

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= dims.n) {
            return;
        }
        out[i] = a[i] + b[i];
    }
}
