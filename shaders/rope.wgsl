// Rotary position embeddings (Su et al. 2021; the rotate-half layout of GPT-NeoX and Hugging Face's
// Llama) applied in place to the q and k parts of a packed qkv buffer `[rows, 3 * dim]`
// (`[q | k | v]` per row, heads of `head_dim` channels within each part). Channel j < head_dim / 2
// of a head pairs with channel j + head_dim / 2 and turns by pos * base^(-2j / head_dim), pos the
// row's position in its sequence:
//   (x1, x2) <- (x1 cos - x2 sin, x2 cos + x1 sin).
// With sign = -1 it turns back by the same angle: the transpose, i.e. the backward pass of the
// rotation applied to the gradient.
// Bindings and uniform struct: declared once in src/kernels/rope.rs (generated into this module).

@compute @workgroup_size(256)
fn rotate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let half = dims.head_dim / 2u;
    if (i >= dims.rows * 2u * dims.heads * half) {
        return;
    }
    let j = i % half;
    let head = (i / half) % dims.heads;
    let part = (i / (half * dims.heads)) % 2u;
    let row = i / (half * dims.heads * 2u);
    let pos = f32(row % dims.seq);
    let inv_freq = 1.0 / pow(dims.base, f32(2u * j) / f32(dims.head_dim));
    let angle = pos * inv_freq;
    let c = cos(angle);
    let s = dims.sign * sin(angle);
    let at = row * 3u * dims.heads * dims.head_dim + part * dims.heads * dims.head_dim
        + head * dims.head_dim + j;
    let x1 = x[at];
    let x2 = x[at + half];
    x[at] = x1 * c - x2 * s;
    x[at + half] = x2 * c + x1 * s;
}
