//! Nothing the user trained is discarded without asking: Reset and the findings menu replace
//! the current runs, so once they have trained a step, the app asks first (and says how to
//! keep them: save their logs or export them).

use super::{Finding, PlaygroundApp, Session};

/// What would replace the current runs.
#[derive(Clone, Copy)]
pub enum Replace {
    /// New runs from the current settings (Reset, R).
    Reset,
    /// A finding's comparison.
    Finding(&'static Finding),
    /// New runs from the weights of an opened Hugging Face model (`model_import.rs`).
    Imported,
}

impl PlaygroundApp {
    /// Does `action` now if no run has trained a step; otherwise asks first.
    pub(super) fn ask_to_replace(&mut self, action: Replace) {
        let trained = self.session.as_ref().is_some_and(Session::trained);
        if trained {
            self.confirm = Some(action);
        } else {
            self.replace(action);
        }
    }

    fn replace(&mut self, action: Replace) {
        match action {
            Replace::Reset => {}
            Replace::Imported => {
                if let Some(opened) = &self.model_import.waiting {
                    self.settings.preset = opened.preset.clone();
                }
                self.reset();
                // Used by the new runs, or (the reset stopped early) not kept for a later one.
                self.model_import.waiting = None;
                return;
            }
            Replace::Finding(f) => {
                self.settings = f.settings();
                self.sync_corpus_to_settings();
            }
        }
        self.reset();
    }

    /// The question, while one is pending.
    pub(super) fn confirm_ui(&mut self, ctx: &egui::Context) {
        let Some(action) = self.confirm else {
            return;
        };
        let steps = self.session.as_ref().map_or(0, |s| s.steps_done());
        let what = match action {
            Replace::Reset => "New runs from the current settings".to_string(),
            Replace::Finding(f) => format!("The finding '{}'", f.name),
            Replace::Imported => match &self.model_import.waiting {
                Some(opened) => format!("New runs from {}'s weights", opened.name),
                None => "New runs".to_string(),
            },
        };
        let mut answer = None;
        egui::Window::new("Discard the current runs?")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                let kept = if self.keeper.is_some() {
                    "They are kept (saved first): continue them later from Kept runs, in the \
                     settings."
                } else {
                    "To keep them, save their logs (Save JSONL) or export them (Export to \
                     PyTorch) first."
                };
                ui.label(format!(
                    "{what} replace the current runs, which have trained {steps} steps. {kept}"
                ));
                ui.horizontal(|ui| {
                    let start = if self.keeper.is_some() {
                        "Start new runs"
                    } else {
                        "Discard them and start"
                    };
                    if ui.button(start).clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Keep training them").clicked() {
                        answer = Some(false);
                    }
                });
            });
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            answer = Some(false);
        }
        match answer {
            Some(true) => {
                self.confirm = None;
                self.replace(action);
            }
            Some(false) => {
                self.confirm = None;
                // Declined: the opened model is not kept for a later Reset.
                self.model_import.waiting = None;
            }
            None => {}
        }
    }
}
