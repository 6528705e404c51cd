//! Scripted use of the app (the native smoke test, the browser test): switch IRE and quit after
//! a number of steps as the launch options say, and publish the run status as JSON where the
//! tests read it.

use super::{platform, PlaygroundApp, Status};
use web_time::{Duration, Instant};

impl PlaygroundApp {
    /// Scripted launches: switch IRE and quit after the requested steps, or as soon as they
    /// cannot be reached (no run could start, a run failed or finished short of them).
    pub(super) fn automate(&mut self, ui: &egui::Ui) {
        if let (Some(at), Some(session)) = (self.launch.ire_on_at, &self.session) {
            if session.steps_done() >= at && !session.ire_on() {
                self.toggle_ire();
                self.launch.ire_on_at = None;
            }
        }
        if let (Some(at), Some(session)) = (self.launch.export_at, &self.session) {
            if session.steps_done() >= at {
                self.launch.export_at = None;
                self.start_export();
            }
        }
        if let (Some(at), Some(session)) = (self.launch.analyse_at, &self.session) {
            if session.steps_done() >= at {
                self.launch.analyse_at = None;
                self.request_slice();
                self.request_spectrum();
            }
        }
        let Some(n) = self.launch.quit_after else {
            return;
        };
        if self.export_job.is_some() {
            return; // quit once the export is written
        }
        // Quit once the requested analyses are in (unless the runs cannot get there).
        let waiting = self.session.as_ref().is_some_and(|s| {
            let healthy = s.runs.iter().all(|r| !r.is_done());
            s.analyses_busy() || (healthy && self.launch.analyse_at.is_some_and(|at| at <= n))
        });
        if waiting {
            return;
        }
        let failure = match &self.session {
            Some(session) => {
                let done = session.steps_done();
                let failed = session.runs.iter().find_map(|r| r.error.clone());
                let finished = session.runs.iter().all(|r| r.is_done());
                if done >= n {
                    Some(None)
                } else if let Some(e) = failed {
                    Some(Some(format!("the run failed after {done} steps: {e}")))
                } else if finished {
                    Some(Some(format!(
                        "the run finished after {done} steps, before --quit-after {n}"
                    )))
                } else {
                    None
                }
            }
            // No run, and the window says why (a bad settings link, no device, no data).
            None => self
                .message
                .as_ref()
                .filter(|m| m.0)
                .map(|m| Some(format!("no run started: {}", m.1)))
                .or_else(|| self.gpu_problem.clone().map(Some)),
        };
        let Some(failure) = failure else {
            return;
        };
        println!(
            "{}",
            serde_json::to_string(&self.status_now()).unwrap_or_default()
        );
        if let Some(why) = failure {
            if let Ok(mut slot) = self.launch.failure.lock() {
                *slot = Some(why);
            }
        }
        self.launch.quit_after = None;
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// The status of the current session (an empty one without a session), with frame timing.
    fn status_now(&self) -> Status {
        let mut status = match &self.session {
            Some(session) => session.status(),
            None => Status {
                mode: super::Mode::Paused,
                ire_on: false,
                runs: Vec::new(),
                frames: Default::default(),
                logs: Vec::new(),
                text: None,
                images: None,
                guide: false,
                tuning: None,
                speed_up: None,
            },
        };
        status.frames = self.frame_stats.summary();
        status.text = self.text_source();
        status.images = self.image_source();
        status.guide = !self.guide_seen;
        status.logs = self
            .logs
            .iter()
            .map(|l| super::RunStatus::of(&l.label, &l.series, None))
            .collect();
        status
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
        if self.session.is_some() || !self.logs.is_empty() {
            platform::publish_status(
                &serde_json::to_string(&self.status_now()).unwrap_or_default(),
            );
        }
        let hash = self.settings.to_url_hash();
        if hash != self.last_hash {
            platform::set_url_hash(&hash);
            self.last_hash = hash;
        }
    }
}
