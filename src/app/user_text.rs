//! "Your own text": the transformer trains on text the user pastes, drops on the window or picks
//! (web) / names by path (desktop) instead of the embedded Shakespeare. Its characters become the
//! vocabulary; a text too short for the model's windows is refused with the reason; an export
//! ships the text. The URL hash cannot carry a text, so a reloaded page is back on Shakespeare.

use super::datasets::DataFile;
#[cfg(target_arch = "wasm32")]
use super::platform;
use super::PlaygroundApp;
use crate::data::Corpus;
use crate::train::Family;
use std::sync::Arc;

/// The text a session trains on when it is not the embedded corpus, and what to go back to.
#[derive(Default)]
pub struct UserText {
    /// The pasted text being edited (not yet in use).
    pub draft: String,
    /// Shakespeare's corpus and file while a user's text is in use.
    pub shakespeare: Option<(Arc<Corpus>, DataFile)>,
}

impl PlaygroundApp {
    /// Trains on `bytes` (a file's or pasted text) from the next run on; starts it (paused).
    pub(super) fn use_text(&mut self, name: &str, bytes: &[u8]) {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let corpus = Corpus::from_user_text(name, bytes, None);
        if self.train_on_corpus(corpus, Corpus::compress(bytes).into()) && self.session.is_some() {
            let source = self.text_source().unwrap_or_default();
            self.notices
                .push(false, format!("the transformer now trains on {source}"));
        }
    }

    /// Makes `corpus` (a user's text or a generated task, `file` what an export or a kept
    /// session carries of it) the transformer's data from the next run on and starts it
    /// (paused); says why not when it cannot be (still loading, unreadable, too short).
    pub(super) fn train_on_corpus(
        &mut self,
        corpus: crate::error::Result<Corpus>,
        file: DataFile,
    ) -> bool {
        if self.data.is_none() {
            self.notices
                .push(true, "the corpus is still loading; try again");
            return false;
        }
        let corpus = match corpus {
            Ok(c) => c,
            Err(e) => {
                self.notices.push(true, e.to_string());
                return false;
            }
        };
        // It needs a transformer; the settings change only if the corpus is taken.
        let mut settings = self.settings.clone();
        if settings.family() != Family::Transformer {
            settings.preset = "tiny".into();
            settings.apply_family_recipe();
        }
        let (batch, eval) = (settings.train.batch, settings.train.eval_batches);
        if let Err(e) = corpus.check_fits(settings.seq_len(), batch, eval) {
            self.notices.push(true, e.to_string());
            return false;
        }
        self.settings = settings;
        self.settings.text = corpus.source.clone();
        self.install_corpus(corpus, file);
        self.reset();
        true
    }

    pub(super) fn install_corpus(&mut self, corpus: Corpus, file: DataFile) {
        let Some(data) = &mut self.data else { return };
        self.notices.retract_warnings(super::settings::MISSING_TEXT);
        let old = std::mem::replace(&mut data.corpus, Arc::new(corpus));
        let old_file = std::mem::replace(&mut data.corpus_file, file);
        if self.user_text.shakespeare.is_none() {
            self.user_text.shakespeare = Some((old, old_file));
        }
    }

    /// Makes the embedded Shakespeare the corpus again (the runs stay as they are).
    pub(super) fn uninstall_corpus(&mut self) {
        let (Some((corpus, file)), Some(data)) =
            (self.user_text.shakespeare.take(), &mut self.data)
        else {
            return;
        };
        data.corpus = corpus;
        data.corpus_file = file;
    }

    /// Back to the embedded Shakespeare.
    fn use_shakespeare(&mut self) {
        if self.user_text.shakespeare.is_none() {
            return;
        }
        self.settings.text = None;
        self.uninstall_corpus();
        self.reset();
    }

    /// The text in use (None: the embedded Shakespeare).
    pub(super) fn text_source(&self) -> Option<String> {
        self.data.as_ref().and_then(|d| d.corpus.source.clone())
    }

    /// The "Text" controls: what the model reads, a paste box, and a way back.
    pub(super) fn user_text_ui(&mut self, ui: &mut egui::Ui) {
        match (self.puzzle(), self.text_source()) {
            (Some(puzzle), _) => {
                ui.label(format!("task: {}", puzzle.spec()));
                if ui.button("Back to Shakespeare").clicked() {
                    self.use_shakespeare();
                }
            }
            (None, Some(source)) => {
                ui.label(format!("text: {source}"));
                if ui.button("Back to Shakespeare").clicked() {
                    self.use_shakespeare();
                }
            }
            (None, None) => {
                ui.label("text: Shakespeare's plays (embedded)");
            }
        }
        self.tasks_ui(ui);
        ui.collapsing("Use your own text", |ui| {
            ui.weak(
                "Paste text below, or drop a .txt file on the window. Its characters become the \
                 vocabulary; the last 10% is held out for validation.",
            );
            egui::ScrollArea::vertical()
                .max_height(120.0)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut self.user_text.draft)
                            .hint_text("paste a few hundred kilobytes of text")
                            .desired_rows(5)
                            .desired_width(f32::INFINITY),
                    );
                });
            ui.horizontal(|ui| {
                let chars = self.user_text.draft.chars().count();
                if ui
                    .add_enabled(chars > 0, egui::Button::new("Train on this text"))
                    .clicked()
                {
                    let draft = std::mem::take(&mut self.user_text.draft);
                    self.use_text("pasted text", draft.as_bytes());
                    if self.text_source().is_none() {
                        self.user_text.draft = draft; // refused: keep it to edit
                    }
                }
                ui.weak(format!("{chars} characters"));
            });
            #[cfg(target_arch = "wasm32")]
            if ui.button("Open a text file…").clicked() {
                platform::pick_files();
            }
        });
    }

    /// A picked or dropped file: a run log if it holds training records (or is named `.jsonl`),
    /// otherwise, if it is text, a corpus to train on.
    pub(super) fn open_file(&mut self, name: &str, bytes: Result<Vec<u8>, String>) {
        if let Some(file) = bytes
            .as_ref()
            .ok()
            .and_then(|b| super::model_import::model_file(name, b))
        {
            self.take_model_file(file, bytes.unwrap_or_default());
            return;
        }
        if let Ok(b) = &bytes {
            let file = super::user_images::idx_file(name, b);
            if !matches!(file, super::user_images::IdxFile::No) {
                let b = bytes.unwrap_or_default();
                self.take_idx_file(name, file, b);
                return;
            }
        }
        if super::run_file::is_run_file(name) {
            match bytes {
                Ok(b) => self.open_run_file(name, &b),
                Err(e) => self.notices.push(true, e),
            }
            return;
        }
        let lower = name.to_lowercase();
        let is_log_name = lower.ends_with(".jsonl") || lower.ends_with(".json");
        match bytes {
            Ok(b) if !is_log_name && !super::logs::has_records(&b) => self.use_text(name, &b),
            other => self.open_log(name, other),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl PlaygroundApp {
    /// Desktop: trains on the text file at `path` (`app --text-file`, the path field).
    pub(super) fn use_text_path(&mut self, path: &std::path::Path) {
        match crate::files::read_bounded(path, crate::data::MAX_TEXT_BYTES as u64 + 1) {
            Ok(bytes) => self.use_text(&path.display().to_string(), &bytes),
            Err(e) => self.notices.push(true, e.to_string()),
        }
    }
}
