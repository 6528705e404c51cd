//! Linear warm-up, then cosine decay to `min_lr` (as in the IRE authors' and nanoGPT's code), a
//! constant peak, or step decay (x0.1 at 50% and 75% of the run, the classic CIFAR ResNet recipe).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Shape of the learning rate after warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// Cosine decay from the peak to `min_lr` at the last step.
    #[default]
    Cosine,
    /// The peak learning rate until the end (`min_lr` unused).
    Constant,
    /// x0.1 at 50% and at 75% of the steps (`min_lr` unused).
    Step,
}

impl ScheduleKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [ScheduleKind; 3] = [Self::Cosine, Self::Constant, Self::Step];

    /// The name used on the command line and in settings.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::Constant => "constant",
            Self::Step => "step",
        }
    }
}

impl std::str::FromStr for ScheduleKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "unknown schedule '{s}'; choose cosine, constant or step"
                ))
            })
    }
}

/// Learning rate as a function of the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// Peak learning rate, reached at the end of warm-up.
    pub lr: f32,
    /// Final learning rate.
    pub min_lr: f32,
    /// Warm-up steps.
    pub warmup: usize,
    /// Total steps (the cosine reaches `min_lr` here).
    pub total: usize,
    /// What follows the warm-up.
    #[serde(default)]
    pub kind: ScheduleKind,
}

impl LrSchedule {
    /// Learning rate of step `step` (0-based).
    pub fn at(&self, step: usize) -> f32 {
        if step < self.warmup {
            return self.lr * (step + 1) as f32 / self.warmup as f32;
        }
        match self.kind {
            ScheduleKind::Constant => return self.lr,
            ScheduleKind::Step => {
                let drops = [self.total / 2, self.total * 3 / 4]
                    .iter()
                    .filter(|&&m| step >= m)
                    .count();
                return self.lr * 0.1f32.powi(drops as i32);
            }
            ScheduleKind::Cosine => {}
        }
        if step >= self.total {
            return self.min_lr;
        }
        let span = (self.total - self.warmup).max(1) as f32;
        let progress = (step - self.warmup) as f32 / span;
        let cosine = 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
        self.min_lr + cosine * (self.lr - self.min_lr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine() {
        let s = LrSchedule {
            lr: 1.0,
            min_lr: 0.1,
            warmup: 10,
            total: 110,
            kind: ScheduleKind::Cosine,
        };
        assert!((s.at(0) - 0.1).abs() < 1e-6);
        assert!((s.at(9) - 1.0).abs() < 1e-6);
        assert!((s.at(10) - 1.0).abs() < 1e-6);
        assert!((s.at(60) - 0.55).abs() < 1e-5);
        assert!((s.at(110) - 0.1).abs() < 1e-6);
        assert!(s.at(30) > s.at(31));
    }

    #[test]
    fn step_decay_drops_tenfold_at_half_and_three_quarters() {
        let s = LrSchedule {
            lr: 1.0,
            min_lr: 0.0,
            warmup: 0,
            total: 100,
            kind: ScheduleKind::Step,
        };
        assert_eq!(s.at(49), 1.0);
        assert!((s.at(50) - 0.1).abs() < 1e-7);
        assert!((s.at(74) - 0.1).abs() < 1e-7);
        assert!((s.at(75) - 0.01).abs() < 1e-8);
    }

    #[test]
    fn constant_holds_the_peak_after_warmup() {
        let s = LrSchedule {
            lr: 0.5,
            min_lr: 0.01,
            warmup: 4,
            total: 20,
            kind: ScheduleKind::Constant,
        };
        assert!((s.at(0) - 0.125).abs() < 1e-7);
        assert!((4..25).all(|t| s.at(t) == 0.5));
        assert_eq!("step".parse::<ScheduleKind>().unwrap(), ScheduleKind::Step);
        assert!("linear".parse::<ScheduleKind>().is_err());
    }
}
