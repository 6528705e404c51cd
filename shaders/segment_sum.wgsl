// Sums of contiguous segments (one per parameter tensor) of a flat buffer, one workgroup per
// segment with a fixed tree order (deterministic): out[out_offset + s] = sum of input over segment s.
// Bindings and uniform struct: declared once in src/kernels/segments.rs (generated into this module).

@compute @workgroup_size(256)
fn sum_segments(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
    let seg = wid.x;
    let entry = table[seg];
    var acc = 0.0;
    for (var i = lidx; i < entry.y; i += 256u) {
        acc += input[entry.x + i];
    }
    let total = workgroup_sum(acc, lidx);
    if (lidx == 0u) {
        out[params.out_offset + seg] = total;
    }
}
