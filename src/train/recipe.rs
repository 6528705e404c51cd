//! The run recipes, defined once: per model family and base optimizer, the learning rate, weight
//! decay, schedule, clipping and evaluation defaults that the CLI, the app, `bench`, `experiment`
//! and the tests start from. Values are those measured best in docs/RESULTS.md where a sweep was
//! run (AdamW 3e-3 on the transformers, SGD 0.1 on the ResNets).

use super::TrainConfig;
pub use crate::models::Family;
use crate::optim::{IreConfig, OptimizerConfig, OptimizerKind, ScheduleKind};
use crate::probe::SharpnessConfig;

/// The family's usual base optimizer: AdamW for transformers, SGD with momentum for ResNets.
pub fn default_optimizer(family: Family) -> OptimizerKind {
    match family {
        Family::Transformer => OptimizerKind::AdamW,
        Family::ResNet => OptimizerKind::Sgd,
    }
}

/// The recipe for `family` trained by `kind` for `steps` steps: the optimizer's peak learning
/// rate, weight decay and own defaults for the family (its [`crate::optim::Descriptor`]), cosine decay to a
/// tenth of it after a warm-up of 10% of the steps, gradient clipping at 1 for transformers
/// (none for ResNets), evaluation every 100 steps on 8 batches, IRE off.
pub fn recipe(family: Family, kind: OptimizerKind, steps: usize) -> TrainConfig {
    let described = kind.descriptor();
    let lr = described.on(family).peak_lr;
    TrainConfig {
        optimizer: (described.defaults)(OptimizerConfig {
            kind,
            lr,
            weight_decay: described.weight_decay,
            ..OptimizerConfig::default()
        }),
        steps,
        batch: 32,
        min_lr: lr / 10.0,
        schedule: ScheduleKind::Cosine,
        warmup: steps / 10,
        grad_clip: match family {
            Family::Transformer => 1.0,
            Family::ResNet => 0.0,
        },
        seed: 0,
        eval_every: 100,
        eval_batches: 8,
        ire: IreConfig::default(),
        probe_every: 0,
        sharpness: SharpnessConfig::default(),
    }
}

impl TrainConfig {
    /// The recipe for `family` trained by `kind` for `steps` steps (see [`recipe`]).
    pub fn recipe(family: Family, kind: OptimizerKind, steps: usize) -> Self {
        recipe(family, kind, steps)
    }

    /// The same run at peak learning rate `lr`, the final rate scaled along (a tenth of it in
    /// the recipe): what a learning-rate sweep varies.
    pub fn with_peak_lr(mut self, lr: f32) -> Self {
        let ratio = if self.optimizer.lr > 0.0 {
            self.min_lr / self.optimizer.lr
        } else {
            0.1
        };
        self.optimizer.lr = lr;
        self.min_lr = lr * ratio;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_follow_the_family() {
        let t = recipe(Family::Transformer, OptimizerKind::AdamW, 1000);
        assert_eq!(t.optimizer.lr, 3e-3);
        assert_eq!(t.grad_clip, 1.0);
        assert_eq!(t.warmup, 100);
        let r = recipe(Family::ResNet, OptimizerKind::Sgd, 400);
        assert_eq!(r.optimizer.lr, 0.1);
        assert_eq!(r.optimizer.weight_decay, 5e-4);
        assert_eq!(r.grad_clip, 0.0);
        assert!(t.validate().is_ok() && r.validate().is_ok());
        let swept = r.with_peak_lr(0.4);
        assert!((swept.min_lr - 0.04).abs() < 1e-7);
        assert_eq!(Family::of_preset("resnet20"), Family::ResNet);
        assert_eq!(OptimizerConfig::default().kind, OptimizerKind::AdamW);
    }
}
