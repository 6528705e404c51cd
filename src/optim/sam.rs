//! SAM, sharpness-aware minimisation (Foret et al., ICLR 2021), with SGD + momentum as its base as
//! in the IRE authors' CIFAR runs: ascend to `theta + rho * g / ||g||`, take the gradient there,
//! return to `theta`, then apply the base step with that gradient (and IRE, when on).

use super::descriptor::{Descriptor, FamilyDefaults};
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
    state: &["optimizer.state1"],
    entry: "sgd",
    hyper: super::sgd::hyper,
    hyperparameters: &["momentum", "rho"],
    sharpness_aware: true,
    weight_decay: 5e-4,
    transformer: FamilyDefaults {
        peak_lr: 0.3,
        lr_grid: &[0.25, 0.5, 1.0, 2.0],
    },
    resnet: FamilyDefaults {
        peak_lr: 0.1,
        lr_grid: &[0.05, 0.1, 0.2],
    },
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
