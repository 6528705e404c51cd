//! Sharpness probes against PyTorch's exact (double-backprop, float64) values
//! (tests/fixtures/sharpness.safetensors): finite-difference power iteration within 5% of the
//! top Hessian eigenvalue of the `tiny` transformer, Hutchinson within 10% of the exact trace of a
//! micro model (whose full Hessian PyTorch can afford), the weights' norm, and the weights left
//! untouched.

mod common;

use common::{ctx, fixture_transformer, read, Fixture};
use ire_playground::kernels::slot;
use ire_playground::probe::{Sharpness, SharpnessConfig};

#[test]
fn power_iteration_finds_the_top_hessian_eigenvalue_within_5_percent() {
    let ctx = ctx();
    let f = Fixture::load("sharpness.safetensors");
    let model = fixture_transformer(&ctx, &f, "tiny");
    let before = read(&ctx, &model.params.params);
    let config = SharpnessConfig {
        power_iters: 60,
        hutchinson_samples: 0,
        ..Default::default()
    };
    let probe = Sharpness::new(&ctx, &model, config, 1).unwrap();
    probe.plan().submit(&ctx);
    let s = read(&ctx, &model.head.scalars);
    let want = f.f("tiny.lambda_max")[0];
    let got = s[slot::LAMBDA_MAX];
    eprintln!("lambda_max: GPU finite differences {got}, PyTorch exact {want}");
    assert!(
        ((got - want) / want).abs() < 0.05,
        "lambda_max {got} vs PyTorch {want}"
    );
    let after = read(&ctx, &model.params.params);
    common::assert_bits_equal("the weights", &before, &after);
    // The weights' norm, against a float64 sum on the host.
    let want = before
        .iter()
        .map(|&w| w as f64 * w as f64)
        .sum::<f64>()
        .sqrt();
    let got = s[slot::WEIGHT_SQ].sqrt() as f64;
    assert!(((got - want) / want).abs() < 1e-5, "|w| {got} vs {want}");
}

#[test]
fn hutchinson_trace_within_10_percent_of_the_exact_trace() {
    let ctx = ctx();
    let f = Fixture::load("sharpness.safetensors");
    let model = fixture_transformer(&ctx, &f, "micro");
    let samples = 256;
    let config = SharpnessConfig {
        power_iters: 0,
        hutchinson_samples: samples,
        ..Default::default()
    };
    let probe = Sharpness::new(&ctx, &model, config, 2).unwrap();
    probe.plan().submit(&ctx);
    let s = read(&ctx, &model.head.scalars);
    let want = f.f("micro.trace")[0];
    let got = s[slot::TRACE];
    let sampling_std = f.f("micro.hutchinson_sample_std")[0] / (samples as f32).sqrt();
    assert!(
        3.0 * sampling_std < 0.1 * want,
        "test would be flaky: 3 sigma = {}",
        3.0 * sampling_std
    );
    eprintln!("trace: GPU Hutchinson ({samples} samples) {got}, exact {want}");
    assert!(
        ((got - want) / want).abs() < 0.1,
        "trace {got} vs exact {want}"
    );
}

#[test]
fn sam_step_matches_pytorch() {
    use ire_playground::optim::{Optimizer, OptimizerConfig, OptimizerKind, Sam};
    let ctx = ctx();
    let f = Fixture::load("sharpness.safetensors");
    let model = fixture_transformer(&ctx, &f, "micro");
    let config = OptimizerConfig {
        kind: OptimizerKind::Sam,
        lr: 0.1,
        weight_decay: 5e-4,
        momentum: 0.9,
        rho: 0.05,
        ..Default::default()
    };
    let unused_mask = ire_playground::gpu::Tensor::zeros(&ctx, "mask", model.params.params.len);
    let mut optimizer = Optimizer::new(
        &ctx,
        config,
        &model.params,
        &model.head.scalars,
        &unused_mask,
    )
    .unwrap();
    let sam = Sam::new(&ctx, &model, config.rho);
    optimizer.prepare_step(&ctx, config.lr, 0.0);
    ire_playground::gpu::Plan::concat(&[sam.plan(), optimizer.plan()]).submit(&ctx);
    let after = read(&ctx, &model.params.params);
    for (spec, got) in model.params.unflatten(&after) {
        let want = f.f(&format!("micro.sam.{}", spec.name));
        common::assert_close(&format!("SAM {}", spec.name), got, want, 1e-5, 1e-4);
    }
    // The reported loss is the one at the unperturbed weights.
    let s = read(&ctx, &model.head.scalars);
    let loss = s[ire_playground::kernels::slot::SAM_LOSS];
    common::assert_close("SAM loss", &[loss], f.f("micro.loss"), 0.0, 1e-5);
}
