//! Base optimizers on the GPU (AdamW, SGD with momentum, SAM, Lion, Muon) and the
//! learning-rate schedule. Each base optimizer is described in one file (`adamw.rs`, `sgd.rs`,
//! `sam.rs`, `lion.rs`, `muon.rs`: a [`Descriptor`]) and registered here, in [`OptimizerKind`]
//! and its `descriptor`.

mod adamw;
mod descriptor;
mod ire;
mod ire_timing;
mod lion;
mod muon;
mod sam;
mod schedule;
mod sgd;

pub use descriptor::{Descriptor, FamilyDefaults, Passes};
pub use ire::{Ire, IreConfig, MaskRule};
pub use ire_timing::{IreStep, IreTiming, LiveParams};
pub use sam::Sam;
pub use schedule::{LrSchedule, ScheduleKind};

use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::optimizer::{update, Hyper, OptimizerBuffers};
use crate::nn::ParamSet;
use serde::{Deserialize, Serialize};

/// Which base optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// torch.optim.AdamW.
    AdamW,
    /// torch.optim.SGD with momentum and (coupled) weight decay.
    Sgd,
    /// SAM with SGD + momentum as its base.
    Sam,
    /// Lion: the sign of interpolated momentum.
    Lion,
    /// Muon: orthogonalised momentum on hidden matrices, AdamW elsewhere.
    Muon,
}

impl OptimizerKind {
    /// Every base optimizer, in the order menus list them.
    pub const ALL: [OptimizerKind; 5] = [Self::AdamW, Self::Sgd, Self::Sam, Self::Lion, Self::Muon];

    /// Everything else about it (the registration of each optimizer).
    pub fn descriptor(self) -> &'static Descriptor {
        match self {
            Self::AdamW => &adamw::ADAMW,
            Self::Sgd => &sgd::SGD,
            Self::Sam => &sam::SAM,
            Self::Lion => &lion::LION,
            Self::Muon => &muon::MUON,
        }
    }

    /// The name as people write it: AdamW, SGD, SAM.
    pub fn name(self) -> &'static str {
        self.descriptor().name
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.to_ascii_lowercase();
        let found = Self::ALL
            .into_iter()
            .find(|k| k.descriptor().flag == wanted);
        found.ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.descriptor().flag).collect();
            let choices = names.join(", ");
            Error::InvalidConfig(format!("unknown optimizer '{s}'; choose {choices}"))
        })
    }
}

/// Base-optimizer hyperparameters. `lr` is the peak of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimizerConfig {
    /// Update rule.
    pub kind: OptimizerKind,
    /// Peak learning rate.
    pub lr: f32,
    /// Weight decay (decoupled for AdamW, L2 for SGD), on matrices and embeddings only.
    pub weight_decay: f32,
    /// AdamW's and Lion's beta1.
    pub beta1: f32,
    /// AdamW's and Lion's beta2.
    pub beta2: f32,
    /// AdamW epsilon.
    pub eps: f32,
    /// SGD's and Muon's momentum.
    pub momentum: f32,
    /// SAM neighbourhood radius.
    pub rho: f32,
    /// Muon: the peak learning rate of AdamW on the parameters Muon leaves to it (embeddings,
    /// the output head, vectors); it follows the same schedule.
    pub aux_lr: f32,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::AdamW,
            lr: 3e-3,
            weight_decay: 0.1,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            momentum: 0.9,
            rho: 0.05,
            aux_lr: 3e-3,
        }
    }
}

fn check(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(Error::InvalidConfig(msg()))
    }
}

impl OptimizerConfig {
    /// Rejects values that cannot train (non-finite, non-positive learning rate, betas outside [0,1)).
    pub fn validate(&self) -> Result<()> {
        check(self.lr.is_finite() && self.lr > 0.0, || {
            format!(
                "learning rate must be a positive finite number, got {}",
                self.lr
            )
        })?;
        check(self.lr <= 10.0, || {
            format!("learning rate {} is far too large (max 10)", self.lr)
        })?;
        check(
            self.weight_decay.is_finite() && self.weight_decay >= 0.0,
            || format!("weight decay must be >= 0, got {}", self.weight_decay),
        )?;
        for (name, v) in [
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("momentum", self.momentum),
        ] {
            check((0.0..1.0).contains(&v), || {
                format!("{name} must be in [0, 1), got {v}")
            })?;
        }
        check(self.eps.is_finite() && self.eps > 0.0, || {
            format!("eps must be > 0, got {}", self.eps)
        })?;
        check(self.rho.is_finite() && self.rho > 0.0, || {
            format!("rho must be > 0, got {}", self.rho)
        })?;
        check(
            self.aux_lr.is_finite() && self.aux_lr > 0.0 && self.aux_lr <= 10.0,
            || format!("aux lr must be in (0, 10], got {}", self.aux_lr),
        )
    }
}

/// A base optimizer bound to a model's flat parameter buffers.
pub struct Optimizer {
    /// Hyperparameters.
    pub config: OptimizerConfig,
    hyper: wgpu::Buffer,
    plan: Plan,
    /// Updates applied so far (AdamW's bias-correction step count).
    pub steps_taken: u64,
    param_len: usize,
    decay_end: usize,
    /// The per-coordinate state its descriptor names (AdamW's moments, SGD's momentum), and a
    /// placeholder in each unused one of the kernel's two state slots.
    state: [Tensor; 2],
}

impl Optimizer {
    /// Allocates state (zeroed) and records the update dispatch. `scalars` supplies the clip
    /// factor and the NaN flag; `ire_mask` the flat coordinates IRE amplifies.
    pub fn new(
        ctx: &GpuContext,
        config: OptimizerConfig,
        params: &ParamSet,
        scalars: &Tensor,
        ire_mask: &Tensor,
    ) -> Result<Self> {
        config.validate()?;
        let n = params.params.len;
        let described = config.kind.descriptor();
        // A slot the optimizer keeps no state in is bound to a four-byte placeholder (each its
        // own: both slots are written).
        let state: [Tensor; 2] = std::array::from_fn(|i| match described.state.get(i) {
            Some(name) => Tensor::zeros(ctx, name, n),
            None => Tensor::zeros(ctx, "unused optimizer state", 1),
        });
        let hyper = ctx.uniform(&Hyper::default());
        let orthogonalised = described.passes == Passes::Orthogonalise;
        let roles = match orthogonalised {
            true => muon::roles(ctx, params),
            false => ctx.placeholder(),
        };
        let pass = |entry| {
            let buffers = OptimizerBuffers {
                hyper: &hyper,
                scalars,
                grads: &params.grads,
                params: &params.params,
                state: [&state[0], &state[1]],
                ire_mask,
                roles: &roles,
            };
            update(ctx, entry, buffers)
        };
        let mut plan = Plan::new();
        if orthogonalised {
            plan.push(pass("muon_momentum"));
            for d in muon::orthogonalise(ctx, params, &state[1]) {
                plan.push(d);
            }
        }
        plan.push(pass(described.entry));
        Ok(Self {
            config,
            hyper,
            plan,
            steps_taken: 0,
            param_len: n,
            decay_end: params.decay_end,
            state,
        })
    }

    /// Writes this step's hyperparameters (queued before the step's submission) and counts the
    /// step. `ire_kappa` is IRE's amplification for this step (0: plain base optimizer).
    pub fn prepare_step(&mut self, ctx: &GpuContext, lr: f32, ire_kappa: f32) {
        self.steps_taken += 1;
        let base = Hyper {
            n: self.param_len as u32,
            decay_end: self.decay_end as u32,
            lr,
            weight_decay: self.config.weight_decay,
            ire_kappa,
            ..Default::default()
        };
        let hyper = (self.config.kind.descriptor().hyper)(base, &self.config, self.steps_taken);
        ctx.write_buffer(&self.hyper, 0, bytemuck::bytes_of(&hyper));
    }

    /// The buffers that carry state from step to step, by name (what a checkpoint saves).
    pub fn state_tensors(&self) -> Vec<(&'static str, &Tensor)> {
        let names = self.config.kind.descriptor().state.iter();
        names.zip(&self.state).map(|(&name, t)| (name, t)).collect()
    }

    /// The update dispatch.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
