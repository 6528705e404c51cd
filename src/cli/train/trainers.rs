//! Building the run `train` drives: a transformer on the embedded corpus or `--text-file`, or a
//! ResNet on Fashion-MNIST; fresh from the flags, or resumed from `--resume`.

use super::args::TrainArgs;
use anyhow::bail;
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::ImageDataset;
use ire_playground::models::{Arch, ResNetConfig, TransformerConfig};
use ire_playground::train::{Task, TrainConfig, Trainer};
use std::sync::Arc;

/// The transformer run: fresh, or resumed from `--resume`.
pub(super) fn transformer_trainer(
    args: &TrainArgs,
    config: &mut TrainConfig,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<(Trainer, String)> {
    let corpus = crate::cli::text::corpus(args.text_file.as_deref(), checkpoint)?;
    if let Some(source) = &corpus.source {
        eprintln!("text: {source}, {} distinct characters", corpus.vocab.len());
    }
    let corpus = Arc::new(corpus);
    let ctx = crate::cli::open_gpu()?;
    let trainer = match checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), corpus)?,
        None => {
            let preset = args.preset.as_deref().unwrap_or("tiny");
            let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
            fit_evaluation(&corpus, model.seq_len, config, args.eval_batches.is_some())?;
            Trainer::new(&ctx, model, config.clone(), corpus)?
        }
    };
    let Task::Text { model, .. } = &trainer.task else {
        unreachable!("a transformer run");
    };
    let c = &model.config;
    let arch = match c.arch {
        Arch::Gpt => "GPT",
        Arch::Llama => "Llama",
    };
    let described = format!(
        "{arch} transformer, {} parameters ({} layers, d {}, {} heads, window {}, {} characters)",
        c.param_count(),
        c.n_layer,
        c.d_model,
        c.n_head,
        c.seq_len,
        c.vocab
    );
    Ok((trainer, described))
}

/// The ResNet run on Fashion-MNIST (embedded subset, or the full set from `--data-dir`): fresh,
/// or resumed from `--resume`.
pub(super) fn resnet_trainer(
    args: &TrainArgs,
    config: &mut TrainConfig,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<(Trainer, String)> {
    if args.dataset != "fashion-mnist" {
        bail!(
            "unknown dataset '{}'; available: fashion-mnist",
            args.dataset
        );
    }
    let model_config = match checkpoint.map(|c| &c.model) {
        Some(ModelSpec::ResNet(m)) => *m,
        Some(_) => bail!("the checkpoint does not hold a ResNet"),
        None => ResNetConfig {
            width: args.width,
            ..ResNetConfig::preset(args.preset.as_deref().unwrap_or("resnet-tiny"))?
        },
    };
    model_config.validate()?;
    let data = match &args.data_dir {
        Some(dir) => ImageDataset::fashion_mnist_dir(dir)?,
        None => ImageDataset::fashion_mnist_embedded()?,
    };
    if args.eval_batches.is_none() && checkpoint.is_none() {
        config.eval_batches = data.test_batches(config.batch);
    }
    let source = args
        .data_dir
        .as_ref()
        .map_or("embedded subset".to_string(), |d| d.display().to_string());
    let augment = checkpoint.map_or(args.augment, Checkpoint::augments_images);
    let described = format!(
        "ResNet-{} ({} params) on Fashion-MNIST ({source}: {} train, {} test images; augmentation {})",
        model_config.depth(),
        model_config.param_count(),
        data.train.len(),
        data.test.len(),
        if augment { "on" } else { "off" }
    );
    let ctx = crate::cli::open_gpu()?;
    let data = Arc::new(data);
    let trainer = match checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), data)?,
        None => Trainer::resnet(&ctx, model_config, config.clone(), data, args.augment)?,
    };
    Ok((trainer, described))
}

/// Checks that the text holds a training window and the evaluation batches. A short text that
/// holds fewer evaluation batches than the default gets as many as it holds, with a note; only
/// when the user asked for a number, or not one batch fits, is the text refused.
fn fit_evaluation(
    corpus: &ire_playground::data::Corpus,
    seq_len: usize,
    config: &mut TrainConfig,
    asked: bool,
) -> anyhow::Result<()> {
    let available = corpus.eval_batches_available(seq_len, config.batch);
    if !asked && (1..config.eval_batches).contains(&available) {
        eprintln!(
            "note: the held-out part of the text holds {available} evaluation batch(es) of {} x \
             {seq_len} characters; evaluating on {available} instead of {}",
            config.batch, config.eval_batches
        );
        config.eval_batches = available;
    }
    Ok(corpus.check_fits(seq_len, config.batch, config.eval_batches)?)
}
