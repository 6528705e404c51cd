// Index helpers shared by the attention kernels (attention*.wgsl). Each kernel file (for the
// fused kernels, attention_blocks.wgsl) defines LANES: 1 where q/k/v/out are read as f32, 4
// where they are read as vec4<f32>; `d` counts lanes.
// Layouts: qkv [B*T, 3*D] (q, k, v blocks; head h at columns h*hd..), out [B*T, D],
// probs [B, H, T, T].

// The head's lanes fixed when the pipeline is built (0: read them from the uniform). A constant
// trip count lets the shader compiler unroll the per-channel loops and keep a row's q, output
// and gradient accumulators in registers (llvmpipe spills dynamically indexed arrays).
override HEAD_LANES: u32 = 0u;

fn head_lanes() -> u32 {
    return select(dims.head_dim / LANES, HEAD_LANES, HEAD_LANES > 0u);
}

fn model_lanes() -> u32 {
    return dims.heads * head_lanes();
}

// Element d of the q (part 0), k (1) or v (2) vector of token t in batch b, head h.
fn qkv_index(b: u32, t: u32, part: u32, h: u32, d: u32) -> u32 {
    return (b * dims.seq + t) * 3u * model_lanes() + part * model_lanes() + h * head_lanes() + d;
}

fn out_index(b: u32, t: u32, h: u32, d: u32) -> u32 {
    return (b * dims.seq + t) * model_lanes() + h * head_lanes() + d;
}

fn probs_index(b: u32, h: u32, i: u32, j: u32) -> u32 {
    return ((b * dims.heads + h) * dims.seq + i) * dims.seq + j;
}

// The (batch, head, row) an invocation handles; one invocation per row of every head.
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
