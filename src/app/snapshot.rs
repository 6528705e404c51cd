//! Every run's state read back from the GPU without blocking (what "Export to PyTorch" and the
//! kept sessions save): once no run has a result in flight, each run's checkpoint is requested
//! (its full training state; a run that diverged or failed has only consistent weights), and
//! the values arrive over the next frames.

use super::LiveRun;
use crate::checkpoint::Checkpoint;
use crate::gpu::GpuContext;
use crate::train::PendingCheckpoint;

/// One run's checkpoint on its way, then read back (or why it could not be).
pub struct RunRead {
    /// The run's legend label.
    pub label: String,
    pending: Option<PendingCheckpoint>,
    /// Its log (JSON lines) as of the snapshot.
    pub log: String,
    /// The checkpoint, once read back.
    pub outcome: Option<Result<Checkpoint, String>>,
}

impl RunRead {
    /// The run's label and its read-back checkpoint carrying its log (a run file, or a model
    /// card's losses); an error naming the run if its state could not be read.
    pub fn with_log(self) -> Result<(String, Checkpoint), String> {
        let mut checkpoint = match self.outcome {
            Some(Ok(c)) => c,
            Some(Err(e)) => return Err(format!("{}: {e}", self.label)),
            None => return Err(format!("{}: its state was not read back", self.label)),
        };
        checkpoint.log = Some(self.log);
        Ok((self.label, checkpoint))
    }
}

/// Whether every healthy run is between steps (no result in flight, no analysis holding the
/// weights), so that a full snapshot can begin. A run that failed is left out: nothing polls
/// its results any more, and only its weights are read.
pub fn settled(runs: &[LiveRun]) -> bool {
    runs.iter()
        .filter(|r| r.error.is_none())
        .all(|r| r.trainer.in_flight() == 0 && !r.trainer.analysis_running())
}

/// The runs' checkpoints on their way back.
pub struct RunsSnapshot {
    /// One entry per run, in the session's order.
    pub runs: Vec<RunRead>,
}

impl RunsSnapshot {
    /// Requests every run's checkpoint and takes its log (call once [`settled`] holds). The
    /// copies are queued before any later step, so training may go on at once.
    pub fn begin(runs: &[LiveRun]) -> Self {
        let runs = runs
            .iter()
            .map(|r| {
                // A diverged or failed run has no consistent state: its weights only.
                let full = r.trainer.diverged_at().is_none() && r.error.is_none();
                let (pending, outcome) = match r.trainer.begin_checkpoint(full) {
                    Ok(p) => (Some(p), None),
                    Err(e) => (None, Some(Err(e.to_string()))),
                };
                RunRead {
                    label: r.label.clone(),
                    pending,
                    log: crate::train::to_jsonl(&r.trainer.history),
                    outcome,
                }
            })
            .collect();
        Self { runs }
    }

    /// Takes whatever has arrived; true once every run's outcome is in.
    pub fn poll(&mut self, ctx: &GpuContext) -> bool {
        for run in &mut self.runs {
            let Some(checkpoint) = run.pending.as_mut().and_then(|p| p.poll(ctx)) else {
                continue;
            };
            run.pending = None;
            run.outcome = Some(checkpoint.map_err(|e| e.to_string()));
        }
        self.runs.iter().all(|r| r.pending.is_none())
    }

    /// Waits for every checkpoint (native: the window is closing).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(&mut self, ctx: &GpuContext) {
        for run in &mut self.runs {
            if let Some(pending) = run.pending.take() {
                run.outcome = Some(pending.wait(ctx).map_err(|e| e.to_string()));
            }
        }
    }
}
