//! Opening a Hugging Face model in the app: its `config.json`, `tokenizer.json` and
//! `model.safetensors` dropped or picked (together or one by one), or on the desktop its folder
//! (the path field, a dropped folder, `app --open-log DIR`). New runs start from its weights with
//! the settings on the left (in compare mode both runs from the same weights), after asking if
//! the current runs have trained. The model must have the shape of one of the app's presets and
//! a tokenizer whose characters are those of the text the app trains on; the command line's
//! `train --init-from` takes any shape.

use super::confirm::Replace;
use super::{PlaygroundApp, Session};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::huggingface;
use std::collections::HashMap;
use std::sync::Arc;

/// A Hugging Face model on its way in.
#[derive(Default)]
pub struct ModelImport {
    /// Its files received so far, by name.
    files: HashMap<&'static str, Vec<u8>>,
    /// Read and checked, waiting for the user's yes (then the next Reset starts from it).
    pub waiting: Option<Opened>,
}

/// A model read and checked.
pub struct Opened {
    /// What to call it in the notices.
    pub name: String,
    /// The app preset whose shape it has.
    pub preset: String,
    weights: Arc<Checkpoint>,
}

/// Which of a Hugging Face folder's files `name` is (by its base name), if the import reads it.
/// A run file may be called `model.safetensors` too: `transformers`' weights say "pt".
pub fn model_file(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let file = huggingface::FILES
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == base)?;
    (file != "model.safetensors" || huggingface::is_weights(bytes)).then_some(file)
}

impl PlaygroundApp {
    /// One file of a Hugging Face model (see [`model_file`]); once all three are in, the model
    /// is read and the next runs start from it.
    pub(super) fn take_model_file(&mut self, file: &'static str, bytes: Vec<u8>) {
        let files = &mut self.model_import.files;
        files.insert(file, bytes);
        let missing: Vec<&str> = huggingface::FILES
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !files.contains_key(n))
            .collect();
        if !missing.is_empty() {
            self.notices.push(
                false,
                format!(
                    "Hugging Face model: {file} received; drop or pick {} too",
                    missing.join(" and ")
                ),
            );
            return;
        }
        let files = std::mem::take(files);
        let read = huggingface::from_files(
            &files["config.json"],
            &files["tokenizer.json"],
            &files["model.safetensors"],
        );
        self.start_from_model(
            "the Hugging Face model".into(),
            read.map_err(|e| e.to_string()),
        );
    }

    /// Desktop: the Hugging Face model in folder `dir`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn open_model_dir(&mut self, dir: &std::path::Path) {
        let read = huggingface::import(dir).map_err(|e| e.to_string());
        self.start_from_model(dir.display().to_string(), read);
    }

    /// Starts `session`'s runs from the opened model's weights, if a model waits; what to say.
    pub(super) fn apply_import(&mut self, session: &mut Session) -> Option<(bool, String)> {
        let Opened { name, weights, .. } = self.model_import.waiting.take()?;
        let ctx = self.ctx.as_ref()?;
        Some(match session.start_from(ctx, weights) {
            Ok(()) => (false, format!("new runs start from {name}'s weights")),
            Err(e) => (
                true,
                format!("{name}: {e}; the runs start from their own initialisation"),
            ),
        })
    }

    /// Checks that the app can train `model` (named `name`) and starts new runs from it.
    fn start_from_model(&mut self, name: String, model: Result<Checkpoint, String>) {
        match model.and_then(|c| self.trainable(c)) {
            Ok((preset, checkpoint)) => {
                self.model_import.waiting = Some(Opened {
                    name,
                    preset,
                    weights: Arc::new(checkpoint),
                });
                self.ask_to_replace(Replace::Imported);
            }
            Err(e) => self.notices.push(true, format!("{name}: {e}")),
        }
    }

    /// The app preset `checkpoint`'s model has, if its tokenizer reads the current text.
    fn trainable(&self, checkpoint: Checkpoint) -> Result<(String, Checkpoint), String> {
        let preset = super::run_file::preset_of(&checkpoint.model).ok_or(
            "its shape is none of the app's presets (tiny, small, llama-tiny, llama-small); \
             train it with `ire-playground train --init-from DIR`",
        )?;
        let data = self
            .data
            .as_ref()
            .ok_or("the data sets are still loading; try again")?;
        if let ModelSpec::Transformer { vocab, .. } = &checkpoint.model {
            if *vocab != data.corpus.vocab {
                return Err(format!(
                    "its tokenizer's {} characters are not those of the text the app trains on \
                     ({}); open a text in its characters first (Model and data > Use your own \
                     text)",
                    vocab.len(),
                    data.corpus
                        .source
                        .as_deref()
                        .unwrap_or("the embedded Shakespeare")
                ));
            }
        }
        Ok((preset, checkpoint))
    }
}
