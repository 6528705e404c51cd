// LayerNorm parameter gradients: dgamma[c] = sum_r dy[r,c] * xhat[r,c], dbeta[c] = sum_r dy[r,c],
// in two stages (as bias.wgsl, for the same reason): `partial` sums each column's SLICE-row
// slices into partials[(slice, c), 2]; `finish` adds a column's slices in order.
// Bindings and uniform struct: declared once in src/kernels/layernorm.rs (generated into this module).

const SLICE: u32 = 64u;

@compute @workgroup_size(64)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    let slice = gid.y;
    if (c >= dims.cols) {
        return;
    }
    let end = min(slice * SLICE + SLICE, dims.rows);
    var sg = 0.0;
    var sb = 0.0;
    for (var r = slice * SLICE; r < end; r++) {
        let i = r * dims.cols + c;
        let xhat = (x[i] - stats[2u * r]) * stats[2u * r + 1u];
        sg += dy[i] * xhat;
        sb += dy[i];
    }
    let at = 2u * (slice * dims.cols + c);
    partials[at] = sg;
    partials[at + 1u] = sb;
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= dims.cols) {
        return;
    }
    let slices = (dims.rows + SLICE - 1u) / SLICE;
    var sg = 0.0;
    var sb = 0.0;
    for (var s = 0u; s < slices; s++) {
        let at = 2u * (s * dims.cols + c);
        sg += partials[at];
        sb += partials[at + 1u];
    }
    dgamma[c] = sg;
    dbeta[c] = sb;
}
