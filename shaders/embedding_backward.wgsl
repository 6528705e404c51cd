// Gradients of embedding.wgsl: dwte[v, d] = sum over rows whose token is v of dx[row, d],
// dwpe[t, d] = sum over the batch of dx[b*T + t, d]. Deterministic gathers, no atomics: token v's
// rows come from a host-built index (rows_by_token[token_starts[v]..token_starts[v + 1]], rows
// ascending), so each invocation reads only its own token's rows.
// Without POSITIONS there is no position table: the grid covers the token table only.
// Bindings and uniform struct: declared once in src/kernels/embedding.rs (generated into this module).

override POSITIONS: bool = true;

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let wte_n = dims.vocab * dims.dim;
    let wpe_n = dims.seq * dims.dim;
    if (i < wte_n) {
        let v = i / dims.dim;
        let d = i % dims.dim;
        var acc = 0.0;
        for (var k = token_starts[v]; k < token_starts[v + 1u]; k++) {
            acc += dx[rows_by_token[k] * dims.dim + d];
        }
        dwte[i] = acc;
    } else if (POSITIONS && i < wte_n + wpe_n) {
        let j = i - wte_n;
        let t = j / dims.dim;
        let d = j % dims.dim;
        var acc = 0.0;
        for (var r = t; r < dims.rows; r += dims.seq) {
            acc += dx[r * dims.dim + d];
        }
        dwpe[j] = acc;
    }
}
