//! The training state a full checkpoint carries besides the model: what continues a run
//! bit-identically (see `Trainer::resume`).

use serde::{Deserialize, Serialize};

/// Host-side counters and random-number states (the `train_state` metadata key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    /// The next step to run (0-based).
    pub next_step: usize,
    /// The IRE switch.
    pub ire_on: bool,
    /// Step of IRE's latest mask refresh, if one happened since it was switched on.
    pub last_ire_refresh: Option<usize>,
    /// State of the data-order (and augmentation) generator.
    pub data_rng: u64,
    /// Updates the optimizer applied (AdamW's bias correction).
    pub optimizer_steps: u64,
    /// IRE's refresh counters (training, probes): the positions of its label streams.
    pub ire_refreshes: (u32, u32),
    /// ResNets: whether training images are augmented.
    #[serde(default)]
    pub augment: bool,
}

/// Everything besides the model's tensors that a resumed run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Counters and generator states.
    pub host: HostState,
    /// State buffers by name (`optimizer.state1`, `ire.fisher`, ...), stored under
    /// [`super::STATE_PREFIX`]. Each holds one value per parameter, in the parameters'
    /// declaration order without padding (PyTorch's order), unless `padded` says otherwise.
    pub tensors: Vec<(String, Vec<f32>)>,
    /// Whether the tensors are in the writing adapter's padded flat layout (checkpoint-v2
    /// files; they resume only on an adapter with the same alignment).
    pub padded: bool,
}

impl TrainState {
    /// A state buffer by name.
    pub fn tensor(&self, name: &str) -> Option<&[f32]> {
        self.tensors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}
