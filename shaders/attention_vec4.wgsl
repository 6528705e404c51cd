// attention.wgsl and attention_backward.wgsl for head_dim a multiple of 4 and at most 64: the
// same contract and one invocation per (batch, head, row), but q/k/v rows are read as vec4 and a
// row's query, output and gradient accumulators live in private memory, so each k/v row is read
// once per pass instead of once per channel.

const MAX_HD4: u32 = 16u;

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
@group(0) @binding(1) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dscores: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<vec4<f32>>; // out (forward) or dqkv (backward)

fn hd4() -> u32 {
    return dims.head_dim / 4u;
}

fn dm4() -> u32 {
    return dims.heads * hd4();
}

fn qkv_index(b: u32, t: u32, part: u32, h: u32, d4: u32) -> u32 {
    return (b * dims.seq + t) * 3u * dm4() + part * dm4() + h * hd4() + d4;
}

fn out_index(b: u32, t: u32, h: u32, d4: u32) -> u32 {
    return (b * dims.seq + t) * dm4() + h * hd4() + d4;
}

fn probs_index(b: u32, h: u32, i: u32, j: u32) -> u32 {
    return ((b * dims.heads + h) * dims.seq + i) * dims.seq + j;
}

struct Row {
    b: u32,
    h: u32,
    i: u32,
    valid: bool,
}

fn row_of(idx: u32) -> Row {
    let total = dims.batch * dims.heads * dims.seq;
    return Row(idx / (dims.seq * dims.heads), (idx / dims.seq) % dims.heads, idx % dims.seq, idx < total);
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let n4 = hd4();
    var q: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        q[d] = qkv[qkv_index(r.b, r.i, 0u, r.h, d)];
    }
    var row_max = -3.0e38;
    for (var j = 0u; j <= r.i; j++) {
        var s = 0.0;
        for (var d = 0u; d < n4; d++) {
            s += dot(q[d], qkv[qkv_index(r.b, j, 1u, r.h, d)]);
        }
        s *= dims.scale;
        probs[probs_index(r.b, r.h, r.i, j)] = s;
        row_max = max(row_max, s);
    }
    var denom = 0.0;
    for (var j = 0u; j <= r.i; j++) {
        let e = exp(probs[probs_index(r.b, r.h, r.i, j)] - row_max);
        probs[probs_index(r.b, r.h, r.i, j)] = e;
        denom += e;
    }
    let inv = 1.0 / denom;
    var acc: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        acc[d] = vec4<f32>(0.0);
    }
    for (var j = 0u; j < dims.seq; j++) {
        let pi = probs_index(r.b, r.h, r.i, j);
        if (j <= r.i) {
            let p = probs[pi] * inv;
            probs[pi] = p;
            for (var d = 0u; d < n4; d++) {
                acc[d] += p * qkv[qkv_index(r.b, j, 2u, r.h, d)];
            }
        } else {
            probs[pi] = 0.0;
        }
    }
    for (var d = 0u; d < n4; d++) {
        grad[out_index(r.b, r.i, r.h, d)] = acc[d];
    }
}

@compute @workgroup_size(64)
fn backward_query(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let n4 = hd4();
    var g: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        g[d] = dout[out_index(r.b, r.i, r.h, d)];
    }
    var row_dot = 0.0;
    for (var j = 0u; j <= r.i; j++) {
        var dp = 0.0;
        for (var d = 0u; d < n4; d++) {
            dp += dot(g[d], qkv[qkv_index(r.b, j, 2u, r.h, d)]);
        }
        let pi = probs_index(r.b, r.h, r.i, j);
        dscores[pi] = dp;
        row_dot += dp * probs[pi];
    }
    var acc: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        acc[d] = vec4<f32>(0.0);
    }
    for (var j = 0u; j < dims.seq; j++) {
        let pi = probs_index(r.b, r.h, r.i, j);
        if (j <= r.i) {
            let ds = probs[pi] * (dscores[pi] - row_dot);
            dscores[pi] = ds;
            for (var d = 0u; d < n4; d++) {
                acc[d] += ds * qkv[qkv_index(r.b, j, 1u, r.h, d)];
            }
        } else {
            dscores[pi] = 0.0;
        }
    }
    for (var d = 0u; d < n4; d++) {
        grad[qkv_index(r.b, r.i, 0u, r.h, d)] = acc[d] * dims.scale;
    }
}

@compute @workgroup_size(64)
fn backward_key(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let j = r.i;
    let n4 = hd4();
    var dk: array<vec4<f32>, MAX_HD4>;
    var dv: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        dk[d] = vec4<f32>(0.0);
        dv[d] = vec4<f32>(0.0);
    }
    for (var i = j; i < dims.seq; i++) {
        let pi = probs_index(r.b, r.h, i, j);
        let ds = dscores[pi];
        let p = probs[pi];
        for (var d = 0u; d < n4; d++) {
            dk[d] += ds * qkv[qkv_index(r.b, i, 0u, r.h, d)];
            dv[d] += p * dout[out_index(r.b, i, r.h, d)];
        }
    }
    for (var d = 0u; d < n4; d++) {
        grad[qkv_index(r.b, j, 1u, r.h, d)] = dk[d] * dims.scale;
        grad[qkv_index(r.b, j, 2u, r.h, d)] = dv[d];
    }
}
