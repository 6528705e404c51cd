//! The whole transformer's loss and every parameter gradient against the PyTorch reference model
//! (scripts/reference_model.py) on identical weights and batch (tests/fixtures/model_small.safetensors).
//!
//! Tolerances: loss within 1e-5 relative; each gradient element within
//! 1e-4 * max|reference gradient of that tensor| + 1e-4 * |reference element| (f32 on the GPU vs
//! float64 in PyTorch, through two blocks of attention).

mod common;

use common::{assert_close, assert_grads_match, ctx, load_fixture_params, read, Fixture};
use ire_playground::data::Batch;
use ire_playground::kernels::slot;
use ire_playground::models::Transformer;

#[test]
fn transformer_loss_and_all_gradients_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("model_small.safetensors");
    let (config, batch) = common::fixture_config(&f, "");
    let model = Transformer::new(&ctx, config, batch, 0.0).unwrap();

    // The model declares exactly the reference model's parameters, with the same shapes.
    load_fixture_params(&ctx, &f, &model.params, "", |n| {
        !n.starts_with("grad.") && !n.contains("put.")
    });
    let b = Batch {
        inputs: f.u("input.idx").to_vec(),
        targets: f.u("input.targets").to_vec(),
    };
    model.set_batch(&ctx, &b).unwrap();
    model.train_plan().submit(&ctx);

    let scalars = read(&ctx, &model.head.scalars);
    assert_close(
        "loss",
        &scalars[slot::LOSS..slot::LOSS + 1],
        f.f("output.loss"),
        0.0,
        1e-5,
    );

    assert_grads_match(&ctx, &f, &model.params);

    // Evaluation gives the same loss without touching gradients.
    model.eval_plan().submit(&ctx);
    let scalars = read(&ctx, &model.head.scalars);
    assert_close(
        "eval loss",
        &scalars[slot::EVAL_LOSS..slot::EVAL_LOSS + 1],
        f.f("output.loss"),
        0.0,
        1e-5,
    );
}
