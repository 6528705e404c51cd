//! Records a run produces; each serialises to one JSON line of the `--log` file.

use serde::{Deserialize, Serialize};

/// One optimizer step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Steps completed including this one (1-based).
    pub step: usize,
    /// Mean training loss of the step's batch (before the update).
    pub loss: f32,
    /// Learning rate used.
    pub lr: f32,
    /// Wall-clock milliseconds the step took on the GPU, as seen from the host.
    pub ms: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// IRE amplification applied in this step (0 when IRE is off).
    pub ire_kappa: f32,
    /// Share of the batch's scored predictions that were right, before the update (models
    /// measuring accuracy: image classifiers, puzzles; for SAM, at its perturbed point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc: Option<f32>,
}

/// Something that happened at a step (IRE switched on or off).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Steps completed when it happened.
    pub step: usize,
    /// `ire_on` or `ire_off`.
    pub event: String,
}

/// Loss-landscape probes at a step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// Steps completed when probed.
    pub step: usize,
    /// Top Hessian eigenvalue of the training loss on the probe batch (power iteration).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lambda_max: Option<f32>,
    /// The power iteration's residual `|Hv - lambda_max v|`: an eigenvalue of the Hessian lies
    /// within this distance of `lambda_max` (see [`crate::probe::power_residual`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lambda_residual: Option<f32>,
    /// Hutchinson estimate of the Hessian trace on the probe batch.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<f32>,
    /// L2 norm of all the weights (grokking follows its fall under weight decay).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weight_norm: Option<f32>,
    /// Sum of the diagonal Fisher estimate (per-token scale).
    pub fisher_trace: f32,
    /// Coordinates in the IRE mask (the gamma-fraction with the smallest Fisher value, plus ties);
    /// computed with IRE off too, for comparison.
    pub flat_count: u64,
    /// Fraction of each tensor's coordinates in the mask, in model order (embeddings first,
    /// the head last), as the heatmap lists them.
    pub flat_fraction_by_tensor: indexmap::IndexMap<String, f32>,
    /// Coordinates whose Fisher value is below `eps_rel` times the mean Fisher value.
    pub below_eps_count: u64,
    /// Whether IRE was acting at this step.
    pub ire_active: bool,
}

/// One evaluation on the fixed validation batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// Steps completed when evaluated.
    pub step: usize,
    /// Mean validation loss (nats per character, or per image).
    pub val_loss: f32,
    /// Fraction of held-out images, or puzzle answers, predicted correctly (models measuring
    /// accuracy only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<f32>,
}

/// Anything recorded in a run's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Record {
    /// A training step.
    Step(StepRecord),
    /// An evaluation.
    Eval(EvalRecord),
    /// Probes.
    Probe(ProbeRecord),
    /// An event.
    Event(EventRecord),
}

impl Record {
    /// The step it belongs to.
    pub fn step(&self) -> usize {
        match self {
            Self::Step(r) => r.step,
            Self::Eval(r) => r.step,
            Self::Probe(r) => r.step,
            Self::Event(r) => r.step,
        }
    }
}
