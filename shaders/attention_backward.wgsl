// Backward of attention.wgsl in two passes, so that no two invocations write the same word:
//  `backward_query`: per (b, h, i): dS[i, j] = P[i, j] * (dP[i, j] - sum_j' P[i, j'] dP[i, j']) with
//                    dP[i, j] = dout_i . v_j, stored in `dscores`; then dq_i = scale * sum_j dS[i, j] k_j.
//  `backward_key`:   per (b, h, j): dk_j = scale * sum_i dS[i, j] q_i, dv_j = sum_i P[i, j] dout_i.
// Bindings and uniform struct: declared once in src/kernels/attention.rs (generated into this module).

const LANES: u32 = 1u;

@compute @workgroup_size(64)
fn backward_query(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let b = r.b;
    let h = r.h;
    let i = r.i;

    var row_dot = 0.0;
    for (var j = 0u; j <= i; j++) {
        var dp = 0.0;
        for (var d = 0u; d < dims.head_dim; d++) {
            dp += dout[out_index(b, i, h, d)] * qkv[qkv_index(b, j, 2u, h, d)];
        }
        dscores[probs_index(b, h, i, j)] = dp;
        row_dot += dp * probs[probs_index(b, h, i, j)];
    }
    for (var j = 0u; j < dims.seq; j++) {
        let pi = probs_index(b, h, i, j);
        if (j <= i) {
            dscores[pi] = probs[pi] * (dscores[pi] - row_dot);
        } else {
            dscores[pi] = 0.0;
        }
    }
    for (var d = 0u; d < dims.head_dim; d++) {
        var acc = 0.0;
        for (var j = 0u; j <= i; j++) {
            acc += dscores[probs_index(b, h, i, j)] * qkv[qkv_index(b, j, 1u, h, d)];
        }
        dqkv[qkv_index(b, i, 0u, h, d)] = acc * dims.scale;
    }
}

@compute @workgroup_size(64)
fn backward_key(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let b = r.b;
    let h = r.h;
    let j = r.i;
    for (var d = 0u; d < dims.head_dim; d++) {
        var dk = 0.0;
        var dv = 0.0;
        for (var i = j; i < dims.seq; i++) {
            let pi = probs_index(b, h, i, j);
            dk += dscores[pi] * qkv[qkv_index(b, i, 0u, h, d)];
            dv += probs[pi] * dout[out_index(b, i, h, d)];
        }
        dqkv[qkv_index(b, j, 1u, h, d)] = dk * dims.scale;
        dqkv[qkv_index(b, j, 2u, h, d)] = dv;
    }
}
