//! Scripted use of the app (the native smoke test, the browser test): switch IRE and quit after
//! a number of steps as the launch options say, and publish the run status as JSON where the
//! tests read it.

use super::{platform, PlaygroundApp};
use web_time::{Duration, Instant};

impl PlaygroundApp {
    /// Scripted launches: switch IRE and quit after the requested steps.
    pub(super) fn automate(&mut self, ui: &egui::Ui) {
        let Some(session) = &self.session else {
            return;
        };
        let done = session.steps_done();
        let ire_on = session.ire_on();
        if let Some(at) = self.launch.ire_on_at {
            if done >= at && !ire_on {
                self.toggle_ire();
                self.launch.ire_on_at = None;
            }
        }
        let Some(session) = &self.session else {
            return;
        };
        if let Some(n) = self.launch.quit_after {
            let failed = session.runs.iter().any(|r| r.error.is_some());
            if done >= n || failed {
                println!(
                    "{}",
                    serde_json::to_string(&session.status()).unwrap_or_default()
                );
                self.launch.quit_after = None;
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    pub(super) fn publish(&mut self) {
        let now = Instant::now();
        if self
            .last_status
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return;
        }
        self.last_status = Some(now);
        if let Some(session) = &self.session {
            platform::publish_status(&serde_json::to_string(&session.status()).unwrap_or_default());
        }
        let hash = self.settings.to_url_hash();
        if hash != self.last_hash {
            platform::set_url_hash(&hash);
            self.last_hash = hash;
        }
    }
}
