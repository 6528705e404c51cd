// out [rows, padded] = a [rows, cols] with zero columns appended: an operand of the texel matmul
// whose stored rows are not a multiple of 4 floats long (a gradient over the head's 83-symbol
// vocabulary, the ResNet stem's weight with its 9-long patches), laid out so that each row
// starts on a texel and its padding multiplies as zero.
// Bindings and uniform struct: declared once in src/kernels/matmul_lanes.rs.

@compute @workgroup_size(256)
fn pad_columns(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var r = 0u; r < RUN; r++) {
        let i = run_index(gid, nwg, r);
        if (i >= d.n) {
            return;
        }
        let row = i / d.padded;
        let col = i % d.padded;
        out[i] = select(0.0, a[min(row * d.cols + col, d.last)], col < d.cols);
    }
}
