//! The runs the app shows: one, or two in compare mode (the base optimizer and its IRE twin, same
//! initial weights and data order). Training is time-sliced: each frame submits steps for a few
//! milliseconds, alternating between runs, and collects whatever results have arrived. Nothing
//! here waits on the GPU.

pub use super::datasets::Datasets;
use super::series::Series;
use super::settings::Settings;
use crate::error::Error;
use crate::gpu::GpuContext;
use crate::models::{ResNetConfig, TransformerConfig};
use crate::previews::{ImagePredictor, TextSampler};
use crate::train::{Task, Trainer};
use serde::Serialize;
use web_time::{Duration, Instant};

/// Minimum time between two sampled characters (sampling shares the GPU with training).
const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);
/// Minimum time between two prediction passes over the image grid.
const PREDICT_INTERVAL: Duration = Duration::from_millis(1000);
/// Test images shown with their predictions.
pub const GRID_IMAGES: usize = 16;

/// One training run and everything shown about it.
pub struct LiveRun {
    /// Legend label, e.g. `AdamW` or `AdmIRE`.
    pub label: String,
    /// The engine's run.
    pub trainer: Trainer,
    /// Text from the current weights (transformers; None if its model could not be built).
    pub sampler: Option<TextSampler>,
    /// Predictions on a few test images (ResNets).
    pub predictor: Option<ImagePredictor>,
    /// Plot series.
    pub series: Series,
    /// Why the run stopped early (divergence, device failure), if it did.
    pub error: Option<String>,
    tokens_per_step: f64,
    /// Loss-landscape slices and spectra: queued, running, latest.
    pub analyses: super::analyses::RunAnalyses,
    /// When text or predictions were last requested (a run has one of the two).
    last_view_request: Option<Instant>,
}

impl LiveRun {
    fn new(
        ctx: &GpuContext,
        label: String,
        settings: &Settings,
        ire_on: bool,
        data: &Datasets,
    ) -> crate::Result<Self> {
        let config = settings.train_config(ire_on);
        let seed = config.seed;
        let (trainer, sampler, predictor, tokens_per_step) = if settings.is_resnet() {
            let model = ResNetConfig::preset(&settings.preset)?;
            let data = data
                .images
                .clone()
                .ok_or_else(|| Error::Data("the image data set has not arrived yet".into()))?;
            let images = config.batch as f64;
            let trainer = Trainer::resnet(ctx, model, config, data.clone(), settings.augment)?;
            let predictor = ImagePredictor::new(ctx, model, &data.test, GRID_IMAGES)
                .map_err(|e| log::warn!("no prediction grid: {e}"))
                .ok();
            (trainer, None, predictor, images)
        } else {
            let corpus = data.corpus.clone();
            let model = TransformerConfig::preset(&settings.preset, corpus.vocab.len())?;
            let tokens = (config.batch * model.seq_len) as f64;
            let vocab = corpus.vocab.clone();
            let trainer = Trainer::new(ctx, model, config, corpus)?;
            let sampler = TextSampler::new(ctx, model, vocab, seed)
                .map_err(|e| log::warn!("no text sampling: {e}"))
                .ok();
            (trainer, sampler, None, tokens)
        };
        Ok(Self {
            label,
            trainer,
            sampler,
            predictor,
            series: Series::default(),
            analyses: Default::default(),
            error: None,
            tokens_per_step,
            last_view_request: None,
        })
    }

    /// Whether this run can take another step now.
    pub fn can_step(&self) -> bool {
        self.error.is_none() && self.trainer.can_submit()
    }

    /// Whether the run has stopped for good (finished all steps, diverged or failed).
    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.trainer.is_finished()
    }

    fn submit_step(&mut self) {
        if let Err(e) = self.trainer.submit_step() {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: Error) {
        log::error!("{}: {e}", self.label);
        self.error.get_or_insert(e.to_string());
    }

    fn collect(&mut self) {
        if self.error.is_some() {
            return;
        }
        // Records that arrived with a failure (the diverged step's) are plotted too.
        let (records, outcome) = self.trainer.poll_with_outcome();
        for r in &records {
            self.series.push(r, self.tokens_per_step);
        }
        if let Err(e) = outcome {
            self.fail(e);
        }
    }

    /// Whether a healthy run's preview may be refreshed: `interval` since the last request.
    fn view_due(&self, now: Instant, interval: Duration) -> bool {
        self.error.is_none()
            && self
                .last_view_request
                .is_none_or(|t| now.duration_since(t) >= interval)
    }

    fn predict(&mut self, now: Instant) {
        let due = self.view_due(now, PREDICT_INTERVAL);
        let (Some(predictor), Task::Images { model, .. }) =
            (self.predictor.as_mut(), &self.trainer.task)
        else {
            return;
        };
        if let Err(e) = predictor.poll() {
            log::warn!("predictions stopped: {e}");
            self.predictor = None;
            return;
        }
        if due {
            self.last_view_request = Some(now);
            predictor.submit(model);
        }
    }

    fn sample(&mut self, now: Instant) {
        let due = self.view_due(now, SAMPLE_INTERVAL);
        let Some(sampler) = self.sampler.as_mut() else {
            return;
        };
        if let Err(e) = sampler.poll() {
            log::warn!("sampling stopped: {e}");
            self.sampler = None;
            return;
        }
        if due && !sampler.is_pending() {
            self.last_view_request = Some(now);
            if let Err(e) = sampler.submit(self.trainer.network().params()) {
                log::warn!("sampling stopped: {e}");
                self.sampler = None;
            }
        }
    }
}

/// What the play controls asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// Training continuously.
    Running,
    /// Not training; Step advances one step.
    Paused,
}

/// "Tune both" in progress or decided (see `app::tune`).
#[derive(Clone, Debug, Serialize)]
pub struct Tuning {
    /// Steps of the sweep.
    pub sweep_steps: usize,
    /// The base arm's runs are `runs[..arm_size]`, the IRE arm's the rest (while sweeping).
    arm_size: usize,
    /// Each candidate's label and its mean training loss at the end of the sweep.
    pub scores: Vec<(String, f64)>,
    /// Whether the best of each arm has been chosen.
    pub decided: bool,
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
    next_run: usize,
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
        let runs = if settings.compare {
            vec![
                LiveRun::new(ctx, base.into(), settings, false, data)?,
                LiveRun::new(ctx, ire.into(), settings, true, data)?,
            ]
        } else {
            let label = if ire_on { ire } else { base };
            vec![LiveRun::new(ctx, label.into(), settings, ire_on, data)?]
        };
        Ok(Self {
            ire_run: runs.len() - 1,
            runs,
            mode: Mode::Paused,
            tuning: None,
            next_run: 0,
        })
    }

    /// Both arms at each of [`super::tune::FACTORS`] times the peak learning rate, same seed.
    fn tune_both(ctx: &GpuContext, settings: &Settings, data: &Datasets) -> crate::Result<Self> {
        let (base, ire) = settings.optimizer_names();
        let mut runs = Vec::new();
        for (name, on) in [(base, false), (ire, true)] {
            for factor in super::tune::FACTORS {
                let mut s = settings.clone();
                let lr = settings.train.optimizer.lr * factor;
                s.train = s.train.with_peak_lr(lr);
                runs.push(LiveRun::new(
                    ctx,
                    format!("{name} lr {lr:.3e}"),
                    &s,
                    on,
                    data,
                )?);
            }
        }
        let arm_size = super::tune::FACTORS.len();
        Ok(Self {
            ire_run: arm_size,
            runs,
            mode: Mode::Paused,
            tuning: Some(Tuning {
                sweep_steps: super::tune::sweep_steps(settings.train.steps),
                arm_size,
                scores: Vec::new(),
                decided: false,
            }),
            next_run: 0,
        })
    }

    /// Whether run `i` may take a step now (while sweeping, no run goes past the sweep).
    fn may_step(&self, i: usize) -> bool {
        let run = &self.runs[i];
        let held = self
            .tuning
            .as_ref()
            .is_some_and(|t| !t.decided && run.trainer.steps_submitted() >= t.sweep_steps);
        run.can_step() && !held
    }

    /// Ends the sweep once every candidate has finished it: the best of each arm continues
    /// (labelled with its learning rate), the others stop.
    fn decide_tuning(&mut self) {
        let Some(t) = &mut self.tuning else { return };
        let swept = |r: &LiveRun| r.series.loss.len() >= t.sweep_steps || r.is_done();
        if t.decided || !self.runs.iter().all(swept) {
            return;
        }
        let n = super::tune::window(self.runs[0].trainer.config.steps);
        let scores: Vec<f64> = self
            .runs
            .iter()
            .map(|r| super::tune::recent_loss(&r.series.loss, n, r.error.is_some()))
            .collect();
        t.scores = self
            .runs
            .iter()
            .map(|r| r.label.clone())
            .zip(scores.iter().copied())
            .collect();
        let b = super::tune::best(&scores[..t.arm_size]);
        let i = t.arm_size + super::tune::best(&scores[t.arm_size..]);
        t.decided = true;
        let mut kept: Vec<LiveRun> = Vec::new();
        for (k, mut run) in std::mem::take(&mut self.runs).into_iter().enumerate() {
            if k == b || k == i {
                run.label = format!("{} (tuned)", run.label);
                kept.push(run);
            }
        }
        self.runs = kept;
        self.ire_run = 1;
        self.next_run = 0;
    }

    /// Collects results, then (when running) submits steps until `budget` is spent or no run
    /// can take one, alternating between runs; samples text. Returns whether anything may still
    /// change (the caller keeps repainting).
    pub fn advance(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        for run in &mut self.runs {
            run.collect();
            run.analyses.advance(&mut run.trainer);
        }
        self.decide_tuning();
        if self.mode == Mode::Running {
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
                run.sample(now);
                run.predict(now);
            }
        }
        self.mode == Mode::Running
            || self.analyses_busy()
            || self.runs.iter().any(|r| !r.trainer.is_finished())
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

    /// Whether the IRE switch is on.
    pub fn ire_on(&self) -> bool {
        self.runs[self.ire_run].trainer.ire_enabled()
    }

    /// Flips the IRE switch of the IRE run (both runs keep their labels in compare mode; a
    /// single run's label follows the switch).
    pub fn set_ire(&mut self, on: bool, settings: &Settings) {
        let compare = self.runs.len() > 1;
        let run = &mut self.runs[self.ire_run];
        run.trainer.set_ire(on);
        if !compare {
            let (base, ire) = settings.optimizer_names();
            run.label = if on { ire } else { base }.into();
        }
    }

    /// Applies live IRE parameters (kappa, K) to the IRE run.
    pub fn set_ire_params(&mut self, kappa: f32, mask_every: usize) -> crate::Result<()> {
        let trainer = &mut self.runs[self.ire_run].trainer;
        let live = crate::train::LiveParams {
            kappa,
            mask_every,
            ..trainer.live()
        };
        trainer.set_live(live)
    }

    /// Steps completed by the slowest run.
    pub fn steps_done(&self) -> usize {
        self.runs
            .iter()
            .map(|r| r.series.loss.len())
            .min()
            .unwrap_or(0)
    }

    /// A machine-readable summary (the browser test and the native smoke test read it).
    pub fn status(&self) -> Status {
        Status {
            frames: Default::default(),
            logs: Vec::new(),
            text: None,
            images: None,
            guide: false,
            tuning: self.tuning.clone(),
            speed_up: match &self.runs[..] {
                [base, ire] => super::tune::speed_up(
                    &base.series,
                    &ire.series,
                    super::tune::window(base.trainer.config.steps),
                ),
                _ => None,
            },
            mode: self.mode,
            ire_on: self.ire_on(),
            runs: self
                .runs
                .iter()
                .map(|r| RunStatus {
                    analysis: Some(r.analyses.status(&r.trainer)),
                    ..RunStatus::of(&r.label, &r.series, r.error.clone())
                })
                .collect(),
        }
    }
}

/// See [`Session::status`].
#[derive(Debug, Serialize)]
pub struct Status {
    /// Running or paused.
    pub mode: Mode,
    /// The IRE switch.
    pub ire_on: bool,
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
    /// Latest test accuracy in percent (image models).
    pub last_val_acc: Option<f64>,
    /// Probes completed.
    pub probes: usize,
    /// Recorded events as `name@step`.
    pub events: Vec<String>,
    /// Why the run stopped, if it failed.
    pub error: Option<String>,
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
            steps: series.loss.len(),
            first_loss: loss.map(|l| l.0),
            last_loss: loss.map(|l| l.1),
            last_val_loss: series.val_loss.last().map(|p| p[1]),
            last_val_acc: series.val_acc.last().map(|p| p[1]),
            probes: series.flat_count.len(),
            events: series
                .events
                .iter()
                .map(|(step, event)| format!("{event}@{step}"))
                .collect(),
            error,
            analysis: None,
        }
    }
}
