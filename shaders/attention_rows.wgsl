// The row-wise steps of attention between the texel products (src/kernels/attention_lanes.rs):
// `softmax` turns the raw scores q k^T, written into `scores` [B*H*T, T] by the product, into
// causal probabilities in place; `softmax_backward` turns dP = dO v^T into the scores' gradient
// in place: dS = scale * P * (dP - sum_j dP P), zero above the diagonal. One invocation per row.
// Bindings and uniform struct: declared once in src/kernels/attention_lanes.rs.

@compute @workgroup_size(256)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = flat_index(gid, nwg);
    if (r >= rows.count) {
        return;
    }
    let t = rows.seq;
    let i = r % t;
    let base = r * t;
    var row_max = -3.0e38;
    for (var j = 0u; j <= i; j++) {
        let s = scores[base + j] * rows.scale;
        scores[base + j] = s;
        row_max = max(row_max, s);
    }
    var denom = 0.0;
    for (var j = 0u; j <= i; j++) {
        let e = exp(scores[base + j] - row_max);
        scores[base + j] = e;
        denom += e;
    }
    let inv = 1.0 / denom;
    for (var j = 0u; j < t; j++) {
        scores[base + j] = select(0.0, scores[base + j] * inv, j <= i);
    }
}

@compute @workgroup_size(256)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = flat_index(gid, nwg);
    if (r >= rows.count) {
        return;
    }
    let t = rows.seq;
    let i = r % t;
    let base = r * t;
    var row_dot = 0.0;
    for (var j = 0u; j <= i; j++) {
        row_dot += scores[base + j] * probs[base + j];
    }
    for (var j = 0u; j < t; j++) {
        let ds = rows.scale * probs[base + j] * (scores[base + j] - row_dot);
        scores[base + j] = select(0.0, ds, j <= i);
    }
}
