//! Checkpoints of a run and runs from checkpoints. A full checkpoint holds everything a step
//! reads that earlier steps wrote (weights, BatchNorm statistics, optimizer moments, IRE's
//! Fisher estimate and mask, the probes' power-iteration vector, the data-order generator and
//! the counters beside them), so a resumed run continues bit-identically.

use super::Trainer;
use crate::checkpoint::{Checkpoint, HostState, TrainState};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Snapshot, Tensor};
use crate::nn::ParamLayout;
use crate::rng::Rng;
use crate::train::{Task, TaskData, TrainConfig};

fn refuse(why: String) -> Error {
    Error::InvalidConfig(why)
}

impl Trainer {
    /// Every buffer that carries training state from step to step, by checkpoint name.
    fn state_tensors(&self) -> Vec<(&'static str, &Tensor)> {
        let mut out = self.optimizer.state_tensors();
        out.extend(self.ire.state_tensors());
        if let Some(sharpness) = &self.sharpness {
            out.extend(sharpness.state_tensors());
        }
        out
    }

    /// The model's non-trained buffers (BatchNorm running statistics), per layer as
    /// (PyTorch layer name, running mean then running variance).
    fn model_buffers(&self) -> Vec<(String, &Tensor)> {
        match &self.task {
            Task::Text { .. } => Vec::new(),
            Task::Images { model, .. } => model.running_stats(),
        }
    }

    /// The run as a checkpoint: weights, buffers and the full training state, read back from
    /// the GPU (native; blocks until the GPU is idle). See [`Trainer::begin_checkpoint`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        self.begin_checkpoint(true)?.wait(&self.ctx)
    }

    /// The weights and buffers only (what evaluation and PyTorch need), at any time (native;
    /// blocks).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn weights_checkpoint(&self) -> Result<Checkpoint> {
        self.begin_checkpoint(false)?.wait(&self.ctx)
    }

    /// Starts reading the run back as a checkpoint without blocking (the app polls
    /// [`PendingCheckpoint::poll`] each frame). `full`: with the training state, which is only
    /// possible between steps (every submitted result polled) and not after a divergence (the
    /// weights then mix applied and skipped updates); otherwise weights and buffers only.
    pub fn begin_checkpoint(&self, full: bool) -> Result<PendingCheckpoint> {
        if self.analysis.is_some() {
            // The weights are somewhere on the analysis' grid until it ends.
            return Err(Error::NotReady(
                "an analysis is running; save once it has finished".into(),
            ));
        }
        if full && !self.pending.is_empty() {
            return Err(Error::NotReady(
                "results are still in flight; poll them all before saving".into(),
            ));
        }
        if let (true, Some(step)) = (full, self.diverged_at) {
            return Err(Error::NotReady(format!(
                "the run diverged at step {step}; only its weights can be saved"
            )));
        }
        let network = self.task.network();
        let mut tensors = vec![&network.params().params];
        let buffers = self.model_buffers();
        tensors.extend(buffers.iter().map(|(_, t)| *t));
        let state = if full {
            self.state_tensors()
        } else {
            Vec::new()
        };
        tensors.extend(state.iter().map(|(_, t)| *t));
        let model = self.task.model_spec();
        let host = full.then(|| HostState {
            next_step: self.next_step,
            ire_on: self.live.ire_on,
            last_ire_refresh: self.ire.timing.last_refresh,
            data_rng: self.data_rng.state(),
            optimizer_steps: self.optimizer.steps_taken,
            ire_refreshes: self.ire.refresh_counters(),
            augment: matches!(&self.task, Task::Images { batcher, .. } if batcher.augment),
        });
        Ok(PendingCheckpoint {
            snapshot: Snapshot::take(&self.ctx, &tensors),
            parts: Some(Box::new(Parts {
                template: Checkpoint {
                    model,
                    step: self.next_step,
                    train_config: serde_json::to_string(&self.current_config()).unwrap_or_default(),
                    tensors: Default::default(),
                    buffers: Vec::new(),
                    state: None,
                    run_id: None,
                    log: None,
                },
                layout: network.params().detached_layout(),
                buffer_layers: buffers.into_iter().map(|(l, _)| l).collect(),
                state_names: state.into_iter().map(|(n, _)| n).collect(),
                host,
            })),
        })
    }

    /// Continues a run from a checkpoint with `config` (whose `steps` may extend the run).
    /// A full checkpoint continues bit-identically when `config` is the one it was saved with;
    /// its optimizer must be the checkpoint's. A weights-only checkpoint restarts optimizer
    /// moments and IRE's state from zero at the checkpoint's step.
    pub fn from_checkpoint(
        ctx: &GpuContext,
        checkpoint: &Checkpoint,
        config: TrainConfig,
        data: impl Into<TaskData>,
    ) -> Result<Self> {
        if checkpoint.step >= config.steps {
            return Err(refuse(format!(
                "the checkpoint is at step {} and the run ends at step {}: nothing to train \
                 (raise --steps)",
                checkpoint.step, config.steps
            )));
        }
        Self::continue_from(ctx, checkpoint, config, data)
    }

    /// The run a full checkpoint holds, exactly as it was saved (its own configuration), even
    /// when it has finished: what the app shows and continues after a restart.
    pub fn reopen(
        ctx: &GpuContext,
        checkpoint: &Checkpoint,
        data: impl Into<TaskData>,
    ) -> Result<Self> {
        let config: TrainConfig = serde_json::from_str(&checkpoint.train_config)
            .map_err(|e| refuse(format!("the checkpoint's training configuration: {e}")))?;
        if checkpoint.state.is_none() {
            return Err(refuse(
                "the checkpoint holds weights only; a run reopens from a full checkpoint".into(),
            ));
        }
        Self::continue_from(ctx, checkpoint, config, data)
    }

    fn continue_from(
        ctx: &GpuContext,
        checkpoint: &Checkpoint,
        config: TrainConfig,
        data: impl Into<TaskData>,
    ) -> Result<Self> {
        let task = Self::task(ctx, &checkpoint.model, &config, data.into())?;
        if let (Some(_), Ok(saved)) = (
            &checkpoint.state,
            serde_json::from_str::<TrainConfig>(&checkpoint.train_config),
        ) {
            if saved.optimizer.kind != config.optimizer.kind {
                return Err(refuse(format!(
                    "the checkpoint's optimizer state is {:?}'s; the run asks for {:?}",
                    saved.optimizer.kind, config.optimizer.kind
                )));
            }
        }
        let mut trainer = Self::assemble(ctx, task, config, checkpoint.step)?;
        let network = trainer.network();
        let flat = network.params().flatten(&checkpoint.tensors)?;
        network.load_flat(ctx, &flat);
        for (layer, tensor) in trainer.model_buffers() {
            let find = |suffix: &str| {
                let name = format!("{layer}.{suffix}");
                checkpoint
                    .buffers
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.as_slice())
                    .ok_or_else(|| refuse(format!("the checkpoint lacks {name}")))
            };
            let stats = [find("running_mean")?, find("running_var")?].concat();
            if stats.len() != tensor.len {
                return Err(refuse(format!(
                    "{layer}'s running statistics have {} values, the model needs {}",
                    stats.len(),
                    tensor.len
                )));
            }
            tensor.write(ctx, &stats);
        }
        if let Some(state) = &checkpoint.state {
            trainer.restore(state)?;
        }
        Ok(trainer)
    }

    fn restore(&mut self, state: &TrainState) -> Result<()> {
        let host = &state.host;
        if host.next_step != self.next_step {
            return Err(refuse(format!(
                "the checkpoint's state is at step {} but its step says {}",
                host.next_step, self.next_step
            )));
        }
        // The optimizer's state in the file must be this optimizer's, whatever the metadata
        // says: AdamW's two moments under an edited "sgd" would load as SGD's momentum.
        let expected = self.state_tensors();
        let foreign = state.tensors.iter().find(|(name, _)| {
            name.starts_with("optimizer.") && !expected.iter().any(|(e, _)| e == name)
        });
        if let Some((name, _)) = foreign {
            return Err(refuse(format!(
                "the checkpoint holds the state {name}, which {:?} does not have: its optimizer \
                 state is another optimizer's",
                self.config.optimizer.kind
            )));
        }
        let params = self.network().params();
        for (name, tensor) in self.state_tensors() {
            match state.tensor(name) {
                Some(values) if state.padded && values.len() == tensor.len => {
                    tensor.write(&self.ctx, values)
                }
                Some(values) if !state.padded => {
                    let flat = params.from_declaration_order(values).map_err(|e| {
                        refuse(format!(
                            "the checkpoint's {name} does not fit the model: {e}"
                        ))
                    })?;
                    tensor.write(&self.ctx, &flat)
                }
                Some(values) => {
                    return Err(refuse(format!(
                        "the checkpoint's {name} has {} values in another adapter's layout; \
                         this adapter needs {}",
                        values.len(),
                        tensor.len
                    )))
                }
                // Probes switched on at resume: power iteration starts afresh.
                None if name.starts_with("probe.") => {}
                None => return Err(refuse(format!("the checkpoint lacks the state {name}"))),
            }
        }
        self.live.ire_on = host.ire_on;
        self.ire.timing.last_refresh = host.last_ire_refresh;
        self.data_rng = Rng::from_state(host.data_rng);
        self.optimizer.steps_taken = host.optimizer_steps;
        self.ire.set_refresh_counters(host.ire_refreshes);
        Ok(())
    }
}

/// A checkpoint on its way back from the GPU (see [`Trainer::begin_checkpoint`]).
pub struct PendingCheckpoint {
    snapshot: Snapshot,
    /// What turns the values into a checkpoint (taken when they arrive).
    parts: Option<Box<Parts>>,
}

struct Parts {
    template: Checkpoint,
    layout: ParamLayout,
    buffer_layers: Vec<String>,
    state_names: Vec<&'static str>,
    host: Option<HostState>,
}

impl PendingCheckpoint {
    /// The checkpoint once its values have arrived (None: not yet; never blocks). It is handed
    /// out once.
    pub fn poll(&mut self, ctx: &GpuContext) -> Option<Result<Checkpoint>> {
        let values = self.snapshot.try_take(ctx)?;
        let parts = self.parts.take();
        Some(values.and_then(|v| match parts {
            Some(parts) => parts.finish(v),
            None => Err(Error::NotReady("the checkpoint was already taken".into())),
        }))
    }

    /// Waits for the checkpoint (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(mut self, ctx: &GpuContext) -> Result<Checkpoint> {
        let values = self.snapshot.wait(ctx)?;
        let parts = self.parts.take().expect("a fresh pending checkpoint");
        parts.finish(values)
    }
}

impl Parts {
    /// Assembles the checkpoint from the snapshot's values: the flat parameters, then the
    /// buffers' statistics, then the state tensors (in declaration order, without padding).
    fn finish(self, values: Vec<Vec<f32>>) -> Result<Checkpoint> {
        let mut values = values.into_iter();
        let mut next = || {
            values
                .next()
                .ok_or_else(|| Error::Readback("the snapshot is incomplete".into()))
        };
        let flat = next()?;
        let mut checkpoint = self.template;
        checkpoint.tensors = self
            .layout
            .tensors(&flat)
            .map(|(spec, v)| (spec.name.clone(), v.to_vec()))
            .collect();
        for layer in &self.buffer_layers {
            let stats = next()?;
            let (mean, var) = stats.split_at(stats.len() / 2);
            checkpoint
                .buffers
                .push((format!("{layer}.running_mean"), mean.to_vec()));
            checkpoint
                .buffers
                .push((format!("{layer}.running_var"), var.to_vec()));
        }
        if let Some(host) = self.host {
            let mut tensors = Vec::new();
            for name in &self.state_names {
                let padded = next()?;
                let ordered = self
                    .layout
                    .tensors(&padded)
                    .flat_map(|(_, v)| v.iter().copied());
                tensors.push((name.to_string(), ordered.collect()));
            }
            checkpoint.state = Some(TrainState {
                host,
                tensors,
                padded: false,
            });
        }
        Ok(checkpoint)
    }
}
