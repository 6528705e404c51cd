// Shared by the fused attention kernels (attention_fused*.wgsl). Row blocks: a workgroup of BLOCK
// invocations takes BLOCK consecutive rows of one (batch, head). Its grid is
// [ceil(T / BLOCK), H, B].

const BLOCK: u32 = 8u;
// q, k, v and the output's gradient are read as vec4 lanes (see attention_index.wgsl); a head
// is at most 16 of them.
const LANES: u32 = 4u;
const MAX_HD4: u32 = 16u;

// Where texel i of a flat texel copy sits (src/gpu/texels.rs).
fn texel_at(i: u32) -> vec2<u32> {
    return vec2<u32>(i % TEXEL_ROW, i / TEXEL_ROW);
}

// Texel i of the packed qkv rows (both files bind them as `qkv`).
fn qkv_texel(i: u32) -> vec4<f32> {
    return textureLoad(qkv, texel_at(i), 0);
}

// `row`: this invocation's row, clamped into the sequence so that its loads stay in bounds
// (`valid` says whether it stores); `first` and `end`: the block's first row and one past its
// last.
struct Block {
    b: u32,
    h: u32,
    row: u32,
    valid: bool,
    first: u32,
    end: u32,
}

fn block_of(wg: vec3<u32>, lane: u32) -> Block {
    let first = wg.x * BLOCK;
    let i = first + lane;
    return Block(wg.z, wg.y, min(i, dims.seq - 1u), i < dims.seq, first, min(first + BLOCK, dims.seq));
}

// Index of a per-row statistic, [B, H, T].
fn stat_index(b: u32, h: u32, i: u32) -> u32 {
    return (b * dims.heads + h) * dims.seq + i;
}
