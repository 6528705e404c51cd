// out [rows, padded] = a [rows, cols] with zero columns appended: an operand of the texel matmul
// whose stored rows are not a multiple of 4 floats long (a gradient over the head's 83-symbol
// vocabulary, the ResNet stem's weight with its 9-long patches), laid out so that each row
// starts on a texel and its padding multiplies as zero.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/matmul/lanes.rs, generated into this module.

fn pad_columns_at(i: u32) {
    let row = i / d.padded;
    let col = i % d.padded;
    out[i] = select(0.0, a[min(row * d.cols + col, d.last)], col < d.cols);
}
