//! Training behaviour on the real engine: loss goes down, runs are deterministic, checkpoints
//! round-trip, NaNs are caught without corrupting the weights, oversized models are refused.

mod common;

use common::{ctx, read};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::data::Corpus;
use ire_playground::models::{Transformer, TransformerConfig};
use ire_playground::train::{Record, TrainConfig, Trainer};
use ire_playground::Error;
use std::sync::Arc;

fn corpus() -> Arc<Corpus> {
    Arc::new(Corpus::shakespeare().unwrap())
}

fn config(steps: usize, batch: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        steps,
        batch,
        seed,
        warmup: steps / 10,
        eval_every: 0,
        eval_batches: 2,
        ..TrainConfig::default()
    }
}

use common::run_to_end as run;

fn losses(records: &[Record]) -> Vec<f32> {
    common::steps(records).iter().map(|s| s.loss).collect()
}

fn val_losses(records: &[Record]) -> Vec<f32> {
    common::evals(records).iter().map(|e| e.val_loss).collect()
}

#[test]
fn adamw_on_tiny_lowers_training_loss_within_100_steps() {
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let mut trainer =
        common::text_trainer(&ctx, model, config(100, 16, 0), corpus.clone()).unwrap();
    let records = run(&mut trainer).unwrap();
    let l = losses(&records);
    assert_eq!(l.len(), 100);
    let first = l[0];
    let last10 = l[90..].iter().sum::<f32>() / 10.0;
    // Uniform guessing over the vocabulary costs ln(V) nats; a trained tiny model is far below.
    let uniform = (corpus.vocab.len() as f32).ln();
    assert!(
        (first - uniform).abs() < 0.3,
        "initial loss {first} should be near ln(V) = {uniform}"
    );
    assert!(last10 < first - 1.2, "loss went from {first} to {last10}");
    assert!(last10 < 3.0, "after 100 steps the mean loss is {last10}");
    // Validation (run at the end) agrees with training loss to within generalisation noise.
    let val = val_losses(&records);
    assert_eq!(val.len(), 1);
    assert!(
        (val[0] - last10).abs() < 0.3,
        "val {} vs train {last10}",
        val[0]
    );
}

#[test]
fn same_seed_same_losses_different_seed_different_losses() {
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let run_seed = |seed| {
        let mut t = common::text_trainer(&ctx, model, config(6, 4, seed), corpus.clone()).unwrap();
        let r = run(&mut t).unwrap();
        (losses(&r), val_losses(&r))
    };
    let a = run_seed(7);
    let b = run_seed(7);
    let c = run_seed(8);
    assert_eq!(a, b, "same seed and adapter must give bit-identical losses");
    assert_ne!(a.0, c.0);
}

#[test]
fn a_submitter_thread_gives_the_same_records() {
    // The desktop app hands the queue to a thread of its own; buffer writes (learning rate, IRE
    // switch and mask seeds, evaluation resets) must still land between the same submissions.
    let ctx = ctx();
    let threaded = ctx.clone().with_submitter_thread().unwrap();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let mut config = config(8, 4, 5);
    config.eval_every = 3;
    config.eval_batches = 1;
    config.probe_every = 2;
    config.ire.enabled = true;
    config.ire.start = Some(2);
    config.ire.mask_every = 2;
    let records = |ctx| {
        let mut t = common::text_trainer(ctx, model, config.clone(), corpus.clone()).unwrap();
        let r = run(&mut t).unwrap();
        let probes: Vec<Option<f32>> = common::probes(&r).iter().map(|p| p.lambda_max).collect();
        (losses(&r), val_losses(&r), probes)
    };
    let plain = records(&ctx);
    assert_eq!(plain.0.len(), 8);
    assert!(!plain.2.is_empty());
    assert_eq!(records(&threaded), plain);
}

#[test]
fn checkpoint_round_trips_and_resumes() {
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let mut trainer = common::text_trainer(&ctx, model, config(4, 4, 3), corpus.clone()).unwrap();
    let records = run(&mut trainer).unwrap();
    let ckpt = trainer.checkpoint().unwrap();
    assert_eq!(ckpt.step, 4);

    let bytes = ckpt.to_bytes().unwrap();
    let back = Checkpoint::from_bytes(&bytes, "mem").unwrap();
    assert_eq!(back.model, ckpt.model);
    assert_eq!(back.tensors, ckpt.tensors);
    let names: Vec<String> = model.param_specs().into_iter().map(|s| s.name).collect();
    let mut saved: Vec<String> = back.tensors.keys().cloned().collect();
    saved.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(saved, expected);

    // A resumed trainer evaluates to exactly the same validation loss and continues the count.
    let mut resumed =
        Trainer::from_checkpoint(&ctx, &back, config(6, 4, 3), corpus.clone()).unwrap();
    assert_eq!(resumed.steps_submitted(), 4);
    resumed.submit_eval(2).unwrap();
    let mut val = Vec::new();
    while val.is_empty() {
        resumed.wait_for_oldest();
        val = val_losses(&resumed.poll().unwrap());
    }
    assert_eq!(val[0], val_losses(&records)[0]);
    let more = run(&mut resumed).unwrap();
    assert_eq!(losses(&more).len(), 2);
    assert!(matches!(more.first(), Some(Record::Step(s)) if s.step == 5));
}

#[test]
fn truncated_or_foreign_checkpoints_are_rejected_clearly() {
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let trainer = common::text_trainer(&ctx, model, config(1, 2, 0), corpus).unwrap();
    let bytes = trainer.checkpoint().unwrap().to_bytes().unwrap();
    for (what, data) in [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("text", b"hello, this is not a checkpoint".to_vec()),
        ("empty", Vec::new()),
    ] {
        match Checkpoint::from_bytes(&data, what) {
            Err(Error::Checkpoint { path, reason }) => {
                assert_eq!(path, what);
                assert!(!reason.is_empty());
            }
            other => panic!("{what}: expected a checkpoint error, got {other:?}"),
        }
    }
    // A valid safetensors file from elsewhere (the PyTorch fixture has no metadata we need).
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model_small.safetensors"
    ))
    .unwrap();
    let err = Checkpoint::from_bytes(&fixture, "fixture")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an ire-playground checkpoint"), "{err}");
}

#[test]
fn nan_is_reported_and_the_weights_survive() {
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let mut trainer = common::text_trainer(&ctx, model, config(5, 2, 0), corpus).unwrap();
    let mut weights: Vec<f32> = read(&ctx, &trainer.network().params().params);
    let lm_head = trainer.network().params().param("lm_head.weight");
    let index = (lm_head.offset / 4) as usize;
    weights[index] = f32::NAN;
    trainer.network().load_flat(&ctx, &weights);
    match run(&mut trainer) {
        Err(Error::NonFinite { step, .. }) => assert_eq!(step, 1),
        other => panic!("expected divergence, got {other:?}"),
    }
    assert_eq!(trainer.diverged_at(), Some(1));
    assert!(!trainer.can_submit());
    let after: Vec<f32> = read(&ctx, &trainer.network().params().params);
    // Bit-identical: no update was applied after the NaN appeared.
    let same = weights
        .iter()
        .zip(&after)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same, "weights changed after a non-finite step");
}

#[test]
fn oversized_models_are_refused_before_allocation() {
    let ctx = ctx();
    let huge = TransformerConfig {
        n_layer: 1,
        n_head: 64,
        d_model: 256,
        d_ff: 256,
        seq_len: 4096,
        vocab: 80,
        arch: Default::default(),
    };
    match Transformer::new(&ctx, huge, 64, 1.0) {
        Err(Error::TooLarge(msg)) => assert!(msg.contains("attention probabilities"), "{msg}"),
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a 4096-token, 64-head batch of 64 cannot fit"),
    }
}

#[test]
fn invalid_hyperparameters_are_rejected() {
    let bad = [
        TrainConfig {
            optimizer: ire_playground::optim::OptimizerConfig {
                lr: 0.0,
                ..Default::default()
            },
            ..TrainConfig::default()
        },
        TrainConfig {
            optimizer: ire_playground::optim::OptimizerConfig {
                lr: f32::NAN,
                ..Default::default()
            },
            ..TrainConfig::default()
        },
        TrainConfig {
            batch: 0,
            ..TrainConfig::default()
        },
        TrainConfig {
            steps: 0,
            ..TrainConfig::default()
        },
        TrainConfig {
            warmup: 10_000,
            ..TrainConfig::default()
        },
        TrainConfig {
            grad_clip: -1.0,
            ..TrainConfig::default()
        },
        TrainConfig {
            min_lr: 1.0,
            ..TrainConfig::default()
        },
    ];
    for c in bad {
        assert!(
            matches!(c.validate(), Err(Error::InvalidConfig(_))),
            "{c:?} accepted"
        );
    }
    assert!(TransformerConfig::preset("huge", 80).is_err());
    let odd_heads = TransformerConfig {
        n_head: 3,
        ..TransformerConfig::preset("tiny", 80).unwrap()
    };
    assert!(odd_heads.validate().is_err());
}

/// Runs trained at once on one device (`train::concurrent::run_all`, what `experiment --jobs`
/// uses) give exactly the losses they give alone, and a run that diverges stops alone.
#[test]
fn concurrent_runs_match_runs_alone_and_fail_alone() {
    use ire_playground::train::concurrent::run_all;
    let ctx = ctx();
    let corpus = corpus();
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let losses = |records: &[Record]| -> Vec<u32> {
        common::steps(records)
            .iter()
            .map(|s| s.loss.to_bits())
            .collect()
    };
    let alone: Vec<Vec<u32>> = [1, 2]
        .iter()
        .map(|&seed| {
            let mut t =
                common::text_trainer(&ctx, model, config(6, 2, seed), corpus.clone()).unwrap();
            losses(&run(&mut t).unwrap())
        })
        .collect();

    let mut trainers: Vec<Trainer> = [1, 2, 3]
        .iter()
        .map(|&seed| common::text_trainer(&ctx, model, config(6, 2, seed), corpus.clone()).unwrap())
        .collect();
    // Run 2 starts from a NaN weight: it must diverge without stopping the others.
    let mut weights: Vec<f32> = read(&ctx, &trainers[2].network().params().params);
    weights[0] = f32::NAN;
    trainers[2].network().load_flat(&ctx, &weights);
    let mut records: Vec<Vec<Record>> = vec![Vec::new(); 3];
    let outcomes = run_all(&mut trainers, |i, r| {
        records[i].extend_from_slice(r);
        Ok(())
    });
    assert!(outcomes[0].is_ok() && outcomes[1].is_ok(), "{outcomes:?}");
    assert!(
        matches!(outcomes[2], Err(Error::NonFinite { step: 1 })),
        "{:?}",
        outcomes[2]
    );
    assert_eq!(losses(&records[0]), alone[0]);
    assert_eq!(losses(&records[1]), alone[1]);
    assert!(
        !losses(&records[2]).is_empty(),
        "the diverged step's record arrives"
    );
}
