//! IRE against outside references: the GPU radix-select threshold against numpy's exact k-th
//! value on 4M entries with ties and zeros; one AdmIRE, SGD-IRE and Lion-IRE step against a PyTorch
//! re-implementation of the authors' update (tests/fixtures/ire.safetensors); and the trainer's
//! IRE semantics (off means base optimizer exactly, toggles, mask size).

mod common;

use common::update::UpdateRig;
use common::{assert_close, ctx, read, Fixture};
use ire_playground::data::Corpus;
use ire_playground::gpu::{Plan, Tensor};
use ire_playground::kernels::ire::{mark, select_kth, MaskBuffers, SelectScratch};
use ire_playground::kernels::reduce::{self, ReduceMode};
use ire_playground::kernels::slot;
use ire_playground::models::TransformerConfig;
use ire_playground::optim::{IreConfig, OptimizerKind};
use ire_playground::train::{LiveParams, Record, TrainConfig, Trainer};
use std::sync::Arc;

/// Same values as `select_values` in scripts/make_fixtures.py.
fn select_values(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let mut h = (i as u32).wrapping_mul(2654435761);
            h ^= h >> 15;
            h = h.wrapping_mul(2246822519);
            if i % 2 == 0 {
                (h >> 20) as f32 / 37.0
            } else {
                (h >> 8) as f32 / 1e5
            }
        })
        .collect()
}

#[test]
fn radix_select_matches_numpy_kth_value_on_4m_entries_with_ties_and_zeros() {
    let ctx = ctx();
    let f = Fixture::load("ire.safetensors");
    let n = 4 * 1024 * 1024 + 15;
    let values = select_values(n);
    assert_eq!(
        &values[..64],
        f.f("select.head"),
        "generator differs from numpy's"
    );
    assert!(f.f("select.zeros")[0] > 0.0, "data must contain zeros");
    let values = Tensor::from_slice(&ctx, "values", &values);
    let mask = Tensor::zeros(&ctx, "mask", n);
    let below = Tensor::zeros(&ctx, "below", n);
    let partials = Tensor::zeros(&ctx, "partials", reduce::partials_len(n));
    let scratch = SelectScratch::new(&ctx);
    for ((&k, &want), &count) in f
        .u("select.k")
        .iter()
        .zip(f.f("select.kth"))
        .zip(f.f("select.count_le"))
    {
        let scalars = Tensor::zeros(&ctx, "scalars", slot::COUNT);
        let mut plan = Plan::new();
        plan.extend_dispatches(select_kth(&ctx, &values, k as usize, &scratch));
        let buffers = MaskBuffers {
            fisher: &values,
            state: &scratch.state,
            scalars: &scalars,
            mask: &mask,
            below: &below,
        };
        plan.push(mark(&ctx, buffers, n, 1e-3));
        let sum = ReduceMode::Store {
            slot: slot::DOT,
            scale: 1.0,
        };
        plan.extend_dispatches(reduce::reduce(&ctx, sum, &mask, &partials, &scalars));
        plan.submit(&ctx);
        let state: Vec<u32> = scratch.state.read_blocking(&ctx).unwrap();
        assert_eq!(state[3], 0, "k = {k} must give a threshold");
        assert_eq!(
            f32::from_bits(state[2]).to_bits(),
            want.to_bits(),
            "k = {k}: GPU threshold {} vs numpy {want}",
            f32::from_bits(state[2])
        );
        let s = read(&ctx, &scalars);
        assert_eq!(s[slot::DOT], count, "k = {k}: mask size");
        assert!(s[slot::DOT] >= k as f32);
    }
}

fn ire_step(rule: OptimizerKind, want: &str) {
    let ctx = ctx();
    let f = Fixture::load("ire.safetensors");
    let params = f.tensor(&ctx, "ire.p0");
    let grads = Tensor::zeros(&ctx, "grads", params.len);
    let mask = f.tensor(&ctx, "ire.mask");
    let rig = UpdateRig::new(&ctx, rule, (&params, &grads), &mask, 1500);
    for (t, (g, kappa)) in [("ire.g0", 0.0f32), ("ire.g1", 3.0)]
        .into_iter()
        .enumerate()
    {
        grads.write(&ctx, f.f(g));
        rig.step(&ctx, t as u64 + 1, 1e-2, kappa);
    }
    assert_close(want, &read(&ctx, &params), f.f(want), 1e-6, 1e-5);
}

#[test]
fn admire_step_matches_pytorch_reimplementation() {
    ire_step(OptimizerKind::AdamW, "ire.adamw");
}

#[test]
fn sgd_ire_step_matches_pytorch_reimplementation() {
    ire_step(OptimizerKind::Sgd, "ire.sgd");
}

#[test]
fn lion_ire_step_matches_pytorch_reimplementation() {
    ire_step(OptimizerKind::Lion, "ire.lion");
}

/// A `tiny` transformer run of `config` on the embedded corpus.
fn tiny_trainer(config: TrainConfig) -> Trainer {
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    common::text_trainer(&ctx(), model, config, corpus).unwrap()
}

fn trainer_run(ire: IreConfig, probe_every: usize, steps: usize) -> Vec<Record> {
    let config = TrainConfig {
        steps,
        batch: 4,
        warmup: 2,
        eval_every: 0,
        eval_batches: 1,
        ire,
        probe_every,
        ..TrainConfig::default()
    };
    let mut trainer = tiny_trainer(config);
    common::run_to_end(&mut trainer).unwrap()
}

fn step_losses(records: &[Record]) -> Vec<f32> {
    common::steps(records).iter().map(|s| s.loss).collect()
}

#[test]
fn ire_off_or_kappa_zero_is_exactly_the_base_optimizer_and_probes_do_not_disturb() {
    let base = step_losses(&trainer_run(IreConfig::default(), 0, 8));
    let probed = step_losses(&trainer_run(IreConfig::default(), 3, 8));
    let kappa0 = step_losses(&trainer_run(
        IreConfig {
            enabled: true,
            kappa: 0.0,
            mask_every: 2,
            ..Default::default()
        },
        0,
        8,
    ));
    let on = step_losses(&trainer_run(
        IreConfig {
            enabled: true,
            kappa: 4.0,
            mask_every: 2,
            ..Default::default()
        },
        0,
        8,
    ));
    assert_eq!(base, probed, "probes must not change training");
    let toggled = IreConfig {
        enabled: true,
        kappa: 4.0,
        mask_every: 2,
        toggle_at: vec![4, 6],
        ..Default::default()
    };
    assert_eq!(
        step_losses(&trainer_run(toggled.clone(), 0, 8)),
        step_losses(&trainer_run(toggled, 3, 8)),
        "probes must not change an IRE run either"
    );
    assert_eq!(
        base, kappa0,
        "kappa = 0 must be the base optimizer bit for bit"
    );
    assert_eq!(
        base[..3],
        on[..3],
        "IRE acts only from the end of warm-up (step 2)"
    );
    assert_ne!(base[3..], on[3..], "IRE with kappa 4 must change training");
}

#[test]
fn toggles_are_recorded_and_the_mask_has_the_requested_size() {
    let gamma = 0.9;
    let ire = IreConfig {
        enabled: true,
        gamma,
        kappa: 2.0,
        mask_every: 3,
        toggle_at: vec![4, 8],
        ..Default::default()
    };
    let records = trainer_run(ire, 2, 12);
    let events = common::events(&records);
    assert_eq!(
        events,
        vec![(4, "ire_off".to_string()), (8, "ire_on".to_string())]
    );
    let model = TransformerConfig::preset("tiny", 83).unwrap();
    let params = model.param_count();
    let model_order: Vec<String> = model.param_specs().into_iter().map(|s| s.name).collect();
    assert_eq!(model_order.len(), 17);
    let want = (gamma as f64 * params as f64).floor() as u64;
    let probes = common::probes(&records);
    assert_eq!(probes.len(), 6);
    for p in &probes {
        assert!(
            p.flat_count >= want,
            "step {}: flat count {} < floor(gamma n) = {want}",
            p.step,
            p.flat_count
        );
        assert!(
            p.flat_count < want + params as u64 / 100,
            "step {}: {} far above {want}",
            p.step,
            p.flat_count
        );
        assert!(p.fisher_trace.is_finite() && p.fisher_trace > 0.0);
        // Listed in model order (embeddings, block 0's attention and MLP, ..., the head), as
        // the heatmap shows them, not alphabetically.
        let names: Vec<String> = p.flat_fraction_by_tensor.keys().cloned().collect();
        assert_eq!(names, model_order);
        assert_eq!(names[0], "wte.weight");
        assert!(p
            .flat_fraction_by_tensor
            .values()
            .all(|f| (0.0..=1.0).contains(f)));
    }
    let active: Vec<bool> = probes.iter().map(|p| p.ire_active).collect();
    // Probes after 2,4,..,12 steps; IRE acts from step 2 (warm-up), is off for steps 4..7.
    assert_eq!(active, vec![false, true, false, false, true, true]);
}

#[test]
fn switching_ire_from_the_api_records_the_event_and_acts_at_once() {
    let config = TrainConfig {
        steps: 6,
        batch: 4,
        warmup: 0,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::default()
    };
    let mut trainer = tiny_trainer(config);
    let records = run_stepwise(&mut trainer, |trainer, step| {
        if step == 3 {
            let on = LiveParams {
                ire_on: true,
                ..trainer.live()
            };
            trainer.set_live(on).unwrap();
            assert!(trainer.ire_enabled());
        }
    });
    let events = common::events(&records);
    assert_eq!(events, vec![(3, "ire_on".to_string())]);
    let kappas: Vec<f32> = common::steps(&records)
        .iter()
        .map(|s| s.ire_kappa)
        .collect();
    assert_eq!(
        kappas,
        vec![0.0, 0.0, 0.0, 2.0, 2.0, 2.0],
        "IRE acts from the step after the switch"
    );
}

/// Runs `steps` steps of `tiny` with IRE on from the end of a 3-step warm-up, applying `live`
/// (if any) just before step 2, while IRE does not act yet.
fn run_with_live_change(ire: IreConfig, live: Option<LiveParams>, steps: usize) -> Vec<Record> {
    let config = TrainConfig {
        steps,
        batch: 4,
        warmup: 3,
        eval_every: 0,
        eval_batches: 1,
        ire,
        ..TrainConfig::default()
    };
    let mut trainer = tiny_trainer(config);
    run_stepwise(&mut trainer, |trainer, step| {
        if let (2, Some(live)) = (step, live) {
            trainer.set_live(live).unwrap();
            assert_eq!(trainer.live(), live);
        }
    })
}

/// Runs `trainer` to the end one step at a time, calling `before(trainer, step)` before each
/// step is submitted (what a UI does between frames), and returns every record.
fn run_stepwise(trainer: &mut Trainer, mut before: impl FnMut(&mut Trainer, usize)) -> Vec<Record> {
    let mut records = Vec::new();
    for step in 0..trainer.config.steps {
        before(trainer, step);
        trainer.submit_step().unwrap();
        trainer.wait_for_oldest();
        records.extend(trainer.poll().unwrap());
    }
    while !trainer.is_finished() {
        trainer.wait_for_oldest();
        records.extend(trainer.poll().unwrap());
    }
    records
}

#[test]
fn a_live_kappa_and_k_change_trains_exactly_like_a_run_started_with_them() {
    let started = |kappa, mask_every| IreConfig {
        enabled: true,
        kappa,
        mask_every,
        ..IreConfig::default()
    };
    let live = LiveParams {
        ire_on: true,
        kappa: 4.0,
        mask_every: 2,
    };
    let changed = run_with_live_change(started(2.0, 5), Some(live), 10);
    let reference = run_with_live_change(started(4.0, 2), None, 10);
    let unchanged = run_with_live_change(started(2.0, 5), None, 10);
    let bits = |r: &[Record]| -> Vec<u32> { step_losses(r).iter().map(|l| l.to_bits()).collect() };
    assert_eq!(
        bits(&changed),
        bits(&reference),
        "a live change to kappa 4 and K 2 must train exactly like a run started with them"
    );
    assert_ne!(
        step_losses(&changed)[4..],
        step_losses(&unchanged)[4..],
        "kappa must matter"
    );
    let kappas: Vec<f32> = common::steps(&changed)
        .iter()
        .map(|s| s.ire_kappa)
        .collect();
    assert_eq!(kappas, [vec![0.0; 3], vec![4.0; 7]].concat());
    assert_eq!(
        common::events(&changed),
        vec![(2, "ire_params kappa=4 mask_every=2".to_string())]
    );
}

/// Invalid live values are refused with a message and change nothing.
#[test]
fn invalid_live_values_are_refused_and_change_nothing() {
    let config = TrainConfig {
        steps: 2,
        batch: 2,
        warmup: 0,
        eval_batches: 1,
        ..TrainConfig::default()
    };
    let mut trainer = tiny_trainer(config);
    let before = trainer.live();
    let err = trainer
        .set_live(LiveParams {
            mask_every: 0,
            ..before
        })
        .unwrap_err();
    assert!(err.to_string().contains("mask-every"), "{err}");
    assert_eq!(trainer.live(), before);
}
