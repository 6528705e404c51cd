//! SAM, sharpness-aware minimisation (Foret et al., ICLR 2021), with SGD + momentum as its base as
//! in the IRE authors' CIFAR runs: ascend to `theta + rho * g / ||g||`, take the gradient there,
//! return to `theta`, then apply the base step with that gradient (and IRE, when on).

use super::descriptor::{Descriptor, Passes};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::sam::{ascend_and_restore, SamBuffers};
use crate::models::Network;

/// SAM over SGD with momentum, described: SGD's update and state after SAM's ascent.
pub(super) const SAM: Descriptor = Descriptor {
    name: "SAM",
    flag: "sam",
    menu: "SAM (SGD base)",
    ire_name: "SAM-IRE",
    experiment: "sam-vs-samire",
    hyperparameters: &["momentum", "rho"],
    passes: Passes::AscentFirst,
    ..super::sgd::SGD
};

/// SAM's extra buffers and its step plan (everything before the base optimizer's update).
pub struct Sam {
    plan: Plan,
}

impl Sam {
    /// Records: gradient at theta, ascent, gradient at the perturbed point, restore.
    pub fn new(ctx: &GpuContext, model: &dyn Network, rho: f32) -> Self {
        let params = model.params();
        let backup = Tensor::zeros(ctx, "sam backup", params.params.len);
        let [ascend, restore] = ascend_and_restore(
            ctx,
            rho,
            SamBuffers {
                grads: &params.grads,
                scalars: &model.head().scalars,
                weights: &params.params,
                backup: &backup,
            },
        );
        let mut plan = Plan::new();
        plan.extend(model.train_plan());
        plan.push(ascend);
        plan.extend(model.aux_train_plan());
        plan.push(restore);
        Self { plan }
    }

    /// Replaces the model's train plan in a SAM step.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
