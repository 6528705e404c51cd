//! `ire-playground eval`.

use clap::Args;
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::{Batcher, ImageDataset};
use ire_playground::train::{Record, TaskData, TrainConfig, Trainer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Checkpoint written by `train --save` (a transformer or a ResNet).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Transformers: number of validation batches; batch j, row r is the window starting at
    /// character (j * batch + r) * seq_len of the validation split (the last 10% of the
    /// corpus). ResNets: test batches [default: 8 for transformers, the whole test set for
    /// ResNets].
    #[arg(long)]
    batches: Option<usize>,
    /// Sequences (or images) per batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// ResNets: read the full Fashion-MNIST test set from this folder instead of the embedded
    /// subset.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Transformers trained on --text-file: the same text.
    #[arg(long)]
    text_file: Option<PathBuf>,
    #[command(flatten)]
    kernels: super::KernelsArg,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let mut checkpoint = Checkpoint::load(&args.checkpoint)?;
    // Weights and buffers only: evaluation needs no optimizer state.
    checkpoint.state = None;
    let (data, default_batches) = checkpoint_data(
        &checkpoint,
        args.text_file.as_deref(),
        args.data_dir.as_deref(),
        (args.batch, args.batches),
    )?;
    let batches = args.batches.unwrap_or(default_batches);
    let ctx = super::open_gpu(&args.kernels)?;
    let config = evaluation_config(checkpoint.step, args.batch, batches);
    let mut trainer = Trainer::from_checkpoint(&ctx, &checkpoint, config, data)?;
    trainer.submit_eval(batches)?;
    loop {
        trainer.wait_for_oldest();
        for r in trainer.poll()? {
            if let Record::Eval(e) = r {
                if !e.val_loss.is_finite() {
                    anyhow::bail!(
                        "the loss on the evaluation batches is {} at step {}: the checkpoint's \
                         weights overflow in the forward pass",
                        e.val_loss,
                        checkpoint.step
                    );
                }
                println!(
                    "{}",
                    serde_json::json!({
                        "family": checkpoint.model.family().name(),
                        "val_loss": e.val_loss,
                        "val_acc": e.val_acc,
                        "batches": batches,
                        "batch": args.batch,
                        "step": checkpoint.step,
                    })
                );
                return Ok(());
            }
        }
    }
}

/// The configuration of a run that only evaluates (or analyses) a checkpoint at `step`:
/// nothing is trained (it ends one step past the checkpoint's, never taken), no probes.
pub(super) fn evaluation_config(step: usize, batch: usize, eval_batches: usize) -> TrainConfig {
    TrainConfig {
        batch,
        eval_batches,
        steps: step.saturating_add(1),
        warmup: 0,
        probe_every: 0,
        ..TrainConfig::default()
    }
}

/// The data a checkpoint's model was trained on (its text or the image set) and the number of
/// evaluation batches of size `batch` to use by default (`batches` when given: checked to fit).
pub(super) fn checkpoint_data(
    checkpoint: &Checkpoint,
    text_file: Option<&Path>,
    data_dir: Option<&Path>,
    (batch, batches): (usize, Option<usize>),
) -> anyhow::Result<(TaskData, usize)> {
    Ok(match &checkpoint.model {
        ModelSpec::Transformer { config, .. } => {
            if data_dir.is_some() {
                anyhow::bail!("--data-dir applies to ResNet checkpoints only");
            }
            let corpus = super::text::corpus(text_file, Some(checkpoint))?;
            // A short text may hold fewer than the usual 8 validation batches: use what it has.
            let seq_len = config.seq_len;
            let batcher = Batcher::for_corpus(&corpus, batch.max(1), seq_len);
            let available = batcher.val_batches_available(&corpus.val);
            let batches = batches.unwrap_or(available.clamp(1, 8));
            corpus.check_fits(seq_len, batch, batches)?;
            (Arc::new(corpus).into(), batches)
        }
        ModelSpec::ResNet(_) => {
            if text_file.is_some() {
                anyhow::bail!("--text-file applies to transformer checkpoints only");
            }
            let images = match data_dir {
                Some(dir) => ImageDataset::fashion_mnist_dir(dir)?,
                None => ImageDataset::fashion_mnist_embedded()?,
            };
            let all = images.test_batches(batch);
            let images = TaskData::Images {
                images: Arc::new(images),
                augment: checkpoint.augments_images(),
            };
            (images, all)
        }
    })
}
