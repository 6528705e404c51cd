// Copies a tensor into an rgba32float texture, four floats per texel, laid out flat (texel i at
// (i % TEXEL_ROW, i / TEXEL_ROW)); the tail past the tensor's end reads as zeros. It feeds
// matmul_lanes.wgsl, which reads its operands as texels (see there why). A compute dispatch
// rather than a buffer-to-texture copy so that it stays inside the step's one compute pass.
// Bindings and uniform struct: declared once in src/kernels/matmul_lanes.rs.

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = flat_index(gid, nwg);
    if (t >= pack.texels) {
        return;
    }
    let i = t * 4u;
    let last = pack.len - 1u;
    var v = vec4<f32>(src[i], src[min(i + 1u, last)], src[min(i + 2u, last)], src[min(i + 3u, last)]);
    if (i + 4u > pack.len) {
        v = select(vec4(0.0), v, vec4<u32>(i, i + 1u, i + 2u, i + 3u) < vec4(pack.len));
    }
    textureStore(dst, vec2<u32>(t % TEXEL_ROW, t / TEXEL_ROW), v);
}
