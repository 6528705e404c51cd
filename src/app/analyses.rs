//! Loss-landscape slices and Hessian spectra in the app: what the user asked for (kept in the
//! settings, so a shared link carries it), each run's queue of requests and latest results, and
//! their summary in the status JSON. A run's analysis pauses its training (the trainer refuses
//! steps meanwhile) and is advanced a submission per frame, so the window stays responsive.
//! In compare mode both runs get the same request: the same random directions (seed) and span,
//! so their slices are comparable, drawn on one colour scale.

use crate::analysis::{
    AnalysisRequest, AnalysisResult, DirectionKind, LandscapeConfig, LandscapeResult, SliceKind,
    SpectrumConfig, SpectrumResult,
};
use crate::train::Trainer;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The analyses' settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisOptions {
    /// The slice: line or plane, directions, grid, span, seed.
    pub slice: LandscapeConfig,
    /// The spectrum: Lanczos steps, start vectors, top-k.
    pub spectrum: SpectrumConfig,
    /// Recompute both every this many steps (0: only on request).
    pub every: usize,
}

impl Default for AnalysisOptions {
    /// A 2-D slice along random directions (11 x 11, span 1) and a 20-step spectrum from two
    /// vectors: a few seconds each for `tiny` on a CPU adapter.
    fn default() -> Self {
        Self {
            slice: LandscapeConfig {
                kind: SliceKind::Plane,
                grid: 11,
                ..LandscapeConfig::default()
            },
            spectrum: SpectrumConfig::default(),
            every: 0,
        }
    }
}

impl AnalysisOptions {
    /// The first problem with these settings, if any.
    pub fn problem(&self) -> Option<String> {
        self.slice
            .validate()
            .and(self.spectrum.validate())
            .err()
            .map(|e| e.to_string())
    }
}

/// One run's analyses: queued requests, the latest results, the last failure.
#[derive(Default)]
pub struct RunAnalyses {
    /// The latest slice.
    pub landscape: Option<LandscapeResult>,
    /// The latest spectrum.
    pub spectrum: Option<SpectrumResult>,
    /// Why the last analysis failed, if it did.
    pub error: Option<String>,
    /// The step of the last automatic refresh ("refresh every N steps").
    pub auto_step: usize,
    queue: VecDeque<AnalysisRequest>,
}

impl RunAnalyses {
    /// Queues `request`, replacing a queued one of the same kind.
    pub fn request(&mut self, request: AnalysisRequest) {
        let same =
            |r: &AnalysisRequest| std::mem::discriminant(r) == std::mem::discriminant(&request);
        self.queue.retain(|r| !same(r));
        self.queue.push_back(request);
    }

    /// Whether anything is queued or running on `trainer`.
    pub fn busy(&self, trainer: &Trainer) -> bool {
        !self.queue.is_empty() || trainer.analysis_running()
    }

    /// Advances the running analysis by at most one submission; once it has finished, starts
    /// the next queued one at once (so that the queued analyses see the same step).
    pub fn advance(&mut self, trainer: &mut Trainer) {
        if trainer.analysis_running() {
            match trainer.advance_analysis(1) {
                Some(Ok(AnalysisResult::Landscape(r))) => self.landscape = Some(r),
                Some(Ok(AnalysisResult::Spectrum(r))) => self.spectrum = Some(r),
                Some(Err(e)) => self.error = Some(e.to_string()),
                None => return,
            }
        }
        if let Some(request) = self.queue.pop_front() {
            match trainer.start_analysis(request) {
                Ok(()) => self.error = None,
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    /// The summary the status JSON carries.
    pub fn status(&self, trainer: &Trainer) -> AnalysisStatus {
        AnalysisStatus {
            running: trainer.analysis_running(),
            progress: trainer.analysis_progress(),
            queued: self.queue.len(),
            landscape: self.landscape.as_ref().map(|l| {
                let (min_loss, max_loss) = l.loss_range();
                SliceSummary {
                    step: l.step,
                    kind: l.config.kind,
                    directions: l.config.directions,
                    grid: l.config.grid,
                    points: l.loss.len(),
                    center_loss: l.center(),
                    min_loss,
                    max_loss,
                    eigenvalues: l.eigenvalues.clone(),
                }
            }),
            spectrum: self.spectrum.as_ref().map(|s| SpectrumSummary {
                step: s.step,
                top: s.top.clone(),
                trace: s.trace,
                density_points: s.density.density.len(),
            }),
            error: self.error.clone(),
        }
    }
}

/// A run's analyses in the status JSON.
#[derive(Clone, Debug, Serialize)]
pub struct AnalysisStatus {
    /// An analysis is computing (training waits).
    pub running: bool,
    /// Its progress in [0, 1].
    pub progress: Option<f32>,
    /// Requests waiting.
    pub queued: usize,
    /// The latest slice.
    pub landscape: Option<SliceSummary>,
    /// The latest spectrum.
    pub spectrum: Option<SpectrumSummary>,
    /// The last failure.
    pub error: Option<String>,
}

/// A slice in the status JSON.
#[derive(Clone, Debug, Serialize)]
pub struct SliceSummary {
    /// Step it was taken at.
    pub step: usize,
    /// Line or plane.
    pub kind: SliceKind,
    /// Random or Hessian directions.
    pub directions: DirectionKind,
    /// Points per axis.
    pub grid: usize,
    /// Points computed.
    pub points: usize,
    /// Loss at the current weights.
    pub center_loss: f32,
    /// Lowest loss on the grid.
    pub min_loss: f32,
    /// Highest loss on the grid.
    pub max_loss: f32,
    /// Hessian directions' eigenvalues.
    pub eigenvalues: Vec<f64>,
}

/// A spectrum in the status JSON.
#[derive(Clone, Debug, Serialize)]
pub struct SpectrumSummary {
    /// Step it was taken at.
    pub step: usize,
    /// Top eigenvalues.
    pub top: Vec<f64>,
    /// Trace estimate (the density's first moment times the size).
    pub trace: f64,
    /// Points of the density curve.
    pub density_points: usize,
}
