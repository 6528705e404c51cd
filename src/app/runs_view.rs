//! The two panels that fill the window: the settings on the left (live parameters pushed to
//! the running session, structural changes flagged for Reset) and the runs' plots, heatmap and
//! previews in the middle.

use super::controls::{self, Liveness};
use super::notices::{Level, Notice};
use super::{platform, plots, PlaygroundApp, Session};

impl PlaygroundApp {
    pub(super) fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let live = Liveness {
            has_session: self.session.is_some(),
        };
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(ctx) = &self.ctx {
                ui.weak(format!("adapter: {}", ctx.adapter));
            }
            egui::CollapsingHeader::new("IRE")
                .default_open(true)
                .show(ui, |ui| {
                    if controls::ire_ui(ui, &mut self.settings, &live) {
                        let ire = &self.settings.train.ire;
                        if let Some(session) = &mut self.session {
                            match session.set_ire_params(ire) {
                                Ok(()) => self.resave(),
                                Err(e) => self.notices.push(true, e.to_string()),
                            }
                        }
                    }
                    ui.separator();
                    super::ire_panel::update_rule_ui(ui, &self.settings, self.session.as_ref());
                });
            egui::CollapsingHeader::new("Optimizer")
                .default_open(true)
                .show(ui, |ui| {
                    controls::optimizer_ui(ui, &mut self.settings);
                });
            egui::CollapsingHeader::new("Model and data")
                .default_open(true)
                .show(ui, |ui| {
                    controls::model_ui(ui, &mut self.settings);
                    if !self.settings.is_resnet() {
                        self.user_text_ui(ui);
                    }
                });
            egui::CollapsingHeader::new("Schedule")
                .default_open(true)
                .show(ui, |ui| {
                    controls::schedule_ui(ui, &mut self.settings);
                });
            egui::CollapsingHeader::new("Probes and evaluation").show(ui, |ui| {
                controls::probes_ui(ui, &mut self.settings);
            });
            self.kept_ui(ui);
            if let Some(problem) = self.settings.problem() {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
            ui.separator();
            ui.weak(super::toolbar::keys_help());
            // The desktop hands its widget tree to the system's screen reader (AccessKit); a
            // canvas in the browser has no tree, so egui reads the focused widget aloud itself.
            #[cfg(target_arch = "wasm32")]
            {
                let mut aloud = ui.ctx().options(|o| o.screen_reader);
                if ui
                    .checkbox(&mut aloud, "Read widgets aloud")
                    .on_hover_text(
                        "The browser's speech says the name and value of the widget you focus \
                         (Tab) or change",
                    )
                    .changed()
                {
                    ui.ctx().options_mut(|o| o.screen_reader = aloud);
                }
            }
        });
    }

    /// The conditions that need an action (shown while they hold), in the notices bar.
    pub(super) fn states(&self) -> Vec<(Notice, Option<&'static str>)> {
        let mut states = Vec::new();
        if let Some(problem) = self.settings.problem() {
            states.push((
                Notice {
                    level: Level::Error,
                    text: format!("these settings cannot run: {problem}"),
                },
                None,
            ));
        } else if self.session.is_some() && self.structural_change() {
            states.push((
                Notice {
                    level: Level::Warning,
                    text: "Settings changed: press Reset (R) to start new runs with them; the \
                           current runs go on with the old ones."
                        .into(),
                },
                Some("Reset"),
            ));
        }
        if let Some(offer) = self.kept_offer() {
            states.push((offer, Some(super::kept_view::CONTINUE)));
        }
        states
    }

    /// The bar at the bottom: the states above and the messages, until dismissed.
    pub(super) fn notices_ui(&mut self, ui: &mut egui::Ui) {
        let states = self.states();
        if let Some(i) = self.notices.bar_ui(ui, &states) {
            match states[i].1 {
                Some("Reset") => self.ask_to_replace(super::confirm::Replace::Reset),
                Some(super::kept_view::CONTINUE) => self.continue_newest(),
                _ => {}
            }
        }
    }

    /// Whether the settings differ from the running ones in more than the live parameters.
    pub(super) fn structural_change(&self) -> bool {
        let Some(old) = &self.session_settings else {
            return false;
        };
        let mut same_training = old.clone();
        same_training.train = self.settings.train.clone();
        // Analyses are requested per run; their settings never need a new run.
        same_training.analysis = self.settings.analysis;
        same_training != self.settings || old.train.needs_new_run(&self.settings.train)
    }

    pub(super) fn runs_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.gpu_problem {
            ui.colored_label(
                ui.visuals().error_fg_color,
                egui::RichText::new(problem).size(16.0),
            );
            if ui.button("Open a fresh GPU device").clicked() {
                platform::request_context(self.fresh_ctx.clone());
            }
        }
        super::guide::guide_ui(ui, &self.settings, &mut self.guide_seen);
        self.live_runs_ui(ui);
        let live = self.session.as_ref().map_or(&[][..], |s| &s.runs[..]);
        let mut close = None;
        for (i, log) in self.logs.iter().enumerate() {
            let color = log_color(i);
            let steps = format!("step {}", log.series.loss.len());
            ui.horizontal(|ui| {
                run_line(ui, color, &log.label, &log.series, &steps, "from a log");
                if ui.small_button("close").clicked() {
                    close = Some(i);
                }
            });
        }
        if let Some(i) = close {
            self.logs.remove(i);
        }
        if live.is_empty() && self.logs.is_empty() {
            return;
        }
        let shown: Vec<plots::Shown<'_>> = self
            .session
            .iter()
            .flat_map(|s| s.runs.iter().enumerate().map(move |(i, r)| (s, i, r)))
            .filter(|(_, _, r)| !r.hidden)
            .map(|(s, i, r)| plots::Shown {
                label: &r.label,
                series: &r.series,
                color: live_color(s, i),
            })
            .chain(self.logs.iter().enumerate().map(|(i, l)| plots::Shown {
                label: &l.label,
                series: &l.series,
                color: log_color(i),
            }))
            .collect();
        ui.separator();
        plots::plots_ui(ui, &shown, &mut self.plot_options);
        for run in &shown {
            super::heatmap::heatmap_ui(ui, run);
        }
        let Some(session) = &self.session else {
            return;
        };
        ui.separator();
        let textures = &mut self.grid_textures;
        let fashion = self.data.as_ref().is_none_or(|d| d.image_source.is_none());
        let runs = session.runs.len();
        // Side by side while each column gets a readable width; stacked on a phone.
        if ui.available_width() / runs as f32 >= MIN_PREVIEW_WIDTH {
            ui.columns(runs, |cols| {
                for (ui, run) in cols.iter_mut().zip(&session.runs) {
                    preview_ui(ui, run, textures, fashion);
                }
            });
        } else {
            for run in &session.runs {
                preview_ui(ui, run, textures, fashion);
            }
        }
    }
}

/// The narrowest column a run's sampled text or image grid gets side by side, points.
const MIN_PREVIEW_WIDTH: f32 = 300.0;

/// A run's sampled text (transformers) or predicted test images (ResNets), under a title.
fn preview_ui(
    ui: &mut egui::Ui,
    run: &super::LiveRun,
    textures: &mut super::image_grid::GridTextures,
    fashion: bool,
) {
    let strong = |ui: &mut egui::Ui, title: String| {
        ui.add(egui::Label::new(egui::RichText::new(title).strong()).wrap());
    };
    if let Some(predictor) = &run.predictor {
        strong(
            ui,
            format!("{}: test images, predicted (true) class", run.label),
        );
        super::image_grid::image_grid_ui(ui, predictor, textures, fashion);
    } else if !trains_on_a_task(run) {
        strong(
            ui,
            format!(
                "{}: text sampled from the weights as they were from step {} on",
                run.label, run.sample_from_step
            ),
        );
        let text = run
            .sampler
            .as_ref()
            .map_or("(sampling unavailable)".into(), |s| s.text());
        ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
    }
}

/// Whether the run's transformer trains on a generated task (whose examples are not text to
/// continue: it has no samples to show).
fn trains_on_a_task(run: &super::LiveRun) -> bool {
    matches!(&run.trainer.task, crate::train::Task::Text { corpus, .. } if corpus.examples.is_some())
}

/// The colour of `session`'s run `i`: the base run's, then its IRE twin's, then (beside a
/// finding) the tuned base's; while tuning both, each arm in its colour, brighter with the
/// learning rate.
pub(super) fn live_color(session: &Session, i: usize) -> egui::Color32 {
    let n = session.runs.len();
    if session.tuning.is_some() && n > 2 {
        let arm = n / 2;
        return plots::RUN_COLORS[(i / arm) % 2]
            .gamma_multiply(0.45 + 0.55 * ((i % arm) as f32 + 1.0) / arm as f32);
    }
    plots::RUN_COLORS[i % super::branch::MAX_RUNS]
}

/// Opened logs take the colours from the end (the live runs', from the start, rarely reach
/// them).
fn log_color(i: usize) -> egui::Color32 {
    let n = plots::RUN_COLORS.len();
    plots::RUN_COLORS[n - 1 - i % (n - 3)]
}
/// One run's summary line: label, steps, latest values, state.
pub(super) fn run_line(
    ui: &mut egui::Ui,
    color: egui::Color32,
    label: &str,
    s: &super::Series,
    steps: &str,
    state: &str,
) {
    let last = |p: &Vec<[f64; 2]>| {
        p.last()
            .map_or("–".to_string(), |p| super::axes::format_value(p[1]))
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(color, egui::RichText::new(label).strong());
        let below = s
            .below_eps
            .last()
            .map_or("–".to_string(), |p| super::axes::format_count(p[1]));
        ui.label(format!(
            "{steps} · loss {} · val {} · λmax {} · Fisher < ε {below} · {} steps/s · {state}",
            last(&s.loss),
            last(&s.val_loss),
            last(&s.lambda_max),
            last(&s.steps_per_s),
        ));
    });
}
