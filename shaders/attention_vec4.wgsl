// attention.wgsl and attention_backward.wgsl for head_dim a multiple of 4 and at most 64: the
// same contract and one invocation per (batch, head, row), but q/k/v rows are read as vec4 and a
// row's query, output and gradient accumulators live in private memory, so each k/v row is read
// once per pass instead of once per channel.
// Bindings and uniform struct: declared once in src/kernels/attention.rs (generated into this module).

const LANES: u32 = 4u;
const MAX_HD4: u32 = 16u;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = row_of(gid.x);
    if (!r.valid) {
        return;
    }
    let n4 = head_lanes();
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
    let n4 = head_lanes();
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
    let n4 = head_lanes();
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
