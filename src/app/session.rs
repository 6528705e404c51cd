//! The runs the app shows: one, or two in compare mode (the base optimizer and its IRE twin, same
//! initial weights and data order). Each frame collects whatever results have arrived and
//! submits steps, alternating between runs, for a few milliseconds at most (the readback ring
//! bounds how many are in flight). Nothing here waits on the GPU; a paused session with nothing
//! in flight asks for no frames. One run is a [`LiveRun`]; "tune both" lives in `tune.rs`, the status
//! the UI tests read in `automation.rs`.

pub use super::datasets::Datasets;
pub use super::live_run::LiveRun;
use super::settings::Settings;
pub use super::tune::Tuning;
use crate::error::Error;
use crate::gpu::GpuContext;
use serde::Serialize;
use web_time::{Duration, Instant};

/// What the play controls asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// Training continuously.
    Running,
    /// Not training; Step advances one step.
    #[default]
    Paused,
}

/// What IRE does in the run its switch controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum IreState {
    /// Switched off.
    #[default]
    Off,
    /// Switched on, but it first acts at step `from` (the end of warm-up, or its set start).
    Armed {
        /// The first step IRE acts at.
        from: usize,
    },
    /// Amplifying the flat coordinates' steps.
    Acting,
}

impl IreState {
    /// The IRE switch's label.
    pub fn label(self) -> String {
        match self {
            Self::Off => "IRE: off".into(),
            Self::Armed { from } => format!("IRE: armed, acts from step {from}"),
            Self::Acting => "IRE: acting".into(),
        }
    }
}

/// The app's current runs and whether they are training.
pub struct Session {
    /// One run, or the base run and the IRE run in compare mode (while tuning both: each arm
    /// at three learning rates, base first).
    pub runs: Vec<LiveRun>,
    /// Running or paused.
    pub mode: Mode,
    /// Index of the run the IRE switch controls.
    pub ire_run: usize,
    /// "Tune both", when the comparison was started with it.
    pub tuning: Option<Tuning>,
    pub(super) next_run: usize,
    /// No new steps while set (a save waits for the results in flight).
    pub hold: bool,
}

impl Session {
    /// Builds the runs for `settings` (paused). In compare mode run 0 is the base optimizer and
    /// run 1 the IRE twin; otherwise one run starts with the IRE switch at `ire_on`.
    pub fn new(
        ctx: &GpuContext,
        settings: &Settings,
        ire_on: bool,
        data: &Datasets,
    ) -> crate::Result<Self> {
        if let Some(problem) = settings.problem() {
            return Err(Error::InvalidConfig(problem));
        }
        let (base, ire) = settings.optimizer_names();
        if settings.compare && settings.tune {
            return Self::tune_both(ctx, settings, data);
        }
        let mut runs = if settings.compare {
            vec![
                LiveRun::new(ctx, base.into(), settings, false, data)?,
                LiveRun::new(ctx, ire.into(), settings, true, data)?,
            ]
        } else {
            let label = if ire_on { ire } else { base };
            vec![LiveRun::new(ctx, label.into(), settings, ire_on, data)?]
        };
        if let (true, Some(lr)) = (settings.compare, settings.reference_lr) {
            let mut tuned = settings.clone();
            tuned.train = tuned.train.with_peak_lr(lr);
            let label = format!("{base} lr {} (tuned)", super::axes::format_value(lr as f64));
            runs.push(LiveRun::new(ctx, label, &tuned, false, data)?);
        }
        let ire_run = if settings.compare { 1 } else { 0 };
        Ok(Self {
            ire_run,
            runs,
            mode: Mode::Paused,
            tuning: None,
            next_run: 0,
            hold: false,
        })
    }

    /// Whether run `i` may take a step now (while sweeping, no run goes past the sweep).
    fn may_step(&self, i: usize) -> bool {
        let run = &self.runs[i];
        let held = self
            .tuning
            .as_ref()
            .is_some_and(|t| !t.decided && run.trainer.steps_submitted() >= t.sweep_steps);
        run.can_step() && !held && !self.hold
    }

    /// Collects results, then (when running) submits steps until `budget` is spent or no run
    /// can take one, alternating between runs; samples text. Returns whether anything may
    /// still change (the caller keeps repainting).
    pub fn advance(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        for run in &mut self.runs {
            run.collect();
            run.analyses.advance(&mut run.trainer);
        }
        self.decide_tuning();
        let running = self.mode == Mode::Running;
        if running {
            while start.elapsed() < budget {
                let n = self.runs.len();
                let Some(i) = (0..n)
                    .map(|k| (self.next_run + k) % n)
                    .find(|&i| self.may_step(i))
                else {
                    break;
                };
                self.runs[i].submit_step();
                self.next_run = (i + 1) % n;
            }
            if self.runs.iter().all(LiveRun::is_done) {
                self.mode = Mode::Paused;
            }
        }
        let now = Instant::now();
        for run in &mut self.runs {
            // A run has either a sampler (transformer) or a predictor (ResNet). Neither looks
            // while an analysis has the weights somewhere on its grid.
            if !run.trainer.analysis_running() {
                run.sample(now, running);
                run.predict(now);
            }
        }
        self.mode == Mode::Running
            || self.analyses_busy()
            || self.in_flight() > 0
            || self.runs.iter().any(LiveRun::view_pending)
    }

    /// Starts every run from `weights` (an imported model) instead of its own initialisation,
    /// with its own settings and data.
    pub fn start_from(
        &mut self,
        ctx: &GpuContext,
        weights: std::sync::Arc<crate::checkpoint::Checkpoint>,
    ) -> crate::Result<()> {
        // Every run's trainer first: a failure leaves all of them as they were.
        let trainers = self
            .runs
            .iter()
            .map(|run| {
                let (config, data) = (run.trainer.config.clone(), run.trainer.task.data());
                crate::train::Trainer::from_checkpoint(ctx, &weights, config, data)
            })
            .collect::<crate::Result<Vec<_>>>()?;
        for (run, trainer) in self.runs.iter_mut().zip(trainers) {
            *run = LiveRun::around(ctx, run.label.clone(), trainer);
            run.start = Some(weights.clone());
        }
        Ok(())
    }

    /// Collects every run's results that have arrived, submitting nothing.
    pub fn collect(&mut self) {
        for run in &mut self.runs {
            run.collect();
        }
    }

    /// Submissions of all runs whose results have not arrived yet.
    pub fn in_flight(&self) -> usize {
        self.runs.iter().map(|r| r.trainer.in_flight()).sum()
    }

    /// Queues `request` for every healthy run (in compare mode both get the same directions).
    pub fn request_analysis(&mut self, request: crate::analysis::AnalysisRequest) {
        for run in self.runs.iter_mut().filter(|r| r.error.is_none()) {
            run.analyses.request(request);
        }
    }

    /// Whether any run has an analysis queued or running.
    pub fn analyses_busy(&self) -> bool {
        self.runs.iter().any(|r| r.analyses.busy(&r.trainer))
    }

    /// Submits exactly one step of every run that can take one (the Step button).
    pub fn step_once(&mut self) {
        self.mode = Mode::Paused;
        for i in 0..self.runs.len() {
            if self.may_step(i) {
                self.runs[i].submit_step();
            }
        }
    }

    /// Compare mode: the base run and its IRE twin (once "tune both" has chosen them).
    pub fn compared(&self) -> Option<(&LiveRun, &LiveRun)> {
        let sweeping = self.tuning.as_ref().is_some_and(|t| !t.decided);
        match &self.runs[..] {
            [base, ire, ..] if self.ire_run == 1 && !sweeping => Some((base, ire)),
            _ => None,
        }
    }

    /// What IRE does now in the run its switch controls.
    pub fn ire_state(&self) -> IreState {
        let trainer = &self.runs[self.ire_run].trainer;
        let from = trainer.config.ire_start();
        if !trainer.ire_enabled() {
            IreState::Off
        } else if trainer.steps_submitted() < from {
            IreState::Armed { from }
        } else {
            IreState::Acting
        }
    }

    /// Whether the IRE switch is on.
    pub fn ire_on(&self) -> bool {
        self.runs[self.ire_run].trainer.ire_enabled()
    }

    /// Flips the IRE switch of the IRE run (both runs keep their labels in compare mode; a
    /// single run's label follows the switch).
    pub fn set_ire(&mut self, on: bool, settings: &Settings) -> crate::Result<()> {
        let compare = self.runs.len() > 1;
        let run = &mut self.runs[self.ire_run];
        let live = crate::train::LiveParams {
            ire_on: on,
            ..run.trainer.live()
        };
        run.trainer.set_live(live)?;
        if !compare {
            let (base, ire) = settings.optimizer_names();
            run.label = if on { ire } else { base }.into();
        }
        Ok(())
    }

    /// Applies the live IRE parameters of `ire` (kappa, K) to the IRE run; its switch stays.
    pub fn set_ire_params(&mut self, ire: &crate::optim::IreConfig) -> crate::Result<()> {
        let trainer = &mut self.runs[self.ire_run].trainer;
        let live = crate::train::LiveParams {
            ire_on: trainer.ire_enabled(),
            ..crate::train::LiveParams::of(ire)
        };
        trainer.set_live(live)
    }

    /// Takes run `i` out (its steps in flight are dropped with it); the IRE switch keeps
    /// controlling the run it controlled, or the first run if that was `i`.
    pub fn remove_run(&mut self, i: usize) {
        if i >= self.runs.len() || self.runs.len() < 2 {
            return;
        }
        self.runs.remove(i);
        self.ire_run = match self.ire_run {
            r if r == i => 0,
            r if r > i => r - 1,
            r => r,
        };
        self.next_run = 0;
    }

    /// Whether any run has trained a step (what Reset would replace).
    pub fn trained(&self) -> bool {
        self.runs.iter().any(|r| !r.series.loss.is_empty())
    }

    /// Steps completed by the slowest run.
    pub fn steps_done(&self) -> usize {
        self.runs
            .iter()
            .map(|r| r.series.steps_reached())
            .min()
            .unwrap_or(0)
    }
}
