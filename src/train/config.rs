//! Training hyperparameters and their validation.

use crate::error::{Error, Result};
use crate::optim::{IreConfig, LrSchedule, OptimizerConfig, OptimizerKind, ScheduleKind};
use crate::probe::SharpnessConfig;
use serde::{Deserialize, Serialize};

/// Largest batch accepted (far beyond what any adapter's buffers hold; the model's own size
/// check then decides). Bounds every product of sizes taken from flags and files.
pub const MAX_BATCH: usize = 1 << 16;
/// Largest step count accepted.
pub const MAX_STEPS: usize = 1 << 30;

/// Everything about a run except the model's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Base optimizer and its peak learning rate.
    pub optimizer: OptimizerConfig,
    /// Total optimizer steps.
    pub steps: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Final learning rate of the cosine schedule.
    pub min_lr: f32,
    /// What follows the warm-up: cosine decay, constant, or step decay.
    pub schedule: ScheduleKind,
    /// Linear warm-up steps.
    pub warmup: usize,
    /// Global gradient-norm clip (0 disables clipping).
    pub grad_clip: f32,
    /// Seed for initial weights and data order.
    pub seed: u64,
    /// Evaluate every this many steps (0: only at the end).
    pub eval_every: usize,
    /// Validation batches per evaluation.
    pub eval_batches: usize,
    /// IRE on top of the base optimizer.
    pub ire: IreConfig,
    /// Run the probes (Fisher statistics, flat counts, sharpness) every this many steps; 0: never.
    pub probe_every: usize,
    /// Sharpness probe settings.
    pub sharpness: SharpnessConfig,
}

impl Default for TrainConfig {
    /// The transformer recipe (AdamW) over 500 steps: the CLI's default run.
    fn default() -> Self {
        super::recipe::recipe(super::Family::Transformer, OptimizerKind::AdamW, 500)
    }
}

impl TrainConfig {
    /// Rejects values that cannot produce a meaningful run, with a message naming the value.
    pub fn validate(&self) -> Result<()> {
        self.optimizer.validate()?;
        self.ire.validate()?;
        self.sharpness.validate()?;
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if self.steps == 0 {
            return bad("steps must be at least 1".into());
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            return bad(format!(
                "batch must be between 1 and {MAX_BATCH}, got {}",
                self.batch
            ));
        }
        if self.steps > MAX_STEPS {
            return bad(format!(
                "steps must be at most {MAX_STEPS}, got {}",
                self.steps
            ));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0) {
            return bad(format!(
                "min-lr must be a finite number >= 0, got {}",
                self.min_lr
            ));
        }
        if self.min_lr > self.optimizer.lr {
            return bad(format!(
                "min-lr ({}) must not exceed lr ({})",
                self.min_lr, self.optimizer.lr
            ));
        }
        if self.warmup > self.steps {
            return bad(format!(
                "warmup ({}) exceeds steps ({})",
                self.warmup, self.steps
            ));
        }
        if !(self.grad_clip.is_finite() && self.grad_clip >= 0.0) {
            return bad(format!(
                "grad-clip must be >= 0 (0 disables), got {}",
                self.grad_clip
            ));
        }
        if self.eval_batches == 0 {
            return bad("eval batches must be at least 1".into());
        }
        if let Some(&t) = self
            .ire
            .toggle_at
            .iter()
            .find(|&&t| t == 0 || t >= self.steps)
        {
            return bad(format!(
                "ire-toggle-at step {t} is outside the run (1..{})",
                self.steps
            ));
        }
        Ok(())
    }

    /// First step at which IRE may act.
    pub fn ire_start(&self) -> usize {
        self.ire.start.unwrap_or(self.warmup)
    }

    /// The learning-rate schedule this config describes.
    pub fn schedule(&self) -> LrSchedule {
        LrSchedule {
            lr: self.optimizer.lr,
            min_lr: self.min_lr,
            warmup: self.warmup,
            total: self.steps,
            kind: self.schedule,
        }
    }
}
