// Causal multi-head self-attention on a packed qkv tensor.
//   qkv: [B*T, 3*D], columns [0,D) = q, [D,2D) = k, [2D,3D) = v; head h uses columns h*hd..(h+1)*hd.
//   out: [B*T, D], head h written to columns h*hd..(h+1)*hd (heads concatenated).
//   probs: [B, H, T, T] softmax probabilities, saved for the backward pass (zero above the diagonal).
// One invocation per (batch, head, query row): for playground sizes (T <= 256, hd <= 64) a row fits
// comfortably in one invocation, and nothing needs atomics, so results are deterministic.
// Bindings and uniform struct: declared once in src/kernels/attention.rs (generated into this module).

const LANES: u32 = 1u;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let b = r.b;
    let h = r.h;
    let i = r.i;

    var row_max = -3.0e38;
    for (var j = 0u; j <= i; j++) {
        var s = 0.0;
        for (var d = 0u; d < dims.head_dim; d++) {
            s += qkv[qkv_index(b, i, 0u, h, d)] * qkv[qkv_index(b, j, 1u, h, d)];
        }
        s *= dims.scale;
        probs[probs_index(b, h, i, j)] = s;
        row_max = max(row_max, s);
    }
    var denom = 0.0;
    for (var j = 0u; j <= i; j++) {
        let e = exp(probs[probs_index(b, h, i, j)] - row_max);
        probs[probs_index(b, h, i, j)] = e;
        denom += e;
    }
    let inv = 1.0 / denom;
    for (var j = 0u; j < dims.seq; j++) {
        if (j <= i) {
            probs[probs_index(b, h, i, j)] *= inv;
        } else {
            probs[probs_index(b, h, i, j)] = 0.0;
        }
    }
    let dm = model_lanes();
    for (var d = 0u; d < dims.head_dim; d++) {
        var acc = 0.0;
        for (var j = 0u; j <= i; j++) {
            acc += probs[probs_index(b, h, i, j)] * qkv[qkv_index(b, j, 2u, h, d)];
        }
        out[(b * dims.seq + i) * dm + h * dims.head_dim + d] = acc;
    }
}
