//! Linear warm-up, then cosine decay to `min_lr` (as in the IRE authors' and nanoGPT's code) or
//! step decay (x0.1 at 50% and 75% of the run, the classic CIFAR ResNet recipe).

use serde::{Deserialize, Serialize};

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
    /// Step decay instead of cosine (`min_lr` is then unused).
    #[serde(default)]
    pub step_decay: bool,
}

impl LrSchedule {
    /// Learning rate of step `step` (0-based).
    pub fn at(&self, step: usize) -> f32 {
        if step < self.warmup {
            return self.lr * (step + 1) as f32 / self.warmup as f32;
        }
        if step >= self.total {
            return self.min_lr;
        }
        if self.step_decay {
            let drops = [self.total / 2, self.total * 3 / 4]
                .iter()
                .filter(|&&m| step >= m)
                .count();
            return self.lr * 0.1f32.powi(drops as i32);
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
            step_decay: false,
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
            step_decay: true,
        };
        assert_eq!(s.at(49), 1.0);
        assert!((s.at(50) - 0.1).abs() < 1e-7);
        assert!((s.at(74) - 0.1).abs() < 1e-7);
        assert!((s.at(75) - 0.01).abs() < 1e-8);
    }
}
