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
}

/// One evaluation on the fixed validation batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// Steps completed when evaluated.
    pub step: usize,
    /// Mean validation loss (nats per character).
    pub val_loss: f32,
}

/// Anything recorded in a run's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Record {
    /// A training step.
    Step(StepRecord),
    /// An evaluation.
    Eval(EvalRecord),
}
