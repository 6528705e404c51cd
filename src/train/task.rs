//! What a run trains on: a transformer on the character corpus, or a ResNet on an image set.
//! The trainer drives either through this one interface.

use crate::data::{Batch, Batcher, Corpus, ImageBatch, ImageBatcher, ImageDataset};
use crate::error::Result;
use crate::gpu::GpuContext;
use crate::models::{Network, ResNet, Transformer};
use crate::rng::Rng;
use std::sync::Arc;

/// A model with its data.
pub enum Task {
    /// Next-character prediction.
    Text {
        /// The model (boxed: the variants' buffers and plans differ a lot in size).
        model: Box<Transformer>,
        /// Training and validation text.
        corpus: Arc<Corpus>,
        /// Window cutting.
        batcher: Batcher,
    },
    /// Image classification.
    Images {
        /// The model.
        model: Box<ResNet>,
        /// Training and test images.
        data: Arc<ImageDataset>,
        /// Sampling and augmentation.
        batcher: ImageBatcher,
    },
}

/// One batch of either kind, kept on the host (the fixed probe batch).
#[derive(Clone, Debug)]
pub enum HostBatch {
    /// Token windows.
    Text(Batch),
    /// Images.
    Images(ImageBatch),
}

impl Task {
    /// The data this task trains on, for another run on the same data.
    pub fn data(&self) -> super::TaskData {
        match self {
            Self::Text { corpus, .. } => super::TaskData::Text(corpus.clone()),
            Self::Images { data, batcher, .. } => super::TaskData::Images {
                images: data.clone(),
                augment: batcher.augment,
            },
        }
    }

    /// The model's description as a checkpoint records it (another run of the same model).
    pub fn model_spec(&self) -> crate::checkpoint::ModelSpec {
        match self {
            Self::Text { model, corpus, .. } => {
                crate::checkpoint::ModelSpec::transformer(model.config, corpus)
            }
            Self::Images { model, .. } => crate::checkpoint::ModelSpec::ResNet(model.config),
        }
    }

    /// The model, for the optimizer, IRE, SAM and the probes.
    pub fn network(&self) -> &dyn Network {
        match self {
            Task::Text { model, .. } => model.as_ref(),
            Task::Images { model, .. } => model.as_ref(),
        }
    }

    /// Whether steps and evaluations report accuracy (images, and puzzles' answers).
    pub fn has_accuracy(&self) -> bool {
        self.network().head().scoring.accuracy
    }

    /// Draws a training batch from `rng`.
    pub fn train_batch(&self, rng: &mut Rng) -> Result<HostBatch> {
        Ok(match self {
            Task::Text {
                corpus, batcher, ..
            } => HostBatch::Text(batcher.train_batch(&corpus.train, rng)?),
            Task::Images { data, batcher, .. } => {
                HostBatch::Images(batcher.train_batch(&data.train, rng))
            }
        })
    }

    /// Fixed evaluation batch `j`.
    pub fn eval_batch(&self, j: usize) -> Result<HostBatch> {
        Ok(match self {
            Task::Text {
                corpus, batcher, ..
            } => HostBatch::Text(batcher.val_batch(&corpus.val, j)?),
            Task::Images { data, batcher, .. } => {
                HostBatch::Images(batcher.eval_batch(&data.test, j)?)
            }
        })
    }

    /// How many evaluation batches the held-out split holds.
    pub fn eval_batches_available(&self) -> usize {
        match self {
            Task::Text {
                corpus, batcher, ..
            } => batcher.val_batches_available(&corpus.val),
            Task::Images { data, batcher, .. } => batcher.batches_available(&data.test),
        }
    }

    /// Queues `batch` into the model's input buffers.
    pub fn upload(&self, ctx: &GpuContext, batch: &HostBatch) -> Result<()> {
        match (self, batch) {
            (Task::Text { model, .. }, HostBatch::Text(b)) => model.set_batch(ctx, b),
            (Task::Images { model, .. }, HostBatch::Images(b)) => model.set_batch(ctx, b),
            _ => Err(crate::Error::Data(
                "a batch of the wrong kind for this model".into(),
            )),
        }
    }
}
