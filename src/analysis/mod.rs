//! Analyses of the loss landscape around a run's current weights, computed on the GPU from the
//! same forward passes and Hessian-vector products as training and the probes: 1-D and 2-D
//! loss slices (`landscape`), and the Hessian's top eigenvalues and eigenvalue density by
//! Lanczos (`lanczos`, `spectrum`). The trainer runs them between steps
//! (`Trainer::start_analysis`), without blocking, so the app can show them live.

pub mod eigen;
pub mod lanczos;
pub mod landscape;
pub mod spectrum;

pub use landscape::{
    value_range, DirectionKind, LandscapeConfig, LandscapeResult, SliceData, SliceKind,
};
pub use spectrum::{SpectrumConfig, SpectrumResult};

use serde::{Deserialize, Serialize};

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisRequest {
    /// A loss slice.
    Landscape(LandscapeConfig),
    /// The Hessian's spectrum.
    Spectrum(SpectrumConfig),
}

/// What was computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisResult {
    /// A loss slice.
    Landscape(LandscapeResult),
    /// The Hessian's spectrum.
    Spectrum(SpectrumResult),
}
