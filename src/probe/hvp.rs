//! One finite-difference Hessian-vector product, recorded into a plan (shared by the probes and
//! the analyses).

use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::vector;
use crate::models::Network;

/// Records one finite-difference HVP of `direction` (scaled by `eps`) into `out`.
pub(crate) struct Hvp<'a> {
    pub(crate) ctx: &'a GpuContext,
    pub(crate) model: &'a dyn Network,
    pub(crate) backup: &'a Tensor,
    pub(crate) plus_grad: &'a Tensor,
}

impl Hvp<'_> {
    /// Records `out = H direction` from gradients at `theta +- eps direction`, where theta is
    /// the copy in `backup`; leaves the weights at `theta - eps direction`.
    pub(crate) fn record(&self, plan: &mut Plan, direction: &Tensor, eps: f32, out: &Tensor) {
        let (ctx, params) = (self.ctx, self.model.params());
        // theta + step * direction, from the saved weights.
        let move_to =
            |step: f32| vector::axpy(ctx, self.backup, step, direction, None, &params.params);
        plan.push(move_to(eps));
        plan.extend(self.model.curvature_train_plan());
        plan.push(vector::copy(ctx, &params.grads, self.plus_grad));
        plan.push(move_to(-eps));
        plan.extend(self.model.curvature_train_plan());
        plan.push(vector::scaled_difference(
            ctx,
            self.plus_grad,
            &params.grads,
            0.5 / eps,
            out,
        ));
    }
}
