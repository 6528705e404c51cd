//! Run files: one `.safetensors` per run, holding its full checkpoint (the command line's
//! format) and its log in the metadata. "Save run files" writes one per run (a download on the
//! web, a file in the working folder on the desktop); opening one (dropped, picked, or named in
//! the desktop's path field or by `app --open-log`), or a checkpoint that `ire-playground train
//! --save` or an exported train.py wrote, continues that run in the app, bit-identically, with
//! its plots when the file carries its log.

use super::keeper::Current;
use super::saved::{self, Manifest, SavedRun, SavedText};
use super::settings::PRESETS;
use super::snapshot::RunRead;
use super::{platform, PlaygroundApp, Settings};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::data::Corpus;
use crate::models::{ResNetConfig, TransformerConfig};
use crate::train::TrainConfig;
use std::collections::HashMap;

/// Whether `name` is a run file or a checkpoint (by its extension).
pub fn is_run_file(name: &str) -> bool {
    name.to_lowercase().ends_with(".safetensors")
}

/// The app preset whose model a checkpoint holds, if any.
pub(super) fn preset_of(model: &ModelSpec) -> Option<String> {
    PRESETS
        .iter()
        .find(|p| match model {
            ModelSpec::Transformer {
                config,
                vocab,
                corpus,
            } => TransformerConfig::preset(p, vocab.len()).is_ok_and(|mut c| {
                // A task's model reads one example at a time.
                if let Some(Ok(task)) = crate::data::Puzzle::of_source(corpus.as_deref()) {
                    c.seq_len = task.example_len() - 1;
                }
                c == *config
            }),
            ModelSpec::ResNet(config) => ResNetConfig::preset(p).is_ok_and(|c| c == *config),
        })
        .map(|p| p.to_string())
}

impl PlaygroundApp {
    /// Continues the run in run file (or checkpoint) `name`.
    pub(super) fn open_run_file(&mut self, name: &str, bytes: &[u8]) {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
        match self.run_file_session(name, bytes) {
            Ok((manifest, files)) => self.reopen(manifest, files),
            Err(e) => self.notices.push(true, format!("{name}: {e}")),
        }
    }

    /// The one-run session a run file holds, as a kept session's manifest and files.
    fn run_file_session(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<(Manifest, HashMap<String, Vec<u8>>), String> {
        let checkpoint = Checkpoint::from_bytes(bytes, name).map_err(|e| e.to_string())?;
        let Some(state) = &checkpoint.state else {
            return Err(
                "it holds weights only; a run continues from a full checkpoint (from \
                 `ire-playground train --save`, an exported train.py, or Save run files)"
                    .into(),
            );
        };
        let mut train: TrainConfig =
            serde_json::from_str(&checkpoint.train_config).map_err(|e| e.to_string())?;
        train.ire.enabled = state.host.ire_on;
        let preset = preset_of(&checkpoint.model).ok_or(
            "its model is none of the app's presets; continue it with `ire-playground train \
             --resume`",
        )?;
        let data = self
            .data
            .as_ref()
            .ok_or("the data sets are still loading; try again")?;
        let mut files = HashMap::new();
        let mut text = None;
        // A generated task is made again from the settings: no text to carry.
        let task = |source: &String| crate::data::Puzzle::of_source(Some(source)).is_some();
        if let ModelSpec::Transformer {
            corpus: Some(source),
            ..
        } = &checkpoint.model
        {
            if !task(source) {
                if !Corpus::same_source(Some(source), data.corpus.source.as_deref()) {
                    return Err(format!(
                        "it trained on {source}: open that text first (Model and data > Use \
                         your own text), then the run file"
                    ));
                }
                let file = "text.zlib".to_string();
                files.insert(file.clone(), data.corpus_file.to_vec());
                text = Some(SavedText {
                    name: Corpus::source_name(source).to_string(),
                    file,
                });
            }
        }
        let settings = Settings {
            preset,
            train: train.clone(),
            compare: false,
            tune: false,
            augment: checkpoint.augments_images(),
            text: match &checkpoint.model {
                ModelSpec::Transformer { corpus, .. } => corpus.clone(),
                ModelSpec::ResNet(_) => None,
            },
            ..Settings::default()
        };
        let label = name
            .strip_suffix(".safetensors")
            .unwrap_or(name)
            .to_string();
        let (checkpoint_file, log_file) = saved::run_files(0, 0);
        files.insert(checkpoint_file.clone(), bytes.to_vec());
        files.insert(
            log_file.clone(),
            checkpoint.log.clone().unwrap_or_default().into_bytes(),
        );
        let manifest = Manifest {
            format: saved::FORMAT.into(),
            id: Current::fresh().id,
            generation: 0,
            saved_at_ms: saved::now_ms(),
            settings,
            ire_run: 0,
            tuning: None,
            runs: vec![SavedRun {
                label,
                checkpoint: checkpoint_file,
                log: log_file,
                step: checkpoint.step,
                steps: train.steps,
                error: None,
            }],
            text,
            images: data.image_source.clone(),
            bytes: files.values().map(|b| b.len() as u64).sum(),
        };
        Ok((manifest, files))
    }

    /// Writes each run's run file (checkpoint with its log); returns where they went.
    pub(super) fn save_run_files(&self, runs: Vec<RunRead>) -> Result<String, String> {
        let mut saved = Vec::new();
        for run in runs {
            let (label, checkpoint) = run.with_log()?;
            let bytes = checkpoint.to_bytes().map_err(|e| e.to_string())?;
            let file = format!(
                "ire-playground-{}-step{}.safetensors",
                super::toolbar::file_stem(&label),
                checkpoint.step
            );
            saved.push(platform::save_bytes(
                &file,
                "application/octet-stream",
                &bytes,
            )?);
        }
        Ok(saved.join("; "))
    }
}
