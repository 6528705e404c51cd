//! Predictions of a training ResNet on a fixed set of test images, for the app's image grid:
//! a small copy of the model receives the trainer's current weights and BatchNorm running
//! statistics by GPU-side copies, runs in evaluation mode, and its logits come back through a
//! readback ring. Nothing waits on the GPU.

use crate::data::{ImageBatch, ImageBatcher, ImageSet};
use crate::error::Result;
use crate::gpu::{GpuContext, ReadbackRing};
use crate::models::{ResNet, ResNetConfig};

/// Predicts classes of the first `count` test images from the latest weights.
pub struct ImagePredictor {
    ctx: GpuContext,
    model: ResNet,
    ring: ReadbackRing,
    pending: bool,
    /// The images (normalised) and their true labels.
    pub batch: ImageBatch,
    /// Predicted class per image from the latest completed pass (empty before the first).
    pub predicted: Vec<usize>,
}

impl ImagePredictor {
    /// Builds a batch-`count` model and uploads the first `count` images of `test`.
    pub fn new(
        ctx: &GpuContext,
        config: ResNetConfig,
        test: &ImageSet,
        count: usize,
    ) -> Result<Self> {
        let model = ResNet::new(ctx, config, count, 0.0)?;
        let batcher = ImageBatcher {
            batch: count,
            augment: false,
        };
        let batch = batcher.eval_batch(test, 0)?;
        model.set_batch(ctx, &batch)?;
        let ring = ReadbackRing::new(ctx, 1, model.head.logits.len);
        Ok(Self {
            ctx: ctx.clone(),
            model,
            ring,
            pending: false,
            batch,
            predicted: Vec::new(),
        })
    }

    /// Queues a prediction pass with `source`'s current weights and running statistics (same
    /// preset). Does nothing while one is pending.
    pub fn submit(&mut self, source: &ResNet) {
        if self.pending {
            return;
        }
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        source
            .params
            .params
            .record_copy_to(&mut encoder, &self.model.params.params);
        for ((_, from), (_, to)) in source
            .running_stats()
            .into_iter()
            .zip(self.model.running_stats())
        {
            from.record_copy_to(&mut encoder, to);
        }
        self.model.eval_plan_forward_only().record(&mut encoder);
        let slot = self.ring.record_copy(&mut encoder, &self.model.head.logits);
        self.ctx.submit(encoder.finish());
        self.ring.submitted(&self.ctx, slot, 0);
        self.pending = true;
    }

    /// Whether a prediction pass is on its way.
    pub fn is_pending(&self) -> bool {
        self.pending
    }

    /// Collects the latest predictions if they have arrived (never blocks); true when updated.
    pub fn poll(&mut self) -> Result<bool> {
        if !self.pending {
            return Ok(false);
        }
        let Some((_, logits)) = self.ring.drain(&self.ctx)?.pop() else {
            return Ok(false);
        };
        self.pending = false;
        self.predicted = logits
            .chunks(self.model.config.classes)
            .map(super::argmax)
            .collect();
        Ok(true)
    }
}
