//! The live runs' lines above the plots: each run's step, latest values and state, with "hide"
//! (left out of the plots, it trains on) and, when there are several, "remove" (asked twice:
//! the run's state since the last save goes with it).

use super::runs_view::{live_color, run_line};
use super::{Mode, PlaygroundApp};

impl PlaygroundApp {
    /// One line per live run, with its controls.
    pub(super) fn live_runs_ui(&mut self, ui: &mut egui::Ui) {
        let Some(session) = &mut self.session else {
            return;
        };
        let several = session.runs.len() > 1;
        let sweeping = session.tuning.as_ref().is_some_and(|t| !t.decided);
        let mut remove = None;
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
                if several && !sweeping {
                    let asking = self.removing == Some(i);
                    let text = if asking { "remove: sure?" } else { "remove" };
                    if ui
                        .small_button(text)
                        .on_hover_text(format!(
                            "Stop {label} and take it out of these runs (the kept session keeps \
                             it until the next save, at the next step)"
                        ))
                        .clicked()
                    {
                        if asking {
                            remove = Some(i);
                        } else {
                            self.removing = Some(i);
                        }
                    }
                }
                run_line(ui, color, &label, &run.series, &steps, &state);
            });
        }
        super::tune::comparison_ui(ui, session);
        let Some(i) = remove else { return };
        self.removing = None;
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
            // The kept session still holds the removed run: save again at the next step.
            k.current.saved_progress = 0;
        }
        session.hold = false;
        session.remove_run(i);
    }
}
