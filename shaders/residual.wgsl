// Residual add: out = a + b. Its backward is the identity on both inputs, which the layers express
// by reading the same gradient buffer (see layernorm_backward's HAS_RESIDUAL).
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/elementwise.rs, generated into this module.

fn forward_at(i: u32) {
    out[i] = a[i] + b[i];
}
