//! One base optimizer's update kernel over flat buffers from a fixture, as the kernel and IRE
//! tests drive it: the fixture script's settings, each optimizer's recipe defaults.

use ire_playground::gpu::{GpuContext, Plan, Tensor};
use ire_playground::kernels::optimizer::{update, Hyper, OptimizerBuffers};
use ire_playground::kernels::slot;
use ire_playground::optim::{OptimizerConfig, OptimizerKind};

/// The update of `params` by `grads` with a prebuilt plan; [`UpdateRig::step`] runs one.
pub struct UpdateRig {
    plan: Plan,
    hyper: wgpu::Buffer,
    config: OptimizerConfig,
    n: usize,
    decay_end: usize,
}

impl UpdateRig {
    /// `kind`'s update of `params` (weight decay below `decay_end`), IRE amplifying where
    /// `ire_mask` is 1. Weight decays as in the fixture script: AdamW 0.1, Lion 1, SGD 5e-4.
    pub fn new(
        ctx: &GpuContext,
        kind: OptimizerKind,
        (params, grads): (&Tensor, &Tensor),
        ire_mask: &Tensor,
        decay_end: usize,
    ) -> Self {
        let n = params.len;
        let state = [Tensor::zeros(ctx, "m", n), Tensor::zeros(ctx, "v", n)];
        let mut scalars = vec![0.0f32; slot::COUNT];
        scalars[slot::CLIP_SCALE] = 1.0;
        let scalars = Tensor::from_slice(ctx, "scalars", &scalars);
        let hyper = ctx.uniform(&Hyper::default());
        let described = kind.descriptor();
        let buffers = OptimizerBuffers {
            hyper: &hyper,
            scalars: &scalars,
            grads,
            params,
            state: [&state[0], &state[1]],
            ire_mask,
            roles: &ctx.placeholder(),
        };
        let mut plan = Plan::new();
        plan.push(update(ctx, described.entry, buffers));
        let config = (described.defaults)(OptimizerConfig {
            kind,
            weight_decay: match kind {
                OptimizerKind::AdamW => 0.1,
                OptimizerKind::Lion => 1.0,
                _ => 5e-4,
            },
            ..OptimizerConfig::default()
        });
        Self {
            plan,
            hyper,
            config,
            n,
            decay_end,
        }
    }

    /// Update number `t` (1-based) at learning rate `lr`, IRE's amplification `kappa`.
    pub fn step(&self, ctx: &GpuContext, t: u64, lr: f32, kappa: f32) {
        let base = Hyper {
            n: self.n as u32,
            decay_end: self.decay_end as u32,
            lr,
            weight_decay: self.config.weight_decay,
            ire_kappa: kappa,
            ..Default::default()
        };
        let hyper = (self.config.kind.descriptor().hyper)(base, &self.config, t);
        ctx.write_buffer(&self.hyper, 0, bytemuck::bytes_of(&hyper));
        self.plan.submit(ctx);
    }
}
