// Bias gradient of a linear layer: db[c] = sum over rows r of dy[r, c].
// The forward bias add is fused into matmul.wgsl's store (HAS_BIAS).
// Bindings and uniform struct: declared once in src/kernels/matmul.rs (generated into this module).

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    if (col >= dims.cols) {
        return;
    }
    var sum = 0.0;
    for (var r = 0u; r < dims.rows; r++) {
        sum += dy[r * dims.cols + col];
    }
    db[col] = sum;
}
