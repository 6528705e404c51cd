//! Loss-landscape slices and the Hessian spectrum, checked against references nobody here wrote
//! and against each other:
//! - Lanczos' extreme Ritz values against PyTorch's exact (float64, full-Hessian) eigenvalues of
//!   a micro transformer (tests/fixtures/sharpness.safetensors);
//! - the spectrum's first moment against the probes' Hutchinson trace from the same Rademacher
//!   vectors;
//! - a slice's centre against `eval` on the same batches, and its second difference along the
//!   top Hessian eigenvector against Lanczos' eigenvalue and the probes' `lambda_max`;
//! - an analysis between steps changes nothing: the run goes on bit-identically;
//! - bad requests fail with a reason.

mod common;

use common::{assert_fails_with, ctx, read, run_to_end, scratch, steps, succeed, Fixture};
use ire_playground::analysis::lanczos::Lanczos;
use ire_playground::analysis::{
    AnalysisRequest, AnalysisResult, DirectionKind, LandscapeConfig, SliceData, SliceKind,
    SpectrumConfig,
};
use ire_playground::data::Corpus;
use ire_playground::gpu::GpuContext;
use ire_playground::kernels::slot;
use ire_playground::models::{Transformer, TransformerConfig};
use ire_playground::optim::OptimizerKind;
use ire_playground::probe::{Sharpness, SharpnessConfig};
use ire_playground::train::{Family, TrainConfig};
use std::path::Path;
use std::sync::Arc;

/// The micro transformer of the sharpness fixture, its weights and batch loaded.
fn micro(ctx: &GpuContext, f: &Fixture) -> Transformer {
    common::fixture_transformer(ctx, f, "micro")
}

/// One Lanczos run of `steps` steps from Rademacher sample (`seed`, `counter`).
fn lanczos_run(
    ctx: &GpuContext,
    model: &Transformer,
    steps: usize,
    (seed, counter): (u32, u32),
) -> ire_playground::analysis::lanczos::Ritz {
    let lanczos = Lanczos::new(ctx, model, steps).unwrap();
    lanczos.start_plan(ctx, model, (seed, counter)).submit(ctx);
    for j in 0..steps {
        lanczos.step_plan(ctx, model, j, 1e-2).submit(ctx);
    }
    lanczos.finish_plan(ctx, model).submit(ctx);
    lanczos.ritz(&read(ctx, lanczos.coefficients())).unwrap()
}

#[test]
fn lanczos_finds_the_exact_extreme_eigenvalues_of_a_micro_model() {
    let ctx = ctx();
    let f = Fixture::load("sharpness.safetensors");
    let model = micro(&ctx, &f);
    let before = read(&ctx, &model.params.params);
    let ritz = lanczos_run(&ctx, &model, 60, (3, 0));
    let top = f.f("micro.eigenvalues_top");
    let bottom = f.f("micro.eigenvalues_bottom");
    let lowest = *ritz.values.last().unwrap();
    eprintln!(
        "Lanczos top {:?} vs exact {top:?}; lowest {lowest} vs exact {}",
        &ritz.values[..3],
        bottom[0]
    );
    // The top three are separated by 10% and 3% of lambda_max: Lanczos resolves them.
    for (k, (&got, &want)) in ritz.values.iter().zip(top).take(3).enumerate() {
        let error = (got - want as f64).abs() / top[0] as f64;
        assert!(
            error < 0.01,
            "eigenvalue {k}: Lanczos {got} vs exact {want}"
        );
    }
    let error = (lowest - bottom[0] as f64).abs() / top[0] as f64;
    assert!(
        error < 0.02,
        "lowest: Lanczos {lowest} vs exact {}",
        bottom[0]
    );
    // The quadrature weights are a distribution.
    let total: f64 = ritz.weights.iter().sum();
    assert!((total - 1.0).abs() < 1e-6, "weights sum to {total}");
    common::assert_bits_equal("the weights", &before, &read(&ctx, &model.params.params));
}

#[test]
fn the_spectrums_first_moment_is_hutchinsons_trace_from_the_same_vectors() {
    let ctx = ctx();
    let f = Fixture::load("sharpness.safetensors");
    let model = micro(&ctx, &f);
    let (seed, samples) = (9u64, 4usize);
    let config = SharpnessConfig {
        power_iters: 0,
        hutchinson_samples: samples,
        ..Default::default()
    };
    Sharpness::new(&ctx, &model, config, seed)
        .unwrap()
        .plan()
        .submit(&ctx);
    let hutchinson = read(&ctx, &model.head.scalars)[slot::TRACE] as f64;
    let moments: f64 = (0..samples)
        .map(|s| lanczos_run(&ctx, &model, 2, (seed as u32, s as u32)).first_moment)
        .sum();
    let slq = moments / samples as f64 * model.params.count() as f64;
    eprintln!("trace: Hutchinson {hutchinson}, SLQ first moment x n {slq}");
    assert!(
        ((slq - hutchinson) / hutchinson).abs() < 1e-4,
        "SLQ {slq} vs Hutchinson {hutchinson}"
    );
}

fn tiny_config(steps: usize) -> TrainConfig {
    TrainConfig {
        batch: 4,
        seed: 3,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::Transformer, OptimizerKind::AdamW, steps)
    }
}

#[test]
fn an_analysis_between_steps_leaves_the_run_bit_identical() {
    let ctx = ctx();
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let mut config = tiny_config(6);
    config.ire.enabled = true;
    config.ire.start = Some(1);
    let make = || common::text_trainer(&ctx, model, config.clone(), corpus.clone()).unwrap();
    let straight = run_to_end(&mut make()).unwrap();

    let mut trainer = make();
    let mut records = Vec::new();
    while trainer.steps_submitted() < 3 || trainer.in_flight() > 0 {
        if trainer.steps_submitted() < 3 && trainer.can_submit() {
            trainer.submit_step().unwrap();
        }
        trainer.wait_for_oldest();
        records.extend(trainer.poll().unwrap());
    }
    let requests = [
        AnalysisRequest::Spectrum(SpectrumConfig {
            lanczos_steps: 3,
            vectors: 1,
            top_k: 2,
            ..Default::default()
        }),
        AnalysisRequest::Landscape(LandscapeConfig {
            kind: SliceKind::Plane,
            grid: 3,
            data: SliceData::Validation,
            ..Default::default()
        }),
        AnalysisRequest::Landscape(LandscapeConfig {
            directions: DirectionKind::Hessian,
            grid: 3,
            span: 0.1,
            lanczos_steps: 3,
            ..Default::default()
        }),
    ];
    for request in requests {
        trainer.start_analysis(request).unwrap();
        assert!(!trainer.can_submit(), "steps wait for the analysis");
        assert!(trainer.start_analysis(request).is_err(), "one at a time");
        let result = trainer.finish_analysis().unwrap();
        match result {
            AnalysisResult::Landscape(s) => {
                assert_eq!(s.step, 3);
                assert!(s.loss.iter().all(|l| l.is_finite()), "{:?}", s.loss);
                assert_eq!(s.loss.len(), s.config.grid * s.config.rows());
            }
            AnalysisResult::Spectrum(s) => {
                assert_eq!(s.top.len(), 2);
                assert!(s.top[0] >= s.top[1]);
            }
        }
        assert!(trainer.can_submit());
    }
    records.extend(run_to_end(&mut trainer).unwrap());
    let bits = |r: &[ire_playground::train::Record]| -> Vec<u32> {
        steps(r).iter().map(|s| s.loss.to_bits()).collect()
    };
    assert_eq!(bits(&records), bits(&straight));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn cli_slices_agree_with_eval_lanczos_and_the_probes() {
    let dir = scratch("landscape");
    let (ckpt, log) = (dir.join("run.safetensors"), dir.join("run.jsonl"));
    succeed(&[
        "train",
        "--steps",
        "12",
        "--batch",
        "8",
        "--probe-every",
        "12",
        "--probe-iters",
        "40",
        "--probe-samples",
        "1",
        "--save",
        s(&ckpt),
        "--log",
        s(&log),
    ]);
    let probe: serde_json::Value = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v.get("lambda_max").is_some())
        .expect("a probe row");
    let lambda_max = probe["lambda_max"].as_f64().unwrap();

    // The centre of a validation slice is eval's loss on the same batches.
    let out = dir.join("validation.json");
    succeed(&[
        "landscape",
        "--checkpoint",
        s(&ckpt),
        "--data",
        "validation",
        "--batches",
        "2",
        "--grid",
        "3",
        "--out",
        s(&out),
    ]);
    let eval = stdout_json(&succeed(&[
        "eval",
        "--checkpoint",
        s(&ckpt),
        "--batches",
        "2",
        "--batch",
        "8",
    ]));
    let slice = json(&out);
    let center = slice["loss"][1].as_f64().unwrap();
    let want = eval["val_loss"].as_f64().unwrap();
    assert!(
        (center - want).abs() <= 1e-6 * want,
        "centre {center} vs eval {want}"
    );
    assert_eq!(slice["axis"].as_array().unwrap().len(), 3);

    // Along the top eigenvector the second difference is the eigenvalue (with a grid step of
    // 0.01: the quartic term grows as the step squared, f32 rounding as its inverse square).
    let out = dir.join("hessian.json");
    let summary = stdout_json(&succeed(&[
        "landscape",
        "--checkpoint",
        s(&ckpt),
        "--directions",
        "hessian",
        "--grid",
        "5",
        "--span",
        "0.02",
        "--lanczos-steps",
        "20",
        "--out",
        s(&out),
    ]));
    let curvature = summary["center_curvature"].as_f64().unwrap();
    let eigenvalue = summary["eigenvalues"][0].as_f64().unwrap();
    eprintln!("curvature {curvature}, Lanczos {eigenvalue}, probe lambda_max {lambda_max}");
    assert!((curvature - eigenvalue).abs() < 0.01 * eigenvalue);
    assert!((curvature - lambda_max).abs() < 0.02 * lambda_max);

    // A plane of random directions: grid^2 points, the minimum near the trained weights.
    let out = dir.join("plane.json");
    succeed(&[
        "landscape",
        "--checkpoint",
        s(&ckpt),
        "--kind",
        "slice2d",
        "--grid",
        "5",
        "--span",
        "0.5",
        "--seed",
        "4",
        "--out",
        s(&out),
    ]);
    let plane = json(&out);
    let losses: Vec<f64> = plane["loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 25);
    assert_eq!(plane["config"]["kind"], "slice2d");
    assert_eq!(plane["config"]["seed"], 4);
    let corner_mean = [0, 4, 20, 24].iter().map(|&i| losses[i]).sum::<f64>() / 4.0;
    assert!(
        losses[12] < corner_mean,
        "centre {} vs corners {corner_mean}",
        losses[12]
    );

    // The spectrum: top values descending, the largest the slice's eigenvalue.
    let out = dir.join("spectrum.json");
    let summary = stdout_json(&succeed(&[
        "spectrum",
        "--checkpoint",
        s(&ckpt),
        "--lanczos-steps",
        "20",
        "--vectors",
        "1",
        "--out",
        s(&out),
    ]));
    let top: Vec<f64> = summary["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0] >= w[1]), "{top:?}");
    assert!(
        (top[0] - eigenvalue).abs() < 1e-6 * eigenvalue,
        "same start, same run"
    );
    let spectrum = json(&out);
    assert_eq!(
        spectrum["density"]["lambda"].as_array().unwrap().len(),
        spectrum["density"]["density"].as_array().unwrap().len()
    );
}

#[test]
fn cli_resnet_slices_and_spectra_run() {
    let dir = scratch("landscape-resnet");
    let ckpt = dir.join("resnet.safetensors");
    succeed(&[
        "train",
        "--model",
        "resnet",
        "--preset",
        "resnet-tiny",
        "--optimizer",
        "sgd",
        "--steps",
        "2",
        "--batch",
        "8",
        "--save",
        s(&ckpt),
    ]);
    let out = dir.join("slice.json");
    let summary = stdout_json(&succeed(&[
        "landscape",
        "--checkpoint",
        s(&ckpt),
        "--grid",
        "3",
        "--data",
        "validation",
        "--out",
        s(&out),
    ]));
    assert!(summary["center_loss"].as_f64().unwrap().is_finite());
    let out = dir.join("spectrum.json");
    let summary = stdout_json(&succeed(&[
        "spectrum",
        "--checkpoint",
        s(&ckpt),
        "--lanczos-steps",
        "4",
        "--vectors",
        "1",
        "--top-k",
        "2",
        "--out",
        s(&out),
    ]));
    assert!(summary["top"][0].as_f64().unwrap().is_finite());
}

#[test]
fn bad_analysis_requests_fail_with_a_reason() {
    let dir = scratch("landscape-bad");
    let ckpt = dir.join("run.safetensors");
    succeed(&["train", "--steps", "1", "--batch", "2", "--save", s(&ckpt)]);
    let out = dir.join("out.json");
    let base = ["landscape", "--checkpoint", s(&ckpt), "--out", s(&out)];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter()
            .map(|a| a.to_string())
            .chain(extra.iter().map(|a| a.to_string()))
            .collect()
    };
    let check = |extra: &[&'static str], needle: &str| {
        let args = with(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_fails_with(&refs, needle);
    };
    check(&["--grid", "4"], "must be odd");
    check(&["--grid", "1"], "must be odd");
    check(&["--kind", "slice2d", "--grid", "301"], "between 3 and 101");
    check(&["--span", "0"], "span");
    check(&["--span", "nan"], "span");
    check(
        &["--directions", "hessian", "--lanczos-steps", "1"],
        "Lanczos steps",
    );
    check(
        &["--data", "validation", "--batches", "100000"],
        "validation batches",
    );
    assert!(!out.exists(), "nothing written on failure");
    let missing = dir.join("no/such/folder/out.json");
    assert_fails_with(
        &["spectrum", "--checkpoint", s(&ckpt), "--out", s(&missing)],
        "out.json",
    );
    assert_fails_with(
        &[
            "spectrum",
            "--checkpoint",
            s(&dir.join("none.safetensors")),
            "--out",
            s(&out),
        ],
        "none.safetensors",
    );
    assert_fails_with(
        &[
            "spectrum",
            "--checkpoint",
            s(&ckpt),
            "--top-k",
            "30",
            "--out",
            s(&out),
        ],
        "top-k",
    );
    assert_fails_with(
        &[
            "spectrum",
            "--checkpoint",
            s(&ckpt),
            "--vectors",
            "0",
            "--out",
            s(&out),
        ],
        "vectors",
    );
}
