// Backward of attention.wgsl in two passes, so that no two invocations write the same word:
//  `backward_query`: per (b, h, i): dS[i, j] = P[i, j] * (dP[i, j] - sum_j' P[i, j'] dP[i, j']) with
//                    dP[i, j] = dout_i . v_j, stored in `dscores`; then dq_i = scale * sum_j dS[i, j] k_j.
//  `backward_key`:   per (b, h, j): dk_j = scale * sum_i dS[i, j] q_i, dv_j = sum_i P[i, j] dout_i.

struct Dims {
    batch: u32,
    seq: u32,
    heads: u32,
    head_dim: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dscores: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

fn model_dim() -> u32 {
    return dims.heads * dims.head_dim;
}

fn qkv_index(b: u32, t: u32, part: u32, h: u32, d: u32) -> u32 {
    let dm = model_dim();
    return (b * dims.seq + t) * 3u * dm + part * dm + h * dims.head_dim + d;
}

fn out_index(b: u32, t: u32, h: u32, d: u32) -> u32 {
    return (b * dims.seq + t) * model_dim() + h * dims.head_dim + d;
}

fn probs_index(b: u32, h: u32, i: u32, j: u32) -> u32 {
    return ((b * dims.heads + h) * dims.seq + i) * dims.seq + j;
}

@compute @workgroup_size(64)
fn backward_query(@builtin(global_invocation_id) gid: vec3<u32>) {
    let total = dims.batch * dims.heads * dims.seq;
    let idx = gid.x;
    if (idx >= total) {
        return;
    }
    let i = idx % dims.seq;
    let h = (idx / dims.seq) % dims.heads;
    let b = idx / (dims.seq * dims.heads);

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
    let total = dims.batch * dims.heads * dims.seq;
    let idx = gid.x;
    if (idx >= total) {
        return;
    }
    let j = idx % dims.seq;
    let h = (idx / dims.seq) % dims.heads;
    let b = idx / (dims.seq * dims.heads);
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
