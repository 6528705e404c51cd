//! Scripted use of the app (the native smoke test, the browser test): switch IRE and quit after
//! a number of steps as the launch options say, and publish the run status as JSON where the
//! tests read it.

use super::notices::Notice;
use super::series::Series;
use super::session::{IreState, LiveRun, Mode, Session, Tuning};
use super::{platform, PlaygroundApp};
use serde::Serialize;
use web_time::{Duration, Instant};

impl PlaygroundApp {
    /// Scripted launches: switch IRE and quit after the requested steps, or as soon as they
    /// cannot be reached (no run could start, a run failed or finished short of them).
    pub(super) fn automate(&mut self, ui: &egui::Ui, busy: bool) {
        if let (Some(at), Some(session)) = (self.launch.ire_on_at, &self.session) {
            if session.steps_done() >= at && !session.ire_on() {
                self.toggle_ire();
                self.launch.ire_on_at = None;
            }
        }
        // Scripted exports, one at a time (each waits for the one before to finish).
        if let (Some(session), None) = (&self.session, &self.export_job) {
            use super::pytorch_export::Target;
            let (done, launch) = (session.steps_done(), &mut self.launch);
            let due = [
                (&mut launch.export_at, Target::PyTorch),
                (&mut launch.save_runs_at, Target::RunFiles),
                (&mut launch.export_hf_at, Target::HuggingFace),
            ]
            .into_iter()
            .find(|(at, _)| at.is_some_and(|at| done >= at))
            .map(|(at, target)| {
                *at = None;
                target
            });
            if let Some(target) = due {
                self.start_export_to(target);
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
        if !self.idle_checked(ui, n, busy) {
            return;
        }
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
        let reported = self.notices.errors().last();
        let failure = match (&self.session, reported) {
            // An error in the window (a refused --text-file or --data-dir, a failed export)
            // fails the launch: what it was asked to do did not happen.
            (Some(_), Some(error)) => Some(Some(format!(
                "the window reported an error: {}",
                error.text
            ))),
            (Some(session), None) => {
                let done = session.steps_done();
                let failed = session.runs.iter().find_map(|r| r.error.clone());
                let finished = session.runs.iter().all(|r| r.is_done());
                // A run at its last step is reported once its last evaluation and probe are in.
                let last_in = session
                    .runs
                    .iter()
                    .all(|r| r.is_done() || r.series.steps_reached() < r.trainer.config.steps);
                if done >= n && last_in {
                    Some(None)
                } else if done >= n {
                    None
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
            (None, reported) => reported
                .map(|m| Some(format!("no run started: {}", m.text)))
                .or_else(|| self.gpu_problem.clone().map(Some)),
        };
        let Some(failure) = failure else {
            return;
        };
        println!(
            "{}",
            serde_json::to_string(&self.status()).unwrap_or_default()
        );
        if let Some(why) = failure {
            if let Ok(mut slot) = self.launch.failure.lock() {
                *slot = Some(why);
            }
        }
        self.launch.quit_after = None;
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// `--idle-check`: once `n` steps are done, pauses, waits until nothing is in flight, then
    /// counts the frames drawn in the given time with nothing asking for one but a single
    /// delayed wake-up. True when the check is done (or not asked for).
    fn idle_checked(&mut self, ui: &egui::Ui, n: usize, busy: bool) -> bool {
        let Some(wait) = self.launch.idle_check else {
            return true;
        };
        let Some(session) = &self.session else {
            return true;
        };
        if session.steps_done() < n && !session.runs.iter().all(LiveRun::is_done) {
            return false;
        }
        if session.mode == Mode::Running {
            self.set_mode(Mode::Paused);
            return false;
        }
        let frames = self.frame_stats.summary().frames_total;
        match self.idle_mark {
            None if !busy => {
                self.idle_mark = Some((frames, Instant::now()));
                ui.ctx().request_repaint_after(wait);
                false
            }
            None => false,
            Some((_, since)) if since.elapsed() < wait => false,
            Some((before, _)) => {
                // This frame is the wake-up; the marking frame ended after the mark.
                self.idle_frames = Some(frames.saturating_sub(before + 1));
                self.launch.idle_check = None;
                true
            }
        }
    }

    /// The status of the current session (an empty one without a session), with frame timing:
    /// what `--quit-after` prints and the UI tests read.
    pub fn status(&self) -> Status {
        let mut status = match &self.session {
            Some(session) => session.status(),
            None => Status::default(),
        };
        status.frames = self.frame_stats.summary();
        status.idle_frames = self.idle_frames;
        status.adapter = self.ctx.as_ref().map(|c| c.adapter.to_string());
        status.text = self.text_source();
        status.images = self.image_source();
        status.guide = !self.guide_seen;
        status.layout = self.layout;
        status.kept = self.keeper.as_ref().map(|k| KeptStatus {
            location: k.location(),
            current: k.current.id.clone(),
            saved_step: k.current.saved_step,
            sessions: k.kept.iter().map(|m| (m.id.clone(), m.title())).collect(),
            error: k.error.clone(),
        });
        status.notices = self
            .states()
            .into_iter()
            .map(|(notice, _)| notice)
            .chain(self.notices.all().iter().cloned())
            .collect();
        status.logs = self
            .logs
            .iter()
            .map(|l| super::RunStatus::of(&l.label, &l.series, None))
            .collect();
        status
    }

    /// Publishes the status (at most every half second while `busy`; always otherwise, since
    /// an idle window may draw no further frame to publish the final state in).
    pub(super) fn publish(&mut self, busy: bool) {
        let now = Instant::now();
        if busy
            && self
                .last_status
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return;
        }
        self.last_status = Some(now);
        if self.session.is_some() || !self.logs.is_empty() {
            platform::publish_status(&serde_json::to_string(&self.status()).unwrap_or_default());
        }
        let hash = self.settings.to_url_hash();
        if hash != self.last_hash {
            platform::set_url_hash(&hash);
            self.last_hash = hash;
        }
    }
}

impl Session {
    /// A machine-readable summary (the browser test and the native smoke test read it).
    pub fn status(&self) -> Status {
        let reference = super::run_diff::in_force(&self.runs[0].trainer);
        Status {
            tuning: self.tuning.clone(),
            speed_up: self.compared().and_then(|(base, ire)| {
                super::tune::speed_up(
                    &base.series,
                    &ire.series,
                    super::tune::window(base.trainer.config.steps),
                )
            }),
            mode: self.mode,
            ire_on: self.ire_on(),
            ire_state: self.ire_state(),
            runs: self
                .runs
                .iter()
                .map(|r| RunStatus {
                    analysis: Some(r.analyses.status(&r.trainer)),
                    hidden: r.hidden,
                    differs: super::run_diff::differences(
                        &reference,
                        &super::run_diff::in_force(&r.trainer),
                    ),
                    ..RunStatus::of(&r.label, &r.series, r.error.clone())
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// See [`Session::status`].
#[derive(Debug, Default, Serialize)]
pub struct Status {
    /// Running or paused.
    pub mode: Mode,
    /// The IRE switch.
    pub ire_on: bool,
    /// What IRE does now: off, armed (switched on, waiting for its first step) or acting.
    pub ire_state: IreState,
    /// The messages and states in the notices bar (filled in by the app).
    pub notices: Vec<Notice>,
    /// Per run.
    pub runs: Vec<RunStatus>,
    /// Recent frame times and steps/s (filled in by the app).
    pub frames: super::FrameSummary,
    /// Runs opened from log files (filled in by the app).
    pub logs: Vec<RunStatus>,
    /// The user's text the transformer trains on (None: the embedded corpus; filled in by the
    /// app).
    pub text: Option<String>,
    /// The user's image set the ResNets train on (None: Fashion-MNIST; filled in by the app).
    pub images: Option<String>,
    /// Whether the first-visit guide is showing (filled in by the app).
    pub guide: bool,
    /// "Tune both": the sweep and its outcome.
    pub tuning: Option<Tuning>,
    /// Compare mode: the IRE run's speed-up at the base run's current loss.
    pub speed_up: Option<super::tune::SpeedUp>,
    /// Frames drawn while paused and idle for `--idle-check` seconds (filled in by the app).
    pub idle_frames: Option<u64>,
    /// The adapter that trains (filled in by the app).
    pub adapter: Option<String>,
    /// How the window was laid out in its last frame (filled in by the app).
    pub layout: Layout,
    /// Kept runs (None: runs are not kept; filled in by the app).
    pub kept: Option<KeptStatus>,
}

/// The kept sessions, as [`Status`] reports them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeptStatus {
    /// Where they are kept.
    pub location: String,
    /// The open runs' folder there.
    pub current: String,
    /// The slowest open run's step at their last save (None: not saved yet).
    pub saved_step: Option<usize>,
    /// Kept sessions listed, newest first: (folder, title).
    pub sessions: Vec<(String, String)>,
    /// Why saving fails, while it does.
    pub error: Option<String>,
}

/// Where the window's space went, in points: the phone check reads it.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Layout {
    /// The window's size.
    pub width: f32,
    /// The window's height.
    pub height: f32,
    /// The window is narrow enough that the settings are a drawer.
    pub settings_drawer: bool,
    /// The settings are on screen (always, unless they are a closed drawer).
    pub settings_shown: bool,
    /// The width the plots get.
    pub plots_width: f32,
}

/// One run's part of [`Status`].
#[derive(Debug, Serialize)]
pub struct RunStatus {
    /// Legend label.
    pub label: String,
    /// Steps whose results arrived.
    pub steps: usize,
    /// Mean loss of the first 5 steps.
    pub first_loss: Option<f64>,
    /// Mean loss of the last 5 steps.
    pub last_loss: Option<f64>,
    /// Latest validation loss.
    pub last_val_loss: Option<f64>,
    /// Latest held-out accuracy in percent (image models, tasks).
    pub last_val_acc: Option<f64>,
    /// Probes completed.
    pub probes: usize,
    /// Sharpness per probe, `[step, lambda_max]` (what the guide's promise is about).
    pub lambda_max: Vec<[f64; 2]>,
    /// Recorded events as `name@step`.
    pub events: Vec<String>,
    /// Why the run stopped, if it failed.
    pub error: Option<String>,
    /// Left out of the plots ("hide").
    pub hidden: bool,
    /// Live runs: what their settings change from the first run's (empty: nothing).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub differs: String,
    /// Latest training batch's accuracy in percent (image models, tasks).
    pub last_train_acc: Option<f64>,
    /// Live runs: their loss-landscape slices and spectra.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<super::analyses::AnalysisStatus>,
}

impl RunStatus {
    /// The status of a run shown as `label` with `series`.
    pub fn of(label: &str, series: &Series, error: Option<String>) -> Self {
        let loss = series.loss_first_last(5);
        Self {
            label: label.to_string(),
            steps: series.steps_reached(),
            first_loss: loss.map(|l| l.0),
            last_loss: loss.map(|l| l.1),
            last_val_loss: series.val_loss.last().map(|p| p[1]),
            last_val_acc: series.val_acc.last().map(|p| p[1]),
            last_train_acc: series.train_acc.last().map(|p| p[1]),
            probes: series.flat_count.len(),
            lambda_max: series.lambda_max.clone(),
            events: series
                .events
                .iter()
                .map(|(step, event)| format!("{event}@{step}"))
                .collect(),
            error,
            hidden: false,
            differs: String::new(),
            analysis: None,
        }
    }
}
