//! Building the run `train` drives: a transformer on the embedded corpus or `--text-file`, or a
//! ResNet on Fashion-MNIST; fresh from the flags, or resumed from `--resume`. The data and the
//! model differ by family; the run itself is built in one place ([`Trainer::build`]).

use super::args::TrainArgs;
use anyhow::{bail, Context};
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::ImageDataset;
use ire_playground::models::{Arch, ResNetConfig};
use ire_playground::train::{Family, TaskData, TrainConfig, Trainer};
use std::sync::Arc;

/// The run of `family` (the checkpoint's when resuming), and a line describing its model and
/// data.
pub(super) fn trainer(
    args: &TrainArgs,
    family: Family,
    config: &mut TrainConfig,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<(Trainer, String)> {
    let (data, data_note) = task_data(args, family, config, checkpoint)?;
    let model = match checkpoint {
        Some(c) => c.model.clone(),
        None => fresh_model(args, &data, config)?,
    };
    let described = describe(&model, &data_note);
    let ctx = crate::cli::open_gpu(&args.kernels)?;
    let trainer = match checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), data)?,
        None => Trainer::build(&ctx, &model, config.clone(), data)?,
    };
    Ok((trainer, described))
}

/// The text (the embedded corpus or `--text-file`, or the one a checkpoint trained on) or
/// Fashion-MNIST (the embedded subset or `--data-dir`), and a note on where it came from.
fn task_data(
    args: &TrainArgs,
    family: Family,
    config: &mut TrainConfig,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<(TaskData, String)> {
    Ok(match family {
        Family::Transformer => {
            let corpus = match args.task.puzzle()? {
                Some(puzzle) => puzzle.corpus()?,
                None => crate::cli::text::corpus(args.text_file.as_deref(), checkpoint)?,
            };
            let tokens = corpus.vocab.len();
            match (&corpus.source, corpus.examples) {
                (Some(source), Some(_)) => eprintln!("task: {source}, {tokens} tokens"),
                (Some(source), None) => eprintln!("text: {source}, {tokens} distinct characters"),
                (None, _) => {}
            }
            (TaskData::Text(Arc::new(corpus)), String::new())
        }
        Family::ResNet => {
            if args.dataset != "fashion-mnist" {
                bail!(
                    "unknown dataset '{}'; available: fashion-mnist",
                    args.dataset
                );
            }
            let images = match &args.data_dir {
                Some(dir) => ImageDataset::fashion_mnist_dir(dir)?,
                None => ImageDataset::fashion_mnist_embedded()?,
            };
            if args.eval_batches.is_none() && checkpoint.is_none() {
                config.eval_batches = images.test_batches(config.batch);
            }
            let source = args
                .data_dir
                .as_ref()
                .map_or("embedded subset".to_string(), |d| d.display().to_string());
            let augment = checkpoint.map_or(args.augment, Checkpoint::augments_images);
            let note = format!(
                "Fashion-MNIST ({source}: {} train, {} test images; augmentation {})",
                images.train.len(),
                images.test.len(),
                if augment { "on" } else { "off" }
            );
            let images = Arc::new(images);
            (TaskData::Images { images, augment }, note)
        }
    })
}

/// The model of `--preset` (and `--width` for a ResNet) for `data`; a transformer's text is
/// checked to hold a training window and the evaluation batches first.
fn fresh_model(
    args: &TrainArgs,
    data: &TaskData,
    config: &mut TrainConfig,
) -> anyhow::Result<ModelSpec> {
    Ok(match data {
        TaskData::Text(corpus) => {
            let model = ModelSpec::of_preset(args.preset.as_deref().unwrap_or("tiny"), data)?;
            if let ModelSpec::Transformer { config: shape, .. } = &model {
                fit_evaluation(corpus, shape.seq_len, config, args.eval_batches.is_some())?;
            }
            model
        }
        TaskData::Images { .. } => {
            let preset = args.preset.as_deref().unwrap_or("resnet-tiny");
            let shape = ResNetConfig {
                width: args.width,
                ..ResNetConfig::preset(preset)?
            };
            shape.validate()?;
            ModelSpec::ResNet(shape)
        }
    })
}

/// One line on the model and its data.
fn describe(model: &ModelSpec, data_note: &str) -> String {
    match model {
        ModelSpec::Transformer { config: c, .. } => {
            let arch = match c.arch {
                Arch::Gpt => "GPT",
                Arch::Llama => "Llama",
            };
            format!(
                "{arch} transformer, {} parameters ({} layers, d {}, {} heads, window {}, {} \
                 tokens)",
                c.param_count(),
                c.n_layer,
                c.d_model,
                c.n_head,
                c.seq_len,
                c.vocab
            )
        }
        ModelSpec::ResNet(c) => format!(
            "ResNet-{} ({} params) on {data_note}",
            c.depth(),
            c.param_count()
        ),
    }
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

/// The model of the Hugging Face folder `dir`, as a checkpoint to start from. Without a text of
/// its own (`own_text`) it trains on the embedded corpus, whose characters must be its
/// tokenizer's.
pub(super) fn imported(dir: &std::path::Path, own_text: bool) -> anyhow::Result<Checkpoint> {
    let checkpoint = ire_playground::huggingface::import(dir)
        .with_context(|| format!("--init-from {}", dir.display()))?;
    if let (ModelSpec::Transformer { vocab, .. }, false) = (&checkpoint.model, own_text) {
        let embedded = ire_playground::data::Corpus::shakespeare()?;
        if embedded.vocab != *vocab {
            bail!(
                "--init-from {}: the model's tokenizer has {} characters, not those of the \
                 embedded Shakespeare ({}); give a text in its characters with --text-file",
                dir.display(),
                vocab.len(),
                embedded.vocab.len()
            );
        }
    }
    Ok(checkpoint)
}
