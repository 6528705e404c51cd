//! The plans every classifier ends with: softmax cross-entropy and its mean (training), the
//! global gradient norm with clipping, and the evaluation loss summed over batches.

use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::cross_entropy;
use crate::kernels::reduce::{self, ReduceMode};
use crate::kernels::slot;
use crate::nn::ParamSet;

/// The buffers of a classifier's head.
pub struct LossBuffers<'a> {
    /// Predictions per batch.
    pub rows: usize,
    /// Classes per prediction.
    pub classes: usize,
    /// Logits `[rows, classes]`.
    pub logits: &'a Tensor,
    /// Target class per row.
    pub targets: &'a Tensor,
    /// Per-row losses.
    pub losses: &'a Tensor,
    /// Gradient of the mean loss with respect to the logits.
    pub dlogits: &'a Tensor,
    /// Reduction scratch.
    pub partials: &'a Tensor,
    /// Scalars.
    pub scalars: &'a Tensor,
}

impl LossBuffers<'_> {
    /// Per-row losses and `dlogits`, and the mean loss into `scalars[LOSS]`.
    pub fn train_plan(&self, ctx: &GpuContext) -> Plan {
        let mean = ReduceMode::Store {
            slot: slot::LOSS,
            scale: 1.0 / self.rows as f32,
        };
        self.loss_plan(ctx, Some(self.dlogits), mean)
    }

    /// Per-row losses (no gradient), the batch mean added to `scalars[EVAL_LOSS]`.
    pub fn eval_plan(&self, ctx: &GpuContext) -> Plan {
        let accumulate = ReduceMode::Accumulate {
            slot: slot::EVAL_LOSS,
            scale: 1.0 / self.rows as f32,
        };
        self.loss_plan(ctx, None, accumulate)
    }

    fn loss_plan(&self, ctx: &GpuContext, dlogits: Option<&Tensor>, mode: ReduceMode) -> Plan {
        let mut plan = Plan::new();
        plan.push(cross_entropy::forward_backward(
            ctx,
            self.rows,
            self.classes,
            self.logits,
            self.targets,
            self.losses,
            dlogits,
        ));
        plan.extend_dispatches(reduce::reduce(
            ctx,
            mode,
            self.losses,
            self.partials,
            self.scalars,
        ));
        plan
    }

    /// Global gradient norm, clip factor (`clip <= 0`: none) and NaN flag into `scalars`.
    pub fn grad_norm_plan(&self, ctx: &GpuContext, params: &ParamSet, clip: f32) -> Plan {
        let mut plan = Plan::new();
        plan.extend_dispatches(reduce::reduce(
            ctx,
            ReduceMode::GradNorm { clip },
            &params.grads,
            self.partials,
            self.scalars,
        ));
        plan
    }
}
