// 2-D convolution as im2col + matmul, in the engine's CNHW layout (channel outermost, then
// batch, then rows and columns): the convolution becomes one GEMM per layer,
//   y[co, n*oh*ow] = W[co, ci*kh*kw] x col[ci*kh*kw, n*oh*ow],
// which the adapter-tuned matmul kernels run. `im2col` gathers the input patches into `col`;
// `col2im` is its adjoint, gathering the patch gradients back into the input gradient (each
// input element sums the few (kh, kw) taps that read it, so no atomics are needed).
// Bindings and uniform struct: declared once in src/kernels/conv.rs (generated into this module).

// One invocation per element of col [channels * k * k, batch * out_h * out_w].
@compute @workgroup_size(256)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let cols = d.batch * d.out_h * d.out_w;
    let kk = d.kernel * d.kernel;
    if (i >= d.channels * kk * cols) {
        return;
    }
    let row = i / cols;
    let col = i % cols;
    let c = row / kk;
    let kh = (row % kk) / d.kernel;
    let kw = row % d.kernel;
    let n = col / (d.out_h * d.out_w);
    let oh = (col / d.out_w) % d.out_h;
    let ow = col % d.out_w;
    // Signed arithmetic: padding makes the top-left taps negative.
    let ih = i32(oh * d.stride + kh) - i32(d.pad);
    let iw = i32(ow * d.stride + kw) - i32(d.pad);
    var v = 0.0;
    if (ih >= 0 && iw >= 0 && ih < i32(d.height) && iw < i32(d.width)) {
        v = src[((c * d.batch + n) * d.height + u32(ih)) * d.width + u32(iw)];
    }
    dst[i] = v;
}

// One invocation per element of the input gradient [channels, batch, height, width].
@compute @workgroup_size(256)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= d.channels * d.batch * d.height * d.width) {
        return;
    }
    let iw = i % d.width;
    let ih = (i / d.width) % d.height;
    let n = (i / (d.width * d.height)) % d.batch;
    let c = i / (d.width * d.height * d.batch);
    let cols = d.batch * d.out_h * d.out_w;
    var acc = 0.0;
    for (var kh = 0u; kh < d.kernel; kh++) {
        let th = i32(ih + d.pad) - i32(kh);
        if (th < 0 || th % i32(d.stride) != 0) {
            continue;
        }
        let oh = u32(th) / d.stride;
        if (oh >= d.out_h) {
            continue;
        }
        for (var kw = 0u; kw < d.kernel; kw++) {
            let tw = i32(iw + d.pad) - i32(kw);
            if (tw < 0 || tw % i32(d.stride) != 0) {
                continue;
            }
            let ow = u32(tw) / d.stride;
            if (ow >= d.out_w) {
                continue;
            }
            let row = (c * d.kernel + kh) * d.kernel + kw;
            acc += src[row * cols + (n * d.out_h + oh) * d.out_w + ow];
        }
    }
    dst[i] = acc;
}
