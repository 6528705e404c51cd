//! Building a run: from a configuration (transformer on text, ResNet on images) or from a
//! checkpoint, and reading the weights back into a checkpoint.

use super::{Trainer, RING_SLOTS};
use crate::checkpoint::Checkpoint;
use crate::data::{Batcher, Corpus, ImageBatcher, ImageDataset};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, ReadbackRing};
use crate::models::{ResNet, ResNetConfig, Transformer, TransformerConfig};
use crate::optim::{Ire, Optimizer, OptimizerKind, Sam};
use crate::probe::Sharpness;
use crate::rng::Rng;
use crate::train::{Task, TrainConfig};
use std::collections::VecDeque;
use std::sync::Arc;

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
            &model.head().scalars,
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
        let scalars_len = model.head().scalars.len;
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
