//! `ire-playground train`.

use super::drive::{drive_with, Ended, Periodic};
use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use ire_playground::checkpoint::{Checkpoint, ModelSpec};
use ire_playground::data::ImageDataset;
use ire_playground::files;
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::optim::{IreConfig, MaskRule, OptimizerConfig, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::{EventRecord, Family, Record, Task, TrainConfig, Trainer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Model family: transformer (on the embedded Shakespeare, or --text-file) or resnet (on
    /// Fashion-MNIST).
    #[arg(long, default_value = "transformer")]
    model: String,
    /// Model size. transformer: tiny (1 layer, d 64, T 64) or small (2 layers, d 128, T 128), and
    /// llama-tiny / llama-small (the same sizes, Llama-style: rotary embeddings, RMSNorm, SwiGLU,
    /// no biases); resnet: resnet-tiny (ResNet-8), resnet20 or resnet56 [default: tiny /
    /// resnet-tiny].
    #[arg(long)]
    preset: Option<String>,
    /// ResNet channel multiplier: stages have 16/32/64 times this many channels.
    #[arg(long, default_value_t = 1)]
    width: usize,
    /// Transformers: train on this UTF-8 text file instead of the embedded Shakespeare (its
    /// characters become the vocabulary; the last 10% is held out for validation). A run
    /// trained on a file resumes and evaluates only with the same text.
    #[arg(long)]
    text_file: Option<PathBuf>,
    /// Image data set for --model resnet (only fashion-mnist).
    #[arg(long, default_value = "fashion-mnist")]
    dataset: String,
    /// Read the full data set from this folder (IDX files, .gz or not; Debian's
    /// dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist) instead of the
    /// embedded 10k/2k subset.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Train ResNets with the CIFAR augmentation (random crop from a 4-pixel padded image,
    /// horizontal flip). Off by default: over a few epochs it costs accuracy (400 steps of
    /// ResNet-8: 78.9% with, 83.7% without); it pays off in long runs.
    #[arg(long)]
    augment: bool,
    /// Learning-rate shape after warm-up: cosine, constant, or step (x0.1 at 50% and 75% of
    /// the steps).
    #[arg(long, default_value = "cosine")]
    schedule: String,
    /// Base optimizer: adamw, sgd, or sam (SGD with momentum as its base).
    #[arg(long, default_value = "adamw")]
    optimizer: String,
    /// Optimizer steps.
    #[arg(long, default_value_t = TrainConfig::default().steps)]
    steps: usize,
    /// Sequences per batch.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    batch: usize,
    /// Peak learning rate [default: 3e-3 for adamw; sgd/sam: 0.3, or 0.1 for resnet].
    #[arg(long)]
    lr: Option<f32>,
    /// Final learning rate of the cosine schedule [default: lr / 10].
    #[arg(long)]
    min_lr: Option<f32>,
    /// Linear warm-up steps [default: 10% of steps].
    #[arg(long)]
    warmup: Option<usize>,
    /// Weight decay on matrices and embeddings [default: 0.1 for adamw, 5e-4 for sgd].
    #[arg(long)]
    weight_decay: Option<f32>,
    /// Global gradient-norm clip; 0 disables [default: 1 for transformer, 0 for resnet].
    #[arg(long)]
    grad_clip: Option<f32>,
    /// SGD momentum (also SAM's base).
    #[arg(long, default_value_t = OptimizerConfig::default().momentum)]
    momentum: f32,
    /// SAM neighbourhood radius.
    #[arg(long, default_value_t = OptimizerConfig::default().rho)]
    rho: f32,
    /// Seed for initial weights and data order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Evaluate on the validation batches every E steps (and at the end); 0: only at the end.
    #[arg(long, default_value_t = TrainConfig::default().eval_every)]
    eval_every: usize,
    /// Validation batches per evaluation [default: 8 for transformer, the whole test set for
    /// resnet].
    #[arg(long)]
    eval_batches: Option<usize>,
    /// Write one JSON object per step / evaluation to this file (appended to on --resume).
    #[arg(long)]
    log: Option<PathBuf>,
    /// Save the run here at the end (safetensors: the weights under PyTorch names, and the full
    /// training state to continue with --resume). Also written on Ctrl-C.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Also save every K steps, to `<stem>-step<N>.safetensors` beside --save (the newest three
    /// are kept).
    #[arg(long, value_name = "K", requires = "save")]
    checkpoint_every: Option<usize>,
    /// Continue the run saved in this checkpoint, bit-identically (its configuration; only
    /// --steps, --log, --save, --checkpoint-every and --data-dir may be given).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Switch IRE on (from --ire-start) over the base optimizer.
    #[arg(long)]
    ire: bool,
    /// IRE: amplification of flat coordinates' steps.
    #[arg(long, default_value_t = IreConfig::default().kappa)]
    kappa: f32,
    /// IRE: fraction of coordinates treated as flat (smallest Fisher values), in (0, 1).
    #[arg(long, default_value_t = IreConfig::default().gamma)]
    gamma: f32,
    /// IRE: refresh the Fisher estimate and mask every K steps.
    #[arg(long, default_value_t = IreConfig::default().mask_every)]
    mask_every: usize,
    /// IRE: EMA factor of the Fisher estimate.
    #[arg(long, default_value_t = IreConfig::default().fisher_beta)]
    fisher_beta: f32,
    /// IRE: first step at which it may act [default: end of warm-up].
    #[arg(long)]
    ire_start: Option<usize>,
    /// IRE: scale kappa by lr_t / lr_max.
    #[arg(long)]
    prog_decay: bool,
    /// IRE: which coordinates are amplified: fisher (the flattest, the algorithm) or random (a
    /// random gamma fraction, redrawn at each refresh: a control for "bigger steps").
    #[arg(long, default_value = "fisher")]
    mask_rule: String,
    /// Switch IRE on/off at these steps (comma-separated), e.g. 200,400.
    #[arg(long, value_delimiter = ',')]
    ire_toggle_at: Vec<usize>,
    /// Probes (Fisher trace, flat counts, sharpness) every N steps; 0: never.
    #[arg(long, default_value_t = 0)]
    probe_every: usize,
    /// Power iterations per probe for lambda_max (warm-started); 0 skips it.
    #[arg(long, default_value_t = SharpnessConfig::default().power_iters)]
    probe_iters: usize,
    /// Hutchinson samples per probe for the Hessian trace; 0 skips it.
    #[arg(long, default_value_t = SharpnessConfig::default().hutchinson_samples)]
    probe_samples: usize,
}

impl TrainArgs {
    fn is_resnet(&self) -> bool {
        self.model == "resnet"
    }

    fn family(&self) -> Family {
        if self.is_resnet() {
            Family::ResNet
        } else {
            Family::Transformer
        }
    }

    /// The family's recipe for the chosen optimizer, with every flag the user gave on top.
    fn train_config(&self) -> anyhow::Result<TrainConfig> {
        let kind: OptimizerKind = self.optimizer.parse()?;
        let recipe = TrainConfig::recipe(self.family(), kind, self.steps);
        let recipe = match self.lr {
            Some(lr) => recipe.with_peak_lr(lr),
            None => recipe,
        };
        let optimizer = OptimizerConfig {
            weight_decay: self.weight_decay.unwrap_or(recipe.optimizer.weight_decay),
            momentum: self.momentum,
            rho: self.rho,
            ..recipe.optimizer
        };
        let config = TrainConfig {
            optimizer,
            batch: self.batch,
            min_lr: self.min_lr.unwrap_or(recipe.min_lr),
            schedule: self.schedule.parse()?,
            warmup: self.warmup.unwrap_or(recipe.warmup),
            grad_clip: self.grad_clip.unwrap_or(recipe.grad_clip),
            seed: self.seed,
            eval_every: self.eval_every,
            eval_batches: self.eval_batches.unwrap_or(recipe.eval_batches),
            ire: IreConfig {
                enabled: self.ire,
                kappa: self.kappa,
                gamma: self.gamma,
                mask_every: self.mask_every,
                fisher_beta: self.fisher_beta,
                start: self.ire_start,
                prog_decay: self.prog_decay,
                toggle_at: self.ire_toggle_at.clone(),
                mask_rule: match self.mask_rule.as_str() {
                    "fisher" => MaskRule::Fisher,
                    "random" => MaskRule::Random,
                    other => bail!("unknown --mask-rule '{other}'; choose fisher or random"),
                },
                ..recipe.ire
            },
            probe_every: self.probe_every,
            sharpness: SharpnessConfig {
                power_iters: self.probe_iters,
                hutchinson_samples: self.probe_samples,
                ..recipe.sharpness
            },
            ..recipe
        };
        config.validate()?;
        Ok(config)
    }
}

/// Flags that may accompany `--resume` (the checkpoint fixes everything else).
const RESUME_FLAGS: [&str; 7] = [
    "resume",
    "steps",
    "log",
    "save",
    "checkpoint_every",
    "data_dir",
    "text_file",
];
/// Flags that apply to ResNets only.
const RESNET_FLAGS: [&str; 4] = ["width", "dataset", "data_dir", "augment"];

/// `--flag` spelling of a clap argument id.
fn flag(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}

/// Refuses flags that would be silently ignored: the other family's, and on `--resume`
/// everything the checkpoint fixes. `given` lists the flags on the command line.
fn check_flags(args: &TrainArgs, given: &[String]) -> anyhow::Result<()> {
    if !args.is_resnet() && args.resume.is_none() {
        if let Some(f) = given.iter().find(|g| RESNET_FLAGS.contains(&g.as_str())) {
            bail!("{} applies to --model resnet only", flag(f));
        }
    }
    if args.resume.is_some() {
        let fixed: Vec<String> = given
            .iter()
            .filter(|g| !RESUME_FLAGS.contains(&g.as_str()))
            .map(|g| flag(g))
            .collect();
        if !fixed.is_empty() {
            bail!(
                "--resume continues the checkpoint's run with its configuration; {} cannot \
                 change it (allowed with --resume: --steps, --log, --save, --checkpoint-every, \
                 --data-dir, --text-file)",
                fixed.join(", ")
            );
        }
    }
    if args.is_resnet() && args.text_file.is_some() {
        bail!("--text-file applies to transformers only");
    }
    if args.checkpoint_every == Some(0) {
        bail!("--checkpoint-every must be at least 1");
    }
    Ok(())
}

/// Checks every output before any work starts: writable, not a folder or device, and no two
/// flags naming the same file (the checkpoint may be resumed from and saved to one file).
fn check_outputs(args: &TrainArgs) -> anyhow::Result<()> {
    for path in [&args.save, &args.log].into_iter().flatten() {
        files::check_output(path)?;
    }
    let mut named: Vec<(&str, &Path)> = Vec::new();
    if let Some(p) = &args.log {
        named.push(("--log", p));
    }
    if let Some(p) = &args.save {
        named.push(("--save", p));
    }
    if let (Some(log), Some(resume)) = (&args.log, &args.resume) {
        files::check_distinct(&[("--log", log), ("--resume", resume)])?;
    }
    files::check_distinct(&named)?;
    Ok(())
}

pub fn run(args: TrainArgs, given: &[String]) -> anyhow::Result<()> {
    check_flags(&args, given)?;
    check_outputs(&args)?;
    let checkpoint = args
        .resume
        .as_ref()
        .map(|p| Checkpoint::load(p))
        .transpose()?;
    let mut config = match &checkpoint {
        Some(c) => resumed_config(c, &args, given)?,
        None => args.train_config()?,
    };
    let family = match &checkpoint {
        Some(c) => c.model.family(),
        None => args.model.as_str(),
    };
    let (mut trainer, described) = match family {
        "transformer" => transformer_trainer(&args, &config, checkpoint.as_ref())?,
        "resnet" => resnet_trainer(&args, &mut config, checkpoint.as_ref())?,
        other => bail!("unknown model '{other}'; available: transformer, resnet"),
    };
    let mut log = match &args.log {
        Some(p) => {
            // A resumed run continues its log; a fresh one starts it.
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(checkpoint.is_some())
                .truncate(checkpoint.is_none())
                .open(p)
                .with_context(|| format!("cannot open log file {}", p.display()))?;
            Some(std::io::BufWriter::new(file))
        }
        None => None,
    };
    eprintln!(
        "model: {described}\ntrain: {}",
        serde_json::to_string(&config)?
    );
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // Without a handler (another one installed, or none possible) Ctrl-C just ends the
        // process as before; the periodic checkpoints are then the saved state.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }

    let bar = ProgressBar::new(config.steps as u64);
    bar.set_position(trainer.steps_submitted() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .expect("valid template"),
    );
    // Without a terminal the bar is hidden; print its lines plainly so logs still show progress.
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let mut last_val = f32::NAN;
    let mut save_periodic = |t: &Trainer| -> anyhow::Result<()> {
        let save = args.save.as_ref().expect("clap requires --save");
        let path = periodic_path(save, t.steps_submitted());
        t.checkpoint()?.save(&path)?;
        prune_periodic(save, 3);
        say(format!(
            "step {:>6}  saved {}",
            t.steps_submitted(),
            path.display()
        ));
        Ok(())
    };
    let periodic = args.checkpoint_every.map(|every| Periodic {
        every,
        call: &mut save_periodic,
    });
    let result = drive_with(
        &mut trainer,
        &mut log,
        |r| match r {
            Record::Step(s) => {
                bar.set_position(s.step as u64);
                bar.set_message(format!(
                    "loss {:.4}  val {:.4}  lr {:.2e}  {:.0} ms/step",
                    s.loss, last_val, s.lr, s.ms
                ));
            }
            Record::Eval(e) => {
                last_val = e.val_loss;
                let acc = e
                    .val_acc
                    .map_or(String::new(), |a| format!("  val_acc {:.2}%", a * 100.0));
                say(format!(
                    "step {:>6}  val_loss {:.4}{acc}",
                    e.step, e.val_loss
                ));
            }
            Record::Event(e) => say(format!("step {:>6}  {}", e.step, e.event)),
            Record::Probe(p) => {
                let fmt = |v: Option<f32>| v.map_or("-".into(), |v| format!("{v:.3}"));
                say(format!(
                    "step {:>6}  lambda_max {}  trace {}  fisher_trace {:.3e}  flat {}  below_eps {}",
                    p.step,
                    fmt(p.lambda_max),
                    fmt(p.trace),
                    p.fisher_trace,
                    p.flat_count,
                    p.below_eps_count
                ))
            }
        },
        periodic,
        Some(&stop),
    );
    bar.finish();
    finish(&args, &trainer, &mut log, result)
}

/// After the loop: the final checkpoint, or on divergence a record in the log and the last
/// weights beside (never over) the --save file, which keeps the last good state.
fn finish(
    args: &TrainArgs,
    trainer: &Trainer,
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    result: anyhow::Result<Ended>,
) -> anyhow::Result<()> {
    match result {
        Ok(ended) => {
            if let Some(path) = &args.save {
                trainer.checkpoint()?.save(path).map_err(|e| {
                    let kept = newest_periodic(path)
                        .map_or("no periodic checkpoint was written".to_string(), |p| {
                            format!("the latest periodic checkpoint is {}", p.display())
                        });
                    anyhow::anyhow!("{e}; the run's final state could not be saved ({kept})")
                })?;
                eprintln!(
                    "saved {} (step {})",
                    path.display(),
                    trainer.steps_submitted()
                );
            }
            if ended == Ended::Interrupted {
                let saved =
                    args.save
                        .as_ref()
                        .map_or("nothing was saved (no --save)".to_string(), |p| {
                            format!(
                                "the run's state is in {}: --resume it to continue",
                                p.display()
                            )
                        });
                bail!("interrupted at step {}; {saved}", trainer.steps_submitted());
            }
            Ok(())
        }
        Err(e) => {
            let Some(step) = trainer.diverged_at() else {
                return Err(e);
            };
            let event = Record::Event(EventRecord {
                step,
                event: "diverged".into(),
            });
            if let Some(w) = log {
                super::drive::write_to(w, &[event])?;
            }
            let kept = match &args.save {
                Some(save) => {
                    let path = sibling(save, "diverged");
                    trainer.weights_checkpoint()?.save(&path)?;
                    let last_good = if save.exists() {
                        format!("{} keeps the last good state", save.display())
                    } else {
                        "there is no earlier checkpoint".into()
                    };
                    format!(
                        "; the last weights (no training state) are in {}, {last_good}",
                        path.display()
                    )
                }
                None => String::new(),
            };
            Err(e.context(format!("the run diverged at step {step}{kept}")))
        }
    }
}

/// The file name of `save` without its extension (the prefix of the files written beside it).
fn stem_of(save: &Path) -> String {
    save.file_stem()
        .map_or("checkpoint".into(), |s| s.to_string_lossy().into_owned())
}

/// `<stem>-<tag>.safetensors` beside `save`.
fn sibling(save: &Path, tag: &str) -> PathBuf {
    save.with_file_name(format!("{}-{tag}.safetensors", stem_of(save)))
}

/// Where the periodic checkpoint of step `step` goes.
fn periodic_path(save: &Path, step: usize) -> PathBuf {
    sibling(save, &format!("step{step}"))
}

/// The periodic checkpoints of `save` on disk, oldest first.
fn periodic_files(save: &Path) -> Vec<(usize, PathBuf)> {
    let prefix = format!("{}-step", stem_of(save));
    let Ok(entries) = std::fs::read_dir(files::folder_of(save)) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step = name
                .strip_prefix(&prefix)?
                .strip_suffix(".safetensors")?
                .parse()
                .ok()?;
            Some((step, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// The newest periodic checkpoint of `save`, if any.
fn newest_periodic(save: &Path) -> Option<PathBuf> {
    periodic_files(save).pop().map(|(_, p)| p)
}

/// Deletes all but the newest `keep` periodic checkpoints of `save` (best effort).
fn prune_periodic(save: &Path, keep: usize) {
    let found = periodic_files(save);
    let excess = found.len().saturating_sub(keep);
    for (_, path) in found.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}

/// The configuration a resumed run continues with: the checkpoint's, with `--steps` if given.
fn resumed_config(
    checkpoint: &Checkpoint,
    args: &TrainArgs,
    given: &[String],
) -> anyhow::Result<TrainConfig> {
    let mut config = match serde_json::from_str::<TrainConfig>(&checkpoint.train_config) {
        Ok(c) => c,
        // A weights-only checkpoint of the first format: the flags' configuration.
        Err(_) if checkpoint.state.is_none() => args.train_config()?,
        Err(e) => bail!("the checkpoint's training configuration is unreadable: {e}"),
    };
    if given.iter().any(|g| g == "steps") {
        config.steps = args.steps;
    }
    config.validate()?;
    Ok(config)
}

/// The transformer run: fresh, or resumed from `--resume`.
fn transformer_trainer(
    args: &TrainArgs,
    config: &TrainConfig,
    checkpoint: Option<&Checkpoint>,
) -> anyhow::Result<(Trainer, String)> {
    let corpus = super::text::corpus(args.text_file.as_deref(), checkpoint)?;
    if let Some(source) = &corpus.source {
        eprintln!("text: {source}, {} distinct characters", corpus.vocab.len());
    }
    let corpus = Arc::new(corpus);
    let ctx = super::open_gpu()?;
    let trainer = match checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), corpus)?,
        None => {
            let preset = args.preset.as_deref().unwrap_or("tiny");
            let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
            corpus.check_fits(model.seq_len, config.batch, config.eval_batches)?;
            Trainer::new(&ctx, model, config.clone(), corpus)?
        }
    };
    let Task::Text { model, .. } = &trainer.task else {
        unreachable!("a transformer run");
    };
    let described = format!("{} params {:?}", model.config.param_count(), model.config);
    Ok((trainer, described))
}

/// The ResNet run on Fashion-MNIST (embedded subset, or the full set from `--data-dir`): fresh,
/// or resumed from `--resume`.
fn resnet_trainer(
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
    let ctx = super::open_gpu()?;
    let data = Arc::new(data);
    let trainer = match checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), data)?,
        None => Trainer::resnet(&ctx, model_config, config.clone(), data, args.augment)?,
    };
    Ok((trainer, described))
}
