//! SAM and the sharpness probes on a ResNet (scripts/make_resnet_fixtures.py): one SAM step of
//! ResNet-8 (its second gradient with batch statistics only, as the engine's auxiliary pass)
//! gives PyTorch's weights, running statistics and reported loss; the probes leave weights and
//! running statistics exactly as they found them.
//!
//! Not asserted, because it does not hold: the probes' finite-difference Hessian-vector products
//! agree with PyTorch's exact (double-backprop) Hessian on the GELU transformer, but not on a
//! ReLU ResNet, where gradients jump wherever a unit's pre-activation crosses zero. Along
//! PyTorch's top eigenvector (eigenvalue -11.38 at this initialisation) central differences
//! give -5.9 at eps 1e-2 and -18.8 at 1e-3 even in float64, and finite-difference power
//! iteration does not converge. The fixture keeps PyTorch's exact values (`lambda_max`,
//! `trace`) for the fix: differences with the activation pattern held at theta.

mod common;

use common::{assert_close, ctx, load_fixture_params, read, Fixture};
use ire_playground::data::ImageBatch;
use ire_playground::gpu::{GpuContext, Plan, Tensor};
use ire_playground::kernels::slot;
use ire_playground::models::{ResNet, ResNetConfig};
use ire_playground::optim::{Optimizer, OptimizerConfig, OptimizerKind, Sam};
use ire_playground::probe::{Sharpness, SharpnessConfig};

/// ResNet-8 at the fixture's starting weights with the fixture's 4 images loaded.
fn start(ctx: &GpuContext) -> ResNet {
    let f = Fixture::load("resnet_model.safetensors");
    let model = ResNet::new(ctx, ResNetConfig::preset("resnet-tiny").unwrap(), 4, 0.0).unwrap();
    load_fixture_params(ctx, &f, &model.params, "param.", |n| {
        n.starts_with("param.")
    });
    let batch = ImageBatch {
        pixels: f.f("x").to_vec(),
        labels: f.u("y").to_vec(),
    };
    model.set_batch(ctx, &batch).unwrap();
    model
}

#[test]
fn sam_step_on_a_resnet_matches_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("resnet_sam_probes.safetensors");
    let model = start(&ctx);
    let config = OptimizerConfig {
        kind: OptimizerKind::Sam,
        lr: 0.1,
        // Large, so that decaying the wrong set of parameters would show (the engine decays
        // every ResNet parameter, BatchNorm's included, as the fixture does).
        weight_decay: 0.05,
        momentum: 0.9,
        rho: 0.05,
        ..Default::default()
    };
    let no_mask = Tensor::zeros(&ctx, "mask", model.params.params.len);
    let mut optimizer =
        Optimizer::new(&ctx, config, &model.params, &model.head.scalars, &no_mask).unwrap();
    let sam = Sam::new(&ctx, &model, config.rho);
    optimizer.prepare_step(&ctx, config.lr, 0.0);
    Plan::concat(&[sam.plan(), optimizer.plan()]).submit(&ctx);

    let after = read(&ctx, &model.params.params);
    for (spec, got) in model.params.unflatten(&after) {
        let want = f.f(&format!("sam.param.{}", spec.name));
        assert_close(&format!("SAM {}", spec.name), got, want, 1e-5, 1e-4);
    }
    // Running statistics moved once (the first pass), not twice.
    for (name, running) in model.running_stats() {
        let want = [
            f.f(&format!("sam.buffer.{name}.running_mean")),
            f.f(&format!("sam.buffer.{name}.running_var")),
        ]
        .concat();
        assert_close(
            &format!("{name} after SAM"),
            &read(&ctx, running),
            &want,
            1e-5,
            1e-4,
        );
    }
    let s = read(&ctx, &model.head.scalars);
    assert_close("SAM loss", &[s[slot::SAM_LOSS]], f.f("sam.loss"), 0.0, 1e-5);
}

#[test]
fn probes_on_a_resnet_leave_weights_and_running_statistics_alone() {
    let ctx = ctx();
    let f = Fixture::load("resnet_sam_probes.safetensors");
    let model = start(&ctx);
    let before = read(&ctx, &model.params.params);
    let running = |model: &ResNet| -> Vec<Vec<f32>> {
        model
            .running_stats()
            .iter()
            .map(|(_, t)| read(&ctx, t))
            .collect()
    };
    let running_before = running(&model);
    let config = SharpnessConfig {
        power_iters: 4,
        hutchinson_samples: 2,
        ..Default::default()
    };
    Sharpness::new(&ctx, &model, config, 5)
        .unwrap()
        .plan()
        .submit(&ctx);
    let s = read(&ctx, &model.head.scalars);
    eprintln!(
        "ResNet-8 finite-difference lambda_max {} and trace {} (PyTorch exact: {} and {})",
        s[slot::LAMBDA_MAX],
        s[slot::TRACE],
        f.f("lambda_max")[0],
        f.f("trace")[0]
    );
    assert!(s[slot::LAMBDA_MAX].is_finite() && s[slot::TRACE].is_finite());
    let after = read(&ctx, &model.params.params);
    assert!(
        before
            .iter()
            .zip(&after)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "the probes changed the weights"
    );
    assert_eq!(
        running_before,
        running(&model),
        "the probes changed running statistics"
    );
}
