//! `ire-playground train`.

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::optim::{IreConfig, OptimizerConfig, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::{Family, Record, TrainConfig, Trainer};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Model family: transformer (on the embedded Shakespeare) or resnet (on Fashion-MNIST).
    #[arg(long, default_value = "transformer")]
    model: String,
    /// Model size. transformer: tiny (1 layer, d 64, T 64) or small (2 layers, d 128, T 128);
    /// resnet: resnet-tiny (ResNet-8), resnet20 or resnet56 [default: tiny / resnet-tiny].
    #[arg(long)]
    preset: Option<String>,
    /// ResNet channel multiplier: stages have 16/32/64 times this many channels.
    #[arg(long, default_value_t = 1)]
    width: usize,
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
    /// Write one JSON object per step / evaluation to this file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Save the final weights (safetensors, PyTorch names) here.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Continue training from this checkpoint (weights and step count).
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

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let mut config = args.train_config()?;
    let (mut trainer, described) = match args.model.as_str() {
        "transformer" => transformer_trainer(&args, &config)?,
        "resnet" => resnet_trainer(&args, &mut config)?,
        other => bail!("unknown model '{other}'; available: transformer, resnet"),
    };
    let mut log = match &args.log {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create log file {}", p.display()))?,
        )),
        None => None,
    };
    eprintln!(
        "model: {described}\ntrain: {}",
        serde_json::to_string(&config)?
    );

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
    let result = super::drive::drive(&mut trainer, &mut log, |r| match r {
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
    });
    bar.finish();
    if let Some(path) = &args.save {
        // Saved even after divergence: the GPU skipped the non-finite updates, so these are the
        // last finite weights.
        trainer.checkpoint()?.save(path)?;
        eprintln!("saved {}", path.display());
    }
    result?;
    Ok(())
}

/// The transformer run: fresh, or resumed from `--resume`.
fn transformer_trainer(
    args: &TrainArgs,
    config: &TrainConfig,
) -> anyhow::Result<(Trainer, String)> {
    let corpus = Arc::new(Corpus::shakespeare()?);
    let checkpoint = args
        .resume
        .as_ref()
        .map(|p| Checkpoint::load(p))
        .transpose()?;
    let model_config = match &checkpoint {
        Some(c) => c.config,
        None => {
            TransformerConfig::preset(args.preset.as_deref().unwrap_or("tiny"), corpus.vocab.len())?
        }
    };
    let ctx = super::open_gpu()?;
    let trainer = match &checkpoint {
        Some(c) => Trainer::from_checkpoint(&ctx, c, config.clone(), corpus)?,
        None => Trainer::new(&ctx, model_config, config.clone(), corpus)?,
    };
    Ok((
        trainer,
        format!("{} params {model_config:?}", model_config.param_count()),
    ))
}

/// The ResNet run on Fashion-MNIST (embedded subset, or the full set from `--data-dir`).
fn resnet_trainer(args: &TrainArgs, config: &mut TrainConfig) -> anyhow::Result<(Trainer, String)> {
    if args.dataset != "fashion-mnist" {
        bail!(
            "unknown dataset '{}'; available: fashion-mnist",
            args.dataset
        );
    }
    if args.save.is_some() || args.resume.is_some() {
        bail!(
            "--save and --resume hold transformers only; ResNet checkpoints are not supported yet"
        );
    }
    let model_config = ResNetConfig {
        width: args.width,
        ..ResNetConfig::preset(args.preset.as_deref().unwrap_or("resnet-tiny"))?
    };
    if !(1..=16).contains(&model_config.width) {
        bail!(
            "--width must be between 1 and 16, got {}",
            model_config.width
        );
    }
    let data = match &args.data_dir {
        Some(dir) => ImageDataset::fashion_mnist_dir(dir)?,
        None => ImageDataset::fashion_mnist_embedded()?,
    };
    if args.eval_batches.is_none() {
        config.eval_batches = (data.test.len() / config.batch).max(1);
    }
    let source = args
        .data_dir
        .as_ref()
        .map_or("embedded subset".to_string(), |d| d.display().to_string());
    let described = format!(
        "ResNet-{} ({} params) on Fashion-MNIST ({source}: {} train, {} test images; augmentation {})",
        model_config.depth(),
        model_config.param_count(),
        data.train.len(),
        data.test.len(),
        if args.augment { "on" } else { "off" }
    );
    let ctx = super::open_gpu()?;
    let trainer = Trainer::resnet(
        &ctx,
        model_config,
        config.clone(),
        Arc::new(data),
        args.augment,
    )?;
    Ok((trainer, described))
}
