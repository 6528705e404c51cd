//! "Export to PyTorch" in the app: each run's full state becomes a ZIP holding the Python project
//! `ire-playground export` writes (train.py, the checkpoint, the data), downloaded on the web and
//! written to the working folder on the desktop. Training pauses; once every result in flight
//! has arrived, the state is read back without blocking (a few frames), then zipped, and
//! training goes on if it was running.

use super::{platform, Mode, PlaygroundApp};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::export::{self, ExportData};
use crate::train::PendingCheckpoint;

/// An export in progress.
pub struct ExportJob {
    stage: Stage,
    /// The runs were training when the export began: they go on once it is written.
    resume: bool,
}

enum Stage {
    /// Waiting for the runs' results in flight.
    Draining,
    /// Reading the runs' state back, one entry per run.
    Reading(Vec<RunExport>),
}

/// One run's export: its label, its checkpoint while on the way, then the checkpoint read back
/// (or why it could not be).
pub struct RunExport {
    label: String,
    pending: Option<PendingCheckpoint>,
    outcome: Option<Result<Checkpoint, String>>,
}

impl PlaygroundApp {
    /// Starts exporting every current run (the button and the E key).
    pub(super) fn start_export(&mut self) {
        if self.export_job.is_some() {
            // One at a time: a second would forget that the first paused running runs.
            return;
        }
        if self.session.is_none() {
            self.notices
                .push(true, "no run to export: press Reset first");
            return;
        }
        let resume = self
            .session
            .as_ref()
            .is_some_and(|s| s.mode == Mode::Running);
        self.set_mode(Mode::Paused);
        self.export_job = Some(ExportJob {
            stage: Stage::Draining,
            resume,
        });
        self.notices.push(false, "exporting to PyTorch…");
    }

    /// Advances an export each frame; never blocks.
    pub(super) fn advance_export(&mut self) {
        let (Some(job), Some(session), Some(ctx)) =
            (self.export_job.take(), &self.session, &self.ctx)
        else {
            return;
        };
        let resume = job.resume;
        let stage = match job.stage {
            Stage::Draining
                if session
                    .runs
                    .iter()
                    .any(|r| r.trainer.in_flight() > 0 || r.trainer.analysis_running()) =>
            {
                Stage::Draining
            }
            Stage::Draining => Stage::Reading(
                session
                    .runs
                    .iter()
                    .map(|r| {
                        // A diverged run has no consistent state: its weights only.
                        let full = r.trainer.diverged_at().is_none();
                        let (pending, outcome) = match r.trainer.begin_checkpoint(full) {
                            Ok(p) => (Some(p), None),
                            Err(e) => (None, Some(Err(e.to_string()))),
                        };
                        RunExport {
                            label: r.label.clone(),
                            pending,
                            outcome,
                        }
                    })
                    .collect(),
            ),
            Stage::Reading(mut runs) => {
                for run in &mut runs {
                    let Some(checkpoint) = run.pending.as_mut().and_then(|p| p.poll(ctx)) else {
                        continue;
                    };
                    run.pending = None;
                    run.outcome = Some(checkpoint.map_err(|e| e.to_string()));
                }
                if runs.iter().any(|r| r.pending.is_some()) {
                    Stage::Reading(runs)
                } else {
                    let outcome = self.save_project(runs);
                    self.report_saves(vec![outcome]);
                    if resume {
                        self.set_mode(Mode::Running);
                    }
                    return;
                }
            }
        };
        self.export_job = Some(ExportJob { stage, resume });
    }

    /// One ZIP for all the runs: the first run's project (code, data, README, its checkpoint),
    /// and in compare mode each other run's checkpoint beside it, so the data travels once.
    /// A run whose state could not be read fails the export, naming the run.
    fn save_project(&self, runs: Vec<RunExport>) -> Result<String, String> {
        let mut checkpoints = Vec::new();
        for run in runs {
            match run.outcome {
                Some(Ok(c)) => checkpoints.push((run.label, c)),
                Some(Err(e)) => return Err(format!("{}: {e}", run.label)),
                None => return Err(format!("{}: its state was not read back", run.label)),
            }
        }
        let [(first_label, first), others @ ..] = &checkpoints[..] else {
            return Err("no run to export".into());
        };
        let data = self.data.as_ref().ok_or("no data set loaded")?;
        let source = match &first.model {
            ModelSpec::Transformer { .. } => ExportData::Corpus(&data.corpus_file),
            ModelSpec::ResNet(_) => {
                let files = data
                    .image_files
                    .as_ref()
                    .ok_or("the image set has not arrived")?;
                ExportData::Images([&files[0], &files[1], &files[2], &files[3]])
            }
        };
        let others: Vec<(String, &Checkpoint)> = others
            .iter()
            .map(|(label, c)| (super::toolbar::file_stem(label), c))
            .collect();
        let files: Vec<(String, Vec<u8>)> = export::project_with_twins(first, &others, source)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| (format!("ire-playground-export/{}", f.path), f.bytes))
            .collect();
        let zip =
            export::zip(&files).map_err(|_| "the project is too large for a ZIP".to_string())?;
        let mut name = super::toolbar::file_stem(first_label);
        for (stem, _) in &others {
            name = format!("{name}-vs-{stem}");
        }
        let file = format!("ire-playground-{name}-step{}-pytorch.zip", first.step);
        platform::save_bytes(&file, "application/zip", &zip)
    }
}
