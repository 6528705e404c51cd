//! Analyses between steps (loss slices, the Hessian's spectrum): a job the trainer advances a
//! submission at a time, without blocking, while no training step is submitted. Each job saves
//! the weights first and restores them exactly at its end, so training continues as if nothing
//! had happened (the data order and optimizer state are not touched).

mod lanczos_stage;

use super::Trainer;
use crate::analysis::landscape::{filter_normalized, SliceBuffers};
use crate::analysis::{
    AnalysisRequest, AnalysisResult, DirectionKind, LandscapeConfig, LandscapeResult, SliceData,
};
use crate::error::{Error, Result};
use crate::gpu::{Plan, Snapshot};
use lanczos_stage::{LanczosProgress, LanczosStage};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// An analysis in progress.
pub(super) struct AnalysisJob {
    request: AnalysisRequest,
    step: usize,
    stage: Stage,
    /// Submissions made and finished (the latter counted by the queue's callbacks).
    submitted: usize,
    finished: Arc<AtomicUsize>,
    /// Submissions the whole job will make (for the progress bar).
    planned: usize,
}

enum Stage {
    /// Random directions: waiting for the weights to normalise against.
    Weights(Snapshot),
    /// Lanczos runs (the spectrum, or Hessian directions for a slice).
    Lanczos(LanczosStage),
    /// The slice's grid of forward passes.
    Grid(GridStage),
    /// Nothing left to submit or read; the result is being returned.
    Done,
}

struct GridStage {
    slice: SliceBuffers,
    /// Next (batch, row) unit to submit.
    next: usize,
    /// Plans to record before the first row (Ritz vectors into the directions).
    prelude: Option<Plan>,
    reading: Option<Snapshot>,
    eigenvalues: Vec<f64>,
}

impl Trainer {
    /// Starts an analysis at the current weights. Training steps are refused until it has
    /// finished ([`Trainer::advance_analysis`] returns its result) or been cancelled. Steps
    /// already in flight complete first: the queue keeps submission order.
    pub fn start_analysis(&mut self, request: AnalysisRequest) -> Result<()> {
        if self.analysis.is_some() {
            return Err(Error::NotReady("an analysis is already running".into()));
        }
        if self.diverged_at.is_some() {
            return Err(Error::Analysis(
                "the run diverged: its weights hold no finite loss to analyse".into(),
            ));
        }
        let network = self.task.network();
        let (stage, planned) = match request {
            AnalysisRequest::Spectrum(config) => {
                config.validate()?;
                let stage = self.lanczos_stage(config.lanczos_steps, config.vectors)?;
                (stage, config.vectors * config.lanczos_steps)
            }
            AnalysisRequest::Landscape(config) => {
                config.validate()?;
                if config.data == SliceData::Validation {
                    let available = self.task.eval_batches_available();
                    if config.batches > available {
                        return Err(Error::InvalidConfig(format!(
                            "{} validation batches requested, the held-out split holds {available}",
                            config.batches
                        )));
                    }
                }
                let grid_units = grid_units(&config) + 1;
                match config.directions {
                    DirectionKind::Random => (
                        Stage::Weights(Snapshot::take(&self.ctx, &[&network.params().params])),
                        grid_units + 1,
                    ),
                    DirectionKind::Hessian => (
                        self.lanczos_stage(config.lanczos_steps, 1)?,
                        config.lanczos_steps + grid_units,
                    ),
                }
            }
        };
        self.analysis = Some(AnalysisJob {
            request,
            step: self.next_step,
            stage,
            submitted: 0,
            finished: Arc::new(AtomicUsize::new(0)),
            planned,
        });
        Ok(())
    }

    /// Whether an analysis is running (training steps wait).
    pub fn analysis_running(&self) -> bool {
        self.analysis.is_some()
    }

    /// The running analysis' progress in [0, 1].
    pub fn analysis_progress(&self) -> Option<f32> {
        self.analysis.as_ref().map(|job| {
            let done = job.finished.load(Ordering::Relaxed);
            (done as f32 / job.planned.max(1) as f32).min(1.0)
        })
    }

    /// Advances the running analysis without blocking: reads what has arrived and submits more
    /// work while fewer than `max_in_flight` of its submissions are unfinished (1 keeps the
    /// queue free for the UI's frames; native callers that wait may pass more). Returns its
    /// result once finished; the weights are then back where they were.
    pub fn advance_analysis(&mut self, max_in_flight: usize) -> Option<Result<AnalysisResult>> {
        let mut job = self.analysis.take()?;
        let outcome = loop {
            match self.advance_job(&mut job, max_in_flight.max(1)) {
                Ok(Progress::Waiting) => break None,
                Ok(Progress::Moved) => continue,
                Ok(Progress::Finished(result)) => break Some(Ok(result)),
                Err(e) => {
                    // The weights may be anywhere on a grid or at theta - eps v: put them back.
                    self.restore_after_failure(&job);
                    break Some(Err(e));
                }
            }
        };
        if outcome.is_none() {
            self.analysis = Some(job);
        }
        outcome
    }

    /// Stops the running analysis and restores the weights (its submitted work still runs).
    pub fn cancel_analysis(&mut self) {
        if let Some(job) = self.analysis.take() {
            self.restore_after_failure(&job);
        }
    }

    /// Waits for the running analysis (native callers: the CLI).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn finish_analysis(&mut self) -> Result<AnalysisResult> {
        loop {
            if let Some(outcome) = self.advance_analysis(64) {
                return outcome;
            }
            self.ctx.wait_idle();
        }
    }

    fn restore_after_failure(&self, job: &AnalysisJob) {
        let network = self.task.network();
        let plan = match &job.stage {
            Stage::Lanczos(s) => s.lanczos.finish_plan(&self.ctx, network),
            Stage::Grid(g) => g.slice.finish_plan(&self.ctx, network),
            Stage::Weights(_) | Stage::Done => return,
        };
        plan.submit(&self.ctx);
    }

    fn submit(&self, job: &mut AnalysisJob, plans: &[&Plan]) {
        super::submit::submit_plans(&self.ctx, plans, None);
        let finished = job.finished.clone();
        self.ctx.on_work_done(move || {
            finished.fetch_add(1, Ordering::Relaxed);
        });
        job.submitted += 1;
    }

    fn advance_job(&mut self, job: &mut AnalysisJob, max_in_flight: usize) -> Result<Progress> {
        self.ctx.check_healthy()?;
        // Lets the queue's completion callbacks run.
        self.ctx.poll_nonblocking();
        let room = job.submitted < job.finished.load(Ordering::Relaxed) + max_in_flight;
        let ctx = self.ctx.clone();
        let network = self.task.network();
        match std::mem::replace(&mut job.stage, Stage::Done) {
            Stage::Weights(snapshot) => {
                let AnalysisRequest::Landscape(config) = job.request else {
                    unreachable!("only slices read the weights first")
                };
                let Some(weights) = snapshot.try_take(&ctx) else {
                    job.stage = Stage::Weights(snapshot);
                    return Ok(Progress::Waiting);
                };
                let weights = weights?.remove(0);
                if weights.iter().any(|w| !w.is_finite()) {
                    return Err(Error::Analysis("the weights are not finite".into()));
                }
                let slice = SliceBuffers::new(&ctx, network, &config);
                let params = network.params();
                let seed = config.seed;
                let extra = config.include_bias_norm;
                slice
                    .d1
                    .write(&ctx, &filter_normalized(params, &weights, seed, 0, extra));
                slice
                    .d2
                    .write(&ctx, &filter_normalized(params, &weights, seed, 1, extra));
                job.finished.fetch_add(1, Ordering::Relaxed);
                job.submitted += 1;
                job.stage = Stage::Grid(GridStage {
                    slice,
                    next: 0,
                    prelude: None,
                    reading: None,
                    eigenvalues: Vec::new(),
                });
                Ok(Progress::Moved)
            }
            Stage::Lanczos(mut stage) => match self.advance_lanczos(job, &mut stage, room) {
                Ok(LanczosProgress::Running(p)) => {
                    job.stage = Stage::Lanczos(stage);
                    Ok(p)
                }
                Ok(LanczosProgress::Done) => self.after_lanczos(job, stage),
                Err(e) => {
                    // Back in place for the failure path, which restores the weights from it.
                    job.stage = Stage::Lanczos(stage);
                    Err(e)
                }
            },
            Stage::Grid(mut grid) => {
                let AnalysisRequest::Landscape(config) = job.request else {
                    unreachable!("only slices have a grid")
                };
                if let Some(snapshot) = &grid.reading {
                    let Some(losses) = snapshot.try_take(&ctx) else {
                        job.stage = Stage::Grid(grid);
                        return Ok(Progress::Waiting);
                    };
                    let loss = losses?.remove(0);
                    return Ok(Progress::Finished(AnalysisResult::Landscape(
                        LandscapeResult {
                            step: job.step,
                            axis: config.axis(),
                            loss,
                            eigenvalues: grid.eigenvalues,
                            config,
                        },
                    )));
                }
                if !room {
                    job.stage = Stage::Grid(grid);
                    return Ok(Progress::Waiting);
                }
                // The stage goes back before any error is passed on, so that the failure path
                // finds the slice's weight copy and restores the weights.
                let submitted = self.submit_grid_unit(job, &mut grid, &config);
                job.stage = Stage::Grid(grid);
                submitted.map(|()| Progress::Moved)
            }
            Stage::Done => unreachable!("a finished job is not advanced"),
        }
    }

    fn submit_grid_unit(
        &mut self,
        job: &mut AnalysisJob,
        grid: &mut GridStage,
        config: &LandscapeConfig,
    ) -> Result<()> {
        let network = self.task.network();
        let rows = config.rows();
        let units = grid_units(config);
        let unit = grid.next;
        if unit == 0 {
            let start = grid.slice.start_plan(&self.ctx, network);
            let prelude = grid.prelude.take().unwrap_or_default();
            self.submit(job, &[&prelude, &start]);
            grid.next += 1;
            return Ok(());
        }
        let (batch, row) = ((unit - 1) / rows, (unit - 1) % rows);
        if row == 0 {
            let host = match config.data {
                SliceData::Probe => self.probe_batch.clone(),
                SliceData::Validation => self.task.eval_batch(batch)?,
            };
            self.task.upload(&self.ctx, &host)?;
        }
        let network = self.task.network();
        if unit == units {
            let finish = grid.slice.finish_plan(&self.ctx, network);
            self.submit(job, &[grid.slice.row_plan(row), &finish]);
            grid.reading = Some(Snapshot::take(&self.ctx, &[&grid.slice.losses]));
        } else {
            self.submit(job, &[grid.slice.row_plan(row)]);
        }
        grid.next += 1;
        Ok(())
    }
}

/// Submissions of a slice's grid after its first: one per (batch, row).
fn grid_units(config: &LandscapeConfig) -> usize {
    let batches = match config.data {
        SliceData::Probe => 1,
        SliceData::Validation => config.batches,
    };
    batches * config.rows()
}

enum Progress {
    /// Nothing more can happen until the GPU catches up.
    Waiting,
    /// Something was submitted or read; try again.
    Moved,
    /// The result.
    Finished(AnalysisResult),
}
