//! The trainer: a state machine advanced a step at a time by whoever drives it (the CLI's loop,
//! the UI's frame callback). Submitting a step never waits on the GPU; results arrive later
//! through the readback ring and are turned into [`Record`]s by [`Trainer::poll`].

use super::task::{HostBatch, Task};
use super::{EvalRecord, EventRecord, LiveParams, ProbeRecord, Record, StepRecord, TrainConfig};
use crate::checkpoint::Checkpoint;
use crate::data::{Batcher, Corpus, ImageBatcher, ImageDataset};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, ReadbackRing};
use crate::kernels::slot;
use crate::models::{Network, ResNet, ResNetConfig, Transformer, TransformerConfig};
use crate::optim::{Ire, LrSchedule, Optimizer, OptimizerKind, Sam};
use crate::probe::Sharpness;
use crate::rng::Rng;
use std::collections::VecDeque;
use std::sync::Arc;
use web_time::Instant;

/// Results in flight at most (steps, evaluations and probes together).
const RING_SLOTS: usize = 6;
/// Readbacks one step may cause (the step, an evaluation, a probe).
const MAX_PER_STEP: usize = 3;

enum Pending {
    Step {
        step: usize,
        lr: f32,
        ire_kappa: f32,
        events: Vec<EventRecord>,
        submitted: Instant,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: wgpu::SubmissionIndex,
    },
    Eval {
        step: usize,
        batches: usize,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: wgpu::SubmissionIndex,
    },
    Probe {
        step: usize,
        ire_active: bool,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: wgpu::SubmissionIndex,
    },
}

impl Pending {
    #[cfg(not(target_arch = "wasm32"))]
    fn index(&self) -> &wgpu::SubmissionIndex {
        match self {
            Pending::Step { index, .. }
            | Pending::Eval { index, .. }
            | Pending::Probe { index, .. } => index,
        }
    }
}

/// A training run: a transformer on a corpus, or a ResNet on images.
pub struct Trainer {
    ctx: GpuContext,
    /// The model being trained and its data.
    pub task: Task,
    optimizer: Optimizer,
    /// IRE state (Fisher estimate, mask, refresh plan); inactive unless switched on.
    pub ire: Ire,
    sam: Option<Sam>,
    sharpness: Option<Sharpness>,
    ire_on: bool,
    last_ire_refresh: Option<usize>,
    probe_batch: HostBatch,
    /// The run's configuration.
    pub config: TrainConfig,
    schedule: LrSchedule,
    data_rng: Rng,
    next_step: usize,
    ring: ReadbackRing,
    pending: VecDeque<Pending>,
    last_completion: Option<Instant>,
    /// Everything recorded so far, in order.
    pub history: Vec<Record>,
    queued_events: Vec<EventRecord>,
    diverged_at: Option<usize>,
}

impl Trainer {
    /// A fresh run: validates the config, builds the model (checking the adapter's limits first)
    /// and initialises weights from `config.seed`.
    pub fn new(
        ctx: &GpuContext,
        model_config: TransformerConfig,
        config: TrainConfig,
        corpus: Arc<Corpus>,
    ) -> Result<Self> {
        let trainer = Self::build(
            ctx,
            Self::text_task(ctx, model_config, &config, corpus)?,
            config,
            0,
        )?;
        trainer.initialise_weights();
        Ok(trainer)
    }

    /// A fresh ResNet run on an image set; `augment` switches random crops and flips on.
    pub fn resnet(
        ctx: &GpuContext,
        model_config: ResNetConfig,
        config: TrainConfig,
        data: Arc<ImageDataset>,
        augment: bool,
    ) -> Result<Self> {
        config.validate()?;
        if model_config.classes != data.classes {
            return Err(Error::InvalidConfig(format!(
                "model has {} classes, the data {}",
                model_config.classes, data.classes
            )));
        }
        let model = ResNet::new(ctx, model_config, config.batch, config.grad_clip)?;
        let batcher = ImageBatcher {
            batch: config.batch,
            augment,
        };
        let trainer = Self::build(
            ctx,
            Task::Images {
                model: Box::new(model),
                data,
                batcher,
            },
            config,
            0,
        )?;
        trainer.initialise_weights();
        Ok(trainer)
    }

    fn initialise_weights(&self) {
        let mut init_rng = Rng::new(self.config.seed).fork(1);
        let network = self.task.network();
        network.load_flat(&self.ctx, &network.params().initial_values(&mut init_rng));
    }

    fn text_task(
        ctx: &GpuContext,
        model_config: TransformerConfig,
        config: &TrainConfig,
        corpus: Arc<Corpus>,
    ) -> Result<Task> {
        config.validate()?;
        if model_config.vocab != corpus.vocab.len() {
            return Err(Error::InvalidConfig(format!(
                "model vocabulary {} != corpus vocabulary {}",
                model_config.vocab,
                corpus.vocab.len()
            )));
        }
        let model = Transformer::new(ctx, model_config, config.batch, config.grad_clip)?;
        let batcher = Batcher {
            batch: config.batch,
            seq_len: model_config.seq_len,
        };
        Ok(Task::Text {
            model: Box::new(model),
            corpus,
            batcher,
        })
    }

    /// The model (for its parameters, plans and buffers).
    pub fn network(&self) -> &dyn Network {
        self.task.network()
    }

    /// Continues from a checkpoint: its weights, its step count (the schedule resumes there).
    /// Optimizer moments start from zero (checkpoints hold weights only).
    pub fn from_checkpoint(
        ctx: &GpuContext,
        checkpoint: &Checkpoint,
        config: TrainConfig,
        corpus: Arc<Corpus>,
    ) -> Result<Self> {
        if corpus.vocab != checkpoint.vocab {
            return Err(Error::Data(
                "the checkpoint's vocabulary differs from the corpus's".into(),
            ));
        }
        let task = Self::text_task(ctx, checkpoint.config, &config, corpus)?;
        let trainer = Self::build(ctx, task, config, checkpoint.step)?;
        let network = trainer.network();
        let flat = network.params().flatten(&checkpoint.tensors)?;
        network.load_flat(ctx, &flat);
        Ok(trainer)
    }

    /// Wires the optimizer, IRE, SAM and the probes around a built task. The constructors have
    /// validated `config` before building the model.
    fn build(ctx: &GpuContext, task: Task, config: TrainConfig, start_step: usize) -> Result<Self> {
        let model = task.network();
        let ire = Ire::new(ctx, model, &config.ire, config.seed)?;
        let optimizer = Optimizer::new(
            ctx,
            config.optimizer,
            model.params(),
            model.scalars(),
            &ire.mask,
        )?;
        let available = task.eval_batches_available();
        if available < config.eval_batches {
            return Err(Error::InvalidConfig(format!(
                "{} evaluation batches requested but the held-out split holds {available} of batch {}",
                config.eval_batches, config.batch
            )));
        }
        // The probe batch is fixed for the whole run (and across runs with the same seed).
        let probe_batch = task.train_batch(&mut Rng::new(config.seed).fork(3))?;
        let sam = (config.optimizer.kind == OptimizerKind::Sam)
            .then(|| Sam::new(ctx, model, config.optimizer.rho));
        let sharpness = if config.probe_every > 0 {
            Some(Sharpness::new(ctx, model, config.sharpness, config.seed)?)
        } else {
            None
        };
        let scalars_len = model.scalars().len;
        Ok(Self {
            ctx: ctx.clone(),
            task,
            optimizer,
            ire_on: config.ire.enabled_at(start_step.saturating_sub(1)),
            ire,
            sam,
            sharpness,
            last_ire_refresh: None,
            probe_batch,
            schedule: config.schedule(),
            // The data order depends on the seed and the starting step only.
            data_rng: Rng::new(config.seed).fork(2 + start_step as u64),
            next_step: start_step,
            ring: ReadbackRing::new(ctx, RING_SLOTS, scalars_len),
            pending: VecDeque::new(),
            last_completion: None,
            history: Vec::new(),
            queued_events: Vec::new(),
            diverged_at: None,
            config,
        })
    }

    /// Steps submitted so far (including any resumed from a checkpoint).
    pub fn steps_submitted(&self) -> usize {
        self.next_step
    }

    /// Whether another step may be submitted now without waiting.
    pub fn can_submit(&self) -> bool {
        self.next_step < self.config.steps
            && self.diverged_at.is_none()
            && self.ring.in_flight() + MAX_PER_STEP <= RING_SLOTS
    }

    /// Whether every step has been submitted and every result has arrived.
    pub fn is_finished(&self) -> bool {
        (self.next_step >= self.config.steps || self.diverged_at.is_some())
            && self.pending.is_empty()
    }

    /// The step at which a NaN/Inf loss or gradient was seen, if any.
    pub fn diverged_at(&self) -> Option<usize> {
        self.diverged_at
    }

    /// The sharpness probe plan, when probes are on (benchmarks time it on its own).
    pub fn sharpness_plan(&self) -> Option<&Plan> {
        self.sharpness.as_ref().map(Sharpness::plan)
    }

    /// Whether IRE is switched on for the next step.
    pub fn ire_enabled(&self) -> bool {
        self.ire_on
    }

    /// Switches IRE on or off from the next step on (the UI's toggle). Switching on refreshes
    /// the mask at once. The event is recorded with the next step's result.
    pub fn set_ire(&mut self, on: bool) {
        if on != self.ire_on {
            self.ire_on = on;
            self.queued_events.push(EventRecord {
                step: self.next_step,
                event: if on { "ire_on" } else { "ire_off" }.into(),
            });
            if on {
                self.last_ire_refresh = None;
            }
        }
    }

    /// The live parameters now in force (see [`LiveParams`]).
    pub fn live(&self) -> LiveParams {
        LiveParams {
            ire_on: self.ire_on,
            ..LiveParams::of(&self.config)
        }
    }

    /// Applies live parameters from the next step on: the IRE switch (an `ire_on`/`ire_off`
    /// event) and kappa and K (an `ire_params` event). Gamma and everything structural are built
    /// into the run's plans and change only with a new run.
    pub fn set_live(&mut self, live: LiveParams) -> Result<()> {
        live.validate()?;
        let ire = &self.config.ire;
        if live.kappa != ire.kappa || live.mask_every != ire.mask_every {
            self.queued_events.push(EventRecord {
                step: self.next_step,
                event: format!(
                    "ire_params kappa={} mask_every={}",
                    live.kappa, live.mask_every
                ),
            });
            self.config.ire.kappa = live.kappa;
            self.config.ire.mask_every = live.mask_every;
        }
        self.set_ire(live.ire_on);
        Ok(())
    }

    /// Submits one training step (forward, backward, clipping, update, and IRE's Fisher refresh
    /// when one is due) as a single submission, then an evaluation and probes when due.
    /// Never waits on the GPU.
    pub fn submit_step(&mut self) -> Result<()> {
        if !self.can_submit() {
            return Err(Error::NotReady(
                "no step can be submitted now (finished, diverged, or results pending)".into(),
            ));
        }
        let step = self.next_step;
        if step > 0 && self.config.ire.toggle_at.contains(&step) {
            self.set_ire(!self.ire_on);
        }
        let events = std::mem::take(&mut self.queued_events);
        let batch = self.task.train_batch(&mut self.data_rng)?;
        self.task.upload(&self.ctx, &batch)?;
        let lr = self.schedule.at(step);
        let active = self.ire_active_at(step);
        let refresh = active
            && self
                .last_ire_refresh
                .is_none_or(|r| step - r >= self.config.ire.mask_every);
        let ire_kappa = if active {
            self.config.ire.kappa_at(lr, self.config.optimizer.lr)
        } else {
            0.0
        };
        self.optimizer.prepare_step(&self.ctx, lr, ire_kappa);
        let mut plans = Vec::with_capacity(3);
        if refresh {
            self.ire.prepare_refresh(&self.ctx, false);
            self.last_ire_refresh = Some(step);
            plans.push(self.ire.refresh_plan());
        }
        plans.push(match &self.sam {
            Some(sam) => sam.plan(),
            None => self.task.network().train_plan(),
        });
        plans.push(self.optimizer.plan());
        let readback = Some((&mut self.ring, self.task.network().scalars()));
        let (slot, index) = submit_plans(&self.ctx, &plans, readback);
        let submitted = Instant::now();
        self.ring
            .submitted(slot.expect("readback slot"), step as u64);
        self.pending.push_back(Pending::Step {
            step: step + 1,
            lr,
            ire_kappa,
            events,
            submitted,
            index,
        });
        self.next_step += 1;
        let done = self.next_step;
        let every = self.config.eval_every;
        if done == self.config.steps || (every > 0 && done.is_multiple_of(every)) {
            self.submit_eval(self.config.eval_batches)?;
        }
        let probe_every = self.config.probe_every;
        if probe_every > 0 && done.is_multiple_of(probe_every) {
            self.submit_probe()?;
        }
        Ok(())
    }

    fn ire_active_at(&self, step: usize) -> bool {
        self.ire_on && step >= self.config.ire_start()
    }

    /// Submits the probes on the fixed probe batch: Fisher statistics and flat-direction counts.
    /// While IRE acts, they are those of its latest mask refresh (probes never change training);
    /// otherwise a refresh computes them now (the mask is not applied).
    pub fn submit_probe(&mut self) -> Result<()> {
        if self.ring.in_flight() >= RING_SLOTS {
            return Err(Error::NotReady(
                "too many results pending; poll first".into(),
            ));
        }
        let ire_active = self.ire_active_at(self.next_step.saturating_sub(1));
        let mut plans = Vec::new();
        self.task.upload(&self.ctx, &self.probe_batch)?;
        if !ire_active {
            self.ire.prepare_refresh(&self.ctx, true);
            plans.push(self.ire.refresh_plan());
        }
        if let Some(sharpness) = &self.sharpness {
            plans.push(sharpness.plan());
        }
        let readback = Some((&mut self.ring, self.task.network().scalars()));
        let (slot, index) = submit_plans(&self.ctx, &plans, readback);
        self.ring
            .submitted(slot.expect("readback slot"), self.next_step as u64);
        self.pending.push_back(Pending::Probe {
            step: self.next_step,
            ire_active,
            index,
        });
        Ok(())
    }

    fn probe_record(&self, step: usize, ire_active: bool, values: &[f32]) -> ProbeRecord {
        let tensors = self.ire.tensor_names.len();
        let masks = &values[slot::per_tensor::mask_counts(tensors)..][..tensors];
        let below = &values[slot::per_tensor::below_counts(tensors)..][..tensors];
        let flat_fraction_by_tensor = self
            .ire
            .tensor_names
            .iter()
            .zip(&self.ire.tensor_sizes)
            .zip(masks)
            .map(|((name, &size), &count)| (name.clone(), count / size as f32))
            .collect();
        let sharpness = self.sharpness.as_ref().map(|s| s.config);
        ProbeRecord {
            step,
            lambda_max: sharpness
                .filter(|c| c.power_iters > 0)
                .map(|_| values[slot::LAMBDA_MAX]),
            trace: sharpness
                .filter(|c| c.hutchinson_samples > 0)
                .map(|_| values[slot::TRACE]),
            fisher_trace: values[slot::FISHER_SUM],
            flat_count: masks.iter().map(|&c| c as u64).sum(),
            flat_fraction_by_tensor,
            below_eps_count: below.iter().map(|&c| c as u64).sum(),
            ire_active,
        }
    }

    /// Submits an evaluation over the first `batches` fixed validation batches; its record arrives
    /// through [`Trainer::poll`].
    pub fn submit_eval(&mut self, batches: usize) -> Result<()> {
        if self.ring.in_flight() >= RING_SLOTS {
            return Err(Error::NotReady(
                "too many results pending; poll first".into(),
            ));
        }
        let scalars = self.task.network().scalars();
        for s in [slot::EVAL_LOSS, slot::EVAL_CORRECT] {
            self.ctx.queue.write_buffer(
                &scalars.buffer,
                scalars.offset + (s * 4) as u64,
                bytemuck::cast_slice(&[0f32]),
            );
        }
        let mut last = None;
        for j in 0..batches {
            let batch = self.task.eval_batch(j)?;
            self.task.upload(&self.ctx, &batch)?;
            let network = self.task.network();
            let readback = (j + 1 == batches).then_some((&mut self.ring, network.scalars()));
            last = Some(submit_plans(&self.ctx, &[network.eval_plan()], readback));
        }
        let (slot, index) =
            last.ok_or_else(|| Error::InvalidConfig("evaluation needs at least one batch".into()))?;
        self.ring
            .submitted(slot.expect("readback slot"), self.next_step as u64);
        self.pending.push_back(Pending::Eval {
            step: self.next_step,
            batches,
            index,
        });
        Ok(())
    }

    /// Collects every result that has arrived (never blocks). A NaN/Inf loss or gradient stops
    /// the run with [`Error::NonFinite`]; the weights keep their last finite values because the
    /// GPU skips such updates.
    pub fn poll(&mut self) -> Result<Vec<Record>> {
        self.ctx.check_healthy()?;
        let results = self.ring.drain(&self.ctx)?;
        let now = Instant::now();
        // Steps whose results arrive together share the time since the previous arrival (or
        // since the first of them was submitted, if the GPU was idle in between): exact on
        // average, and independent of how often the driver polls.
        let steps_arrived = self
            .pending
            .iter()
            .take(results.len())
            .filter(|p| matches!(p, Pending::Step { .. }))
            .count()
            .max(1);
        let first_submit = self
            .pending
            .iter()
            .take(results.len())
            .find_map(|p| match p {
                Pending::Step { submitted, .. } => Some(*submitted),
                _ => None,
            });
        let since = match (self.last_completion, first_submit) {
            (Some(last), Some(sub)) => last.max(sub),
            (None, Some(sub)) => sub,
            (Some(last), None) => last,
            (None, None) => now,
        };
        let ms_each = now.duration_since(since).as_secs_f64() * 1e3 / steps_arrived as f64;
        let mut out = Vec::new();
        for (_, values) in results {
            let pending = self
                .pending
                .pop_front()
                .expect("a pending entry per readback");
            let record = match pending {
                Pending::Step {
                    step,
                    lr,
                    ire_kappa,
                    events,
                    ..
                } => {
                    for e in events {
                        self.history.push(Record::Event(e.clone()));
                        out.push(Record::Event(e));
                    }
                    if values[slot::NONFINITE] != 0.0 && self.diverged_at.is_none() {
                        self.diverged_at = Some(step);
                    }
                    // SAM's second pass overwrites LOSS with the loss at the perturbed point.
                    let loss_slot = if self.sam.is_some() {
                        slot::SAM_LOSS
                    } else {
                        slot::LOSS
                    };
                    Record::Step(StepRecord {
                        step,
                        loss: values[loss_slot],
                        lr,
                        ms: ms_each,
                        grad_norm: values[slot::GRAD_NORM],
                        ire_kappa,
                    })
                }
                Pending::Probe {
                    step, ire_active, ..
                } => Record::Probe(self.probe_record(step, ire_active, &values)),
                Pending::Eval { step, batches, .. } => Record::Eval(EvalRecord {
                    step,
                    val_loss: values[slot::EVAL_LOSS] / batches as f32,
                    val_acc: self
                        .task
                        .has_accuracy()
                        .then(|| values[slot::EVAL_CORRECT] / batches as f32),
                }),
            };
            self.history.push(record.clone());
            out.push(record);
        }
        if !out.is_empty() {
            self.last_completion = Some(now);
        }
        if let Some(step) = self.diverged_at {
            if self.pending.is_empty() || !out.is_empty() {
                return Err(Error::NonFinite { step, records: out });
            }
        }
        Ok(out)
    }

    /// Blocks until the oldest pending result is ready (native drivers only; the web polls).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_for_oldest(&self) {
        let Some(index) = self.pending.front().map(|p| p.index().clone()) else {
            return;
        };
        let _ = self.ctx.device.poll(wgpu::PollType::Wait {
            submission_index: Some(index),
            timeout: None,
        });
    }

    /// Reads the weights back into a checkpoint (native; blocks until the GPU is idle).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        let Task::Text { model, corpus, .. } = &self.task else {
            return Err(Error::InvalidConfig(
                "checkpoints hold transformers only; ResNet weights cannot be saved yet".into(),
            ));
        };
        let flat: Vec<f32> = model.params.params.read_blocking(&self.ctx)?;
        let tensors = model
            .params
            .unflatten(&flat)
            .into_iter()
            .map(|(spec, v)| (spec.name.clone(), v.to_vec()))
            .collect();
        Ok(Checkpoint {
            config: model.config,
            vocab: corpus.vocab.clone(),
            step: self.next_step,
            train_config: serde_json::to_string(&self.config).unwrap_or_default(),
            tensors,
        })
    }
}

/// Records `plans` into one compute pass, optionally followed by a copy of `scalars` into the
/// readback ring, and submits them as one command buffer.
fn submit_plans(
    ctx: &GpuContext,
    plans: &[&Plan],
    readback: Option<(&mut ReadbackRing, &crate::gpu::Tensor)>,
) -> (Option<usize>, wgpu::SubmissionIndex) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        for plan in plans {
            plan.record(&mut pass);
        }
    }
    let slot = readback.map(|(ring, scalars)| ring.record_copy(&mut encoder, scalars));
    let index = ctx.queue.submit([encoder.finish()]);
    (slot, index)
}
