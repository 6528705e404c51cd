//! What each plot panel shows: its title, how to read it, its lines and whether a log axis
//! suits it. `plots.rs` draws them.

use super::series::{Point, Series};

/// One line of a panel: legend suffix, the series it draws, and whether it is dashed.
pub type PanelLine = (&'static str, fn(&Series) -> &[Point], bool);

/// Which series a panel shows, and how to name it.
pub struct Panel {
    /// Title above the plot.
    pub title: &'static str,
    /// "How to read this": what the panel shows and what to look for, in a few sentences.
    pub help: &'static str,
    /// The plot's id (its zoom and pan are remembered under it).
    pub id: &'static str,
    /// The series drawn, per run.
    pub lines: &'static [PanelLine],
    /// An uncertainty band around the first line: its half-width per point.
    pub band: Option<fn(&Series) -> &[Point]>,
    /// Whether the log y-axis option applies.
    pub log_allowed: bool,
}

/// The panels, in display order.
pub const PANELS: [Panel; 8] = [
    Panel {
        title: "Loss (solid: train, dashed: validation)",
        help: "Cross-entropy per token (nats; for images, per image). Train is each step's batch, noisy; validation is fixed held-out batches. In compare mode, the run that reaches a given loss in fewer steps is faster; compare at the same loss, not only at the end.",
        id: "loss",
        lines: &[
            ("train", |s| &s.loss, false),
            ("val", |s| &s.val_loss, true),
        ],
        band: None,
        log_allowed: true,
    },
    Panel {
        title: "Accuracy % (solid: train batch, dashed: held out)",
        help: "Share of predictions that were right: for a ResNet, images classified correctly; for a task, answers. Train is each step's batch (noisy); held out is the test images or the task's validation examples, at each evaluation. Grokking shows as train accuracy reaching 100% long before held-out accuracy follows. With BatchNorm, early evaluations can lag the training loss (running statistics trail fast-moving weights).",
        id: "accuracy",
        lines: &[
            ("train acc", |s| &s.train_acc, false),
            ("val acc", |s| &s.val_acc, true),
        ],
        band: None,
        log_allowed: false,
    },
    Panel {
        title: "Sharpness: λ_max ± bound (solid), Hessian trace (dashed)",
        help: "λ_max is the largest eigenvalue of the loss Hessian on a fixed probe batch (power iteration); the shaded band is the iteration's residual |Hv − λv|: an eigenvalue of the Hessian lies within it, so a wide band means the estimate has not settled. The trace sums all eigenvalues (Hutchinson estimate). Smaller means a flatter region. IRE aims to lower both; a run whose λ_max sits near 2/lr is at the edge of stability.",
        id: "sharpness",
        lines: &[
            ("λmax", |s| &s.lambda_max, false),
            ("trace", |s| &s.trace, true),
        ],
        band: Some(|s| &s.lambda_residual),
        log_allowed: true,
    },
    Panel {
        title: "Weight norm |θ|",
        help: "The L2 norm of all the weights, at each probe. Weight decay pulls it down while the loss pushes it where the data needs. Grokking is often explained by a falling norm; in this playground's grokking experiment (docs/RESULTS.md) that holds for Muon, whose norm peaks early and falls as held-out accuracy rises, but under AdamW the norm grows through the whole run. Curvature depends on scale: compare λ_max between runs at similar norms.",
        id: "weight_norm",
        lines: &[("|θ|", |s| &s.weight_norm, false)],
        band: None,
        log_allowed: false,
    },
    Panel {
        title: "Fisher trace",
        help: "Sum of IRE's diagonal Fisher estimate (gradients under labels sampled from the model itself): the total curvature the mask is chosen from. It falls as the model becomes confident.",
        id: "fisher",
        lines: &[("Fisher tr", |s| &s.fisher_trace, false)],
        band: None,
        log_allowed: true,
    },
    Panel {
        title: "Flat directions: coordinates with Fisher < 0.001 × mean",
        help: "How many coordinates have a diagonal Fisher value below 1e-3 of the mean: a scale-free count of nearly flat directions that compares runs with and without IRE. (IRE's own mask always holds the γ fraction of coordinates with the smallest Fisher values, so its size does not change; the IRE panel on the left gives it.)",
        id: "flat",
        lines: &[("below ε", |s| &s.below_eps, false)],
        band: None,
        log_allowed: false,
    },
    Panel {
        title: "Learning rate",
        help: "The learning rate of each step: linear warm-up, then the schedule (cosine by default). With prog-decay, IRE's κ shrinks with it.",
        id: "lr",
        lines: &[("lr", |s| &s.lr, false)],
        band: None,
        log_allowed: false,
    },
    Panel {
        title: "Throughput: steps/s (solid), k tokens/s or images/s (dashed)",
        help: "Training throughput as results arrive from the GPU: thousands of tokens per second for a transformer, images per second for a ResNet. Compare mode and probes share the adapter, so each run's rate is lower than alone.",
        id: "speed",
        lines: &[
            ("steps/s", |s| &s.steps_per_s, false),
            ("per s", |s| &s.tokens_per_s, true),
        ],
        band: None,
        log_allowed: false,
    },
];
