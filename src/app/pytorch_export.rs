//! "Export to PyTorch" in the app: each run's full state becomes a ZIP holding the Python project
//! `ire-playground export` writes (train.py, the checkpoint, the data), downloaded on the web and
//! written to the working folder on the desktop; "Export to Hugging Face" likewise, a
//! `transformers` model folder per run. Training pauses; once every result in flight
//! has arrived, the state is read back without blocking (a few frames), then zipped, and
//! training goes on if it was running.

use super::snapshot::{self, RunRead, RunsSnapshot};
use super::{platform, Mode, PlaygroundApp};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::export::{self, ExportData};

/// An export in progress.
pub struct ExportJob {
    stage: Stage,
    /// The runs were training when the export began: they go on once it is written.
    resume: bool,
    /// What is written.
    target: Target,
}

/// What an export writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One ZIP with the PyTorch project (E).
    PyTorch,
    /// One ZIP with a Hugging Face model folder per run (F; transformers only).
    HuggingFace,
    /// One run file per run (checkpoint and log).
    RunFiles,
    /// A branch of run `.0` (nothing is written; see `branch.rs`).
    Branch(usize),
}

enum Stage {
    /// Waiting for the runs' results in flight.
    Draining,
    /// Reading the runs' state back.
    Reading(RunsSnapshot),
}

impl PlaygroundApp {
    /// Starts exporting every current run to PyTorch (the button and the E key).
    pub(super) fn start_export(&mut self) {
        self.start_export_to(Target::PyTorch);
    }

    /// Starts writing every current run's state as `target`.
    pub(super) fn start_export_to(&mut self, target: Target) {
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
            target,
        });
        let what = match target {
            Target::PyTorch => "exporting to PyTorch…",
            Target::HuggingFace => "exporting to Hugging Face…",
            Target::RunFiles => "saving run files…",
            Target::Branch(_) => "branching…",
        };
        self.notices.push(false, what);
    }

    /// Advances an export each frame; never blocks.
    pub(super) fn advance_export(&mut self) {
        let (Some(job), Some(session), Some(ctx)) =
            (self.export_job.take(), &self.session, &self.ctx)
        else {
            return;
        };
        let (resume, target) = (job.resume, job.target);
        let stage = match job.stage {
            Stage::Draining if !snapshot::settled(&session.runs) => Stage::Draining,
            Stage::Draining => Stage::Reading(RunsSnapshot::begin(&session.runs)),
            Stage::Reading(mut snapshot) => {
                if !snapshot.poll(ctx) {
                    Stage::Reading(snapshot)
                } else {
                    let outcome = match target {
                        Target::PyTorch => self.save_project(snapshot.runs),
                        Target::HuggingFace => save_hugging_face(snapshot.runs),
                        Target::RunFiles => self.save_run_files(snapshot.runs),
                        Target::Branch(i) => self.finish_branch(i, snapshot.runs),
                    };
                    self.report_saves(vec![outcome]);
                    if resume {
                        self.set_mode(Mode::Running);
                    }
                    return;
                }
            }
        };
        self.export_job = Some(ExportJob {
            stage,
            resume,
            target,
        });
    }

    /// One ZIP for all the runs: the first run's project (code, data, README, its checkpoint),
    /// and in compare mode each other run's checkpoint beside it, so the data travels once.
    /// A run whose state could not be read fails the export, naming the run.
    fn save_project(&self, runs: Vec<RunRead>) -> Result<String, String> {
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

/// One ZIP with a Hugging Face model folder per run, named after the run (what `export
/// --format hf` writes for one checkpoint). A ResNet, or a run whose state could not be read,
/// fails the export, naming the run.
fn save_hugging_face(runs: Vec<RunRead>) -> Result<String, String> {
    let mut files = Vec::new();
    let (mut stems, mut step) = (Vec::new(), 0);
    for run in runs {
        // The model card reports the run's last losses from its log.
        let (label, checkpoint) = run.with_log()?;
        // One folder per run, even for runs of the same name.
        let mut stem = super::toolbar::file_stem(&label);
        if stems.contains(&stem) {
            stem = format!("{stem}-{}", stems.len() + 1);
        }
        let folder = crate::huggingface::model_directory(&checkpoint)
            .map_err(|e| format!("{}: {e}", label))?;
        files.extend(
            folder
                .into_iter()
                .map(|f| (format!("{stem}/{}", f.path), f.bytes)),
        );
        step = checkpoint.step;
        stems.push(stem);
    }
    if stems.is_empty() {
        return Err("no run to export".into());
    }
    let zip = export::zip(&files).map_err(|_| "the models are too large for a ZIP".to_string())?;
    let file = format!("ire-playground-{}-step{step}-hf.zip", stems.join("-vs-"));
    platform::save_bytes(&file, "application/zip", &zip)
}
