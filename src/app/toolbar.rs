//! The toolbar (Run/Pause, Step, Reset, the IRE switch, compare mode and its findings, exports,
//! opening logs) and the keys that do the same.

use super::confirm::Replace;
use super::session::IreState;
use super::{platform, Mode, PlaygroundApp, FINDINGS};
use crate::train::{to_csv, to_jsonl};

/// The keyboard shortcuts: the key, its name and what it does (the footer lists them in this
/// order; [`PlaygroundApp::handle_keys`] acts on them).
pub const SHORTCUTS: [(egui::Key, &str, &str); 10] = [
    (egui::Key::Space, "Space", "run/pause"),
    (egui::Key::S, "S", "step"),
    (egui::Key::I, "I", "IRE switch"),
    (egui::Key::R, "R", "reset"),
    (egui::Key::C, "C", "continue kept runs"),
    (egui::Key::B, "B", "branch from here"),
    (egui::Key::E, "E", "export to PyTorch"),
    (egui::Key::F, "F", "export to Hugging Face"),
    (egui::Key::L, "L", "landscape slice"),
    (egui::Key::H, "H", "Hessian spectrum"),
];

/// The footer's line of keys.
pub fn keys_help() -> String {
    let keys: Vec<String> = SHORTCUTS
        .iter()
        .map(|(_, name, what)| format!("{name} {what}"))
        .collect();
    format!("Keys: {}", keys.join(" · "))
}

impl PlaygroundApp {
    pub(super) fn set_mode(&mut self, mode: Mode) {
        if let Some(s) = &mut self.session {
            s.mode = mode;
        }
        // Training needs a next frame, whatever this frame decided before the switch (an
        // export that resumes the runs ends in a frame that found nothing to do).
        if mode == Mode::Running {
            platform::wake();
        }
    }

    pub(super) fn toggle_ire(&mut self) {
        let Some(session) = &mut self.session else {
            self.settings.train.ire.enabled ^= true;
            return;
        };
        let on = !session.ire_on();
        let step = session.runs[session.ire_run].trainer.steps_submitted();
        if let Err(e) = session.set_ire(on, &self.settings) {
            self.notices.push(true, e.to_string());
            return;
        }
        self.resave();
        // Keep the link reproducing this run: the start state, or a scheduled switch.
        let ire = &mut self.settings.train.ire;
        if step == 0 {
            ire.enabled = on;
        } else if step < self.settings.train.steps && !ire.toggle_at.contains(&step) {
            ire.toggle_at.push(step);
        }
    }

    /// The keys of [`SHORTCUTS`]. They work wherever the focus is, except in a text field;
    /// they are taken before the widgets see them, so Space on a button focused by Tab runs or
    /// pauses instead of pressing that button (Enter still presses it).
    pub(super) fn handle_keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().text_edit_focused() {
            return;
        }
        let pressed: Vec<egui::Key> = SHORTCUTS
            .iter()
            .map(|s| s.0)
            .filter(|&key| ui.input_mut(|inp| inp.consume_key(egui::Modifiers::NONE, key)))
            .collect();
        for key in pressed {
            self.shortcut(key);
        }
    }

    /// What the key `key` of [`SHORTCUTS`] does.
    fn shortcut(&mut self, key: egui::Key) {
        use egui::Key;
        match key {
            Key::Space => {
                let running = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.mode == Mode::Running);
                self.set_mode(if running { Mode::Paused } else { Mode::Running });
            }
            Key::S => {
                if let Some(session) = &mut self.session {
                    session.step_once();
                }
            }
            Key::I => self.toggle_ire(),
            Key::R => self.ask_to_replace(Replace::Reset),
            Key::C => self.continue_newest(),
            Key::B => self.start_branch(),
            Key::E => self.start_export(),
            Key::F if self.settings.is_resnet() => self.notices.push(
                true,
                "Export to Hugging Face is for transformers; a ResNet exports to PyTorch (E)",
            ),
            Key::F => self.start_export_to(super::pytorch_export::Target::HuggingFace),
            Key::L => self.request_slice(),
            Key::H => self.request_spectrum(),
            _ => {}
        }
    }

    pub(super) fn export(&mut self, jsonl: bool) {
        let Some(session) = &self.session else {
            return;
        };
        let mut outcomes = Vec::new();
        for run in &session.runs {
            let name = file_stem(&run.label);
            let (file, mime, text) = if jsonl {
                (
                    format!("ire-playground-{name}.jsonl"),
                    "application/x-ndjson",
                    to_jsonl(&run.trainer.history),
                )
            } else {
                (
                    format!("ire-playground-{name}.csv"),
                    "text/csv",
                    to_csv(&run.trainer.history),
                )
            };
            outcomes.push(platform::save_text(&file, mime, &text));
        }
        self.report_saves(outcomes);
    }

    /// Shows what each save did. In compare mode both runs are saved; a failure must not hide
    /// behind the other's success.
    pub(super) fn report_saves(&mut self, outcomes: Vec<Result<String, String>>) {
        if outcomes.is_empty() {
            return;
        }
        let failed = outcomes.iter().any(Result::is_err);
        let text: Vec<String> = outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|e| e))
            .collect();
        self.notices.push(failed, text.join("; "));
    }

    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            if self.narrow {
                ui.toggle_value(&mut self.show_settings, "Settings")
                    .on_hover_text("Show or hide the settings");
            } else {
                ui.heading("ire-playground");
            }
            ui.separator();
            let running = self
                .session
                .as_ref()
                .is_some_and(|s| s.mode == Mode::Running);
            let can_run = self.session.is_some() && self.settings.problem().is_none();
            if ui
                .add_enabled(
                    can_run,
                    egui::Button::new(if running { "Pause" } else { "Run" }),
                )
                .on_hover_text("Space")
                .clicked()
            {
                self.set_mode(if running { Mode::Paused } else { Mode::Running });
            }
            if ui
                .add_enabled(can_run, egui::Button::new("Step"))
                .on_hover_text("S")
                .clicked()
            {
                if let Some(s) = &mut self.session {
                    s.step_once();
                }
            }
            if ui
                .add_enabled(self.ctx.is_some(), egui::Button::new("Reset"))
                .on_hover_text("R: new run(s) from the current settings")
                .clicked()
            {
                self.ask_to_replace(Replace::Reset);
            }
            ui.separator();
            let state = match &self.session {
                Some(session) => session.ire_state(),
                None if self.settings.train.ire.enabled => IreState::Armed {
                    from: self.settings.train.ire_start(),
                },
                None => IreState::Off,
            };
            let on = state != IreState::Off;
            let button =
                egui::Button::new(egui::RichText::new(state.label()).strong()).selected(on);
            if ui
                .add(button)
                .on_hover_text(
                    "I: switch IRE live (in compare mode: the IRE run). Switched on, it waits \
                     for the end of warm-up (armed), then amplifies the flat coordinates' steps \
                     (acting).",
                )
                .clicked()
            {
                self.toggle_ire();
            }
            if ui
                .add_enabled(self.session.is_some(), egui::Button::new("Branch"))
                .on_hover_text(
                    "B: a new run from this moment of the run the IRE switch controls, with IRE \
                     switched the other way (and the kappa and K set on the left); the run itself \
                     goes on unchanged, and the switch then controls the branch",
                )
                .clicked()
            {
                self.start_branch();
            }
            ui.checkbox(&mut self.settings.compare, "compare")
                .on_hover_text("Base optimizer and its IRE twin, same weights and data (on Reset)");
            ui.add_enabled(
                self.settings.compare,
                egui::Checkbox::new(&mut self.settings.tune, "tune both"),
            )
            .on_hover_text(
                "Compare fairly: each arm starts at x0.5, x1 and x2 the learning rate; once IRE \
                 has acted for a tenth of the run, the best of each continues (on Reset)",
            );
            self.findings_ui(ui);
            ui.checkbox(&mut self.plot_options.log_y, "log y");
            ui.separator();
            if ui.button("Save CSV").clicked() {
                self.export(false);
            }
            if ui.button("Save JSONL").clicked() {
                self.export(true);
            }
            if ui
                .add_enabled(self.session.is_some(), egui::Button::new("Save run files"))
                .on_hover_text(
                    "Each run's full state and log as one .safetensors file; open it again (drop \
                     it on the window) to continue the run here, or `ire-playground train \
                     --resume` it",
                )
                .clicked()
            {
                self.start_export_to(super::pytorch_export::Target::RunFiles);
            }
            if ui
                .add_enabled(
                    self.session.is_some(),
                    egui::Button::new("Export to PyTorch"),
                )
                .on_hover_text(
                    "E: a ZIP with train.py, the run's full state and its data, to continue the \
                     run in PyTorch (one process or torchrun)",
                )
                .clicked()
            {
                self.start_export();
            }
            let transformer = self.session.is_some() && !self.settings.is_resnet();
            if ui
                .add_enabled(transformer, egui::Button::new("Export to Hugging Face"))
                .on_hover_text(
                    "F: each run's model as a transformers model folder (config, weights, \
                     character tokenizer, model card) in one ZIP; load it with \
                     AutoModelForCausalLM.from_pretrained",
                )
                .on_disabled_hover_text("Transformers only: a ResNet exports to PyTorch")
                .clicked()
            {
                self.start_export_to(super::pytorch_export::Target::HuggingFace);
            }
            ui.toggle_value(&mut self.show_analysis, "Landscape")
                .on_hover_text(
                    "Loss-landscape slices and the Hessian spectrum of each run (L: compute a \
                     slice, H: a spectrum)",
                );
            ui.separator();
            self.open_log_ui(ui);
        });
    }
}

impl PlaygroundApp {
    /// The "findings" menu: docs/RESULTS.md's comparisons as compare-mode presets, each with
    /// its length and (when this adapter has trained the same model) the time it takes here;
    /// choosing one replaces the runs (after asking, if they have trained). The toolbar names
    /// the finding whose settings are the current ones.
    fn findings_ui(&mut self, ui: &mut egui::Ui) {
        let loaded = FINDINGS.iter().find(|f| f.settings() == self.settings);
        let rate = self.single_run_rate();
        let mut chosen = None;
        let menu = egui::ComboBox::from_id_salt("findings")
            .selected_text(loaded.map_or("findings".into(), |f| format!("finding: {}", f.name)))
            .show_ui(ui, |ui| {
                for f in &FINDINGS {
                    let settings = f.settings();
                    let same_model = settings.preset == self.settings.preset
                        && settings.train.batch == self.settings.train.batch;
                    let line = f.menu_line(rate.filter(|_| same_model));
                    let picked = loaded.is_some_and(|l| std::ptr::eq(l, f));
                    if ui
                        .selectable_label(picked, line)
                        .on_hover_text(f.about)
                        .clicked()
                    {
                        chosen = Some(f);
                    }
                }
            })
            .response
            .on_hover_text(
                "Comparisons from docs/RESULTS.md, ready to run (compare mode); hover one for \
                 what it shows",
            );
        // A short name for screen readers (without one they read the tooltip as the name).
        ui.ctx()
            .accesskit_node_builder(menu.id, |node| node.set_label("findings"));
        if let Some(f) = chosen {
            self.ask_to_replace(Replace::Finding(f));
        }
    }

    /// Steps per second one run of the current model takes here (measured while training).
    fn single_run_rate(&self) -> Option<f64> {
        let session = self.session.as_ref()?;
        let rate = self.frame_stats.summary().steps_per_s * session.runs.len() as f64;
        (rate > 0.0).then_some(rate)
    }
}

/// A run's label as part of a file name (`AdmIRE` -> `admire`, `AdamW lr 0.008 (tuned)` ->
/// `adamw-lr-0.008-tuned`): lower case, letters, digits, dots and single dashes.
pub(super) fn file_stem(label: &str) -> String {
    let mut stem = String::new();
    for c in label.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            stem.push(c);
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
    }
    // Never empty, never a path ("..", "."): a name of non-Latin letters has no stem of its own.
    let stem = stem.trim_end_matches('-').trim_matches('.').to_string();
    if stem.is_empty() {
        "run".into()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_plain_file_names() {
        assert_eq!(file_stem("AdmIRE"), "admire");
        assert_eq!(file_stem("AdamW lr 0.008 (tuned)"), "adamw-lr-0.008-tuned");
        assert_eq!(file_stem("SGD-IRE"), "sgd-ire");
        assert_eq!(file_stem(".."), "run");
        assert_eq!(file_stem("\u{65e5}\u{672c}"), "run");
    }

    #[test]
    fn the_footer_lists_every_shortcut() {
        let help = keys_help();
        for name in [
            "Space",
            "S step",
            "I IRE",
            "R reset",
            "E export",
            "F export to Hugging Face",
            "L landscape",
            "H Hessian",
        ] {
            assert!(help.contains(name), "{help}");
        }
    }
}
