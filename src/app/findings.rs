//! Compare-mode presets from docs/RESULTS.md: the settings the experiments found best (and one
//! that shows why the base must be tuned first), one click or one link (`#finding=NAME`) away.

use super::settings::Settings;
use crate::data::Puzzle;
use crate::optim::OptimizerKind;
use crate::train::{Family, TrainConfig};

/// One result of docs/RESULTS.md as a ready-to-run comparison.
pub struct Finding {
    /// Short name, also the link's `#finding=NAME`.
    pub name: &'static str,
    /// What the comparison shows and what was measured, in a short paragraph.
    pub about: &'static str,
    /// A third run: the base at this (its tuned) learning rate, to show beside the other two.
    reference_lr: Option<f32>,
    preset: &'static str,
    kind: OptimizerKind,
    steps: usize,
    batch: usize,
    lr: f32,
    kappa: f32,
    gamma: f32,
    /// A generated task instead of Shakespeare (None: the text, or the images).
    task: Option<Puzzle>,
    /// A weight decay other than the recipe's.
    weight_decay: Option<f32>,
}

/// What the findings share unless they say otherwise: `tiny` on Shakespeare, AdamW, batch 16,
/// IRE's kappa 2 and gamma 0.9, no reference run.
const TINY_ADAMW: Finding = Finding {
    name: "",
    about: "",
    reference_lr: None,
    preset: "tiny",
    kind: OptimizerKind::AdamW,
    steps: 200,
    batch: 16,
    lr: 3e-3,
    kappa: 2.0,
    gamma: 0.9,
    task: None,
    weight_decay: None,
};

/// The findings, in menu order.
pub static FINDINGS: [Finding; 7] = [
    Finding {
        name: "paper-style",
        about: "AdamW beside AdmIRE (κ 2, γ 0.8) at AdamW's tuned learning rate 4e-3, IRE acting \
                from the end of warm-up as in the paper. Over the whole run AdmIRE sits in a \
                flatter region (final λ_max about 43 vs 94 over three seeds), while the final \
                losses are within noise of each other: flatter, not faster (docs/RESULTS.md, \
                admire-long).",
        steps: 10_000,
        lr: 4e-3,
        gamma: 0.8,
        ..TINY_ADAMW
    },
    Finding {
        name: "tiny-long-best",
        about: "AdamW beside AdmIRE with κ 1, γ 0.9, the IRE setting that did best at AdamW's \
                tuned learning rate 4e-3: the same final loss (1.625 vs 1.622) with about half \
                the sharpness (λ_max 47.5 vs 93.9) (docs/RESULTS.md, admire-long).",
        steps: 10_000,
        lr: 4e-3,
        kappa: 1.0,
        ..TINY_ADAMW
    },
    Finding {
        name: "tiny-short-tuned",
        about: "AdamW beside AdmIRE over a short run at AdamW's tuned learning rate 8e-3: the \
                curves nearly coincide (AdmIRE never reached AdamW's final loss in the sweep); \
                what a tuned base leaves for IRE to win in 200 steps (docs/RESULTS.md, \
                adamw-vs-admire).",
        steps: 200,
        lr: 8e-3,
        ..TINY_ADAMW
    },
    Finding {
        name: "untuned-lr",
        about: "Why the base must be tuned first: at the untuned learning rate 1e-3 AdmIRE \
                looks 1.8x faster than AdamW, because IRE's amplified steps act as a larger \
                learning rate. A third run, AdamW at its tuned rate 8e-3 (green), beats both: \
                the 1.8x is an artefact of the small rate (docs/RESULTS.md, adamw-vs-admire).",
        steps: 200,
        lr: 1e-3,
        reference_lr: Some(8e-3),
        ..TINY_ADAMW
    },
    Finding {
        name: "resnet-sgd",
        about: "SGD beside SGD-IRE (κ 2, γ 0.8) on ResNet-8 with augmentation at SGD's tuned \
                learning rate 0.2 for 3 epochs of the embedded subset: IRE lowered the training \
                loss, but not the test accuracy (-0.6 ± 0.7 points over three seeds) \
                (docs/RESULTS.md, resnet-ire).",
        preset: "resnet-tiny",
        kind: OptimizerKind::Sgd,
        steps: 471,
        batch: 64,
        lr: 0.2,
        gamma: 0.8,
        ..TINY_ADAMW
    },
    Finding {
        name: "resnet-sam",
        about: "SAM beside SAM-IRE (κ 2, γ 0.8) on ResNet-8 with augmentation at SAM's tuned \
                learning rate 0.1 for 3 epochs: SAM-IRE +0.6 ± 0.35 points of test accuracy \
                over three seeds, the one claim of the paper that held here (docs/RESULTS.md, \
                resnet-ire).",
        preset: "resnet-tiny",
        kind: OptimizerKind::Sam,
        steps: 471,
        batch: 64,
        lr: 0.1,
        gamma: 0.8,
        ..TINY_ADAMW
    },
    Finding {
        name: "grokking",
        about: "Modular addition (a + b mod 97, 30% of the pairs trained on), batch 512, 1,000 \
                steps, weight decay 1. At lr 3e-3 AdamW memorises the training pairs and stalls \
                (validation accuracy 11-34% at the end, 5 seeds) while AdmIRE (κ 2, γ 0.9) \
                generalises: 99% validation accuracy by step 550-850 in all 5 seeds. A third \
                run, AdamW at its tuned rate 1e-2 (green), groks first, by step 550-600: what \
                IRE adds here is mostly a larger step (docs/RESULTS.md, grokking).",
        reference_lr: Some(1e-2),
        steps: 1000,
        batch: 512,
        lr: 3e-3,
        task: Some(Puzzle::MODADD),
        weight_decay: Some(1.0),
        ..TINY_ADAMW
    },
];

impl Finding {
    /// The runs it trains (the base, its IRE twin, and the tuned base where there is one).
    pub fn runs(&self) -> usize {
        2 + usize::from(self.reference_lr.is_some())
    }

    /// The menu line: name, length, and the time it takes at `steps_per_s` (this adapter's
    /// measured rate for one run, when known).
    pub fn menu_line(&self, steps_per_s: Option<f64>) -> String {
        let steps = super::axes::format_count(self.steps as f64);
        match steps_per_s.filter(|r| *r > 0.0) {
            Some(rate) => format!(
                "{}: {steps} steps, about {} here",
                self.name,
                format_duration(self.steps as f64 * self.runs() as f64 / rate)
            ),
            None => format!("{}: {steps} steps", self.name),
        }
    }

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
        if let Some(wd) = self.weight_decay {
            train.optimizer.weight_decay = wd;
        }
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
            text: self.task.and_then(|t| t.corpus().ok()?.source),
            reference_lr: self.reference_lr,
        }
    }
}

/// A duration as people say it: "40 s", "12 min", "2.5 h".
pub fn format_duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{:.0} s", seconds.max(1.0))
    } else if seconds < 5400.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
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
        let grokking = Finding::named("grokking").unwrap().settings();
        assert_eq!(
            grokking.text.as_deref(),
            Some("puzzle: modadd p=97 train=0.3")
        );
        assert_eq!(grokking.train.optimizer.weight_decay, 1.0);
    }

    #[test]
    fn findings_say_their_length_and_time_here() {
        let f = Finding::named("paper-style").unwrap();
        assert_eq!(f.menu_line(None), "paper-style: 10,000 steps");
        // Two runs of 10,000 steps at 8 steps/s: about 42 minutes.
        assert_eq!(
            f.menu_line(Some(8.0)),
            "paper-style: 10,000 steps, about 42 min here"
        );
        let untuned = Finding::named("untuned-lr").unwrap();
        assert_eq!(
            untuned.runs(),
            3,
            "the tuned base runs beside the untuned pair"
        );
        assert_eq!(untuned.settings().reference_lr, Some(8e-3));
        assert_eq!(format_duration(30.0), "30 s");
        assert_eq!(format_duration(9000.0), "2.5 h");
    }
}
