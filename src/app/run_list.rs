//! The live runs' lines above the plots: each run's step, latest values and state, what differs
//! from the first run, with "hide" (left out of the plots, it trains on), "rename",
//! "duplicate" (the same settings from step 0 with a seed of its own) and, when there are
//! several, "remove" (asked twice: the run's state since the last save goes with it).

use super::branch::MAX_RUNS;
use super::runs_view::{live_color, run_line};
use super::{LiveRun, Mode, PlaygroundApp};
use crate::train::Trainer;

/// Longest name a run can be given (the legend and the run line show it whole).
const MAX_NAME: usize = 60;

/// A run's control that waits for more input.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum RunEdit {
    /// Nothing pending.
    #[default]
    Idle,
    /// "remove" was pressed once for this run (a second press removes it).
    Removing(usize),
    /// This run's new name as typed so far.
    Renaming(usize, String),
}

/// What the user asked of the run list this frame.
enum Request {
    Remove(usize),
    Rename(usize, String),
    Duplicate(usize),
}

impl PlaygroundApp {
    /// One line per live run, with its controls.
    pub(super) fn live_runs_ui(&mut self, ui: &mut egui::Ui) {
        let Some(session) = &mut self.session else {
            return;
        };
        let several = session.runs.len() > 1;
        let sweeping = session.tuning.as_ref().is_some_and(|t| !t.decided);
        let room = session.runs.len() < MAX_RUNS && !sweeping;
        let reference = super::run_diff::in_force(&session.runs[0].trainer);
        let mut request = None;
        for i in 0..session.runs.len() {
            let run = &session.runs[i];
            let state = if let Some(e) = &run.error {
                format!("stopped: {e}")
            } else if run.trainer.is_finished() {
                "finished".into()
            } else if session.mode == Mode::Running {
                "running".into()
            } else {
                "paused".into()
            };
            let steps = format!(
                "step {}/{}",
                run.series.steps_reached(),
                run.trainer.config.steps
            );
            let differs = (i > 0)
                .then(|| {
                    super::run_diff::differences(
                        &reference,
                        &super::run_diff::in_force(&run.trainer),
                    )
                })
                .filter(|d| !d.is_empty());
            let color = live_color(session, i);
            let label = run.label.clone();
            ui.horizontal(|ui| {
                let run = &mut session.runs[i];
                let toggle = if run.hidden { "show" } else { "hide" };
                if ui
                    .small_button(toggle)
                    .on_hover_text(format!("{toggle} {label} in the plots (it trains on)"))
                    .clicked()
                {
                    run.hidden ^= true;
                }
                if let RunEdit::Renaming(j, name) = &mut self.run_edit {
                    if *j == i {
                        if let Some(r) = rename_field(ui, i, name) {
                            request = Some(r);
                        }
                        return;
                    }
                }
                if ui
                    .small_button("rename")
                    .on_hover_text(format!("Give {label} a name of your own"))
                    .clicked()
                {
                    self.run_edit = RunEdit::Renaming(i, label.clone());
                }
                let duplicate = ui
                    .add_enabled(room, egui::Button::new("duplicate").small())
                    .on_hover_text(format!(
                        "A new run with {label}'s settings from step 0 and a seed of its own \
                         (another data order, and other initial weights unless it started from \
                         an opened model's): how far apart two seeds land is the noise any \
                         difference has to beat"
                    ))
                    .on_disabled_hover_text(format!(
                        "At most {MAX_RUNS} runs train side by side (and not while 'tune both' \
                         sweeps)"
                    ));
                if duplicate.clicked() {
                    request = Some(Request::Duplicate(i));
                }
                if several && !sweeping {
                    let asking = self.run_edit == RunEdit::Removing(i);
                    let text = if asking { "remove: sure?" } else { "remove" };
                    if ui
                        .small_button(text)
                        .on_hover_text(format!(
                            "Stop {label} and take it out of these runs (the kept session keeps \
                             it until the next save)"
                        ))
                        .clicked()
                    {
                        if asking {
                            request = Some(Request::Remove(i));
                        } else {
                            self.run_edit = RunEdit::Removing(i);
                        }
                    }
                }
                run_line(ui, color, &label, &run.series, &steps, &state);
            });
            if let Some(d) = differs {
                ui.weak(format!("      vs {}: {d}", session.runs[0].label))
                    .on_hover_text(
                        "What this run's settings change from the first run's (those in force now)",
                    );
            }
        }
        super::tune::comparison_ui(ui, session);
        match request {
            Some(Request::Remove(i)) => self.remove_run(i),
            Some(Request::Rename(i, name)) => self.rename_run(i, name),
            Some(Request::Duplicate(i)) => self.duplicate_run(i),
            None => {}
        }
    }

    fn remove_run(&mut self, i: usize) {
        self.run_edit = RunEdit::Idle;
        if self.export_job.is_some() {
            self.notices.push(
                true,
                "an export or branch is reading the runs: remove once it is done",
            );
            return;
        }
        // A save that has not reached the store would pair the read runs with the wrong ones.
        if let Some(k) = &mut self.keeper {
            k.cancel_unwritten();
            // The kept session still holds the removed run.
            k.resave();
        }
        if let Some(session) = &mut self.session {
            session.hold = false;
            session.remove_run(i);
        }
    }

    fn rename_run(&mut self, i: usize, name: String) {
        self.run_edit = RunEdit::Idle;
        let name: String = name.trim().chars().take(MAX_NAME).collect();
        let Some(session) = &mut self.session else {
            return;
        };
        if name.is_empty() || session.runs.get(i).is_none_or(|r| r.label == name) {
            return;
        }
        // Names tell runs apart in the legend and name their files.
        if session.runs.iter().any(|r| r.label == name) {
            self.notices.push(
                true,
                format!("another run is called {name}: choose another name"),
            );
            return;
        }
        session.runs[i].label = name;
        self.resave();
    }

    /// Adds a run with run `i`'s settings (see [`super::run_diff::replay`]) from step 0, on the
    /// same data and from the same weights if it started from an opened model's, with the next
    /// seed no live run uses.
    fn duplicate_run(&mut self, i: usize) {
        let (Some(session), Some(ctx)) = (&mut self.session, &self.ctx) else {
            return;
        };
        let Some(run) = session.runs.get(i) else {
            return;
        };
        let mut config = super::run_diff::replay(&run.trainer);
        let seeds: Vec<u64> = session.runs.iter().map(|r| r.trainer.config.seed).collect();
        config.seed = (config.seed + 1..)
            .find(|s| !seeds.contains(s))
            .unwrap_or(0);
        let label = format!("{} seed {}", run.label, config.seed);
        let data = run.trainer.task.data();
        let built = match &run.start {
            Some(weights) => Trainer::from_checkpoint(ctx, weights, config, data),
            None => Trainer::build(ctx, &run.trainer.task.model_spec(), config, data),
        };
        match built {
            Ok(trainer) => {
                let mut duplicate = LiveRun::around(ctx, label.clone(), trainer);
                duplicate.start = run.start.clone();
                session.runs.push(duplicate);
                self.notices.push(false, format!("duplicated: {label}"));
                self.resave();
            }
            Err(e) => self.notices.push(true, format!("no duplicate: {e}")),
        }
    }
}

/// The name field of a run being renamed: Enter (or clicking elsewhere) keeps the name, Escape
/// drops it.
fn rename_field(ui: &mut egui::Ui, i: usize, name: &mut String) -> Option<Request> {
    let field = ui.add(
        egui::TextEdit::singleline(name)
            .char_limit(MAX_NAME)
            .desired_width(220.0)
            .hint_text("a name for this run"),
    );
    if !field.has_focus() && !field.lost_focus() {
        field.request_focus();
    }
    ui.weak("Enter: keep · Esc: cancel");
    if field.lost_focus() {
        let cancelled = ui.input(|inp| inp.key_pressed(egui::Key::Escape));
        let name = if cancelled {
            String::new()
        } else {
            name.clone()
        };
        return Some(Request::Rename(i, name));
    }
    None
}
