// Exact k-th smallest value of a non-negative f32 array, found on the GPU without reading the
// array back: a 4-pass radix select on the IEEE bit patterns (for x >= 0 the u32 bit pattern is
// ordered like the float). Pass p looks at bits [24-8p, 32-8p) of the elements whose higher bits
// equal the prefix chosen so far, counts them in 256 bins, and `choose` picks the bin that holds
// the k-th element. After four passes the prefix is the exact bit pattern of the k-th smallest.
//   state[0] = prefix bits so far, state[1] = remaining rank k (1-based), state[2] = threshold
//   bits (valid after pass 3), state[3] = 1 when there is no threshold (k = 0: empty mask).
// Bindings and uniform struct: declared once in src/kernels/ire.rs (generated into this module).

var<workgroup> local_hist: array<atomic<u32>, 256>;

@compute @workgroup_size(1)
fn start() {
    state[0] = 0u;
    state[1] = params.k;
    state[2] = 0u;
    state[3] = select(0u, 1u, params.k == 0u);
    for (var b = 0u; b < 256u; b++) {
        atomicStore(&hist[b], 0u);
    }
}

@compute @workgroup_size(256)
fn histogram(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lidx: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    atomicStore(&local_hist[lidx], 0u);
    workgroupBarrier();
    // Bits above the current digit must match the prefix; for the first pass nothing is fixed.
    let high_mask = select(~((1u << (params.shift + 8u)) - 1u), 0u, params.shift == 24u);
    let prefix = state[0];
    let stride = nwg.x * 256u;
    for (var i = gid.x; i < params.n; i += stride) {
        let bits = bitcast<u32>(values[i]);
        if ((bits & high_mask) == prefix) {
            atomicAdd(&local_hist[(bits >> params.shift) & 255u], 1u);
        }
    }
    workgroupBarrier();
    let c = atomicLoad(&local_hist[lidx]);
    if (c != 0u) {
        atomicAdd(&hist[lidx], c);
    }
}

@compute @workgroup_size(1)
fn choose() {
    var k = state[1];
    var chosen = 255u;
    for (var b = 0u; b < 256u; b++) {
        let c = atomicLoad(&hist[b]);
        if (k <= c) {
            chosen = b;
            break;
        }
        k -= c;
    }
    state[0] = state[0] | (chosen << params.shift);
    state[1] = k;
    if (params.shift == 0u) {
        state[2] = state[0];
    }
    for (var b = 0u; b < 256u; b++) {
        atomicStore(&hist[b], 0u);
    }
}
