//! ResNet kernels against PyTorch (tests/fixtures/resnet_kernels.safetensors, made by
//! scripts/make_resnet_fixtures.py): convolution forward and both gradients at stride 1 and 2,
//! with and without padding; BatchNorm in training mode (with the running-statistics update),
//! evaluation mode and backward; ReLU; global average pooling.

mod common;

use common::{assert_close, ctx, read, Fixture};
use ire_playground::gpu::{GpuContext, Plan, Tensor};
use ire_playground::kernels::batchnorm::{self, BatchNormBuffers, BatchNormMode};
use ire_playground::kernels::conv::ConvShape;
use ire_playground::kernels::relu_pool;
use ire_playground::nn::{Conv2d, ConvScratch};

fn run(ctx: &GpuContext, dispatches: impl IntoIterator<Item = ire_playground::gpu::Dispatch>) {
    let mut plan = Plan::new();
    for d in dispatches {
        plan.push(d);
    }
    plan.submit(ctx);
}

/// Runs one convolution forward and backward on the fixture's `{tag}.*` tensors, checks `y`,
/// `dW` and (with `with_dx`; a network's first layer has none) `dx` against PyTorch, and returns
/// the labels of the dispatches it ran. Its scratch is sized for `shape`.
fn check_convolution(
    ctx: &GpuContext,
    f: &Fixture,
    (x, with_dx): (&Tensor, bool),
    tag: &str,
    shape: ConvShape,
) -> Vec<String> {
    check_convolution_with(ctx, f, (x, with_dx), tag, shape, &[shape])
}

/// [`check_convolution`] with the scratch sized for `scratch_shapes` instead.
fn check_convolution_with(
    ctx: &GpuContext,
    f: &Fixture,
    (x, with_dx): (&Tensor, bool),
    tag: &str,
    shape: ConvShape,
    scratch_shapes: &[ConvShape],
) -> Vec<String> {
    let w = f.tensor(ctx, &format!("{tag}.w"));
    let dw = Tensor::zeros(ctx, "dw", w.len);
    let conv = Conv2d::from_tensors(w, dw.clone(), shape);
    let y = Tensor::zeros(ctx, "y", shape.output_len());
    let dx = Tensor::zeros(ctx, "dx", shape.input_len());
    let scratch = ConvScratch::new(ctx, scratch_shapes);
    let dy = f.tensor(ctx, &format!("{tag}.dy"));
    let mut d = conv.forward(ctx, x, &y, &scratch);
    d.extend(conv.backward(ctx, x, &dy, with_dx.then_some(&dx), &scratch));
    let labels = d.iter().map(|d| d.label.to_string()).collect();
    run(ctx, d);
    let checks = [("y", &y, 1e-4), ("dw", &dw, 2e-4), ("dx", &dx, 1e-4)];
    for (what, got, tol) in &checks[..if with_dx { 3 } else { 2 }] {
        assert_close(
            &format!("{tag} {what}"),
            &read(ctx, got),
            f.f(&format!("{tag}.{what}")),
            *tol,
            1e-4,
        );
    }
    labels
}

#[test]
fn convolution_forward_and_gradients() {
    let ctx = ctx();
    let f = Fixture::load("resnet_kernels.safetensors");
    let x = f.tensor(&ctx, "conv.x");
    for (tag, kernel, stride, pad) in [("c3s1", 3, 1, 1), ("c3s2", 3, 2, 1), ("c1s2", 1, 2, 0)] {
        let shape = ConvShape {
            channels: 3,
            out_channels: 5,
            batch: 2,
            height: 9,
            width: 7,
            kernel,
            stride,
            pad,
        };
        check_convolution(&ctx, &f, (&x, true), tag, shape);
    }
}

/// Shapes the texel matmul takes (CPU adapters with 8-lane subgroups). With a batch of 4 the
/// product assembles the patches from the input's texels; "same" convolutions at stride 1 also
/// take dx as a convolution of dy unless the turned weight's patch length is not a multiple of
/// 4 (a1s1), and stride 2 goes through the patch gradient. With a batch of 2 the patches are
/// written out (e3s1). A patch of 9 (the stem's) reads a weight padded to 12 (s3s1). On lavapipe
/// the test also checks that those paths really ran.
#[test]
fn convolution_texel_paths() {
    let ctx = ctx();
    let f = Fixture::load("resnet_kernels.safetensors");
    let lanes = ire_playground::kernels::matmul::lanes::available(&ctx);
    // (input, batch, channels, tag, filters, kernel, stride, pad, im2cols, col2ims); the stem
    // case runs without dx, as a network's first layer does.
    for (x, batch, channels, tag, out_channels, kernel, stride, pad, im2cols, col2ims) in [
        ("aligned.x", 4, 4, "a3s1", 8, 3, 1, 1, 0, 0),
        ("aligned.x", 4, 4, "a5s1", 8, 5, 1, 2, 0, 0),
        ("aligned.x", 4, 4, "a1s1", 6, 1, 1, 0, 0, 1),
        ("aligned.x", 4, 4, "a3s2", 8, 3, 2, 1, 0, 1),
        ("explicit.x", 2, 4, "e3s1", 8, 3, 1, 1, 2, 1),
        ("stem.x", 4, 1, "s3s1", 8, 3, 1, 1, 0, 0),
    ] {
        let shape = ConvShape {
            channels,
            out_channels,
            batch,
            height: 6,
            width: 8,
            kernel,
            stride,
            pad,
        };
        let with_dx = tag != "s3s1";
        let x = f.tensor(&ctx, x);
        let labels = check_convolution(&ctx, &f, (&x, with_dx), tag, shape);
        if lanes {
            let count = |kernel: &str| labels.iter().filter(|l| l.as_str() == kernel).count();
            let products = if with_dx { 3 } else { 2 };
            assert_eq!(count("matmul_lanes:main"), products, "{tag}: {labels:?}");
            assert_eq!(count("conv:im2col"), im2cols, "{tag}: {labels:?}");
            assert_eq!(count("conv:col2im"), col2ims, "{tag}: {labels:?}");
            // With assembled patches, x is reordered once (the backward pass reads the forward
            // pass's texels) and dy once.
            let reorders = if batch % 4 == 0 { 2 } else { 0 };
            assert_eq!(count("conv:to_chwn"), reorders, "{tag}: {labels:?}");
        }
    }
}

/// A layer that writes a patch matrix its network's scratch was not sized for (the scratch was
/// sized for a layer whose patches the texel product assembles, which writes none) grows the
/// scratch and still computes y, dW and dx right.
#[test]
fn convolution_scratch_grows_for_unexpected_patches() {
    let ctx = ctx();
    let f = Fixture::load("resnet_kernels.safetensors");
    let geometry = |batch, kernel, stride| ConvShape {
        channels: 4,
        out_channels: 8,
        batch,
        height: 6,
        width: 8,
        kernel,
        stride,
        pad: 1,
    };
    let sized_for = [geometry(4, 3, 1)];
    let x = f.tensor(&ctx, "explicit.x");
    check_convolution_with(&ctx, &f, (&x, true), "e3s1", geometry(2, 3, 1), &sized_for);
    let x = f.tensor(&ctx, "aligned.x");
    check_convolution_with(&ctx, &f, (&x, true), "a3s2", geometry(4, 3, 2), &sized_for);
}

/// A convolution whose input fits in texels but whose weight does not (past the adapter's
/// texture limit) cannot finish its forward pass on the texel path; its backward pass must not
/// read the input texels the forward pass never filled. A 1x1 convolution over 1x1 images,
/// checked against sums in f64 (y = W x, dW = dy x^T).
#[test]
fn convolution_with_oversized_weight_texels_falls_back_in_both_passes() {
    let ctx = ctx();
    let max_floats = ctx.limits.max_texture_dimension_2d as usize * 256 * 4;
    let out_channels = 4096;
    let channels = (max_floats / out_channels + 4).next_multiple_of(4);
    let batch = 4;
    let shape = ConvShape {
        channels,
        out_channels,
        batch,
        height: 1,
        width: 1,
        kernel: 1,
        stride: 1,
        pad: 0,
    };
    let value = |i: usize, salt: usize| (((i * 7919 + salt) % 1009) as f32 / 1009.0) - 0.5;
    let w_host: Vec<f32> = (0..out_channels * channels).map(|i| value(i, 1)).collect();
    let x_host: Vec<f32> = (0..channels * batch).map(|i| value(i, 2)).collect();
    let dy_host: Vec<f32> = (0..out_channels * batch).map(|i| value(i, 3)).collect();
    let w = Tensor::from_slice(&ctx, "w", &w_host);
    let dw = Tensor::zeros(&ctx, "dw", w_host.len());
    let x = Tensor::from_slice(&ctx, "x", &x_host);
    let dy = Tensor::from_slice(&ctx, "dy", &dy_host);
    let y = Tensor::zeros(&ctx, "y", out_channels * batch);
    let conv = Conv2d::from_tensors(w, dw.clone(), shape);
    let scratch = ConvScratch::new(&ctx, &[shape]);
    let mut d = conv.forward(&ctx, &x, &y, &scratch);
    d.extend(conv.backward(&ctx, &x, &dy, None, &scratch));
    run(&ctx, d);
    // CNHW with 1x1 images: x [ci, n], y and dy [co, n].
    let mut want_y = vec![0f32; out_channels * batch];
    let mut want_dw = vec![0f32; out_channels * channels];
    for co in 0..out_channels {
        for n in 0..batch {
            let sum: f64 = (0..channels)
                .map(|ci| w_host[co * channels + ci] as f64 * x_host[ci * batch + n] as f64)
                .sum();
            want_y[co * batch + n] = sum as f32;
        }
        for ci in 0..channels {
            let sum: f64 = (0..batch)
                .map(|n| dy_host[co * batch + n] as f64 * x_host[ci * batch + n] as f64)
                .sum();
            want_dw[co * channels + ci] = sum as f32;
        }
    }
    assert_close("oversized y", &read(&ctx, &y), &want_y, 1e-4, 1e-4);
    assert_close("oversized dw", &read(&ctx, &dw), &want_dw, 1e-4, 1e-4);
}

#[test]
fn batchnorm_train_eval_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("resnet_kernels.safetensors");
    let (channels, len) = (4, 3 * 5 * 6);
    let x = f.tensor(&ctx, "bn.x");
    let gamma = f.tensor(&ctx, "bn.gamma");
    let beta = f.tensor(&ctx, "bn.beta");
    let running_init: Vec<f32> = [f.f("bn.running_mean"), f.f("bn.running_var")].concat();
    let running = Tensor::from_slice(&ctx, "running", &running_init);
    let stats = Tensor::zeros(&ctx, "stats", 2 * channels);
    let b = BatchNormBuffers {
        gamma: &gamma,
        beta: &beta,
        stats: &stats,
        running: &running,
    };
    let y_eval = Tensor::zeros(&ctx, "y eval", channels * len);
    let y = Tensor::zeros(&ctx, "y", channels * len);
    let y_no_update = Tensor::zeros(&ctx, "y", channels * len);
    let dx = Tensor::zeros(&ctx, "dx", channels * len);
    let dgamma = Tensor::zeros(&ctx, "dgamma", channels);
    let dbeta = Tensor::zeros(&ctx, "dbeta", channels);
    let dy = f.tensor(&ctx, "bn.dy");
    // Evaluation first (it reads the initial running statistics), then a pass that must leave
    // them alone, then the training pass that updates them.
    run(
        &ctx,
        [
            batchnorm::forward(&ctx, BatchNormMode::Eval, channels, len, &x, &y_eval, &b),
            batchnorm::forward(
                &ctx,
                BatchNormMode::TrainNoUpdate,
                channels,
                len,
                &x,
                &y_no_update,
                &b,
            ),
        ],
    );
    assert_eq!(
        read(&ctx, &running),
        running_init,
        "no-update pass changed the running stats"
    );
    run(
        &ctx,
        [
            batchnorm::forward(&ctx, BatchNormMode::Train, channels, len, &x, &y, &b),
            batchnorm::backward(&ctx, channels, len, &x, &dy, &b, &dx, &dgamma, &dbeta),
        ],
    );
    assert_close(
        "bn eval y",
        &read(&ctx, &y_eval),
        f.f("bn.y_eval"),
        1e-4,
        1e-4,
    );
    assert_close("bn train y", &read(&ctx, &y), f.f("bn.y"), 1e-4, 1e-4);
    assert_close(
        "bn no-update y",
        &read(&ctx, &y_no_update),
        f.f("bn.y"),
        1e-4,
        1e-4,
    );
    let want_running = [f.f("bn.running_mean_after"), f.f("bn.running_var_after")].concat();
    assert_close(
        "bn running stats",
        &read(&ctx, &running),
        &want_running,
        1e-5,
        1e-4,
    );
    assert_close("bn dx", &read(&ctx, &dx), f.f("bn.dx"), 1e-4, 1e-4);
    assert_close(
        "bn dgamma",
        &read(&ctx, &dgamma),
        f.f("bn.dgamma"),
        1e-4,
        1e-4,
    );
    assert_close("bn dbeta", &read(&ctx, &dbeta), f.f("bn.dbeta"), 1e-4, 1e-4);
}

#[test]
fn relu_and_global_average_pooling() {
    let ctx = ctx();
    let f = Fixture::load("resnet_kernels.safetensors");
    let n = 3 * 4 * 5 * 6;
    let x = f.tensor(&ctx, "relu.x");
    let y = Tensor::zeros(&ctx, "y", n);
    let dx = Tensor::zeros(&ctx, "dx", n);
    let dy = f.tensor(&ctx, "relu.dy");
    let px = f.tensor(&ctx, "pool.x");
    let py = Tensor::zeros(&ctx, "pool y", 3 * 4);
    let pdy = f.tensor(&ctx, "pool.dy");
    let pdx = Tensor::zeros(&ctx, "pool dx", n);
    run(
        &ctx,
        [
            relu_pool::relu_forward(&ctx, &x, &y),
            relu_pool::relu_backward(&ctx, &y, &dy, &dx),
            relu_pool::pool_forward(&ctx, 4, 3, 30, &px, &py),
            relu_pool::pool_backward(&ctx, 4, 3, 30, &pdy, &pdx),
        ],
    );
    assert_close("relu y", &read(&ctx, &y), f.f("relu.y"), 0.0, 0.0);
    assert_close("relu dx", &read(&ctx, &dx), f.f("relu.dx"), 0.0, 0.0);
    assert_close("pool y", &read(&ctx, &py), f.f("pool.y"), 1e-5, 1e-5);
    assert_close("pool dx", &read(&ctx, &pdx), f.f("pool.dx"), 1e-6, 1e-5);
}
