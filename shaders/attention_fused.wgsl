// Causal attention fused into one pass per direction, for CPU adapters with 8-lane subgroups: no
// probability matrix is stored. llvmpipe runs a workgroup of 8 invocations as one SIMD vector;
// it takes 8 consecutive query rows of one (batch, head). Keys come 8 at a time: each lane
// fetches one key's k and v texels, and every lane then takes key l's values from lane l with
// subgroupShuffle (one register permute on AVX2), so each step of the loop is a vector operation
// over the 8 rows. (Buffer loads inside loops cost llvmpipe a branch per lane and float, which
// made a first, buffer-reading version of this kernel slower than the products it replaced.)
// The softmax is computed online: a running maximum, with the sum and the weighted values
// rescaled when it grows. `lse` keeps each query row's log-sum-exp of its scaled scores,
// [B, H, T], for the backward pass.
// Layouts as in attention_index.wgsl; `qkv` holds the packed qkv rows as texels.
// Bindings and uniform struct: declared once in src/kernels/attention_fused.rs.

@compute @workgroup_size(BLOCK)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let r = block_of(wg, lane);
    let n4 = head_lanes();
    var q: array<vec4<f32>, MAX_HD4>;
    var acc: array<vec4<f32>, MAX_HD4>;
    for (var d = 0u; d < n4; d++) {
        q[d] = qkv_texel(qkv_index(r.b, r.row, 0u, r.h, d)) * dims.scale;
        acc[d] = vec4<f32>(0.0);
    }
    var row_max = -3.0e38;
    var denom = 0.0;
    // Chunks up to the block's own: later keys are masked for all its rows.
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
            var s = 0.0;
            for (var d = 0u; d < n4; d++) {
                s += dot(q[d], subgroupShuffle(k[d], l));
            }
            let live = first_key + l <= r.row;
            let grown = select(row_max, max(row_max, s), live);
            let rescale = exp(row_max - grown);
            // Masked keys may overflow exp; select drops them without arithmetic on the result.
            let p = select(0.0, exp(s - grown), live);
            denom = denom * rescale + p;
            for (var d = 0u; d < n4; d++) {
                acc[d] = acc[d] * rescale + p * subgroupShuffle(v[d], l);
            }
            row_max = grown;
        }
    }
    if (r.valid) {
        let inv = 1.0 / denom;
        for (var d = 0u; d < n4; d++) {
            out[out_index(r.b, r.row, r.h, d)] = acc[d] * inv;
        }
        lse[stat_index(r.b, r.h, r.row)] = row_max + log(denom);
    }
}
