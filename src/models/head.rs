//! The classifier head every model ends with: the final linear layer (features to logits), the
//! logits, targets, per-row losses and their gradient, the reduction scratch and the scalars
//! buffer, and the plans over them (softmax cross-entropy and its mean over the scored rows for
//! training, the evaluation loss summed over batches, accuracy where it is measured, the global
//! gradient norm with clipping).

use crate::gpu::{Dispatch, GpuContext, Plan, Tensor};
use crate::kernels::cross_entropy;
use crate::kernels::reduce::{self, partials_len, ReduceMode};
use crate::kernels::slot;
use crate::nn::{Linear, ParamSet};

/// Which of a head's predictions count, and whether it measures accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scoring {
    /// Predictions per batch that have a target (the others' targets are
    /// [`crate::data::IGNORE`]): the loss is the mean over these.
    pub scored_rows: usize,
    /// Whether the share of correct predictions is measured: the training batch's into
    /// `scalars[TRAIN_CORRECT]`, evaluations' summed into `scalars[EVAL_CORRECT]`.
    pub accuracy: bool,
}

/// A classifier's head: its linear layer and buffers, allocated once per model.
pub struct ClassifierHead {
    /// Features to logits.
    pub linear: Linear,
    /// Predictions per batch (token positions, or images).
    pub rows: usize,
    /// Which predictions count, and whether accuracy is measured.
    pub scoring: Scoring,
    /// Classes per prediction (vocabulary size, or image classes).
    pub classes: usize,
    /// Logits `[rows, classes]` of the last forward pass.
    pub logits: Tensor,
    /// Target class per row.
    pub targets: Tensor,
    /// Per-row losses.
    pub losses: Tensor,
    /// Per-row correctness (1 or 0), where accuracy is measured.
    correct: Tensor,
    /// Gradient of the mean loss with respect to the logits.
    pub dlogits: Tensor,
    /// Scratch for two-stage reductions (large enough for the flat parameter buffer).
    pub partials: Tensor,
    /// Scalars (loss, gradient norm, clip factor, NaN flag, evaluation sums, probe results,
    /// per-tensor statistics); see `kernels::slot`.
    pub scalars: Tensor,
}

impl ClassifierHead {
    /// The head of a model with `params`: the linear layer `name` (`features` inputs, `classes`
    /// outputs, with or without bias) and buffers for `rows` predictions per batch, scored as
    /// `scoring` says.
    pub fn new(
        ctx: &GpuContext,
        params: &ParamSet,
        (name, features, bias): (&str, usize, bool),
        (rows, classes): (usize, usize),
        scoring: Scoring,
    ) -> Self {
        let z = |label: &str, n: usize| Tensor::zeros(ctx, label, n);
        Self {
            linear: Linear::new(params, name, features, classes, bias),
            rows,
            scoring,
            correct: match scoring.accuracy {
                true => z("correct", rows),
                false => ctx.placeholder(),
            },
            classes,
            logits: z("logits", rows * classes),
            targets: z("targets", rows),
            losses: z("losses", rows),
            dlogits: z("dlogits", rows * classes),
            partials: z("partials", partials_len(rows.max(params.params.len))),
            scalars: z("scalars", slot::per_tensor::scalars_len(params.specs.len())),
        }
    }

    /// Logits from the features `x` (`[rows, features]`).
    pub fn forward(&self, ctx: &GpuContext, x: &Tensor) -> Vec<Dispatch> {
        self.linear.forward(ctx, self.rows, x, &self.logits)
    }

    /// From `dlogits` to the linear layer's gradients and the features' gradient `dx`.
    pub fn backward(&self, ctx: &GpuContext, x: &Tensor, dx: &Tensor) -> Vec<Dispatch> {
        self.linear
            .backward(ctx, self.rows, x, &self.dlogits, Some(dx))
    }

    /// Per-row losses and `dlogits`, the mean loss into `scalars[LOSS]` (and the batch's
    /// accuracy into `scalars[TRAIN_CORRECT]`, where measured).
    pub fn train_plan(&self, ctx: &GpuContext) -> Plan {
        let mean = ReduceMode::Store {
            slot: slot::LOSS,
            scale: self.per_scored_row(),
        };
        let mut plan = self.loss_plan(ctx, Some(&self.dlogits), mean);
        let accuracy = ReduceMode::Store {
            slot: slot::TRAIN_CORRECT,
            scale: self.per_scored_row(),
        };
        self.accuracy_plan(ctx, accuracy, &mut plan);
        plan
    }

    /// Per-row losses (no gradient), the batch mean added to `scalars[EVAL_LOSS]` (and its
    /// accuracy to `scalars[EVAL_CORRECT]`, where measured).
    pub fn eval_plan(&self, ctx: &GpuContext) -> Plan {
        let accumulate = ReduceMode::Accumulate {
            slot: slot::EVAL_LOSS,
            scale: self.per_scored_row(),
        };
        let mut plan = self.loss_plan(ctx, None, accumulate);
        let accuracy = ReduceMode::Accumulate {
            slot: slot::EVAL_CORRECT,
            scale: self.per_scored_row(),
        };
        self.accuracy_plan(ctx, accuracy, &mut plan);
        plan
    }

    /// The factor that turns a sum over the batch into a mean over its scored rows.
    pub fn per_scored_row(&self) -> f32 {
        1.0 / self.scoring.scored_rows.max(1) as f32
    }

    /// Counts the rows predicted right, into a slot as `mode` says (nothing where accuracy is
    /// not measured).
    fn accuracy_plan(&self, ctx: &GpuContext, mode: ReduceMode, plan: &mut Plan) {
        if !self.scoring.accuracy {
            return;
        }
        plan.push(cross_entropy::correct_rows(
            ctx,
            self.rows,
            self.classes,
            &self.logits,
            &self.targets,
            &self.correct,
        ));
        plan.extend_dispatches(reduce::reduce(
            ctx,
            mode,
            &self.correct,
            &self.partials,
            &self.scalars,
        ));
    }

    fn loss_plan(&self, ctx: &GpuContext, dlogits: Option<&Tensor>, mode: ReduceMode) -> Plan {
        let mut plan = Plan::new();
        plan.push(cross_entropy::forward_backward(
            ctx,
            (self.rows, self.scoring.scored_rows),
            self.classes,
            &self.logits,
            &self.targets,
            &self.losses,
            dlogits,
        ));
        plan.extend_dispatches(reduce::reduce(
            ctx,
            mode,
            &self.losses,
            &self.partials,
            &self.scalars,
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
            &self.partials,
            &self.scalars,
        ));
        plan
    }
}
