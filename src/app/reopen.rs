//! Continuing a kept session: the data it trained on is put back (the user's text from the
//! session's own copy; the image set it names must be the one loaded), each run reopens from its
//! checkpoint with its own configuration and its log is plotted again, and "tune both" takes up
//! its sweep where it was. Continuing is bit-identical to never having stopped.

use super::keeper::Current;
use super::saved::{self, Manifest};
use super::{Datasets, LiveRun, Mode, PlaygroundApp, Session};
use crate::checkpoint::Checkpoint;
use crate::error::Error;
use crate::gpu::GpuContext;
use crate::train::{Record, Trainer};
use std::collections::HashMap;

impl Session {
    /// The runs of a kept session, paused, from its `files` (by name).
    pub fn reopen(
        ctx: &GpuContext,
        manifest: &Manifest,
        files: &HashMap<String, Vec<u8>>,
        data: &Datasets,
    ) -> crate::Result<Self> {
        let file = |name: &str| {
            files
                .get(name)
                .ok_or_else(|| Error::Data(format!("the kept session lacks {name}")))
        };
        let mut runs = Vec::new();
        for run in &manifest.runs {
            let checkpoint = Checkpoint::from_bytes(file(&run.checkpoint)?, &run.checkpoint)?;
            let task = data.task_data(checkpoint.model.family(), checkpoint.augments_images())?;
            let trainer = match &checkpoint.state {
                Some(_) => Trainer::reopen(ctx, &checkpoint, task)?,
                // A run that had failed kept its weights only: shown, never continued.
                None => {
                    let mut config: crate::train::TrainConfig =
                        serde_json::from_str(&checkpoint.train_config)
                            .map_err(|e| Error::Data(format!("{}: {e}", run.checkpoint)))?;
                    config.steps = config.steps.max(checkpoint.step + 1);
                    Trainer::from_checkpoint(ctx, &checkpoint, config, task)?
                }
            };
            let log = String::from_utf8_lossy(file(&run.log)?).to_string();
            let records = log
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str::<Record>)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Data(format!("{}: {e}", run.log)))?;
            let error = run.error.clone().or_else(|| {
                checkpoint
                    .state
                    .is_none()
                    .then(|| "it had stopped; its weights only were kept".to_string())
            });
            runs.push(LiveRun::reopened(
                ctx,
                run.label.clone(),
                trainer,
                records,
                error,
            ));
        }
        if manifest.ire_run >= runs.len() {
            return Err(Error::Data("the kept session names no run for IRE".into()));
        }
        Ok(Self {
            runs,
            mode: Mode::Paused,
            ire_run: manifest.ire_run,
            tuning: manifest.tuning.clone(),
            next_run: 0,
            hold: false,
        })
    }
}

impl PlaygroundApp {
    /// Continues kept session `id` from its files.
    pub(super) fn reopen_kept(&mut self, id: &str, files: Vec<(String, Vec<u8>)>) {
        let Some(manifest) = self
            .keeper
            .as_ref()
            .and_then(|k| k.kept.iter().find(|m| m.id == id).cloned())
        else {
            return;
        };
        self.reopen(manifest, files.into_iter().collect());
    }

    /// Continues the session `manifest` describes from its `files`, once the data it needs is
    /// here (Fashion-MNIST may still be on its way).
    pub(super) fn reopen(&mut self, manifest: Manifest, files: HashMap<String, Vec<u8>>) {
        if let Err(e) = self.put_back_data(&manifest, &files) {
            self.notices
                .push(true, format!("the runs could not be reopened: {e}"));
            return;
        }
        let (Some(ctx), Some(data)) = (&self.ctx, &self.data) else {
            return;
        };
        if manifest.settings.is_resnet() && data.images.is_none() {
            // Fashion-MNIST is on its way (web): reopen once it has arrived.
            self.waiting_reopen = Some((manifest, files));
            if !self.images_requested {
                self.images_requested = true;
                super::datasets::load_images(self.arrivals.clone());
            }
            return;
        }
        match Session::reopen(ctx, &manifest, &files, data) {
            Ok(session) => {
                // A branch or export reading the old runs would land on these.
                self.export_job = None;
                self.run_edit = Default::default();
                self.retire_session();
                if let Some(k) = &mut self.keeper {
                    k.current = Current::of(&manifest, &session);
                }
                self.session = Some(session);
                self.settings = manifest.settings.clone();
                self.session_settings = Some(manifest.settings.clone());
                self.mark_session_start();
                self.plot_options.reset_view = true;
                // The settings are the kept session's now, not a link's.
                self.notices.retract_warnings(super::settings::MISSING_TEXT);
                let kept = match manifest.generation {
                    0 => String::new(), // a run file, never kept yet
                    _ => format!(
                        " (kept {})",
                        saved::ago(manifest.saved_at_ms, saved::now_ms())
                    ),
                };
                self.notices
                    .push(false, format!("continuing {}{kept}", manifest.title()));
            }
            Err(e) => self
                .notices
                .push(true, format!("the runs could not be reopened: {e}")),
        }
    }

    /// Puts back the text the kept runs trained on (their own copy of the user's text, the task
    /// their settings name, or the embedded corpus), and checks that the image set they name is the one loaded.
    fn put_back_data(
        &mut self,
        manifest: &Manifest,
        files: &HashMap<String, Vec<u8>>,
    ) -> Result<(), String> {
        match &manifest.text {
            Some(text) => {
                let zlib = files
                    .get(&text.file)
                    .ok_or_else(|| format!("the kept session lacks {}", text.file))?;
                let corpus = crate::data::Corpus::from_user_zlib(&text.name, zlib)
                    .map_err(|e| e.to_string())?;
                self.install_corpus(corpus, zlib.clone().into());
            }
            None => match crate::data::Puzzle::of_source(manifest.settings.text.as_deref()) {
                Some(puzzle) => {
                    let corpus = puzzle.and_then(|p| p.corpus()).map_err(|e| e.to_string())?;
                    self.install_corpus(corpus, Vec::new().into());
                }
                None => self.uninstall_corpus(),
            },
        }
        let images = self.data.as_ref().and_then(|d| d.image_source.clone());
        if manifest.settings.is_resnet() && manifest.images != images {
            let name = |s: &Option<String>| s.clone().unwrap_or_else(|| "Fashion-MNIST".into());
            return Err(format!(
                "they trained on {}, and {} is loaded: open that image set first",
                name(&manifest.images),
                name(&images)
            ));
        }
        Ok(())
    }
}
