//! The CIFAR-style ResNet of He et al. (2016) for small greyscale images: a 3x3 stem, three
//! stages of basic blocks (16/32/64 channels times a width multiplier; stride 1/2/2), projection
//! shortcuts (1x1 convolution + BatchNorm) where the shape changes, global average pooling and
//! a linear classifier. Activations are CNHW (channels outermost), so every convolution is one
//! GEMM and every BatchNorm channel a contiguous slice. scripts/reference_resnet.py is the same
//! network in PyTorch, with the same parameter names.

use super::ClassifierHead;
use crate::data::ImageBatch;
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::batchnorm::BatchNormMode;
use crate::kernels::conv::ConvShape;
use crate::kernels::cross_entropy;
use crate::kernels::reduce::{self, ReduceMode};
use crate::kernels::relu_pool::{pool_backward, pool_forward};
use crate::kernels::slot;
use crate::nn::{
    BatchNorm2d, Block, Conv2d, ConvBn, ConvScratch, Gating, Init, ParamSet, ParamSpec, Relu,
};
use serde::{Deserialize, Serialize};

/// Presets: `resnet-tiny` is ResNet-8 (one block per stage), `resnet20` and `resnet56` have 3
/// and 9 blocks per stage.
pub const RESNET_PRESETS: [&str; 3] = ["resnet-tiny", "resnet20", "resnet56"];

/// A ResNet's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResNetConfig {
    /// Basic blocks per stage (depth = 6n + 2).
    pub blocks_per_stage: usize,
    /// Channel multiplier (stages have 16/32/64 times this many channels).
    pub width: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Input height and width (square).
    pub image_size: usize,
    /// Output classes.
    pub classes: usize,
}

impl ResNetConfig {
    /// A named preset for 1x28x28 images with 10 classes (Fashion-MNIST).
    pub fn preset(name: &str) -> Result<Self> {
        let blocks_per_stage = match name {
            "resnet-tiny" | "resnet8" => 1,
            "resnet20" => 3,
            "resnet56" => 9,
            other => {
                return Err(Error::InvalidConfig(format!(
                    "unknown ResNet preset '{other}'; choose one of: {}",
                    RESNET_PRESETS.join(", ")
                )))
            }
        };
        Ok(Self {
            blocks_per_stage,
            width: 1,
            in_channels: 1,
            image_size: 28,
            classes: 10,
        })
    }

    /// Checks that the shape is well formed and of a size this engine can build (checkpoint
    /// metadata and flags are untrusted).
    pub fn validate(&self) -> Result<()> {
        for (name, v, min, max) in [
            ("blocks_per_stage", self.blocks_per_stage, 1, 64),
            ("width", self.width, 1, 16),
            ("in_channels", self.in_channels, 1, 4),
            ("image_size", self.image_size, 8, 256),
            ("classes", self.classes, 1, 100_000),
        ] {
            if !(min..=max).contains(&v) {
                return Err(Error::InvalidConfig(format!(
                    "ResNet {name} must be between {min} and {max}, got {v}"
                )));
            }
        }
        Ok(())
    }

    /// Number of layers with weights (6n + 2).
    pub fn depth(&self) -> usize {
        6 * self.blocks_per_stage + 2
    }

    fn channels(&self) -> [usize; 3] {
        [16 * self.width, 32 * self.width, 64 * self.width]
    }

    /// Parameter declarations in PyTorch's `named_parameters` order.
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        let c = self.channels();
        let mut specs = vec![conv_spec("conv1", self.in_channels, c[0], 3)];
        specs.extend(BatchNorm2d::specs("bn1", c[0]));
        let mut cin = c[0];
        for (stage, &cout) in c.iter().enumerate() {
            for b in 0..self.blocks_per_stage {
                let p = format!("layer{}.{b}", stage + 1);
                specs.push(conv_spec(&format!("{p}.conv1"), cin, cout, 3));
                specs.extend(BatchNorm2d::specs(&format!("{p}.bn1"), cout));
                specs.push(conv_spec(&format!("{p}.conv2"), cout, cout, 3));
                specs.extend(BatchNorm2d::specs(&format!("{p}.bn2"), cout));
                if cin != cout {
                    specs.push(conv_spec(&format!("{p}.shortcut.0"), cin, cout, 1));
                    specs.extend(BatchNorm2d::specs(&format!("{p}.shortcut.1"), cout));
                }
                cin = cout;
            }
        }
        // PyTorch's Linear default draws from U(-1/sqrt(in), 1/sqrt(in)): std 1/sqrt(3 in).
        let std = 1.0 / (3.0 * c[2] as f32).sqrt();
        specs.push(ParamSpec::new(
            "fc.weight",
            &[self.classes, c[2]],
            true,
            Init::Normal(std),
        ));
        specs.push(ParamSpec::new(
            "fc.bias",
            &[self.classes],
            true,
            Init::Zeros,
        ));
        specs
    }

    /// Trainable parameters.
    pub fn param_count(&self) -> usize {
        self.param_specs()
            .iter()
            .map(|s| s.shape.iter().product::<usize>())
            .sum()
    }

    /// Rejects a batch whose largest buffer (the stem's patch matrix or an activation) exceeds
    /// the adapter's storage-binding limit, before anything is allocated.
    pub fn check_fits(&self, batch: usize, limits: &wgpu::Limits) -> Result<()> {
        if batch == 0 {
            return Err(Error::InvalidConfig("batch must be at least 1".into()));
        }
        let pixels = batch * self.image_size * self.image_size;
        let c = self.channels();
        let largest = [c[0] * pixels, c[0] * 9 * pixels, c[1] * 9 * pixels / 4]
            .into_iter()
            .max()
            .unwrap_or(0) as u64
            * 4;
        let limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if largest > limit {
            return Err(Error::TooLarge(format!(
                "a batch of {batch} needs a {:.0} MiB buffer (the first stage's patch matrix); this \
                 adapter binds at most {:.0} MiB. Use a smaller batch",
                largest as f64 / (1 << 20) as f64,
                limit as f64 / (1 << 20) as f64
            )));
        }
        Ok(())
    }
}

fn conv_spec(name: &str, cin: usize, cout: usize, k: usize) -> ParamSpec {
    let shape = ConvShape {
        channels: cin,
        out_channels: cout,
        batch: 1,
        height: 1,
        width: 1,
        kernel: k,
        stride: 1,
        pad: 0,
    };
    Conv2d::spec(name, shape)
}

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
    /// Per-image correctness (evaluation).
    pub correct: Tensor,
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
        let head = ClassifierHead::new(ctx, &params, ("fc", c[2], true), batch, config.classes);
        let correct = z("correct", batch);

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
        let mut eval = Plan::concat(&[&eval_forward, &head.eval_plan(ctx)]);
        eval.push(cross_entropy::correct_rows(
            ctx,
            batch,
            config.classes,
            &head.logits,
            &head.targets,
            &correct,
        ));
        let accuracy = ReduceMode::Accumulate {
            slot: slot::EVAL_CORRECT,
            scale: 1.0 / batch as f32,
        };
        eval.extend_dispatches(reduce::reduce(
            ctx,
            accuracy,
            &correct,
            &head.partials,
            &head.scalars,
        ));
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
            correct,
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
