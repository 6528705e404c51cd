//! Training: configuration, the non-blocking [`Trainer`] state machine, and its metric records.

mod config;
mod metrics;
mod trainer;

pub use config::TrainConfig;
pub use metrics::{EvalRecord, EventRecord, ProbeRecord, Record, StepRecord};
pub use trainer::Trainer;
