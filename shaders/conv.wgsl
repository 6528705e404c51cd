// 2-D convolution as im2col + matmul, in the engine's CNHW layout (channel outermost, then
// batch, then rows and columns): the convolution becomes one GEMM per layer,
//   y[co, n*oh*ow] = W[co, ci*kh*kw] x col[ci*kh*kw, n*oh*ow],
// which the adapter-tuned matmul kernels run. `im2col` gathers the input patches into `col`;
// `col2im` is its adjoint, gathering the patch gradients back into the input gradient (each
// input element sums the few (kh, kw) taps that read it, so no atomics are needed).
// The geometry comes as pipeline constants (one pipeline per layer shape, a handful per model),
// so that the index arithmetic divides by constants, which compiles to multiplies and shifts;
// divisions by uniform values are a scalar division per SIMD lane on CPU adapters (lavapipe),
// which made these gathers cost more than the products.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/conv.rs, generated into this module.

override CHANNELS: u32;
override OUT_CHANNELS: u32;
override BATCH: u32;
override HEIGHT: u32;
override WIDTH: u32;
override OUT_H: u32;
override OUT_W: u32;
override KERNEL: u32;
override STRIDE: u32;
override PAD: u32;

// Elementwise over col [channels * k * k, batch * out_h * out_w].
fn im2col_at(i: u32) {
    let cols = BATCH * OUT_H * OUT_W;
    let kk = KERNEL * KERNEL;
    let row = i / cols;
    let col = i % cols;
    let c = row / kk;
    let kh = (row % kk) / KERNEL;
    let kw = row % KERNEL;
    let n = col / (OUT_H * OUT_W);
    let oh = (col / OUT_W) % OUT_H;
    let ow = col % OUT_W;
    // Signed arithmetic: padding makes the top-left taps negative.
    let ih = i32(oh * STRIDE + kh) - i32(PAD);
    let iw = i32(ow * STRIDE + kw) - i32(PAD);
    var v = 0.0;
    if (ih >= 0 && iw >= 0 && ih < i32(HEIGHT) && iw < i32(WIDTH)) {
        v = src[((c * BATCH + n) * HEIGHT + u32(ih)) * WIDTH + u32(iw)];
    }
    dst[i] = v;
}

// Elementwise over the input gradient [channels, batch, height, width].
fn col2im_at(i: u32) {
    let iw = i % WIDTH;
    let ih = (i / WIDTH) % HEIGHT;
    let n = (i / (WIDTH * HEIGHT)) % BATCH;
    let c = i / (WIDTH * HEIGHT * BATCH);
    let cols = BATCH * OUT_H * OUT_W;
    var acc = 0.0;
    for (var kh = 0u; kh < KERNEL; kh++) {
        let th = i32(ih + PAD) - i32(kh);
        if (th < 0 || th % i32(STRIDE) != 0) {
            continue;
        }
        let oh = u32(th) / STRIDE;
        if (oh >= OUT_H) {
            continue;
        }
        for (var kw = 0u; kw < KERNEL; kw++) {
            let tw = i32(iw + PAD) - i32(kw);
            if (tw < 0 || tw % i32(STRIDE) != 0) {
                continue;
            }
            let ow = u32(tw) / STRIDE;
            if (ow >= OUT_W) {
                continue;
            }
            let row = (c * KERNEL + kh) * KERNEL + kw;
            acc += src[row * cols + (n * OUT_H + oh) * OUT_W + ow];
        }
    }
    dst[i] = acc;
}

// The weight of a "same" stride-1 convolution's input gradient, which is itself such a
// convolution of dy: w_t[ci, co, kh, kw] = w[co, ci, K-1-kh, K-1-kw] (channels swapped, kernel
// turned by 180 degrees). Elementwise over w_t; d.n = OUT_CHANNELS * CHANNELS * KERNEL^2.
fn turn_weight_at(i: u32) {
    let kk = KERNEL * KERNEL;
    let tap = i % kk;
    let co = (i / kk) % OUT_CHANNELS;
    let ci = i / (kk * OUT_CHANNELS);
    dst[i] = src[(co * CHANNELS + ci) * kk + (kk - 1u - tap)];
}

// A tensor [CHANNELS, BATCH, HEIGHT, WIDTH] (CNHW) reordered to [CHANNELS, HEIGHT, WIDTH, BATCH]
// (CHWN), so that four images' values at one pixel make one texel: the texel matmul assembles a
// convolution's patches from that (CONV_B in matmul_lanes.wgsl). Elementwise over dst.
fn to_chwn_at(i: u32) {
    let pixels = HEIGHT * WIDTH;
    let n = i % BATCH;
    let pixel = (i / BATCH) % pixels;
    let c = i / (BATCH * pixels);
    dst[i] = src[(c * BATCH + n) * pixels + pixel];
}
