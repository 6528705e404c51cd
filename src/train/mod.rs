//! Training: the run recipes per model family ([`recipe`]), the configuration
//! ([`TrainConfig`]) and what may change mid-run ([`LiveParams`]), the non-blocking [`Trainer`]
//! state machine, and its metric records.

#[cfg(not(target_arch = "wasm32"))]
pub mod concurrent;
mod config;
mod export;
mod live;
mod metrics;
pub mod recipe;
mod task;
mod trainer;

pub use crate::optim::LiveParams;
pub use config::TrainConfig;
pub use export::{to_csv, to_jsonl};
pub use metrics::{EvalRecord, EventRecord, ProbeRecord, Record, StepRecord};
pub use recipe::Family;
pub use task::{HostBatch, Task};
pub use trainer::{PendingCheckpoint, TaskData, Trainer};
