//! Base optimizers on the GPU (AdamW, SGD with momentum) and the learning-rate schedule.

mod adamw;
mod ire;
mod sam;
mod schedule;
mod sgd;

pub use ire::{Ire, IreConfig, MaskRule};
pub use sam::Sam;
pub use schedule::{LrSchedule, ScheduleKind};

use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::optimizer::{update, Hyper, OptimizerBuffers, UpdateRule};
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
}

impl OptimizerKind {
    /// The name as people write it: AdamW, SGD, SAM.
    pub fn name(self) -> &'static str {
        match self {
            Self::AdamW => "AdamW",
            Self::Sgd => "SGD",
            Self::Sam => "SAM",
        }
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "adamw" => Ok(Self::AdamW),
            "sgd" => Ok(Self::Sgd),
            "sam" => Ok(Self::Sam),
            other => Err(Error::InvalidConfig(format!(
                "unknown optimizer '{other}'; choose adamw, sgd or sam"
            ))),
        }
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
    /// AdamW beta1.
    pub beta1: f32,
    /// AdamW beta2.
    pub beta2: f32,
    /// AdamW epsilon.
    pub eps: f32,
    /// SGD momentum.
    pub momentum: f32,
    /// SAM neighbourhood radius.
    pub rho: f32,
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
        })
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
    /// First moment (AdamW) or momentum buffer (SGD, SAM).
    state1: Tensor,
    /// Second moment (AdamW only; SGD binds a one-word placeholder).
    state2: Tensor,
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
        let state1 = Tensor::zeros(ctx, "optimizer state 1", n);
        // SGD needs no second moment; bind a one-word placeholder instead of n words.
        let state2 = match config.kind {
            OptimizerKind::AdamW => Tensor::zeros(ctx, "optimizer state 2", n),
            OptimizerKind::Sgd | OptimizerKind::Sam => Tensor::zeros(ctx, "unused", 1),
        };
        let hyper = ctx.uniform(&Hyper::default());
        let rule = match config.kind {
            OptimizerKind::AdamW => UpdateRule::AdamW,
            OptimizerKind::Sgd | OptimizerKind::Sam => UpdateRule::Sgd,
        };
        let mut plan = Plan::new();
        plan.push(update(
            ctx,
            rule,
            OptimizerBuffers {
                hyper: &hyper,
                scalars,
                grads: &params.grads,
                params: &params.params,
                state1: &state1,
                state2: &state2,
                ire_mask,
            },
        ));
        Ok(Self {
            config,
            hyper,
            plan,
            steps_taken: 0,
            param_len: n,
            decay_end: params.decay_end,
            state1,
            state2,
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
        let hyper = match self.config.kind {
            OptimizerKind::AdamW => adamw::hyper(base, &self.config, self.steps_taken),
            OptimizerKind::Sgd | OptimizerKind::Sam => sgd::hyper(base, &self.config),
        };
        ctx.write_buffer(&self.hyper, 0, bytemuck::bytes_of(&hyper));
    }

    /// The buffers that carry state from step to step, by name (what a checkpoint saves).
    pub fn state_tensors(&self) -> Vec<(&'static str, &Tensor)> {
        let mut out = vec![("optimizer.state1", &self.state1)];
        if self.config.kind == OptimizerKind::AdamW {
            out.push(("optimizer.state2", &self.state2));
        }
        out
    }

    /// The update dispatch.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
