//! What the user sees of kept sessions: an offer in the notices bar to continue the newest one
//! (the C key), and a "Kept runs" section in the settings listing every kept session with
//! Continue and Delete, where they are kept, the limits, and when the open runs were last saved.

use super::notices::{Level, Notice};
use super::saved::{self, MAX_BYTES, MAX_SESSIONS};
use super::PlaygroundApp;

/// The notices bar's button that continues the newest kept session.
pub const CONTINUE: &str = "Continue them (C)";

impl PlaygroundApp {
    /// The offer to continue, while the open runs have not trained yet and a kept session
    /// other than them exists.
    pub(super) fn kept_offer(&self) -> Option<Notice> {
        let keeper = self.keeper.as_ref()?;
        let untouched = self.session.as_ref().is_none_or(|s| !s.trained());
        if !untouched || keeper.loading.is_some() {
            return None;
        }
        let newest = keeper.newest_other()?;
        Some(Notice {
            level: Level::Info,
            text: format!(
                "Runs you trained before were kept: {} (saved {}).",
                newest.title(),
                saved::ago(newest.saved_at_ms, saved::now_ms())
            ),
        })
    }

    /// Continues the newest kept session other than the open runs (the C key).
    pub(super) fn continue_newest(&mut self) {
        let newest = self
            .keeper
            .as_ref()
            .and_then(|k| k.newest_other().map(|m| m.id.clone()));
        match newest {
            Some(id) => self.continue_kept(&id),
            None => self.notices.push(false, "no kept runs to continue"),
        }
    }

    /// The "Kept runs" section of the settings.
    pub(super) fn kept_ui(&mut self, ui: &mut egui::Ui) {
        let Some(keeper) = &self.keeper else {
            return;
        };
        let now = saved::now_ms();
        let mut continue_id = None;
        let mut delete_id = None;
        egui::CollapsingHeader::new("Kept runs").show(ui, |ui| {
            match (keeper.current.saved_step, &keeper.error) {
                (_, Some(_)) => {
                    ui.colored_label(ui.visuals().error_fg_color, "not being saved: see below");
                }
                (Some(step), None) => {
                    ui.label(format!("these runs: saved at step {step}"));
                }
                (None, None) => {
                    ui.label("these runs: saved once they train");
                }
            }
            if !keeper.listed {
                ui.weak("looking for kept runs…");
            }
            for m in &keeper.kept {
                ui.separator();
                let open = m.id == keeper.current.id;
                ui.label(m.title());
                ui.horizontal(|ui| {
                    ui.weak(format!(
                        "{}, {:.1} MB",
                        saved::ago(m.saved_at_ms, now),
                        m.bytes as f64 / 1e6
                    ));
                    if open {
                        ui.weak("(shown now)");
                    } else {
                        if ui.small_button("Continue").clicked() {
                            continue_id = Some(m.id.clone());
                        }
                        if ui
                            .small_button("Delete")
                            .on_hover_text("Remove these runs from the kept ones, for good")
                            .clicked()
                        {
                            delete_id = Some(m.id.clone());
                        }
                    }
                });
            }
            ui.separator();
            ui.weak(format!(
                "Saved every {} s while training, when paused or finished, and before Reset; \
                 kept in {}. At most {MAX_SESSIONS} sessions and {} MB; the oldest go first.",
                super::keeper::SAVE_EVERY.as_secs(),
                keeper.location(),
                MAX_BYTES >> 20
            ));
        });
        if let Some(id) = continue_id {
            self.continue_kept(&id);
        }
        if let (Some(id), Some(keeper)) = (delete_id, &mut self.keeper) {
            keeper.delete(&id);
        }
    }
}
