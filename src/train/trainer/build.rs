//! Building a run: [`Trainer::build`] for a fresh run of a model on its data (every caller, the
//! CLI, the app, experiments and benchmarks, builds through it); runs from checkpoints
//! (`state.rs`) share the task building and wiring below.

use super::{Trainer, RING_SLOTS};
use crate::checkpoint::ModelSpec;
use crate::data::{Batcher, Corpus, ImageBatcher, ImageDataset};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, ReadbackRing};
use crate::models::{Family, ResNet, Transformer};
use crate::optim::{Ire, IreTiming, LiveParams, Optimizer, Passes, Sam};
use crate::probe::Sharpness;
use crate::rng::Rng;
use crate::train::{Task, TrainConfig};
use std::collections::VecDeque;
use std::sync::Arc;

/// The data a run trains on, of the model's family.
#[derive(Clone)]
pub enum TaskData {
    /// A character corpus, for transformers.
    Text(Arc<Corpus>),
    /// An image set, for ResNets.
    Images {
        /// Training and test images.
        images: Arc<ImageDataset>,
        /// Random crops and flips of the training images.
        augment: bool,
    },
}

impl TaskData {
    /// The family of model this data is for.
    pub fn family(&self) -> Family {
        match self {
            Self::Text(_) => Family::Transformer,
            Self::Images { .. } => Family::ResNet,
        }
    }
}

impl From<Arc<Corpus>> for TaskData {
    fn from(c: Arc<Corpus>) -> Self {
        Self::Text(c)
    }
}

impl ModelSpec {
    /// A transformer of `config`'s shape on `corpus` (its vocabulary and source recorded).
    pub fn transformer(config: crate::models::TransformerConfig, corpus: &Corpus) -> Self {
        Self::Transformer {
            config,
            vocab: corpus.vocab.clone(),
            corpus: corpus.source.clone(),
        }
    }

    /// The model of a preset (a transformer's or a ResNet's name) for `data`: a transformer
    /// takes the corpus's vocabulary. Refuses an unknown preset and data of the other family.
    pub fn of_preset(preset: &str, data: &TaskData) -> Result<Self> {
        match (Family::of_preset(preset), data) {
            (Family::Transformer, TaskData::Text(corpus)) => {
                let mut shape =
                    crate::models::TransformerConfig::preset(preset, corpus.vocab.len())?;
                // A corpus of examples (a puzzle) is read one example at a time.
                if let Some(examples) = corpus.examples {
                    shape.seq_len = examples.len - 1;
                }
                Ok(Self::transformer(shape, corpus))
            }
            (Family::ResNet, TaskData::Images { .. }) => {
                Ok(Self::ResNet(crate::models::ResNetConfig::preset(preset)?))
            }
            (family, data) => Err(Error::InvalidConfig(format!(
                "'{preset}' is a {family} preset but the data is for the other family ({})",
                data.family()
            ))),
        }
    }
}

impl Trainer {
    /// A fresh run of `model` on `data`: validates the config, builds the model (checking the
    /// adapter's limits first) and initialises weights from `config.seed`.
    pub fn build(
        ctx: &GpuContext,
        model: &ModelSpec,
        config: TrainConfig,
        data: TaskData,
    ) -> Result<Self> {
        let task = Self::task(ctx, model, &config, data)?;
        let trainer = Self::assemble(ctx, task, config, 0)?;
        trainer.initialise_weights();
        Ok(trainer)
    }

    /// The model built for `data`, which must be of the model's family; a transformer's corpus
    /// must have the vocabulary (and source) the spec names.
    pub(super) fn task(
        ctx: &GpuContext,
        model: &ModelSpec,
        config: &TrainConfig,
        data: TaskData,
    ) -> Result<Task> {
        config.validate()?;
        match (model, data) {
            (
                ModelSpec::Transformer {
                    config: shape,
                    vocab,
                    corpus: source,
                },
                TaskData::Text(corpus),
            ) => {
                corpus.check_trained_on(source.as_deref(), vocab)?;
                if shape.vocab != corpus.vocab.len() {
                    return Err(Error::InvalidConfig(format!(
                        "model vocabulary {} != corpus vocabulary {}",
                        shape.vocab,
                        corpus.vocab.len()
                    )));
                }
                let network = match corpus.examples {
                    None => Transformer::new(ctx, *shape, config.batch, config.grad_clip)?,
                    Some(examples) => {
                        if examples.len != shape.seq_len + 1 {
                            return Err(Error::InvalidConfig(format!(
                                "the task's examples are {} tokens: the model's window must be \
                                 {}, not {}",
                                examples.len,
                                examples.len - 1,
                                shape.seq_len
                            )));
                        }
                        let training = (config.batch, config.grad_clip);
                        Transformer::for_examples(ctx, *shape, training, examples.answers)?
                    }
                };
                let batcher = Batcher::for_corpus(&corpus, config.batch, shape.seq_len);
                Ok(Task::Text {
                    model: Box::new(network),
                    corpus,
                    batcher,
                })
            }
            (ModelSpec::ResNet(shape), TaskData::Images { images, augment }) => {
                shape.validate()?;
                if shape.classes != images.classes {
                    return Err(Error::InvalidConfig(format!(
                        "model has {} classes, the data {}",
                        shape.classes, images.classes
                    )));
                }
                let network = ResNet::new(ctx, *shape, config.batch, config.grad_clip)?;
                let batcher = ImageBatcher {
                    batch: config.batch,
                    augment,
                };
                Ok(Task::Images {
                    model: Box::new(network),
                    data: images,
                    batcher,
                })
            }
            (model, data) => Err(Error::InvalidConfig(format!(
                "the model is a {} but the data is for the other family ({})",
                model.family(),
                data.family()
            ))),
        }
    }

    fn initialise_weights(&self) {
        let mut init_rng = Rng::new(self.config.seed).fork(1);
        let network = self.task.network();
        network.load_flat(&self.ctx, &network.params().initial_values(&mut init_rng));
    }

    /// Wires the optimizer, IRE, SAM and the probes around a built task (whose building has
    /// validated `config`).
    pub(super) fn assemble(
        ctx: &GpuContext,
        task: Task,
        config: TrainConfig,
        start_step: usize,
    ) -> Result<Self> {
        let model = task.network();
        let timing = IreTiming::new(&config.ire, config.ire_start(), config.optimizer.lr);
        let ire = Ire::new(ctx, model, &config.ire, config.seed, timing)?;
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
        let sam = (config.optimizer.kind.descriptor().passes == Passes::AscentFirst)
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
            live: LiveParams {
                ire_on: config.ire.enabled_at(start_step.saturating_sub(1)),
                ..LiveParams::of(&config.ire)
            },
            ire,
            sam,
            sharpness,
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
