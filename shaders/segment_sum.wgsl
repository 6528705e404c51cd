// Sums of contiguous segments (one per parameter tensor) of a flat buffer, one workgroup per
// segment with a fixed tree order (deterministic): out[out_offset + s] = sum of input over segment s.

struct Params {
    segments: u32,
    out_offset: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<vec2<u32>>; // (offset, length) per segment
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> tree: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_segments(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
    let seg = wid.x;
    let entry = table[seg];
    var acc = 0.0;
    for (var i = lidx; i < entry.y; i += 256u) {
        acc += input[entry.x + i];
    }
    tree[lidx] = acc;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lidx < stride) {
            tree[lidx] += tree[lidx + stride];
        }
        workgroupBarrier();
    }
    if (lidx == 0u) {
        out[params.out_offset + seg] = tree[0];
    }
}
