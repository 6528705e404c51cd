//! Compare-mode presets from docs/RESULTS.md: the settings the experiments found best (and one
//! that shows why the base must be tuned first), one click or one link (`#finding=NAME`) away.

use super::settings::Settings;
use crate::optim::OptimizerKind;
use crate::train::{Family, TrainConfig};

/// One result of docs/RESULTS.md as a ready-to-run comparison.
pub struct Finding {
    /// Short name, also the link's `#finding=NAME`.
    pub name: &'static str,
    /// What the comparison shows (menu hover text).
    pub about: &'static str,
    preset: &'static str,
    kind: OptimizerKind,
    steps: usize,
    batch: usize,
    lr: f32,
    kappa: f32,
    gamma: f32,
}

/// The findings, in menu order.
pub static FINDINGS: [Finding; 6] = [
    Finding {
        name: "paper-style",
        about: "AdamW vs AdmIRE with kappa 2, gamma 0.8 at AdamW's tuned lr (tiny, 10,000 steps; \
                docs/RESULTS.md, admire-long)",
        preset: "tiny",
        kind: OptimizerKind::AdamW,
        steps: 10_000,
        batch: 16,
        lr: 4e-3,
        kappa: 2.0,
        gamma: 0.8,
    },
    Finding {
        name: "tiny-long-best",
        about: "AdamW vs AdmIRE with kappa 1, gamma 0.9, the setting that did best at AdamW's \
                tuned lr 4e-3 (tiny, 10,000 steps; docs/RESULTS.md, admire-long)",
        preset: "tiny",
        kind: OptimizerKind::AdamW,
        steps: 10_000,
        batch: 16,
        lr: 4e-3,
        kappa: 1.0,
        gamma: 0.9,
    },
    Finding {
        name: "tiny-short-tuned",
        about: "AdamW vs AdmIRE over 200 steps at AdamW's tuned lr 8e-3: nearly no difference \
                (docs/RESULTS.md, adamw-vs-admire)",
        preset: "tiny",
        kind: OptimizerKind::AdamW,
        steps: 200,
        batch: 16,
        lr: 8e-3,
        kappa: 2.0,
        gamma: 0.9,
    },
    Finding {
        name: "untuned-lr",
        about: "AdamW vs AdmIRE at the untuned lr 1e-3: IRE looks 1.8x faster, but only because \
                AdamW's lr is too small (docs/RESULTS.md, adamw-vs-admire)",
        preset: "tiny",
        kind: OptimizerKind::AdamW,
        steps: 200,
        batch: 16,
        lr: 1e-3,
        kappa: 2.0,
        gamma: 0.9,
    },
    Finding {
        name: "resnet-sgd",
        about: "SGD vs SGD-IRE on ResNet-8 with augmentation at SGD's tuned lr 0.2, 3 epochs: \
                IRE lowered the loss but not the test accuracy (docs/RESULTS.md, resnet-ire)",
        preset: "resnet-tiny",
        kind: OptimizerKind::Sgd,
        steps: 471,
        batch: 64,
        lr: 0.2,
        kappa: 2.0,
        gamma: 0.8,
    },
    Finding {
        name: "resnet-sam",
        about: "SAM vs SAM-IRE on ResNet-8 with augmentation at SAM's tuned lr 0.1, 3 epochs: \
                +0.6 points for SAM-IRE (docs/RESULTS.md, resnet-ire)",
        preset: "resnet-tiny",
        kind: OptimizerKind::Sam,
        steps: 471,
        batch: 64,
        lr: 0.1,
        kappa: 2.0,
        gamma: 0.8,
    },
];

impl Finding {
    /// The finding by name.
    pub fn named(name: &str) -> Option<&'static Finding> {
        FINDINGS.iter().find(|f| f.name == name)
    }

    /// The comparison's settings: the experiment's recipe (warm-up, schedule, clipping, decay)
    /// at the finding's lr, IRE twin with its kappa and gamma, probes every 5% of the run.
    pub fn settings(&self) -> Settings {
        let family = Family::of_preset(self.preset);
        let mut train = TrainConfig {
            batch: self.batch,
            eval_every: (self.steps / 20).max(1),
            eval_batches: if family == Family::ResNet { 8 } else { 4 },
            probe_every: (self.steps / 20).max(1),
            ..TrainConfig::recipe(family, self.kind, self.steps).with_peak_lr(self.lr)
        };
        train.ire.kappa = self.kappa;
        train.ire.gamma = self.gamma;
        train.ire.mask_every = 10;
        train.sharpness.power_iters = 4;
        train.sharpness.hutchinson_samples = 2;
        Settings {
            preset: self.preset.into(),
            train,
            compare: true,
            tune: false,
            augment: family == Family::ResNet,
            analysis: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_is_a_valid_comparison() {
        for f in &FINDINGS {
            let s = f.settings();
            assert_eq!(s.problem(), None, "{}", f.name);
            assert!(s.compare);
            assert!(std::ptr::eq(Finding::named(f.name).unwrap(), f));
        }
        assert!(Finding::named("nonsense").is_none());
    }
}
