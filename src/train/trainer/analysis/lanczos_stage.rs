//! The Lanczos stage of an analysis: its runs submitted a step at a time, their Ritz values
//! read back, then the spectrum, or the Hessian directions a slice's grid is laid along.

use super::{AnalysisJob, GridStage, Progress, Stage};
use crate::analysis::lanczos::{Lanczos, Ritz};
use crate::analysis::landscape::SliceBuffers;
use crate::analysis::{
    AnalysisRequest, AnalysisResult, LandscapeConfig, SpectrumConfig, SpectrumResult,
};
use crate::error::{Error, Result};
use crate::gpu::{Plan, Snapshot};
use crate::train::Trainer;

pub(super) struct LanczosStage {
    pub(super) lanczos: Lanczos,
    runs: usize,
    /// (run, next step) to submit; `None` once every run is submitted.
    next: Option<(usize, usize)>,
    reading: Vec<Snapshot>,
    found: Vec<Ritz>,
}

pub(super) enum LanczosProgress {
    Running(Progress),
    Done,
}

impl Trainer {
    pub(super) fn lanczos_stage(&self, steps: usize, runs: usize) -> Result<Stage> {
        let lanczos = Lanczos::new(&self.ctx, self.task.network(), steps)?;
        Ok(Stage::Lanczos(LanczosStage {
            lanczos,
            runs,
            next: Some((0, 0)),
            reading: Vec::new(),
            found: Vec::new(),
        }))
    }

    pub(super) fn advance_lanczos(
        &mut self,
        job: &mut AnalysisJob,
        stage: &mut LanczosStage,
        room: bool,
    ) -> Result<LanczosProgress> {
        // Read what has arrived, in order.
        while let Some(snapshot) = stage.reading.first() {
            let Some(values) = snapshot.try_take(&self.ctx) else {
                break;
            };
            stage.reading.remove(0);
            stage.found.push(stage.lanczos.ritz(&values?[0])?);
        }
        if stage.found.len() == stage.runs {
            return Ok(LanczosProgress::Done);
        }
        let Some((run, j)) = stage.next.filter(|_| room) else {
            return Ok(LanczosProgress::Running(Progress::Waiting));
        };
        if j == 0 {
            // The probes' batch: the spectrum the probes' lambda_max and trace describe.
            self.task.upload(&self.ctx, &self.probe_batch)?;
        }
        let (ctx, network) = (&self.ctx, self.task.network());
        let lanczos = &stage.lanczos;
        let eps = match job.request {
            AnalysisRequest::Spectrum(SpectrumConfig { eps, .. })
            | AnalysisRequest::Landscape(LandscapeConfig { eps, .. }) => eps,
        };
        let mut plans = Vec::new();
        if j == 0 {
            // The probes' Rademacher stream: run r starts from Hutchinson's sample r.
            let seed = (self.config.seed as u32, run as u32);
            plans.push(lanczos.start_plan(ctx, network, seed));
        }
        plans.push(lanczos.step_plan(ctx, network, j, eps));
        let last = j + 1 == lanczos.steps();
        if last {
            plans.push(lanczos.finish_plan(ctx, network));
        }
        let refs: Vec<&Plan> = plans.iter().collect();
        self.submit(job, &refs);
        if last {
            let snapshot = Snapshot::take(&self.ctx, &[lanczos.coefficients()]);
            stage.reading.push(snapshot);
        }
        stage.next = if !last {
            Some((run, j + 1))
        } else if run + 1 < stage.runs {
            Some((run + 1, 0))
        } else {
            None
        };
        Ok(LanczosProgress::Running(Progress::Moved))
    }

    pub(super) fn after_lanczos(
        &mut self,
        job: &mut AnalysisJob,
        stage: LanczosStage,
    ) -> Result<Progress> {
        let count = stage.lanczos.count();
        match job.request {
            AnalysisRequest::Spectrum(config) => Ok(Progress::Finished(AnalysisResult::Spectrum(
                SpectrumResult::from_runs(job.step, config, count, &stage.found),
            ))),
            AnalysisRequest::Landscape(config) => {
                let ritz = &stage.found[0];
                let wanted = config.rows().min(2);
                if ritz.values.len() < wanted {
                    return Err(Error::Analysis(
                        "Lanczos found fewer eigenvectors than the slice needs".into(),
                    ));
                }
                let network = self.task.network();
                let slice = SliceBuffers::new(&self.ctx, network, &config);
                let mut prelude = stage
                    .lanczos
                    .combine(&self.ctx, &ritz.vectors[0], &slice.d1);
                if wanted == 2 {
                    prelude.extend(
                        &stage
                            .lanczos
                            .combine(&self.ctx, &ritz.vectors[1], &slice.d2),
                    );
                }
                job.stage = Stage::Grid(GridStage {
                    slice,
                    next: 0,
                    prelude: Some(prelude),
                    reading: None,
                    eigenvalues: ritz.values[..wanted].to_vec(),
                });
                Ok(Progress::Moved)
            }
        }
    }
}
