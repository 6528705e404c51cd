// Gradient of attention_fused.wgsl's forward pass, recomputing the probabilities from the saved
// log-sum-exp: p = exp(q.k * scale - lse), dS = p (dO.v - rowdot) with rowdot = dO.O per query
// row. Two entry points, run in this order: `backward_query` (lanes = query rows, over their
// keys: dq, and rowdot for the other side) and `backward_key` (lanes = key rows, over the
// queries that see them: dk and dv). Same workgroup shape and shuffled texel reads as the
// forward pass; `dout` is the output's gradient as texels.
// Bindings and uniform struct: declared once in src/kernels/attention_fused.rs.

fn dout_texel(i: u32) -> vec4<f32> {
    return textureLoad(dout, texel_at(i), 0);
}

@compute @workgroup_size(BLOCK)
fn backward_query(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let r = block_of(wg, lane);
    let n4 = head_lanes();
    var q: array<vec4<f32>, MAX_HD4>;
    var g: array<vec4<f32>, MAX_HD4>;
    var dq: array<vec4<f32>, MAX_HD4>;
    var row_dot = 0.0;
    for (var d = 0u; d < n4; d++) {
        q[d] = qkv_texel(qkv_index(r.b, r.row, 0u, r.h, d)) * dims.scale;
        g[d] = dout_texel(out_index(r.b, r.row, r.h, d));
        row_dot += dot(g[d], out[out_index(r.b, r.row, r.h, d)]);
        dq[d] = vec4<f32>(0.0);
    }
    let row_lse = lse[stat_index(r.b, r.h, r.row)];
    for (var chunk = 0u; chunk <= wg.x; chunk++) {
        let first_key = chunk * BLOCK;
        let mine = min(first_key + lane, dims.seq - 1u);
        var k: array<vec4<f32>, MAX_HD4>;
        var v: array<vec4<f32>, MAX_HD4>;
        for (var d = 0u; d < n4; d++) {
            k[d] = qkv_texel(qkv_index(r.b, mine, 1u, r.h, d));
            v[d] = qkv_texel(qkv_index(r.b, mine, 2u, r.h, d));
        }
        for (var l = 0u; l < BLOCK; l++) {
            var key: array<vec4<f32>, MAX_HD4>;
            var s = 0.0;
            var dp = 0.0;
            for (var d = 0u; d < n4; d++) {
                key[d] = subgroupShuffle(k[d], l);
                s += dot(q[d], key[d]);
                dp += dot(g[d], subgroupShuffle(v[d], l));
            }
            let p = select(0.0, exp(s - row_lse), first_key + l <= r.row);
            let ds = p * (dp - row_dot);
            for (var d = 0u; d < n4; d++) {
                dq[d] += ds * key[d];
            }
        }
    }
    if (r.valid) {
        for (var d = 0u; d < n4; d++) {
            grad[qkv_index(r.b, r.row, 0u, r.h, d)] = dq[d] * dims.scale;
        }
        row_dots[stat_index(r.b, r.h, r.row)] = row_dot;
    }
}

@compute @workgroup_size(BLOCK)
fn backward_key(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let r = block_of(wg, lane);
    let n4 = head_lanes();
    var k: array<vec4<f32>, MAX_HD4>;
    var v: array<vec4<f32>, MAX_HD4>;
    var dk: array<vec4<f32>, MAX_HD4>;
    var dv: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        k[d] = qkv_texel(qkv_index(r.b, r.row, 1u, r.h, d)) * dims.scale;
        v[d] = qkv_texel(qkv_index(r.b, r.row, 2u, r.h, d));
        dk[d] = vec4<f32>(0.0);
        dv[d] = vec4<f32>(0.0);
    }
    // Chunks of queries from the block's own: earlier queries see none of its keys.
    let chunks = (dims.seq + BLOCK - 1u) / BLOCK;
    for (var chunk = wg.x; chunk < chunks; chunk++) {
        let first_query = chunk * BLOCK;
        let mine = min(first_query + lane, dims.seq - 1u);
        var q: array<vec4<f32>, MAX_HD4>;
        var g: array<vec4<f32>, MAX_HD4>;
        for (var d = 0u; d < n4; d++) {
            q[d] = qkv_texel(qkv_index(r.b, mine, 0u, r.h, d));
            g[d] = dout_texel(out_index(r.b, mine, r.h, d));
        }
        let stat = stat_index(r.b, r.h, mine);
        let query_lse = lse[stat];
        let query_dot = row_dots[stat];
        for (var l = 0u; l < BLOCK; l++) {
            var query: array<vec4<f32>, MAX_HD4>;
            var grad_out: array<vec4<f32>, MAX_HD4>;
            var s = 0.0;
            var dp = 0.0;
            for (var d = 0u; d < n4; d++) {
                query[d] = subgroupShuffle(q[d], l);
                grad_out[d] = subgroupShuffle(g[d], l);
                s += dot(query[d], k[d]);
                dp += dot(grad_out[d], v[d]);
            }
            // Queries past the sequence's end (a short last chunk) are masked with the rest.
            let live = first_query + l >= r.row && first_query + l < dims.seq;
            let p = select(0.0, exp(s - subgroupShuffle(query_lse, l)), live);
            let ds = p * (dp - subgroupShuffle(query_dot, l));
            for (var d = 0u; d < n4; d++) {
                dv[d] += p * grad_out[d];
                dk[d] += ds * query[d];
            }
        }
    }
    if (r.valid) {
        for (var d = 0u; d < n4; d++) {
            grad[qkv_index(r.b, r.row, 1u, r.h, d)] = dk[d] * dims.scale;
            grad[qkv_index(r.b, r.row, 2u, r.h, d)] = dv[d];
        }
    }
}
