//! The CIFAR-style ResNet of He et al. (2016) for small greyscale images: a 3x3 stem, three
//! stages of basic blocks (16/32/64 channels times a width multiplier; stride 1/2/2), projection
//! shortcuts (1x1 convolution + BatchNorm) where the shape changes, global average pooling and
//! a linear classifier. Activations are CNHW (channels outermost), so every convolution is one
//! GEMM and every BatchNorm channel a contiguous slice. scripts/reference_resnet.py is the same
//! network in PyTorch, with the same parameter names.

use super::{ClassifierHead, ResNetConfig, Scoring};
use crate::data::ImageBatch;
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::batchnorm::BatchNormMode;
use crate::kernels::conv::ConvShape;
use crate::kernels::relu_pool::{pool_backward, pool_forward};
use crate::nn::{Block, ConvBn, ConvScratch, Gating, ParamSet, Relu};

/// The network, its buffers and its prebuilt plans.
pub struct ResNet {
    /// Shape.
    pub config: ResNetConfig,
    /// Images per batch.
    pub batch: usize,
    /// Parameters and gradients.
    pub params: ParamSet,
    /// Input pixels, `[in_channels, batch, size, size]`.
    pub images: Tensor,
    /// Logits over the classes per image, labels, losses and scalars.
    pub head: ClassifierHead,
    stem: ConvBn,
    blocks: Vec<Block>,
    train_plan: Plan,
    aux_train_plan: Plan,
    forward_plan: Plan,
    backward_plan: Plan,
    eval_plan: Plan,
    eval_forward_plan: Plan,
    curvature_anchor_plan: Plan,
    curvature_train_plan: Plan,
}

impl ResNet {
    /// Checks the adapter's limits, allocates everything and records the plans.
    /// `grad_clip <= 0` disables clipping.
    pub fn new(
        ctx: &GpuContext,
        config: ResNetConfig,
        batch: usize,
        grad_clip: f32,
    ) -> Result<Self> {
        config.check_fits(batch, &ctx.limits)?;
        let params = ParamSet::new(ctx, config.param_specs());
        let c = config.channels();
        let size = config.image_size;
        let stem_shape = ConvShape {
            channels: config.in_channels,
            out_channels: c[0],
            batch,
            height: size,
            width: size,
            kernel: 3,
            stride: 1,
            pad: 1,
        };
        let stem = ConvBn::new(ctx, &params, "conv1", "bn1", stem_shape);
        let mut blocks = Vec::new();
        let (mut cin, mut hw) = (c[0], size);
        let mut conv_shapes = vec![stem_shape];
        for (stage, &cout) in c.iter().enumerate() {
            for b in 0..config.blocks_per_stage {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                let input = ConvShape {
                    channels: cin,
                    out_channels: cout,
                    batch,
                    height: hw,
                    width: hw,
                    kernel: 3,
                    stride,
                    pad: 1,
                };
                let block = Block::new(ctx, &params, &format!("layer{}.{b}", stage + 1), input);
                conv_shapes.extend(block.conv_shapes());
                hw = block.a.conv.shape.out_h();
                cin = cout;
                blocks.push(block);
            }
        }
        let scratch = ConvScratch::new(ctx, &conv_shapes);
        let z = |label: &str, n: usize| Tensor::zeros(ctx, label, n);
        let pixels = hw * hw;
        let stem_relu = Relu::new(ctx, "stem relu", stem_shape.output_len());
        let d_stem_relu = z("d stem relu", stem_shape.output_len());
        let d_stem_bn = z("d stem bn", stem_shape.output_len());
        let pooled = z("pooled", batch * c[2]);
        let d_pooled = z("d pooled", batch * c[2]);
        let d_last = z("d last block", c[2] * batch * pixels);
        let images = z("images", config.in_channels * batch * size * size);
        let scoring = Scoring {
            scored_rows: batch,
            accuracy: true,
        };
        let head = ClassifierHead::new(
            ctx,
            &params,
            ("fc", c[2], true),
            (batch, config.classes),
            scoring,
        );

        let forward = |mode: BatchNormMode, gating: Gating| {
            let mut plan = Plan::new();
            stem.forward(ctx, mode, &images, &scratch, &mut plan);
            plan.push(stem_relu.forward(ctx, &stem.bn_out, gating));
            let mut x = stem_relu.out.clone();
            for block in &blocks {
                block.forward(ctx, (mode, gating), &x, &scratch, &mut plan);
                x = block.out().clone();
            }
            plan.push(pool_forward(ctx, c[2], batch, pixels, &x, &pooled));
            plan.extend_dispatches(head.forward(ctx, &pooled));
            plan
        };

        let loss = head.train_plan(ctx);

        let backward_with = |gating: Gating| {
            let mut backward = Plan::new();
            backward.extend_dispatches(head.backward(ctx, &pooled, &d_pooled));
            backward.push(pool_backward(ctx, c[2], batch, pixels, &d_pooled, &d_last));
            // The gradient at a block's output lands in that block's `sum` buffer: the backward
            // pass reads `out` (for the ReLU), never `sum`, so it is free by then.
            let mut d_out = d_last.clone();
            for (i, block) in blocks.iter().enumerate().rev() {
                let (x, dx) = if i == 0 {
                    (&stem_relu.out, &d_stem_relu)
                } else {
                    (blocks[i - 1].out(), &blocks[i - 1].sum)
                };
                block.backward(ctx, gating, x, &d_out, dx, &scratch, &mut backward);
                d_out = dx.clone();
            }
            backward.push(stem_relu.backward(ctx, &d_stem_relu, &d_stem_bn, gating));
            stem.backward(ctx, &images, &d_stem_bn, None, &scratch, &mut backward);
            backward
        };
        let backward = backward_with(Gating::Own);

        let grad_norm = head.grad_norm_plan(ctx, &params, grad_clip);
        let eval_forward = forward(BatchNormMode::Eval, Gating::Own);
        let eval = Plan::concat(&[&eval_forward, &head.eval_plan(ctx)]);
        let train_forward = forward(BatchNormMode::Train, Gating::Own);
        let aux_forward = forward(BatchNormMode::TrainNoUpdate, Gating::Own);
        // The probes: record the activation pattern at the current weights, then differentiate
        // with it held fixed (see `Network::curvature_train_plan`).
        let mut curvature_anchor_plan = aux_forward.clone();
        curvature_anchor_plan.push(stem_relu.record_anchor(ctx));
        for block in &blocks {
            block.record_anchors(ctx, &mut curvature_anchor_plan);
        }
        let anchored_forward = forward(BatchNormMode::TrainNoUpdate, Gating::Anchored);
        let curvature_train_plan = Plan::concat(&[
            &anchored_forward,
            &loss,
            &backward_with(Gating::Anchored),
            &grad_norm,
        ]);
        Ok(Self {
            train_plan: Plan::concat(&[&train_forward, &loss, &backward, &grad_norm]),
            aux_train_plan: Plan::concat(&[&aux_forward, &loss, &backward, &grad_norm]),
            curvature_anchor_plan,
            curvature_train_plan,
            forward_plan: aux_forward,
            backward_plan: backward,
            eval_plan: eval,
            eval_forward_plan: eval_forward,
            config,
            batch,
            params,
            images,
            head,
            stem,
            blocks,
        })
    }

    /// Uploads a batch (queued for the next submission), checking its size and labels.
    pub fn set_batch(&self, ctx: &GpuContext, batch: &ImageBatch) -> Result<()> {
        let c = &self.config;
        let pixels = self.batch * c.in_channels * c.image_size * c.image_size;
        if batch.pixels.len() != pixels || batch.labels.len() != self.batch {
            return Err(Error::Data(format!(
                "image batch has {} pixels / {} labels, the model expects {pixels} / {}",
                batch.pixels.len(),
                batch.labels.len(),
                self.batch
            )));
        }
        if let Some(&l) = batch.labels.iter().find(|&&l| l as usize >= c.classes) {
            return Err(Error::Data(format!(
                "label {l} is not one of {} classes",
                c.classes
            )));
        }
        self.images.write(ctx, &batch.pixels);
        self.head.targets.write(ctx, &batch.labels);
        Ok(())
    }

    /// Forward to logits in evaluation mode (running statistics), nothing else: predictions.
    pub fn eval_plan_forward_only(&self) -> &Plan {
        &self.eval_forward_plan
    }

    /// The running mean and variance of every BatchNorm, in parameter order, with PyTorch's
    /// buffer names (`{layer}.running_mean`, `{layer}.running_var`).
    pub fn running_stats(&self) -> Vec<(String, &Tensor)> {
        let mut out = vec![("bn1".to_string(), &self.stem.bn.running)];
        let per_stage = self.config.blocks_per_stage;
        for (i, block) in self.blocks.iter().enumerate() {
            let p = format!("layer{}.{}", i / per_stage + 1, i % per_stage);
            out.push((format!("{p}.bn1"), &block.a.bn.running));
            out.push((format!("{p}.bn2"), &block.b.bn.running));
            if let Some(sc) = &block.shortcut {
                out.push((format!("{p}.shortcut.1"), &sc.bn.running));
            }
        }
        out
    }
}

// Running statistics make the training plan stateful; `aux_train_plan` is its pure twin.
super::network::impl_network!(
    ResNet,
    aux: aux_train_plan,
    curvature: curvature_anchor_plan, curvature_train_plan
);
