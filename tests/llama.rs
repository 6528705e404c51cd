//! The Llama-style transformer against PyTorch (tests/fixtures/llama.safetensors, float64
//! autograd): RMSNorm, rotary position embeddings and SwiGLU forward and backward, then a whole
//! 2-block model's loss and every parameter gradient; and `llama-tiny` trains.

mod common;

use common::{assert_close, assert_grads_match_at, ctx, load_fixture_params, read, Fixture};
use ire_playground::data::{Batch, Corpus};
use ire_playground::gpu::{Plan, Tensor};
use ire_playground::kernels::layernorm::{self, LayerNormGrads, NormKind};
use ire_playground::kernels::rope::{self, RopeShape};
use ire_playground::kernels::{slot, swiglu};
use ire_playground::models::{Arch, Transformer, TransformerConfig};
use ire_playground::optim::OptimizerKind;
use ire_playground::train::{Family, TrainConfig};
use std::sync::Arc;

fn run(ctx: &ire_playground::gpu::GpuContext, dispatches: Vec<ire_playground::gpu::Dispatch>) {
    let mut plan = Plan::new();
    plan.extend_dispatches(dispatches);
    plan.submit(ctx);
}

#[test]
fn rmsnorm_forward_and_backward_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("llama.safetensors");
    let (rows, cols) = (21, 40);
    let x = f.tensor(&ctx, "rms.x");
    let gamma = f.tensor(&ctx, "rms.gamma");
    let dy = f.tensor(&ctx, "rms.dy");
    let zeros = Tensor::zeros(&ctx, "beta", cols);
    let z = |n: usize| Tensor::zeros(&ctx, "out", n);
    let (y, stats, dx, dgamma, dbeta) = (
        z(rows * cols),
        z(rows * 2),
        z(rows * cols),
        z(cols),
        z(cols),
    );
    let mut d = vec![layernorm::forward(
        &ctx,
        NormKind::Rms,
        rows,
        cols,
        &x,
        &gamma,
        &zeros,
        &y,
        &stats,
    )];
    let grads = LayerNormGrads {
        x: &x,
        gamma: &gamma,
        stats: &stats,
        dy: &dy,
        dresidual: None,
        dx: &dx,
        dgamma: &dgamma,
        dbeta: &dbeta,
    };
    d.extend(layernorm::backward(&ctx, NormKind::Rms, rows, cols, grads));
    run(&ctx, d);
    assert_close("rms y", &read(&ctx, &y), f.f("rms.y"), 1e-5, 1e-4);
    assert_close("rms dx", &read(&ctx, &dx), f.f("rms.dx"), 1e-5, 1e-4);
    assert_close(
        "rms dgamma",
        &read(&ctx, &dgamma),
        f.f("rms.dgamma"),
        1e-4,
        1e-4,
    );
}

#[test]
fn rotary_embeddings_forward_and_backward_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("llama.safetensors");
    let shape = RopeShape {
        rows: 14,
        seq: 7,
        heads: 3,
        head_dim: 6,
    };
    let qkv = f.tensor(&ctx, "rope.qkv");
    let dout = f.tensor(&ctx, "rope.dout");
    run(
        &ctx,
        vec![
            rope::forward(&ctx, shape, &qkv),
            rope::backward(&ctx, shape, &dout),
        ],
    );
    // v passes through untouched; q and k turn.
    assert_close("rope out", &read(&ctx, &qkv), f.f("rope.out"), 1e-5, 1e-5);
    assert_close(
        "rope dqkv",
        &read(&ctx, &dout),
        f.f("rope.dqkv"),
        1e-5,
        1e-5,
    );
}

#[test]
fn swiglu_forward_and_backward_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("llama.safetensors");
    let (a, b, dh) = (
        f.tensor(&ctx, "swiglu.a"),
        f.tensor(&ctx, "swiglu.b"),
        f.tensor(&ctx, "swiglu.dh"),
    );
    let z = || Tensor::zeros(&ctx, "out", a.len);
    let (h, da, db) = (z(), z(), z());
    let mut d = vec![swiglu::forward(&ctx, &a, &b, &h)];
    d.extend(swiglu::backward(&ctx, (&a, &b), &dh, (&da, &db)));
    run(&ctx, d);
    assert_close("swiglu h", &read(&ctx, &h), f.f("swiglu.h"), 1e-5, 1e-5);
    assert_close("swiglu da", &read(&ctx, &da), f.f("swiglu.da"), 1e-5, 1e-5);
    assert_close("swiglu db", &read(&ctx, &db), f.f("swiglu.db"), 1e-5, 1e-5);
}

#[test]
fn llama_loss_and_all_gradients_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("llama.safetensors");
    let (config, batch) = common::fixture_config(&f, "");
    assert_eq!(config.arch, Arch::Llama);
    let model = Transformer::new(&ctx, config, batch, 0.0).unwrap();
    // Exactly the reference's parameters: no biases, no position table.
    load_fixture_params(&ctx, &f, &model.params, "model.", |n| {
        n.starts_with("model.")
            && !n.starts_with("model.grad.")
            && !n.contains("model.idx")
            && !n.contains("targets")
            && !n.ends_with(".loss")
    });
    let batch = Batch {
        inputs: f.u("model.idx").to_vec(),
        targets: f.u("model.targets").to_vec(),
    };
    model.set_batch(&ctx, &batch).unwrap();
    model.train_plan().submit(&ctx);
    let scalars = read(&ctx, &model.head.scalars);
    assert_close(
        "loss",
        &scalars[slot::LOSS..slot::LOSS + 1],
        f.f("model.loss"),
        0.0,
        1e-5,
    );
    assert_grads_match_at(&ctx, &f, &model.params, "model.grad.");
}

#[test]
fn llama_tiny_trains() {
    let ctx = ctx();
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("llama-tiny", corpus.vocab.len()).unwrap();
    assert_eq!((model.arch, model.d_ff), (Arch::Llama, 176));
    let gpt = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let (l, g) = (model.param_count() as f64, gpt.param_count() as f64);
    // No position table and no biases: about 6% fewer parameters.
    assert!(
        (l / g - 1.0).abs() < 0.1,
        "llama-tiny {l} vs tiny {g} parameters"
    );
    let config = TrainConfig {
        batch: 8,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::Transformer, OptimizerKind::AdamW, 30)
    };
    let mut trainer = common::text_trainer(&ctx, model, config, corpus).unwrap();
    let records = common::run_to_end(&mut trainer).unwrap();
    let losses: Vec<f32> = common::steps(&records).iter().map(|s| s.loss).collect();
    let first = losses[..3].iter().sum::<f32>() / 3.0;
    let last = losses[losses.len() - 3..].iter().sum::<f32>() / 3.0;
    assert!(last < first - 0.5, "loss {first} -> {last}");
}
