//! The building blocks of a CIFAR-style ResNet (He et al., 2016), in the CNHW layout: a
//! convolution followed by BatchNorm (`ConvBn`), and the basic block
//! `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))` with a projection shortcut where the
//! shape changes (`Block`). Each owns its activation and gradient buffers and records its
//! forward and backward dispatches; `models::resnet` stacks them.

use super::{BatchNorm2d, Conv2d, ConvScratch, ParamSet};
use crate::gpu::{Dispatch, GpuContext, Plan, Tensor};
use crate::kernels::batchnorm::BatchNormMode;
use crate::kernels::conv::ConvShape;
use crate::kernels::elementwise::residual_add;
use crate::kernels::relu_pool::{relu_backward, relu_forward, relu_forward_gated};
use crate::kernels::vector;

/// Which activation pattern a ReLU applies: its own (`max(x, 0)`, training), or the one recorded
/// at an anchor point (the sharpness probes: with the pattern fixed, the loss is smooth around
/// the anchor and finite differences see the Hessian that autograd sees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gating {
    /// `y = max(x, 0)`, gradient gated by `y > 0`.
    Own,
    /// `y = x` where the anchor's output was positive, else 0; gradient gated the same way.
    Anchored,
}

/// A ReLU's output buffer and a copy of it taken at an anchor point.
pub(crate) struct Relu {
    pub(crate) out: Tensor,
    anchor: Tensor,
}

impl Relu {
    pub(crate) fn new(ctx: &GpuContext, label: &str, len: usize) -> Self {
        Self {
            out: Tensor::zeros(ctx, label, len),
            anchor: Tensor::zeros(ctx, "relu anchor", len),
        }
    }

    pub(crate) fn forward(&self, ctx: &GpuContext, x: &Tensor, gating: Gating) -> Dispatch {
        match gating {
            Gating::Own => relu_forward(ctx, x, &self.out),
            Gating::Anchored => relu_forward_gated(ctx, x, &self.anchor, &self.out),
        }
    }

    pub(crate) fn backward(
        &self,
        ctx: &GpuContext,
        dy: &Tensor,
        dx: &Tensor,
        gating: Gating,
    ) -> Dispatch {
        let gate = match gating {
            Gating::Own => &self.out,
            Gating::Anchored => &self.anchor,
        };
        relu_backward(ctx, gate, dy, dx)
    }

    /// Copies the last forward's output into the anchor.
    pub(crate) fn record_anchor(&self, ctx: &GpuContext) -> Dispatch {
        vector::copy(ctx, &self.out, &self.anchor)
    }
}

/// A convolution followed by BatchNorm, with the buffers of both outputs (the model reads the
/// layers, for their shapes and running statistics, and the BatchNorm's output).
pub(crate) struct ConvBn {
    pub(crate) conv: Conv2d,
    pub(crate) bn: BatchNorm2d,
    conv_out: Tensor,
    pub(crate) bn_out: Tensor,
    d_conv_out: Tensor,
}

impl ConvBn {
    pub(crate) fn new(
        ctx: &GpuContext,
        params: &ParamSet,
        conv: &str,
        bn: &str,
        shape: ConvShape,
    ) -> Self {
        let len = shape.positions();
        Self {
            conv: Conv2d::new(params, conv, shape),
            bn: BatchNorm2d::new(ctx, params, bn, shape.out_channels, len),
            conv_out: Tensor::zeros(ctx, "conv out", shape.output_len()),
            bn_out: Tensor::zeros(ctx, "bn out", shape.output_len()),
            d_conv_out: Tensor::zeros(ctx, "d conv out", shape.output_len()),
        }
    }

    pub(crate) fn forward(
        &self,
        ctx: &GpuContext,
        mode: BatchNormMode,
        x: &Tensor,
        s: &ConvScratch,
        plan: &mut Plan,
    ) {
        plan.extend_dispatches(self.conv.forward(ctx, x, &self.conv_out, s));
        plan.push(self.bn.forward(ctx, mode, &self.conv_out, &self.bn_out));
    }

    /// From the gradient at the BatchNorm's output to the input's (when `dx` is given).
    pub(crate) fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        d_bn_out: &Tensor,
        dx: Option<&Tensor>,
        s: &ConvScratch,
        plan: &mut Plan,
    ) {
        plan.push(
            self.bn
                .backward(ctx, &self.conv_out, d_bn_out, &self.d_conv_out),
        );
        plan.extend_dispatches(self.conv.backward(ctx, x, &self.d_conv_out, dx, s));
    }
}

/// A basic block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
pub(crate) struct Block {
    pub(crate) a: ConvBn,
    a_relu: Relu,
    d_a_relu: Tensor,
    d_a_bn: Tensor,
    pub(crate) b: ConvBn,
    pub(crate) shortcut: Option<ConvBn>,
    pub(crate) sum: Tensor,
    out: Relu,
    d_sum: Tensor,
    d_main: Tensor,
    d_short: Tensor,
}

impl Block {
    pub(crate) fn new(ctx: &GpuContext, params: &ParamSet, prefix: &str, input: ConvShape) -> Self {
        let first = ConvShape {
            kernel: 3,
            pad: 1,
            ..input
        };
        let out_len = first.output_len();
        let second = ConvShape {
            channels: first.out_channels,
            height: first.out_h(),
            width: first.out_w(),
            stride: 1,
            ..first
        };
        let projection = input.stride != 1 || input.channels != input.out_channels;
        let shortcut = projection.then(|| {
            let s = ConvShape {
                kernel: 1,
                pad: 0,
                ..input
            };
            ConvBn::new(
                ctx,
                params,
                &format!("{prefix}.shortcut.0"),
                &format!("{prefix}.shortcut.1"),
                s,
            )
        });
        let z = |label: &str, n: usize| Tensor::zeros(ctx, label, n);
        Self {
            a: ConvBn::new(
                ctx,
                params,
                &format!("{prefix}.conv1"),
                &format!("{prefix}.bn1"),
                first,
            ),
            a_relu: Relu::new(ctx, "block relu", out_len),
            d_a_relu: z("d block relu", out_len),
            d_a_bn: z("d block bn1", out_len),
            b: ConvBn::new(
                ctx,
                params,
                &format!("{prefix}.conv2"),
                &format!("{prefix}.bn2"),
                second,
            ),
            shortcut,
            sum: z("block sum", out_len),
            out: Relu::new(ctx, "block out", out_len),
            d_sum: z("d block sum", out_len),
            d_main: z("d block input (main)", input.input_len()),
            d_short: z("d block input (shortcut)", input.input_len()),
        }
    }

    /// The block's output.
    /// The geometry of each of its convolutions (the shortcut's too, where it has one).
    pub(crate) fn conv_shapes(&self) -> Vec<ConvShape> {
        let shortcut = self.shortcut.as_ref().map(|s| s.conv.shape);
        [Some(self.a.conv.shape), Some(self.b.conv.shape), shortcut]
            .into_iter()
            .flatten()
            .collect()
    }

    pub(crate) fn out(&self) -> &Tensor {
        &self.out.out
    }

    /// Copies both ReLUs' outputs into their anchors (after a forward pass).
    pub(crate) fn record_anchors(&self, ctx: &GpuContext, plan: &mut Plan) {
        plan.push(self.a_relu.record_anchor(ctx));
        plan.push(self.out.record_anchor(ctx));
    }

    pub(crate) fn forward(
        &self,
        ctx: &GpuContext,
        (mode, gating): (BatchNormMode, Gating),
        x: &Tensor,
        s: &ConvScratch,
        plan: &mut Plan,
    ) {
        self.a.forward(ctx, mode, x, s, plan);
        plan.push(self.a_relu.forward(ctx, &self.a.bn_out, gating));
        self.b.forward(ctx, mode, &self.a_relu.out, s, plan);
        let short = match &self.shortcut {
            Some(sc) => {
                sc.forward(ctx, mode, x, s, plan);
                &sc.bn_out
            }
            None => x,
        };
        plan.push(residual_add(ctx, &self.b.bn_out, short, &self.sum));
        plan.push(self.out.forward(ctx, &self.sum, gating));
    }

    /// `dx` receives the gradient at the block's input.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn backward(
        &self,
        ctx: &GpuContext,
        gating: Gating,
        x: &Tensor,
        d_out: &Tensor,
        dx: &Tensor,
        s: &ConvScratch,
        plan: &mut Plan,
    ) {
        plan.push(self.out.backward(ctx, d_out, &self.d_sum, gating));
        self.b.backward(
            ctx,
            &self.a_relu.out,
            &self.d_sum,
            Some(&self.d_a_relu),
            s,
            plan,
        );
        plan.push(
            self.a_relu
                .backward(ctx, &self.d_a_relu, &self.d_a_bn, gating),
        );
        self.a
            .backward(ctx, x, &self.d_a_bn, Some(&self.d_main), s, plan);
        let d_short = match &self.shortcut {
            Some(sc) => {
                sc.backward(ctx, x, &self.d_sum, Some(&self.d_short), s, plan);
                &self.d_short
            }
            None => &self.d_sum,
        };
        plan.push(residual_add(ctx, &self.d_main, d_short, dx));
    }
}
