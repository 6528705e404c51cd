// A deterministic sum over one 256-wide workgroup in a fixed tree order, shared by the kernels
// that reduce in workgroup memory (reduce, segment_sum, batchnorm). Call it from uniform control
// flow; every invocation gets the total.
var<workgroup> tree: array<f32, 256>;

fn workgroup_sum(v: f32, lid: u32) -> f32 {
    tree[lid] = v;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            tree[lid] += tree[lid + s];
        }
        workgroupBarrier();
    }
    let total = tree[0];
    workgroupBarrier();
    return total;
}
