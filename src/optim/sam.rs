//! SAM, sharpness-aware minimisation (Foret et al., ICLR 2021), with SGD + momentum as its base as
//! in the IRE authors' CIFAR runs: ascend to `theta + rho * g / ||g||`, take the gradient there,
//! return to `theta`, then apply the base step with that gradient (and IRE, when on).

use crate::gpu::{grid_1d, uniform_binding, Access, GpuContext, Plan, Shader, Tensor};
use crate::kernels::shader;
use crate::models::Network;

const SHADER: Shader = shader!("sam.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    rho: f32,
    _pad: [u32; 2],
}

/// SAM's extra buffers and its step plan (everything before the base optimizer's update).
pub struct Sam {
    plan: Plan,
}

impl Sam {
    /// Records: gradient at theta, ascent, gradient at the perturbed point, restore.
    pub fn new(ctx: &GpuContext, model: &dyn Network, rho: f32) -> Self {
        let params = model.params();
        let n = params.params.len;
        let backup = Tensor::zeros(ctx, "sam backup", n);
        let u = ctx.uniform(&Params {
            n: n as u32,
            rho,
            _pad: [0; 2],
        });
        let access = [
            Access::Uniform,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
            Access::ReadWrite,
        ];
        let resources = [
            uniform_binding(&u),
            params.grads.binding(),
            model.scalars().binding(),
            params.params.binding(),
            backup.binding(),
        ];
        let grid = grid_1d(n, ctx.limits.max_compute_workgroups_per_dimension);
        let mut plan = Plan::new();
        plan.extend(model.train_plan());
        plan.push(
            ctx.kernel(&SHADER, "ascend", &[], &access)
                .dispatch(ctx, &resources, grid),
        );
        plan.extend(model.aux_train_plan());
        plan.push(
            ctx.kernel(&SHADER, "restore", &[], &access)
                .dispatch(ctx, &resources, grid),
        );
        Self { plan }
    }

    /// Replaces the model's train plan in a SAM step.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
