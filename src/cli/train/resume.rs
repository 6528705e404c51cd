//! `train --resume`: the checkpoint fixes the run's configuration. Re-running the command that
//! started the run with `--resume` appended works: flags that repeat the checkpoint's values are
//! accepted, and only a contradiction is refused, naming the flag and both values.

use super::args::{flag, TrainArgs, RESUME_FLAGS};
use anyhow::bail;
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::train::TrainConfig;

/// The configuration a resumed run continues with: the checkpoint's, with `--steps` if given.
pub fn resumed_config(
    checkpoint: &Checkpoint,
    args: &TrainArgs,
    given: &[String],
) -> anyhow::Result<TrainConfig> {
    let mut config = match serde_json::from_str::<TrainConfig>(&checkpoint.train_config) {
        Ok(c) => c,
        // A weights-only checkpoint of the first format: the flags' configuration.
        Err(_) if checkpoint.state.is_none() => return args.train_config(),
        Err(e) => bail!("the checkpoint's training configuration is unreadable: {e}"),
    };
    check_agrees(checkpoint, &config, args, given)?;
    if checkpoint.state.is_none() {
        eprintln!(
            "note: the checkpoint holds weights only (no train_state): optimizer moments, IRE's \
             Fisher estimate and the data order start afresh, so the run does not continue \
             bit-identically"
        );
    }
    // The data flags apply to one family each: the other's would be ignored.
    match &checkpoint.model {
        ModelSpec::Transformer { .. } if args.data_dir.is_some() => {
            bail!("--data-dir applies to ResNet runs; the checkpoint holds a transformer")
        }
        ModelSpec::ResNet(_) if args.text_file.is_some() => {
            bail!("--text-file applies to transformer runs; the checkpoint holds a ResNet")
        }
        _ => {}
    }
    if given.iter().any(|g| g == "steps") {
        config.steps = args.steps;
    }
    config.validate()?;
    Ok(config)
}

/// Refuses the given flags whose values differ from the checkpoint's run (`config` is its
/// configuration); the flags of [`RESUME_FLAGS`] may take any value.
fn check_agrees(
    checkpoint: &Checkpoint,
    config: &TrainConfig,
    args: &TrainArgs,
    given: &[String],
) -> anyhow::Result<()> {
    let fixed: Vec<&String> = given
        .iter()
        .filter(|g| !RESUME_FLAGS.contains(&g.as_str()))
        .collect();
    if fixed.is_empty() {
        return Ok(());
    }
    let from_flags = args.train_config()?;
    for id in fixed {
        let (asked, has) = match (training_value(id, &from_flags), training_value(id, config)) {
            (Some(asked), Some(has)) => (asked, has),
            _ => model_values(id, args, checkpoint)?,
        };
        if asked != has {
            bail!(
                "--resume continues the checkpoint's run with its configuration: {} is {asked} \
                 here but {has} in the checkpoint (leave it out, or start a new run without \
                 --resume)",
                flag(id)
            );
        }
    }
    Ok(())
}

/// The value the flag `id` sets in `c`, as text; None for flags that are not training
/// settings.
fn training_value(id: &str, c: &TrainConfig) -> Option<String> {
    let lower = |s: String| s.to_lowercase();
    Some(match id {
        "optimizer" => lower(format!("{:?}", c.optimizer.kind)),
        "lr" => c.optimizer.lr.to_string(),
        "min_lr" => c.min_lr.to_string(),
        "warmup" => c.warmup.to_string(),
        "weight_decay" => c.optimizer.weight_decay.to_string(),
        "grad_clip" => c.grad_clip.to_string(),
        "momentum" => c.optimizer.momentum.to_string(),
        "rho" => c.optimizer.rho.to_string(),
        "seed" => c.seed.to_string(),
        "eval_every" => c.eval_every.to_string(),
        "eval_batches" => c.eval_batches.to_string(),
        "batch" => c.batch.to_string(),
        "schedule" => lower(format!("{:?}", c.schedule)),
        "ire" => c.ire.enabled.to_string(),
        "kappa" => c.ire.kappa.to_string(),
        "gamma" => c.ire.gamma.to_string(),
        "mask_every" => c.ire.mask_every.to_string(),
        "fisher_beta" => c.ire.fisher_beta.to_string(),
        "ire_start" => c
            .ire
            .start
            .map_or("the end of warm-up".into(), |s| s.to_string()),
        "prog_decay" => c.ire.prog_decay.to_string(),
        "mask_rule" => lower(format!("{:?}", c.ire.mask_rule)),
        "ire_toggle_at" => format!("{:?}", c.ire.toggle_at),
        "probe_every" => c.probe_every.to_string(),
        "probe_iters" => c.sharpness.power_iters.to_string(),
        "probe_samples" => c.sharpness.hutchinson_samples.to_string(),
        _ => return None,
    })
}

/// For the model flags: what the flag asks for and what the checkpoint holds, as text.
fn model_values(
    id: &str,
    args: &TrainArgs,
    checkpoint: &Checkpoint,
) -> anyhow::Result<(String, String)> {
    let model = &checkpoint.model;
    Ok(match (id, model) {
        ("model", _) => (args.family()?.name().into(), model.family().name().into()),
        ("preset", ModelSpec::Transformer { config, vocab, .. }) => {
            let name = args.preset.as_deref().unwrap_or("tiny");
            let same = TransformerConfig::preset(name, vocab.len())? == *config;
            (name.into(), shape(name, same, config.param_count()))
        }
        ("preset", ModelSpec::ResNet(m)) => {
            let name = args.preset.as_deref().unwrap_or("resnet-tiny");
            let asked = ResNetConfig {
                width: m.width,
                ..ResNetConfig::preset(name)?
            };
            (name.into(), shape(name, asked == *m, m.param_count()))
        }
        ("width", ModelSpec::ResNet(m)) => (args.width.to_string(), m.width.to_string()),
        ("augment", _) => (
            args.augment.to_string(),
            checkpoint.augments_images().to_string(),
        ),
        ("dataset", ModelSpec::ResNet(_)) => (args.dataset.clone(), "fashion-mnist".into()),
        (other, _) => bail!(
            "{} does not apply to the checkpoint's {} run",
            flag(other),
            model.family()
        ),
    })
}

/// The checkpoint's model as compared with the preset `name`: that name when it has its shape.
fn shape(name: &str, same: bool, params: usize) -> String {
    if same {
        name.into()
    } else {
        format!("a model of another shape ({params} parameters)")
    }
}
