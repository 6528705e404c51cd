// C[M,N] = op(A) * op(B) (+ bias[N]), op = identity or transpose, row-major storage.
// A is [M,K] (or [K,M] when TRANS_A), B is [K,N] (or [N,K] when TRANS_B): exactly the three
// shapes a linear layer needs: y = x W^T + b, dx = dy W, dW = dy^T x.
//
// Two variants of the same contract:
//  - `main_blocked`: 4x4 outputs per invocation in registers, no workgroup memory and no barriers.
//    Software rasterisers (lavapipe, SwiftShader) run barriers very slowly; this is 10x faster there.
//  - `main_tiled`: 64x64 output tiles staged through workgroup memory, for real GPUs.
// Bindings and uniform struct: declared once in src/kernels/matmul/mod.rs (generated into this module).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;

fn a_index(row: u32, kk: u32) -> u32 {
    if (TRANS_A) {
        return kk * dims.m + row;
    }
    return row * dims.k + kk;
}

fn b_index(kk: u32, col: u32) -> u32 {
    if (TRANS_B) {
        return col * dims.k + kk;
    }
    return kk * dims.n + col;
}

fn store(row: u32, col: u32, value: f32) {
    if (row < dims.m && col < dims.n) {
        var v = value;
        if (HAS_BIAS) {
            v += bias[col];
        }
        c[row * dims.n + col] = v;
    }
}

@compute @workgroup_size(8, 8)
fn main_blocked(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 4u;
    let col0 = gid.x * 4u;
    if (row0 >= dims.m || col0 >= dims.n) {
        return;
    }
    // Clamp out-of-range rows/columns to the last valid one: their results are never stored,
    // and clamping keeps bounds checks out of the inner loop.
    let last_row = dims.m - 1u;
    let last_col = dims.n - 1u;
    let r = vec4<u32>(row0, min(row0 + 1u, last_row), min(row0 + 2u, last_row), min(row0 + 3u, last_row));
    let cc = vec4<u32>(col0, min(col0 + 1u, last_col), min(col0 + 2u, last_col), min(col0 + 3u, last_col));
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < dims.k; kk++) {
        let av = vec4<f32>(a[a_index(r.x, kk)], a[a_index(r.y, kk)], a[a_index(r.z, kk)], a[a_index(r.w, kk)]);
        let bv = vec4<f32>(b[b_index(kk, cc.x)], b[b_index(kk, cc.y)], b[b_index(kk, cc.z)], b[b_index(kk, cc.w)]);
        acc0 += av.x * bv;
        acc1 += av.y * bv;
        acc2 += av.z * bv;
        acc3 += av.w * bv;
    }
    for (var j = 0u; j < 4u; j++) {
        store(row0, col0 + j, acc0[j]);
        store(row0 + 1u, col0 + j, acc1[j]);
        store(row0 + 2u, col0 + j, acc2[j]);
        store(row0 + 3u, col0 + j, acc3[j]);
    }
}

const TILE: u32 = 64u;
const TILE_K: u32 = 16u;
var<workgroup> tile_a: array<f32, 1024>; // [TILE_K][TILE]
var<workgroup> tile_b: array<f32, 1024>; // [TILE_K][TILE]

fn load_a(row: u32, kk: u32) -> f32 {
    if (row < dims.m && kk < dims.k) {
        return a[a_index(row, kk)];
    }
    return 0.0;
}

fn load_b(kk: u32, col: u32) -> f32 {
    if (kk < dims.k && col < dims.n) {
        return b[b_index(kk, col)];
    }
    return 0.0;
}

// Each of the 16x16 invocations owns rows ly + 16*i and columns lx + 16*j of the 64x64 tile,
// so neighbouring invocations read neighbouring workgroup-memory words (no bank conflicts)
// and store neighbouring output words (coalesced).
@compute @workgroup_size(16, 16)
fn main_tiled(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) lidx: u32,
) {
    let row_base = wid.y * TILE;
    let col_base = wid.x * TILE;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    for (var k0 = 0u; k0 < dims.k; k0 += TILE_K) {
        for (var l = 0u; l < 4u; l++) {
            let e = lidx + l * 256u;
            // Walk global memory along its contiguous dimension so loads coalesce.
            var ra: u32;
            var ka: u32;
            if (TRANS_A) {
                ra = e % TILE;
                ka = e / TILE;
            } else {
                ra = e / TILE_K;
                ka = e % TILE_K;
            }
            tile_a[ka * TILE + ra] = load_a(row_base + ra, k0 + ka);
            var cb: u32;
            var kb: u32;
            if (TRANS_B) {
                cb = e / TILE_K;
                kb = e % TILE_K;
            } else {
                cb = e % TILE;
                kb = e / TILE;
            }
            tile_b[kb * TILE + cb] = load_b(k0 + kb, col_base + cb);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            let base = kk * TILE;
            let av = vec4<f32>(tile_a[base + lid.y], tile_a[base + lid.y + 16u], tile_a[base + lid.y + 32u], tile_a[base + lid.y + 48u]);
            let bv = vec4<f32>(tile_b[base + lid.x], tile_b[base + lid.x + 16u], tile_b[base + lid.x + 32u], tile_b[base + lid.x + 48u]);
            acc[0] += av.x * bv;
            acc[1] += av.y * bv;
            acc[2] += av.z * bv;
            acc[3] += av.w * bv;
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            store(row_base + lid.y + 16u * i, col_base + lid.x + 16u * j, acc[i][j]);
        }
    }
}
