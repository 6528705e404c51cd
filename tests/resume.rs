//! Full-state checkpoints: N steps, save, load, resume to 2N gives the same loss sequence, to the
//! last bit, as 2N steps straight, for AdamW, AdmIRE with a switch inside the run, SGD, SAM and
//! a ResNet (BatchNorm statistics, augmentation); the checkpoint passes through bytes as a file
//! would. A resumed run refuses a contradicting configuration.

mod common;

use common::{ctx, run_to_end, steps};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::gpu::GpuContext;
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::optim::{OptimizerConfig, OptimizerKind};
use ire_playground::train::{Family, TaskData, TrainConfig, Trainer};
use std::sync::Arc;

/// The losses' bit patterns, so that the comparison is exact (NaN included).
fn loss_bits(records: &[ire_playground::train::Record]) -> Vec<u32> {
    steps(records).iter().map(|s| s.loss.to_bits()).collect()
}

/// Runs the first `n` steps of `trainer` and polls every result.
fn run_steps(trainer: &mut Trainer, n: usize) -> Vec<ire_playground::train::Record> {
    let mut out = Vec::new();
    while trainer.steps_submitted() < n || trainer.in_flight() > 0 {
        while trainer.steps_submitted() < n && trainer.can_submit() {
            trainer.submit_step().unwrap();
        }
        trainer.wait_for_oldest();
        out.extend(trainer.poll().unwrap());
    }
    out
}

/// Straight 2N against N + save + load + resume; `make` builds a fresh run.
fn assert_resume_is_exact(
    ctx: &GpuContext,
    what: &str,
    n: usize,
    data: TaskData,
    make: impl Fn() -> Trainer,
) {
    let straight = loss_bits(&run_to_end(&mut make()).unwrap());
    assert_eq!(straight.len(), 2 * n, "{what}");

    let mut first = make();
    let mut records = run_steps(&mut first, n);
    let bytes = first.checkpoint().unwrap().to_bytes().unwrap();
    drop(first);
    let checkpoint = Checkpoint::from_bytes(&bytes, what).unwrap();
    assert_eq!(checkpoint.step, n);
    let config: TrainConfig = serde_json::from_str(&checkpoint.train_config).unwrap();
    let mut resumed = Trainer::from_checkpoint(ctx, &checkpoint, config, data).unwrap();
    assert_eq!(resumed.steps_submitted(), n);
    records.extend(run_to_end(&mut resumed).unwrap());
    let resumed_bits = loss_bits(&records);
    assert_eq!(
        resumed_bits, straight,
        "{what}: the resumed run's losses differ from the straight run's"
    );
}

fn transformer_config(kind: OptimizerKind, steps: usize) -> TrainConfig {
    TrainConfig {
        batch: 4,
        seed: 5,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::Transformer, kind, steps)
    }
}

#[test]
fn transformer_runs_resume_bit_identically() {
    let ctx = ctx();
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let n = 4;
    let mut admire = transformer_config(OptimizerKind::AdamW, 2 * n);
    admire.ire.enabled = true;
    admire.ire.start = Some(1);
    // Refreshes every 3 steps (one falls due across the checkpoint), switched off at step 6,
    // and probes (the power-iteration vector is state too).
    admire.ire.mask_every = 3;
    admire.ire.toggle_at = vec![6];
    admire.probe_every = 3;
    admire.sharpness.power_iters = 1;
    admire.sharpness.hutchinson_samples = 1;
    let mut sam = transformer_config(OptimizerKind::Sam, 2 * n);
    sam.ire.enabled = true;
    sam.ire.start = Some(1);
    let with_ire = |kind| {
        let mut c = transformer_config(kind, 2 * n);
        c.ire.enabled = true;
        c.ire.start = Some(1);
        c.ire.mask_every = 3;
        c
    };
    for (what, config) in [
        ("AdamW", transformer_config(OptimizerKind::AdamW, 2 * n)),
        ("AdmIRE with a switch at step 6", admire),
        ("SGD", transformer_config(OptimizerKind::Sgd, 2 * n)),
        ("SAM-IRE", sam),
        ("Lion-IRE", with_ire(OptimizerKind::Lion)),
        ("Muon-IRE", with_ire(OptimizerKind::Muon)),
    ] {
        assert_resume_is_exact(&ctx, what, n, corpus.clone().into(), || {
            common::text_trainer(&ctx, model, config.clone(), corpus.clone()).unwrap()
        });
    }
}

#[test]
fn resnet_runs_resume_bit_identically_and_round_trip_their_statistics() {
    let ctx = ctx();
    let data = Arc::new(ImageDataset::fashion_mnist_embedded().unwrap());
    let model = ResNetConfig::preset("resnet-tiny").unwrap();
    let n = 3;
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            kind: OptimizerKind::Sgd,
            lr: 0.05,
            ..OptimizerConfig::default()
        },
        batch: 8,
        seed: 2,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::ResNet, OptimizerKind::Sgd, 2 * n)
    };
    assert_resume_is_exact(
        &ctx,
        "ResNet-8 SGD, augmented",
        n,
        TaskData::Images {
            images: data.clone(),
            augment: true,
        },
        || common::image_trainer(&ctx, model, config.clone(), data.clone(), true).unwrap(),
    );

    // Weights and running statistics survive bytes exactly, under PyTorch's names.
    let mut trainer =
        common::image_trainer(&ctx, model, config.clone(), data.clone(), true).unwrap();
    run_steps(&mut trainer, 2);
    let saved = trainer.checkpoint().unwrap();
    let back = Checkpoint::from_bytes(&saved.to_bytes().unwrap(), "mem").unwrap();
    assert_eq!(back.tensors, saved.tensors);
    assert_eq!(back.buffers, saved.buffers);
    assert!(back
        .buffers
        .iter()
        .any(|(n, _)| n == "layer1.0.bn1.running_var"));
    // Trained statistics moved away from their initial values (mean 0, variance 1).
    let (_, var) = back
        .buffers
        .iter()
        .find(|(n, _)| n == "bn1.running_var")
        .unwrap();
    assert!(var.iter().any(|&v| v != 1.0));
}

#[test]
fn resume_refuses_contradictions() {
    let ctx = ctx();
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let config = transformer_config(OptimizerKind::AdamW, 4);
    let mut trainer = common::text_trainer(&ctx, model, config.clone(), corpus.clone()).unwrap();
    run_steps(&mut trainer, 2);
    let checkpoint = trainer.checkpoint().unwrap();
    let refuse = |config: TrainConfig, data: TaskData| {
        Trainer::from_checkpoint(&ctx, &checkpoint, config, data)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let sgd = transformer_config(OptimizerKind::Sgd, 4);
    assert!(refuse(sgd, corpus.clone().into()).contains("optimizer state"));
    let short = TrainConfig {
        steps: 2,
        warmup: 0,
        ..config.clone()
    };
    assert!(refuse(short, corpus.clone().into()).contains("nothing to train"));
    let images = Arc::new(ImageDataset::fashion_mnist_embedded().unwrap());
    let images = TaskData::Images {
        images,
        augment: false,
    };
    assert!(refuse(config, images).contains("family"));
}
