//! ResNet training behaviour: a short SGD run on the embedded Fashion-MNIST subset lowers the
//! loss and reports accuracy; SAM, IRE and the probes run on a ResNet, with IRE's Fisher mask
//! covering every parameter, BatchNorm's included.

mod common;

use common::{ctx, evals, probes, run_to_end, steps};
use ire_playground::data::ImageDataset;
use ire_playground::models::ResNetConfig;
use ire_playground::optim::{OptimizerConfig, OptimizerKind};
use ire_playground::train::TrainConfig;
use std::sync::Arc;

fn config(kind: OptimizerKind, steps: usize) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig {
            kind,
            lr: 0.05,
            weight_decay: 5e-4,
            ..OptimizerConfig::default()
        },
        steps,
        batch: 16,
        min_lr: 0.005,
        warmup: 2,
        grad_clip: 0.0,
        seed: 3,
        eval_every: 0,
        eval_batches: 4,
        ..TrainConfig::default()
    }
}

#[test]
fn sgd_lowers_the_loss_and_reports_accuracy() {
    let ctx = ctx();
    let data = Arc::new(ImageDataset::fashion_mnist_embedded().unwrap());
    let model = ResNetConfig::preset("resnet-tiny").unwrap();
    let mut trainer =
        common::image_trainer(&ctx, model, config(OptimizerKind::Sgd, 40), data, true).unwrap();
    let records = run_to_end(&mut trainer).unwrap();
    let losses: Vec<f32> = steps(&records).iter().map(|s| s.loss).collect();
    assert_eq!(losses.len(), 40);
    let first: f32 = losses[..5].iter().sum::<f32>() / 5.0;
    let last: f32 = losses[35..].iter().sum::<f32>() / 5.0;
    assert!(last < first - 0.3, "loss {first} -> {last}");
    let eval = evals(&records)[0];
    let acc = eval.val_acc.expect("ResNet evaluations report accuracy");
    // 64 test images: chance is 10%; 40 small steps already do far better.
    assert!(acc > 0.3 && acc <= 1.0, "val_acc {acc}");
}

#[test]
fn sam_ire_and_probes_run_on_a_resnet() {
    let ctx = ctx();
    let data = Arc::new(ImageDataset::fashion_mnist_embedded().unwrap());
    let model = ResNetConfig::preset("resnet-tiny").unwrap();
    let mut c = config(OptimizerKind::Sam, 8);
    c.ire.enabled = true;
    c.ire.mask_every = 3;
    c.probe_every = 4;
    c.sharpness.power_iters = 2;
    c.sharpness.hutchinson_samples = 1;
    let mut trainer = common::image_trainer(&ctx, model, c, data, false).unwrap();
    let records = run_to_end(&mut trainer).unwrap();
    assert!(steps(&records).iter().all(|s| s.loss.is_finite()));
    let probe = probes(&records).last().copied().unwrap().clone();
    assert!(probe.ire_active);
    assert!(probe.lambda_max.unwrap().is_finite() && probe.trace.unwrap().is_finite());
    // The mask covers all parameters: BatchNorm scales and the classifier's bias included.
    for name in [
        "bn1.weight",
        "layer2.0.shortcut.1.bias",
        "fc.bias",
        "conv1.weight",
    ] {
        let f = probe.flat_fraction_by_tensor[name];
        assert!((0.0..=1.0).contains(&f), "{name}: {f}");
    }
    let flat = probe.flat_count as f64;
    let total = trainer.network().params().count() as f64;
    assert!(
        (flat / total - 0.9).abs() < 0.01,
        "mask holds {flat} of {total}"
    );
}
