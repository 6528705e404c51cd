//! The toolbar (Run/Pause, Step, Reset, the IRE switch, compare mode and its findings, exports,
//! opening logs) and the keys that do the same.

use super::{platform, Mode, PlaygroundApp, Session, FINDINGS};
use crate::train::{to_csv, to_jsonl};

impl PlaygroundApp {
    pub(super) fn set_mode(&mut self, mode: Mode) {
        if let Some(s) = &mut self.session {
            s.mode = mode;
        }
    }

    pub(super) fn toggle_ire(&mut self) {
        let Some(session) = &mut self.session else {
            self.settings.train.ire.enabled ^= true;
            return;
        };
        let on = !session.ire_on();
        let step = session.runs[session.ire_run].trainer.steps_submitted();
        session.set_ire(on, &self.settings);
        // Keep the link reproducing this run: the start state, or a scheduled switch.
        let ire = &mut self.settings.train.ire;
        if step == 0 {
            ire.enabled = on;
        } else if step < self.settings.train.steps && !ire.toggle_at.contains(&step) {
            ire.toggle_at.push(step);
        }
    }

    pub(super) fn handle_keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (space, i, s, r, e) = ui.input(|inp| {
            (
                inp.key_pressed(egui::Key::Space),
                inp.key_pressed(egui::Key::I),
                inp.key_pressed(egui::Key::S),
                inp.key_pressed(egui::Key::R),
                inp.key_pressed(egui::Key::E),
            )
        });
        let (l, h) = ui.input(|inp| (inp.key_pressed(egui::Key::L), inp.key_pressed(egui::Key::H)));
        if l {
            self.request_slice();
        }
        if h {
            self.request_spectrum();
        }
        if e {
            self.start_export();
        }
        if space {
            let running = self
                .session
                .as_ref()
                .is_some_and(|s| s.mode == Mode::Running);
            self.set_mode(if running { Mode::Paused } else { Mode::Running });
        }
        if i {
            self.toggle_ire();
        }
        if s {
            if let Some(session) = &mut self.session {
                session.step_once();
            }
        }
        if r {
            self.reset();
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
        self.message = Some((failed, text.join("; ")));
    }

    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("ire-playground");
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
                self.reset();
            }
            ui.separator();
            let ire_on = self
                .session
                .as_ref()
                .map_or(self.settings.train.ire.enabled, Session::ire_on);
            let label = if ire_on { "IRE: ON" } else { "IRE: off" };
            let button = egui::Button::new(egui::RichText::new(label).strong()).selected(ire_on);
            if ui
                .add(button)
                .on_hover_text("I: switch IRE live (in compare mode: the IRE run)")
                .clicked()
            {
                self.toggle_ire();
            }
            ui.checkbox(&mut self.settings.compare, "compare")
                .on_hover_text("Base optimizer and its IRE twin, same weights and data (on Reset)");
            ui.add_enabled(
                self.settings.compare,
                egui::Checkbox::new(&mut self.settings.tune, "tune both"),
            )
            .on_hover_text(
                "Compare fairly: each arm starts at x0.5, x1 and x2 the learning rate; after a \
                 tenth of the run the best of each continues (on Reset)",
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
    /// The "findings" menu: docs/RESULTS.md's comparisons as compare-mode presets; choosing one
    /// replaces the settings and starts new runs (paused).
    fn findings_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        egui::ComboBox::from_id_salt("findings")
            .selected_text("findings")
            .show_ui(ui, |ui| {
                for f in &FINDINGS {
                    if ui
                        .selectable_label(false, f.name)
                        .on_hover_text(f.about)
                        .clicked()
                    {
                        chosen = Some(f);
                    }
                }
            })
            .response
            .on_hover_text("Comparisons from docs/RESULTS.md, ready to run (compare mode)");
        if let Some(f) = chosen {
            self.settings = f.settings();
            self.reset();
        }
    }
}

/// A run's label as part of a file name (`AdmIRE` -> `admire`).
pub(super) fn file_stem(label: &str) -> String {
    label.to_lowercase().replace(' ', "-")
}
