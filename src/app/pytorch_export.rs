//! "Export to PyTorch" in the app: each run's full state becomes a ZIP holding the Python project
//! `ire-playground export` writes (train.py, the checkpoint, the data), downloaded on the web and
//! written to the working folder on the desktop. Training pauses; once every result in flight
//! has arrived, the state is read back without blocking (a few frames), then zipped.

use super::{platform, Mode, PlaygroundApp};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::export::{self, ExportData};
use crate::train::PendingCheckpoint;

/// An export in progress.
pub enum ExportJob {
    /// Waiting for the runs' results in flight.
    Draining,
    /// Reading the runs' state back, one entry per run.
    Reading(Vec<RunExport>),
}

/// One run's export: its label, its checkpoint while on the way, then what became of it.
pub struct RunExport {
    label: String,
    pending: Option<PendingCheckpoint>,
    outcome: Option<Result<String, String>>,
}

impl PlaygroundApp {
    /// Starts exporting every current run (the button and the E key).
    pub(super) fn start_export(&mut self) {
        if self.session.is_none() {
            self.message = Some((true, "no run to export: press Reset first".into()));
            return;
        }
        self.set_mode(Mode::Paused);
        self.export_job = Some(ExportJob::Draining);
        self.message = Some((false, "exporting to PyTorch…".into()));
    }

    /// Advances an export each frame; never blocks.
    pub(super) fn advance_export(&mut self) {
        let (Some(job), Some(session), Some(ctx)) =
            (self.export_job.take(), &self.session, &self.ctx)
        else {
            return;
        };
        let job = match job {
            ExportJob::Draining
                if session
                    .runs
                    .iter()
                    .any(|r| r.trainer.in_flight() > 0 || r.trainer.analysis_running()) =>
            {
                ExportJob::Draining
            }
            ExportJob::Draining => ExportJob::Reading(
                session
                    .runs
                    .iter()
                    .map(|r| {
                        // A diverged run has no consistent state: its weights only.
                        let full = r.trainer.diverged_at().is_none();
                        let (pending, outcome) = match r.trainer.begin_checkpoint(full) {
                            Ok(p) => (Some(p), None),
                            Err(e) => (None, Some(Err(format!("{}: {e}", r.label)))),
                        };
                        RunExport {
                            label: r.label.clone(),
                            pending,
                            outcome,
                        }
                    })
                    .collect(),
            ),
            ExportJob::Reading(mut runs) => {
                for run in &mut runs {
                    let Some(checkpoint) = run.pending.as_mut().and_then(|p| p.poll(ctx)) else {
                        continue;
                    };
                    run.pending = None;
                    run.outcome = Some(
                        checkpoint
                            .map_err(|e| e.to_string())
                            .and_then(|c| self.save_project(&run.label, &c)),
                    );
                }
                if runs.iter().any(|r| r.pending.is_some()) {
                    ExportJob::Reading(runs)
                } else {
                    // All at once: in compare mode a failure must not hide behind a success.
                    self.report_saves(runs.into_iter().filter_map(|r| r.outcome).collect());
                    return;
                }
            }
        };
        self.export_job = Some(job);
    }

    fn save_project(&self, label: &str, checkpoint: &Checkpoint) -> Result<String, String> {
        let data = self.data.as_ref().ok_or("no data set loaded")?;
        let source = match &checkpoint.model {
            ModelSpec::Transformer { .. } => ExportData::Corpus(&data.corpus_file),
            ModelSpec::ResNet(_) => {
                let files = data
                    .image_files
                    .as_ref()
                    .ok_or("the image set has not arrived")?;
                ExportData::Images([&files[0], &files[1], &files[2], &files[3]])
            }
        };
        let files: Vec<(String, Vec<u8>)> = export::project(checkpoint, source)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| (format!("ire-playground-export/{}", f.path), f.bytes))
            .collect();
        let zip =
            export::zip(&files).map_err(|_| "the project is too large for a ZIP".to_string())?;
        let name = super::toolbar::file_stem(label);
        let file = format!("ire-playground-{name}-step{}-pytorch.zip", checkpoint.step);
        platform::save_bytes(&file, "application/zip", &zip)
    }
}
