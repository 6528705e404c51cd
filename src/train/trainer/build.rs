//! Building a run from a configuration: a transformer on text or a ResNet on images (runs from
//! checkpoints are built in `state.rs`).

use super::{Trainer, RING_SLOTS};
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
        let task = Self::resnet_task(ctx, model_config, &config, data, augment)?;
        let trainer = Self::build(ctx, task, config, 0)?;
        trainer.initialise_weights();
        Ok(trainer)
    }

    pub(super) fn resnet_task(
        ctx: &GpuContext,
        model_config: ResNetConfig,
        config: &TrainConfig,
        data: Arc<ImageDataset>,
        augment: bool,
    ) -> Result<Task> {
        config.validate()?;
        model_config.validate()?;
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
        Ok(Task::Images {
            model: Box::new(model),
            data,
            batcher,
        })
    }

    fn initialise_weights(&self) {
        let mut init_rng = Rng::new(self.config.seed).fork(1);
        let network = self.task.network();
        network.load_flat(&self.ctx, &network.params().initial_values(&mut init_rng));
    }

    pub(super) fn text_task(
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

    /// Wires the optimizer, IRE, SAM and the probes around a built task. The constructors have
    /// validated `config` before building the model.
    pub(super) fn build(
        ctx: &GpuContext,
        task: Task,
        config: TrainConfig,
        start_step: usize,
    ) -> Result<Self> {
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
            analysis: None,
            config,
        })
    }
}
