//! The whole ResNet-8 against PyTorch (scripts/reference_resnet.py via
//! scripts/make_resnet_fixtures.py): same weights, same 4 images, training-mode BatchNorm; the loss,
//! every parameter's gradient and every running statistic after the step must agree.

mod common;

use common::{assert_close, assert_grads_match, ctx, load_fixture_params, read, Fixture};
use ire_playground::data::ImageBatch;
use ire_playground::kernels::slot;
use ire_playground::models::{Network, ResNet, ResNetConfig};

#[test]
fn resnet8_loss_gradients_and_running_stats_match_pytorch() {
    let ctx = ctx();
    let f = Fixture::load("resnet_model.safetensors");
    let config = ResNetConfig::preset("resnet-tiny").unwrap();
    let model = ResNet::new(&ctx, config, 4, 0.0).unwrap();

    load_fixture_params(&ctx, &f, &model.params, "param.", |n| {
        n.starts_with("param.")
    });

    let batch = ImageBatch {
        pixels: f.f("x").to_vec(),
        labels: f.u("y").to_vec(),
    };
    model.set_batch(&ctx, &batch).unwrap();
    model.train_plan().submit(&ctx);

    let scalars = read(&ctx, &model.head.scalars);
    assert_close(
        "loss",
        &scalars[slot::LOSS..slot::LOSS + 1],
        f.f("loss"),
        0.0,
        1e-5,
    );
    let grads = assert_grads_match(&ctx, &f, &model.params);
    for (name, running) in model.running_stats() {
        let got = read(&ctx, running);
        let want = [
            f.f(&format!("buffer.{name}.running_mean")),
            f.f(&format!("buffer.{name}.running_var")),
        ]
        .concat();
        assert_close(&format!("running stats of {name}"), &got, &want, 1e-5, 1e-4);
    }

    // The auxiliary pass (SAM, probes) computes the same gradients and leaves running stats alone.
    let before: Vec<Vec<f32>> = model
        .running_stats()
        .iter()
        .map(|(_, t)| read(&ctx, t))
        .collect();
    model.aux_train_plan().submit(&ctx);
    let aux_grads = read(&ctx, &model.params.grads);
    assert_close("aux-pass gradients", &aux_grads, &grads, 1e-6, 1e-5);
    let after: Vec<Vec<f32>> = model
        .running_stats()
        .iter()
        .map(|(_, t)| read(&ctx, t))
        .collect();
    assert_eq!(
        before, after,
        "the auxiliary pass changed running statistics"
    );

    // Evaluation mode uses the running statistics the step just updated: PyTorch's eval-mode
    // loss, and its accuracy (labels chosen so that exactly two of the four are right).
    model.eval_plan().submit(&ctx);
    let scalars = read(&ctx, &model.head.scalars);
    assert_close(
        "eval loss",
        &scalars[slot::EVAL_LOSS..slot::EVAL_LOSS + 1],
        f.f("eval.loss"),
        0.0,
        1e-5,
    );
    assert_eq!(f.f("eval.acc")[0], 0.5);
    assert_eq!(scalars[slot::EVAL_CORRECT], 0.5, "eval accuracy");
}
