//! Training: configuration, the non-blocking [`Trainer`] state machine, and its metric records.

mod config;
mod export;
mod live;
mod metrics;
mod predictor;
pub mod recipe;
mod sampler;
mod task;
mod trainer;

pub use config::TrainConfig;
pub use export::{to_csv, to_jsonl};
pub use live::LiveParams;
pub use metrics::{EvalRecord, EventRecord, ProbeRecord, Record, StepRecord};
pub use predictor::ImagePredictor;
pub use recipe::Family;
pub use sampler::TextSampler;
pub use task::{HostBatch, Task};
pub use trainer::Trainer;

/// Index of the largest value (the first on ties, like `torch.argmax`; 0 when none is larger
/// than the first, e.g. all NaN).
pub(crate) fn argmax(values: &[f32]) -> usize {
    (1..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}
