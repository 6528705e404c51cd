//! One live training run: the engine's trainer and everything the app shows about it (plot
//! series, sampled text or predicted images, analyses), built from the settings.

use super::series::Series;
use super::session::Datasets;
use super::settings::Settings;
use crate::checkpoint::ModelSpec;
use crate::error::Error;
use crate::gpu::GpuContext;
use crate::previews::{ImagePredictor, TextSampler};
use crate::train::{Record, Task, Trainer};
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
    /// When text or predictions were last requested (a run has one of the two)...
    last_view_request: Option<Instant>,
    /// ...and the steps done then: a paused run looks again only when its weights changed.
    last_view_step: Option<usize>,
    /// The training step at which the text now shown began (it restarts as training goes on,
    /// so what is read comes from recent weights, not from the untrained model).
    pub sample_from_step: usize,
    /// Left out of the plots (it trains on).
    pub hidden: bool,
    /// The weights it started from, when an opened model's (a duplicate starts from them too).
    pub start: Option<std::sync::Arc<crate::checkpoint::Checkpoint>>,
}

/// A new sample begins once training has gone this many steps past the current one's start...
const SAMPLE_RESTART_STEPS: usize = 100;
/// ...and the current one holds at least this many characters (a line or two to read).
const SAMPLE_MIN_CHARS: usize = 160;

/// Whether the sampled text should start afresh: it began `from` steps ago and holds `chars`.
pub fn sample_stale(from: usize, now: usize, chars: usize) -> bool {
    now >= from + SAMPLE_RESTART_STEPS && chars >= SAMPLE_MIN_CHARS
}

impl LiveRun {
    pub(super) fn new(
        ctx: &GpuContext,
        label: String,
        settings: &Settings,
        ire_on: bool,
        data: &Datasets,
    ) -> crate::Result<Self> {
        let config = settings.train_config(ire_on);
        let data = data.task_data(settings.family(), settings.augment)?;
        let model = ModelSpec::of_preset(&settings.preset, &data)?;
        let trainer = Trainer::build(ctx, &model, config, data)?;
        Ok(Self::around(ctx, label, trainer))
    }

    /// A run kept from an earlier visit: its trainer reopened from its checkpoint, its log
    /// `records` plotted again, and the `error` it had stopped with.
    pub(super) fn reopened(
        ctx: &GpuContext,
        label: String,
        trainer: Trainer,
        records: Vec<Record>,
        error: Option<String>,
    ) -> Self {
        let mut run = Self::around(ctx, label, trainer);
        for r in &records {
            run.series.push(r, run.tokens_per_step);
        }
        // The sample starts from the weights as they are now.
        run.sample_from_step = run.series.loss.len();
        run.trainer.history = records;
        run.error = error;
        run
    }

    /// The run around `trainer`: its text sampler (transformers) or prediction grid (ResNets).
    pub(super) fn around(ctx: &GpuContext, label: String, trainer: Trainer) -> Self {
        let seed = trainer.config.seed;
        let (sampler, predictor, tokens_per_step, images) = match &trainer.task {
            Task::Images { model, data, .. } => {
                let predictor = ImagePredictor::new(ctx, model.config, &data.test, GRID_IMAGES)
                    .map_err(|e| log::warn!("no prediction grid: {e}"))
                    .ok();
                (None, predictor, trainer.config.batch as f64, true)
            }
            Task::Text { model, corpus, .. } => {
                let config = model.config;
                let tokens = (trainer.config.batch * config.seq_len) as f64;
                // A task's examples are not text to continue: no samples.
                let sampler = match corpus.examples {
                    Some(_) => None,
                    None => TextSampler::new(ctx, config, corpus.vocab.clone(), seed)
                        .map_err(|e| log::warn!("no text sampling: {e}"))
                        .ok(),
                };
                (sampler, None, tokens, false)
            }
        };
        Self {
            label,
            trainer,
            sampler,
            predictor,
            series: Series::of_images(images),
            analyses: Default::default(),
            error: None,
            tokens_per_step,
            last_view_request: None,
            last_view_step: None,
            sample_from_step: 0,
            hidden: false,
            start: None,
        }
    }

    /// Whether this run can take another step now.
    pub fn can_step(&self) -> bool {
        self.error.is_none() && self.trainer.can_submit()
    }

    /// Whether the run has stopped for good (finished all steps, diverged or failed).
    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.trainer.is_finished()
    }

    pub(super) fn submit_step(&mut self) {
        if let Err(e) = self.trainer.submit_step() {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: Error) {
        log::error!("{}: {e}", self.label);
        self.error.get_or_insert(e.to_string());
    }

    pub(super) fn collect(&mut self) {
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

    /// Whether a healthy run's preview may be refreshed: `interval` since the last request,
    /// and (unless `running`) weights that changed since then.
    fn view_due(&self, now: Instant, interval: Duration, running: bool) -> bool {
        self.error.is_none()
            && (running || self.weights_changed())
            && self
                .last_view_request
                .is_none_or(|t| now.duration_since(t) >= interval)
    }

    /// Whether steps were taken since text or predictions were last requested.
    fn weights_changed(&self) -> bool {
        self.last_view_step != Some(self.series.loss.len())
    }

    fn viewed(&mut self, now: Instant) {
        self.last_view_request = Some(now);
        self.last_view_step = Some(self.series.loss.len());
    }

    /// Whether text or predictions are on their way, or due for weights that changed (the
    /// caller keeps drawing frames until they have come).
    pub fn view_pending(&self) -> bool {
        let has_view = self.sampler.is_some() || self.predictor.is_some();
        self.sampler.as_ref().is_some_and(|s| s.is_pending())
            || self.predictor.as_ref().is_some_and(|p| p.is_pending())
            || (has_view && self.error.is_none() && self.weights_changed())
    }

    /// Refreshes the predictions on the image grid (at most once a second, and while paused
    /// only for changed weights).
    pub(super) fn predict(&mut self, now: Instant) {
        let due = self.view_due(now, PREDICT_INTERVAL, false);
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
            predictor.submit(model);
            self.viewed(now);
        }
    }

    /// Adds a character to the text sample (while `running`; while paused only for weights
    /// that changed, so that a paused page computes nothing).
    pub(super) fn sample(&mut self, now: Instant, running: bool) {
        let due = self.view_due(now, SAMPLE_INTERVAL, running);
        let Some(sampler) = self.sampler.as_mut() else {
            return;
        };
        if let Err(e) = sampler.poll() {
            log::warn!("sampling stopped: {e}");
            self.sampler = None;
            return;
        }
        if due && !sampler.is_pending() {
            let step = self.series.loss.len();
            if sample_stale(self.sample_from_step, step, sampler.text().chars().count()) {
                if let Err(e) = sampler.restart("\n") {
                    log::warn!("sampling stopped: {e}");
                    self.sampler = None;
                    return;
                }
                self.sample_from_step = step;
            }
            if let Err(e) = sampler.submit(self.trainer.network().params()) {
                log::warn!("sampling stopped: {e}");
                self.sampler = None;
            }
            self.viewed(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_restarts_as_training_goes_on() {
        assert!(!sample_stale(0, 50, 500), "too few steps since it began");
        assert!(!sample_stale(0, 300, 20), "too little text to read yet");
        assert!(sample_stale(0, 100, 160));
        assert!(sample_stale(200, 400, 600));
    }
}
