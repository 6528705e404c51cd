// C[M,N] = op(A) op(B) (+ bias), same contract as matmul.wgsl, for CPU adapters whose subgroups
// are at least 8 lanes wide (lavapipe: one 256-bit SIMD register per 8 invocations).
//
// Why this shape: llvmpipe turns every storage-buffer load whose address differs per invocation
// into a loop over the lanes, each with its own bounds check and branch (7 instructions per
// float per lane), which capped the register-blocked kernels at 4-8 GFLOP/s. A texel fetch
// from a sampled texture instead loads each lane's 16 bytes at once and transposes them in
// registers. So both operands are first copied into rgba32float textures (a buffer-to-texture
// copy in the plan, src/gpu/texels.rs) and read here as texels, each laid out flat: texel i of a
// tensor sits at (i % TEXEL_ROW, i / TEXEL_ROW).
//
// A workgroup is one subgroup of 8 lanes computing a block of C of ROWS (16 or 32) rows by 64
// columns: each lane owns 8 columns (two vec4) for all the block's rows. Per 4 steps of k, a lane
// fetches its 8 texels of op(B) and ROWS / 8 texels of op(A), then takes op(A)'s rows from the
// lanes that fetched them with subgroupBroadcast (a register shuffle), so op(A) costs a few
// fetches per lane instead of one per row. 32-row blocks fetch op(B) half as often per product
// and run faster; 16-row blocks serve products with few rows. k is summed in order, so results
// are deterministic.
//   LAYOUT 0, `nn`: A [M,K], B [K,N]   needs N % 4 == 0 (A's rows padded to whole texels)
//   LAYOUT 1, `nt`: A [M,K], B [N,K]   needs K % 4 == 0
//   LAYOUT 2, `tn`: A [K,M], B [K,N]   needs N % 4 == 0 (any K; A's rows padded likewise)
// Row strides `lda`/`ldb` are in texels; C is stored row-major, N floats per row.
// Bindings and uniform struct: declared once in src/kernels/matmul/lanes.rs.

// CONV_B (`nn` and `nt` only): op(B) is the patch matrix of a convolution, never stored, with
// its positions ordered (output pixel, image), images fastest. It is assembled from the
// convolution's input held in texels as [channels, height, width, batch] (CHWN, made by
// `to_chwn` in conv.wgsl): the patch texel of row (c, kh, kw) for four images at one output
// pixel is one texel of that input, or zero in the padding, for any kernel, stride and padding
// (batch a multiple of 4). It saves writing the patch matrix (kernel^2 times the input) and
// copying it into texels; on llvmpipe those writes cost more than the product.
override CONV_B: bool = false;
override CONV_CHANNELS: u32 = 1u;
override CONV_BATCH: u32 = 4u;
override CONV_HEIGHT: u32 = 1u;
override CONV_WIDTH: u32 = 1u;
override CONV_OUT_W: u32 = 1u;
override CONV_KERNEL: u32 = 1u;
override CONV_STRIDE: u32 = 1u;
override CONV_PAD: u32 = 0u;
// PERMUTED_C: C's columns are positions in that (pixel, image) order; column j is stored at
// its CNHW place, image * PERM_PIXELS + pixel, with image = j % PERM_BATCH.
override PERMUTED_C: bool = false;
override PERM_BATCH: u32 = 1u;
override PERM_PIXELS: u32 = 1u;

override LAYOUT: u32 = 0u;
override HAS_BIAS: bool = false;
// Rows of C per workgroup: 16 or 32.
override ROWS: u32 = 16u;

// Four consecutive k of op(B) for this lane's two column blocks: lo_q and hi_q hold columns
// col0..col0+3 and col0+4..col0+7 at k = 4 kk + q.
struct Panel {
    lo0: vec4<f32>, lo1: vec4<f32>, lo2: vec4<f32>, lo3: vec4<f32>,
    hi0: vec4<f32>, hi1: vec4<f32>, hi2: vec4<f32>, hi3: vec4<f32>,
}

// One row of this lane's block of C.
struct Acc {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn texel_a(i: u32) -> vec4<f32> {
    return textureLoad(a, vec2<u32>(i % TEXEL_ROW, i / TEXEL_ROW), 0);
}

fn texel_b(i: u32) -> vec4<f32> {
    return textureLoad(b, vec2<u32>(i % TEXEL_ROW, i / TEXEL_ROW), 0);
}

// acc += (x[0] B[k0] + x[1] B[k0+1]) + (x[2] B[k0+2] + x[3] B[k0+3]): the four products are
// summed pairwise before joining the running sum, which keeps long sums (a convolution's weight
// gradient adds thousands of positions) as accurate as the vec4 kernel's; the order is fixed.
fn mac(acc: Acc, x: vec4<f32>, p: Panel) -> Acc {
    return Acc(
        acc.lo + ((x.x * p.lo0 + x.y * p.lo1) + (x.z * p.lo2 + x.w * p.lo3)),
        acc.hi + ((x.x * p.hi0 + x.y * p.hi1) + (x.z * p.hi2 + x.w * p.hi3)),
    );
}

// Texel `block` (four images at output pixel block / (batch / 4)) of patch-matrix row `row`
// (channel c, tap kh, kw) of the convolution CONV_B describes.
fn patch_texel(row: u32, block: u32) -> vec4<f32> {
    let taps = CONV_KERNEL * CONV_KERNEL;
    let c = row / taps;
    let kh = (row % taps) / CONV_KERNEL;
    let kw = row % CONV_KERNEL;
    let n4 = CONV_BATCH / 4u;
    let pixel = block / n4;
    let oh = pixel / CONV_OUT_W;
    let ow = pixel % CONV_OUT_W;
    // Signed: padding makes the first taps negative.
    let ih = i32(oh * CONV_STRIDE + kh) - i32(CONV_PAD);
    let iw = i32(ow * CONV_STRIDE + kw) - i32(CONV_PAD);
    // Rows past the patch length (a k padded to a multiple of 4) read as zero too.
    let in_patch = c < CONV_CHANNELS;
    let inside = in_patch && ih >= 0 && iw >= 0 && ih < i32(CONV_HEIGHT) && iw < i32(CONV_WIDTH);
    let ih_in = u32(clamp(ih, 0, i32(CONV_HEIGHT) - 1));
    let iw_in = u32(clamp(iw, 0, i32(CONV_WIDTH) - 1));
    let at = (min(c, CONV_CHANNELS - 1u) * CONV_HEIGHT + ih_in) * CONV_WIDTH + iw_in;
    return select(vec4(0.0), texel_b(at * n4 + block % n4), inside);
}

// op(B) stored [K,N] (`nn`, `tn`): one texel per k and column block; rows past K (the last
// partial step of `tn`) read row K-1, and op(A) is zero there.
fn panel_rows(kk: u32, cb: u32) -> Panel {
    let n4 = dims.n / 4u;
    let last = dims.k - 1u;
    let k0 = kk * 4u;
    if (CONV_B) {
        let r0 = min(k0, last);
        let r1 = min(k0 + 1u, last);
        let r2 = min(k0 + 2u, last);
        let r3 = min(k0 + 3u, last);
        let ch = min(cb + 1u, n4 - 1u);
        return Panel(
            patch_texel(r0, cb), patch_texel(r1, cb), patch_texel(r2, cb), patch_texel(r3, cb),
            patch_texel(r0, ch), patch_texel(r1, ch), patch_texel(r2, ch), patch_texel(r3, ch),
        );
    }
    let r0 = min(k0, last) * dims.ldb + cb;
    let r1 = min(k0 + 1u, last) * dims.ldb + cb;
    let r2 = min(k0 + 2u, last) * dims.ldb + cb;
    let r3 = min(k0 + 3u, last) * dims.ldb + cb;
    let hi = min(cb + 1u, n4 - 1u) - cb;
    return Panel(
        texel_b(r0), texel_b(r1), texel_b(r2), texel_b(r3),
        texel_b(r0 + hi), texel_b(r1 + hi), texel_b(r2 + hi), texel_b(r3 + hi),
    );
}

// op(B) stored [N,K] (`nt`): one texel holds four k of one column; transposed in registers.
fn panel_cols(kk: u32, col0: u32) -> Panel {
    let last = dims.n - 1u;
    var t0: vec4<f32>;
    var t1: vec4<f32>;
    var t2: vec4<f32>;
    var t3: vec4<f32>;
    var t4: vec4<f32>;
    var t5: vec4<f32>;
    var t6: vec4<f32>;
    var t7: vec4<f32>;
    if (CONV_B) {
        t0 = patch_texel(min(col0, last), kk);
        t1 = patch_texel(min(col0 + 1u, last), kk);
        t2 = patch_texel(min(col0 + 2u, last), kk);
        t3 = patch_texel(min(col0 + 3u, last), kk);
        t4 = patch_texel(min(col0 + 4u, last), kk);
        t5 = patch_texel(min(col0 + 5u, last), kk);
        t6 = patch_texel(min(col0 + 6u, last), kk);
        t7 = patch_texel(min(col0 + 7u, last), kk);
    } else {
        let ld = dims.ldb;
        t0 = texel_b(min(col0, last) * ld + kk);
        t1 = texel_b(min(col0 + 1u, last) * ld + kk);
        t2 = texel_b(min(col0 + 2u, last) * ld + kk);
        t3 = texel_b(min(col0 + 3u, last) * ld + kk);
        t4 = texel_b(min(col0 + 4u, last) * ld + kk);
        t5 = texel_b(min(col0 + 5u, last) * ld + kk);
        t6 = texel_b(min(col0 + 6u, last) * ld + kk);
        t7 = texel_b(min(col0 + 7u, last) * ld + kk);
    }
    return Panel(
        vec4(t0.x, t1.x, t2.x, t3.x), vec4(t0.y, t1.y, t2.y, t3.y),
        vec4(t0.z, t1.z, t2.z, t3.z), vec4(t0.w, t1.w, t2.w, t3.w),
        vec4(t4.x, t5.x, t6.x, t7.x), vec4(t4.y, t5.y, t6.y, t7.y),
        vec4(t4.z, t5.z, t6.z, t7.z), vec4(t4.w, t5.w, t6.w, t7.w),
    );
}

fn put(row: u32, acc: Acc, bias0: vec4<f32>, bias1: vec4<f32>, col0: u32) {
    if (row >= dims.m) {
        return;
    }
    let lo = acc.lo + bias0;
    let hi = acc.hi + bias1;
    for (var j = 0u; j < 4u; j++) {
        if (col0 + j < dims.n) {
            c[c_at(row, col0 + j)] = lo[j];
        }
        if (col0 + 4u + j < dims.n) {
            c[c_at(row, col0 + 4u + j)] = hi[j];
        }
    }
}

fn c_at(row: u32, col: u32) -> u32 {
    if (PERMUTED_C) {
        return row * dims.n + (col % PERM_BATCH) * PERM_PIXELS + col / PERM_BATCH;
    }
    return row * dims.n + col;
}

fn bias_at(col: u32) -> f32 {
    if (HAS_BIAS && col < dims.n) {
        return bias[col];
    }
    return 0.0;
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let row0 = wg.y * ROWS;
    let col0 = (wg.x * 8u + lane) * 8u;
    // Column block of `nn`/`tn` (vec4 index), clamped: lanes past N compute and discard.
    let cb = min(col0 / 4u, dims.n / 4u - 1u);
    let k_end = (dims.k + 3u) / 4u;
    let m4 = (dims.m + 3u) / 4u;
    let last_row = dims.m - 1u;
    // `nn`/`nt`: this lane fetches rows row0 + 8 g + lane of A, g < ROWS / 8.
    let a_row0 = min(row0 + lane, last_row) * dims.lda;
    let a_row1 = min(row0 + 8u + lane, last_row) * dims.lda;
    let a_row2 = min(row0 + 16u + lane, last_row) * dims.lda;
    let a_row3 = min(row0 + 24u + lane, last_row) * dims.lda;
    // `tn`: this lane fetches k = 4 kk + h (h < 4) for rows row0 + 4 lane .. + 3.
    let a_block = min(row0 / 4u + lane, m4 - 1u);
    var acc: array<Acc, 32>;
    var x: array<vec4<f32>, 32>;
    for (var kk = 0u; kk < k_end; kk++) {
        var p: Panel;
        if (LAYOUT == 1u) {
            p = panel_cols(kk, col0);
        } else {
            p = panel_rows(kk, cb);
        }
        // The broadcasts below are written out, not looped: the lane of `subgroupBroadcast`
        // must be a const-expression in WGSL (a loop index is not one), and constant indices
        // into `x` let the compiler keep it in registers. Each group of four is the same code
        // for lanes 0..7.
        if (LAYOUT == 2u) {
            let k0 = kk * 4u;
            let last_k = dims.k - 1u;
            let a0 = select(vec4(0.0), texel_a(min(k0, last_k) * dims.lda + a_block), k0 < dims.k);
            let a1 = select(vec4(0.0), texel_a(min(k0 + 1u, last_k) * dims.lda + a_block), k0 + 1u < dims.k);
            let a2 = select(vec4(0.0), texel_a(min(k0 + 2u, last_k) * dims.lda + a_block), k0 + 2u < dims.k);
            let a3 = select(vec4(0.0), texel_a(min(k0 + 3u, last_k) * dims.lda + a_block), k0 + 3u < dims.k);
            // Row 4 b + c is component c of lane b's texels, one per k.
            let u0 = subgroupBroadcast(a0, 0u);
            let v0 = subgroupBroadcast(a1, 0u);
            let w0 = subgroupBroadcast(a2, 0u);
            let z0 = subgroupBroadcast(a3, 0u);
            x[0] = vec4<f32>(u0.x, v0.x, w0.x, z0.x);
            x[1] = vec4<f32>(u0.y, v0.y, w0.y, z0.y);
            x[2] = vec4<f32>(u0.z, v0.z, w0.z, z0.z);
            x[3] = vec4<f32>(u0.w, v0.w, w0.w, z0.w);
            let u1 = subgroupBroadcast(a0, 1u);
            let v1 = subgroupBroadcast(a1, 1u);
            let w1 = subgroupBroadcast(a2, 1u);
            let z1 = subgroupBroadcast(a3, 1u);
            x[4] = vec4<f32>(u1.x, v1.x, w1.x, z1.x);
            x[5] = vec4<f32>(u1.y, v1.y, w1.y, z1.y);
            x[6] = vec4<f32>(u1.z, v1.z, w1.z, z1.z);
            x[7] = vec4<f32>(u1.w, v1.w, w1.w, z1.w);
            let u2 = subgroupBroadcast(a0, 2u);
            let v2 = subgroupBroadcast(a1, 2u);
            let w2 = subgroupBroadcast(a2, 2u);
            let z2 = subgroupBroadcast(a3, 2u);
            x[8] = vec4<f32>(u2.x, v2.x, w2.x, z2.x);
            x[9] = vec4<f32>(u2.y, v2.y, w2.y, z2.y);
            x[10] = vec4<f32>(u2.z, v2.z, w2.z, z2.z);
            x[11] = vec4<f32>(u2.w, v2.w, w2.w, z2.w);
            let u3 = subgroupBroadcast(a0, 3u);
            let v3 = subgroupBroadcast(a1, 3u);
            let w3 = subgroupBroadcast(a2, 3u);
            let z3 = subgroupBroadcast(a3, 3u);
            x[12] = vec4<f32>(u3.x, v3.x, w3.x, z3.x);
            x[13] = vec4<f32>(u3.y, v3.y, w3.y, z3.y);
            x[14] = vec4<f32>(u3.z, v3.z, w3.z, z3.z);
            x[15] = vec4<f32>(u3.w, v3.w, w3.w, z3.w);
            if (ROWS > 16u) {
                let u4 = subgroupBroadcast(a0, 4u);
                let v4 = subgroupBroadcast(a1, 4u);
                let w4 = subgroupBroadcast(a2, 4u);
                let z4 = subgroupBroadcast(a3, 4u);
                x[16] = vec4<f32>(u4.x, v4.x, w4.x, z4.x);
                x[17] = vec4<f32>(u4.y, v4.y, w4.y, z4.y);
                x[18] = vec4<f32>(u4.z, v4.z, w4.z, z4.z);
                x[19] = vec4<f32>(u4.w, v4.w, w4.w, z4.w);
                let u5 = subgroupBroadcast(a0, 5u);
                let v5 = subgroupBroadcast(a1, 5u);
                let w5 = subgroupBroadcast(a2, 5u);
                let z5 = subgroupBroadcast(a3, 5u);
                x[20] = vec4<f32>(u5.x, v5.x, w5.x, z5.x);
                x[21] = vec4<f32>(u5.y, v5.y, w5.y, z5.y);
                x[22] = vec4<f32>(u5.z, v5.z, w5.z, z5.z);
                x[23] = vec4<f32>(u5.w, v5.w, w5.w, z5.w);
                let u6 = subgroupBroadcast(a0, 6u);
                let v6 = subgroupBroadcast(a1, 6u);
                let w6 = subgroupBroadcast(a2, 6u);
                let z6 = subgroupBroadcast(a3, 6u);
                x[24] = vec4<f32>(u6.x, v6.x, w6.x, z6.x);
                x[25] = vec4<f32>(u6.y, v6.y, w6.y, z6.y);
                x[26] = vec4<f32>(u6.z, v6.z, w6.z, z6.z);
                x[27] = vec4<f32>(u6.w, v6.w, w6.w, z6.w);
                let u7 = subgroupBroadcast(a0, 7u);
                let v7 = subgroupBroadcast(a1, 7u);
                let w7 = subgroupBroadcast(a2, 7u);
                let z7 = subgroupBroadcast(a3, 7u);
                x[28] = vec4<f32>(u7.x, v7.x, w7.x, z7.x);
                x[29] = vec4<f32>(u7.y, v7.y, w7.y, z7.y);
                x[30] = vec4<f32>(u7.z, v7.z, w7.z, z7.z);
                x[31] = vec4<f32>(u7.w, v7.w, w7.w, z7.w);
            }
        } else {
            let a0 = texel_a(a_row0 + kk);
            let a1 = texel_a(a_row1 + kk);
            x[0] = subgroupBroadcast(a0, 0u);
            x[1] = subgroupBroadcast(a0, 1u);
            x[2] = subgroupBroadcast(a0, 2u);
            x[3] = subgroupBroadcast(a0, 3u);
            x[4] = subgroupBroadcast(a0, 4u);
            x[5] = subgroupBroadcast(a0, 5u);
            x[6] = subgroupBroadcast(a0, 6u);
            x[7] = subgroupBroadcast(a0, 7u);
            x[8] = subgroupBroadcast(a1, 0u);
            x[9] = subgroupBroadcast(a1, 1u);
            x[10] = subgroupBroadcast(a1, 2u);
            x[11] = subgroupBroadcast(a1, 3u);
            x[12] = subgroupBroadcast(a1, 4u);
            x[13] = subgroupBroadcast(a1, 5u);
            x[14] = subgroupBroadcast(a1, 6u);
            x[15] = subgroupBroadcast(a1, 7u);
            if (ROWS > 16u) {
                let a2 = texel_a(a_row2 + kk);
                let a3 = texel_a(a_row3 + kk);
                x[16] = subgroupBroadcast(a2, 0u);
                x[17] = subgroupBroadcast(a2, 1u);
                x[18] = subgroupBroadcast(a2, 2u);
                x[19] = subgroupBroadcast(a2, 3u);
                x[20] = subgroupBroadcast(a2, 4u);
                x[21] = subgroupBroadcast(a2, 5u);
                x[22] = subgroupBroadcast(a2, 6u);
                x[23] = subgroupBroadcast(a2, 7u);
                x[24] = subgroupBroadcast(a3, 0u);
                x[25] = subgroupBroadcast(a3, 1u);
                x[26] = subgroupBroadcast(a3, 2u);
                x[27] = subgroupBroadcast(a3, 3u);
                x[28] = subgroupBroadcast(a3, 4u);
                x[29] = subgroupBroadcast(a3, 5u);
                x[30] = subgroupBroadcast(a3, 6u);
                x[31] = subgroupBroadcast(a3, 7u);
            }
        }
        acc[0] = mac(acc[0], x[0], p);
        acc[1] = mac(acc[1], x[1], p);
        acc[2] = mac(acc[2], x[2], p);
        acc[3] = mac(acc[3], x[3], p);
        acc[4] = mac(acc[4], x[4], p);
        acc[5] = mac(acc[5], x[5], p);
        acc[6] = mac(acc[6], x[6], p);
        acc[7] = mac(acc[7], x[7], p);
        acc[8] = mac(acc[8], x[8], p);
        acc[9] = mac(acc[9], x[9], p);
        acc[10] = mac(acc[10], x[10], p);
        acc[11] = mac(acc[11], x[11], p);
        acc[12] = mac(acc[12], x[12], p);
        acc[13] = mac(acc[13], x[13], p);
        acc[14] = mac(acc[14], x[14], p);
        acc[15] = mac(acc[15], x[15], p);
        if (ROWS > 16u) {
            acc[16] = mac(acc[16], x[16], p);
            acc[17] = mac(acc[17], x[17], p);
            acc[18] = mac(acc[18], x[18], p);
            acc[19] = mac(acc[19], x[19], p);
            acc[20] = mac(acc[20], x[20], p);
            acc[21] = mac(acc[21], x[21], p);
            acc[22] = mac(acc[22], x[22], p);
            acc[23] = mac(acc[23], x[23], p);
            acc[24] = mac(acc[24], x[24], p);
            acc[25] = mac(acc[25], x[25], p);
            acc[26] = mac(acc[26], x[26], p);
            acc[27] = mac(acc[27], x[27], p);
            acc[28] = mac(acc[28], x[28], p);
            acc[29] = mac(acc[29], x[29], p);
            acc[30] = mac(acc[30], x[30], p);
            acc[31] = mac(acc[31], x[31], p);
        }
    }
    let bias0 = vec4(bias_at(col0), bias_at(col0 + 1u), bias_at(col0 + 2u), bias_at(col0 + 3u));
    let bias1 = vec4(bias_at(col0 + 4u), bias_at(col0 + 5u), bias_at(col0 + 6u), bias_at(col0 + 7u));
    put(row0 + 0u, acc[0], bias0, bias1, col0);
    put(row0 + 1u, acc[1], bias0, bias1, col0);
    put(row0 + 2u, acc[2], bias0, bias1, col0);
    put(row0 + 3u, acc[3], bias0, bias1, col0);
    put(row0 + 4u, acc[4], bias0, bias1, col0);
    put(row0 + 5u, acc[5], bias0, bias1, col0);
    put(row0 + 6u, acc[6], bias0, bias1, col0);
    put(row0 + 7u, acc[7], bias0, bias1, col0);
    put(row0 + 8u, acc[8], bias0, bias1, col0);
    put(row0 + 9u, acc[9], bias0, bias1, col0);
    put(row0 + 10u, acc[10], bias0, bias1, col0);
    put(row0 + 11u, acc[11], bias0, bias1, col0);
    put(row0 + 12u, acc[12], bias0, bias1, col0);
    put(row0 + 13u, acc[13], bias0, bias1, col0);
    put(row0 + 14u, acc[14], bias0, bias1, col0);
    put(row0 + 15u, acc[15], bias0, bias1, col0);
    if (ROWS > 16u) {
        put(row0 + 16u, acc[16], bias0, bias1, col0);
        put(row0 + 17u, acc[17], bias0, bias1, col0);
        put(row0 + 18u, acc[18], bias0, bias1, col0);
        put(row0 + 19u, acc[19], bias0, bias1, col0);
        put(row0 + 20u, acc[20], bias0, bias1, col0);
        put(row0 + 21u, acc[21], bias0, bias1, col0);
        put(row0 + 22u, acc[22], bias0, bias1, col0);
        put(row0 + 23u, acc[23], bias0, bias1, col0);
        put(row0 + 24u, acc[24], bias0, bias1, col0);
        put(row0 + 25u, acc[25], bias0, bias1, col0);
        put(row0 + 26u, acc[26], bias0, bias1, col0);
        put(row0 + 27u, acc[27], bias0, bias1, col0);
        put(row0 + 28u, acc[28], bias0, bias1, col0);
        put(row0 + 29u, acc[29], bias0, bias1, col0);
        put(row0 + 30u, acc[30], bias0, bias1, col0);
        put(row0 + 31u, acc[31], bias0, bias1, col0);
    }
}
