// Bias gradient of a linear layer: db[c] = sum over rows r of dy[r, c], in two stages so that a
// GPU gets `cols x slices` invocations rather than `cols` (one per column left most of a GPU idle
// and cost more than half the matmuls' time on an H200): `partial` sums each column's SLICE-row
// slices into partials[slice, c]; `finish` adds a column's slices in order (deterministic).
// The forward bias add is fused into matmul.wgsl's store (HAS_BIAS).
// Bindings and uniform struct: declared once in src/kernels/matmul/mod.rs (generated into this module).

const SLICE: u32 = 64u;

@compute @workgroup_size(64)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    let slice = gid.y;
    if (col >= dims.cols) {
        return;
    }
    let end = min(slice * SLICE + SLICE, dims.rows);
    var sum = 0.0;
    for (var r = slice * SLICE; r < end; r++) {
        sum += dy[r * dims.cols + col];
    }
    partials[slice * dims.cols + col] = sum;
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
    let col = gid.x;
    if (col >= dims.cols) {
        return;
    }
    let slices = (dims.rows + SLICE - 1u) / SLICE;
    var sum = 0.0;
    for (var s = 0u; s < slices; s++) {
        sum += partials[s * dims.cols + col];
    }
    db[col] = sum;
}
