//! ire-playground: small transformers and ResNets trained by WGSL compute shaders on any WebGPU
//! adapter, with IRE (Implicit Regularization Enhancement). The engine never depends on the UI:
//! `app` and `web` exist only with the `gui` feature (on by default), and
//! `--no-default-features` builds the engine without egui, eframe or winit.
//! docs/ARCHITECTURE.md describes the layers and the path of one training step.

#![warn(missing_docs)]

#[cfg(feature = "gui")]
pub mod app;
pub mod error;
pub mod export;
pub mod gpu;
pub mod kernels;

pub use error::{Error, Result};
pub mod analysis;
pub mod checkpoint;
pub mod checksum;
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod huggingface;
pub mod models;
pub mod nn;
pub mod optim;
pub mod previews;
pub mod probe;
pub mod rng;
pub mod train;
#[cfg(all(target_arch = "wasm32", feature = "gui"))]
pub mod web;
