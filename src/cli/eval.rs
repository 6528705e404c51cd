//! `ire-playground eval`.

use clap::Args;
use ire_playground::checkpoint::Checkpoint;
use ire_playground::data::Corpus;
use ire_playground::train::{Record, TrainConfig, Trainer};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Checkpoint written by `train --save`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Number of validation batches: batch j, row r is the window starting at character
    /// (j * batch + r) * seq_len of the validation split (the last 10% of the corpus).
    #[arg(long, default_value_t = 8)]
    batches: usize,
    /// Sequences per validation batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let checkpoint = Checkpoint::load(&args.checkpoint)?;
    let text = Corpus::shakespeare()?;
    let corpus = Arc::new(text);
    let ctx = super::open_gpu()?;
    let config = TrainConfig {
        batch: args.batch,
        eval_batches: args.batches,
        // Nothing is trained: the step budget is what the checkpoint already took.
        steps: checkpoint.step.max(1),
        warmup: 0,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::from_checkpoint(&ctx, &checkpoint, config, corpus)?;
    trainer.submit_eval(args.batches)?;
    loop {
        trainer.wait_for_oldest();
        for r in trainer.poll()? {
            if let Record::Eval(e) = r {
                println!(
                    "{}",
                    serde_json::json!({"val_loss": e.val_loss, "batches": args.batches, "batch": args.batch, "step": checkpoint.step})
                );
                return Ok(());
            }
        }
    }
}
