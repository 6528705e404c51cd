//! `ire-playground train`'s flags: the run's configuration from the family's recipe and the
//! flags given, and the checks that refuse flags which would be ignored or outputs that would
//! overwrite an input.

use anyhow::bail;
use clap::Args;
use ire_playground::files;
use ire_playground::optim::{IreConfig, MaskRule, OptimizerConfig, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::{Family, TrainConfig};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Model family: transformer (on the embedded Shakespeare, or --text-file) or resnet (on
    /// Fashion-MNIST) [default: the --preset's family, else transformer].
    #[arg(long)]
    pub(super) model: Option<String>,
    /// Model size. transformer: tiny (1 layer, d 64, T 64) or small (2 layers, d 128, T 128), and
    /// llama-tiny / llama-small (the same sizes, Llama-style: rotary embeddings, RMSNorm, SwiGLU,
    /// no biases); resnet: resnet-tiny (ResNet-8), resnet20 or resnet56 [default: tiny /
    /// resnet-tiny].
    #[arg(long)]
    pub(super) preset: Option<String>,
    /// ResNet channel multiplier: stages have 16/32/64 times this many channels.
    #[arg(long, default_value_t = 1)]
    pub(super) width: usize,
    /// Transformers: train on this UTF-8 text file instead of the embedded Shakespeare (its
    /// characters become the vocabulary; the last 10% is held out for validation). A run
    /// trained on a file resumes and evaluates only with the same text.
    #[arg(long)]
    pub(super) text_file: Option<PathBuf>,
    #[command(flatten)]
    pub(super) task: crate::cli::task::TaskArg,
    /// Image data set for --model resnet (only fashion-mnist).
    #[arg(long, default_value = "fashion-mnist")]
    pub(super) dataset: String,
    /// Read the full data set from this folder (IDX files, .gz or not; Debian's
    /// dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist) instead of the
    /// embedded 10k/2k subset.
    #[arg(long)]
    pub(super) data_dir: Option<PathBuf>,
    /// Train ResNets with the CIFAR augmentation (random crop from a 4-pixel padded image,
    /// horizontal flip). Off by default: over a few epochs it costs accuracy (400 steps of
    /// ResNet-8: 78.9% with, 83.7% without); it pays off in long runs.
    #[arg(long)]
    pub(super) augment: bool,
    /// Learning-rate shape after warm-up: cosine, constant, or step (x0.1 at 50% and 75% of
    /// the steps).
    #[arg(long, default_value = "cosine")]
    schedule: String,
    /// Base optimizer: adamw, sgd, sam (SGD with momentum as its base), lion, or muon (hidden
    /// matrices; AdamW at --aux-lr for the rest) [default: adamw for transformers, sgd for
    /// resnets].
    #[arg(long)]
    optimizer: Option<String>,
    /// Optimizer steps.
    #[arg(long, default_value_t = TrainConfig::default().steps)]
    pub(super) steps: usize,
    /// Sequences per batch.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    pub(super) batch: usize,
    /// Peak learning rate [default: 3e-3 for adamw; sgd/sam: 0.3, or 0.1 for resnet; lion:
    /// 1e-3, or 3e-4 for resnet; muon: 0.02].
    #[arg(long)]
    lr: Option<f32>,
    /// Final learning rate of the cosine schedule [default: lr / 10].
    #[arg(long)]
    min_lr: Option<f32>,
    /// Linear warm-up steps [default: 10% of steps].
    #[arg(long)]
    warmup: Option<usize>,
    /// Weight decay on matrices and embeddings [default: 0.1 for adamw, 5e-4 for sgd, 0.3 for
    /// lion, 0.01 for muon].
    #[arg(long)]
    weight_decay: Option<f32>,
    /// Global gradient-norm clip; 0 disables [default: 1 for transformer, 0 for resnet].
    #[arg(long)]
    grad_clip: Option<f32>,
    /// Momentum of SGD (also SAM's base) and Muon [default: 0.9; muon: 0.95].
    #[arg(long)]
    momentum: Option<f32>,
    /// Muon: AdamW's peak learning rate on the embeddings, the output head and the vectors.
    #[arg(long, default_value_t = OptimizerConfig::default().aux_lr)]
    aux_lr: f32,
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
    pub(super) eval_batches: Option<usize>,
    /// Write one JSON object per step / evaluation to this file (appended to on --resume).
    #[arg(long)]
    pub(super) log: Option<PathBuf>,
    /// Save the run here at the end (safetensors: the weights under PyTorch names, and the full
    /// training state to continue with --resume). Also written on Ctrl-C.
    #[arg(long)]
    pub(super) save: Option<PathBuf>,
    /// Also save every K steps, to `<stem>-step<N>.safetensors` beside --save (the newest three
    /// are kept).
    #[arg(long, value_name = "K", requires = "save")]
    pub(super) checkpoint_every: Option<usize>,
    /// Continue the run saved in this checkpoint, bit-identically (its configuration; only
    /// --steps, --log, --save, --checkpoint-every and --data-dir may be given).
    #[arg(long)]
    pub(super) resume: Option<PathBuf>,
    /// Start from the weights of a Hugging Face `transformers` model folder (config.json,
    /// tokenizer.json, model.safetensors: a GPT-2 or a Llama with a character tokenizer, as
    /// `export --format hf` writes), with a fresh optimizer; the model's shape and vocabulary
    /// come from the folder.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["resume", "preset", "model"])]
    pub(super) init_from: Option<PathBuf>,
    #[command(flatten)]
    pub(super) kernels: crate::cli::KernelsArg,
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
    /// Print the run's full configuration (JSON) before it starts, not only its summary line.
    #[arg(long)]
    pub(super) verbose: bool,
}

impl TrainArgs {
    pub(super) fn is_resnet(&self) -> bool {
        self.family().is_ok_and(|f| f == Family::ResNet)
    }

    /// The model family: `--model`, or the one `--preset` names (`--preset resnet20` implies
    /// `--model resnet`), or transformer. A `--model` that contradicts the preset is an error.
    pub(super) fn family(&self) -> anyhow::Result<Family> {
        let by_preset = self.preset.as_deref().and_then(Family::of_known_preset);
        let by_model = match self.model.as_deref() {
            None => None,
            Some("transformer") => Some(Family::Transformer),
            Some("resnet") => Some(Family::ResNet),
            Some(other) => bail!("unknown --model '{other}'; available: transformer, resnet"),
        };
        match (by_model, by_preset) {
            (Some(m), Some(p)) if m != p => bail!(
                "--preset {} is a {} preset, but --model says {}",
                self.preset.as_deref().unwrap_or_default(),
                p.name(),
                m.name()
            ),
            (Some(f), _) | (None, Some(f)) => Ok(f),
            (None, None) => Ok(Family::Transformer),
        }
    }

    /// The base optimizer: `--optimizer`, or the family's usual one (AdamW for transformers,
    /// SGD with momentum for ResNets, as in the app).
    fn optimizer_kind(&self) -> anyhow::Result<OptimizerKind> {
        Ok(match &self.optimizer {
            Some(name) => name.parse()?,
            None => ire_playground::train::recipe::default_optimizer(self.family()?),
        })
    }

    /// The family's recipe for the chosen optimizer, with every flag the user gave on top.
    pub(super) fn train_config(&self) -> anyhow::Result<TrainConfig> {
        let kind = self.optimizer_kind()?;
        let recipe = TrainConfig::recipe(self.family()?, kind, self.steps);
        let recipe = match self.lr {
            Some(lr) => recipe.with_peak_lr(lr),
            None => recipe,
        };
        let optimizer = OptimizerConfig {
            weight_decay: self.weight_decay.unwrap_or(recipe.optimizer.weight_decay),
            momentum: self.momentum.unwrap_or(recipe.optimizer.momentum),
            rho: self.rho,
            aux_lr: self.aux_lr,
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

/// Flags that may take any value with `--resume` (the checkpoint fixes everything else: those
/// flags may be repeated with the checkpoint's values, see `resume::check_agrees`).
pub(super) const RESUME_FLAGS: [&str; 9] = [
    "verbose",
    "kernels",
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
pub(super) fn flag(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}

/// Refuses flags that would be silently ignored: the other family's (on `--resume`, the
/// checkpoint's values are checked by `resume::check_agrees`). `given` lists the flags on the
/// command line.
pub(super) fn check_flags(args: &TrainArgs, given: &[String]) -> anyhow::Result<()> {
    args.family()?;
    if !args.is_resnet() && args.resume.is_none() {
        if let Some(f) = given.iter().find(|g| RESNET_FLAGS.contains(&g.as_str())) {
            bail!("{} applies to --model resnet only", flag(f));
        }
    }
    if args.is_resnet() && args.text_file.is_some() {
        bail!("--text-file applies to transformers only");
    }
    if args.task.given() {
        if args.init_from.is_some() {
            bail!(
                "--init-from starts a model that reads characters; it trains on a text, not --task"
            );
        }
        if args.is_resnet() || args.resume.is_some() {
            bail!("--task and its settings apply to fresh transformer runs only");
        }
        if args.text_file.is_some() {
            bail!("give --task or --text-file, not both");
        }
        args.task.puzzle()?;
    }
    if args.checkpoint_every == Some(0) {
        bail!("--checkpoint-every must be at least 1");
    }
    if args.resume.is_none() {
        let ire_used = given.iter().any(|g| g == "ire" || g == "ire_toggle_at");
        if let Some(f) = given.iter().find(|g| IRE_FLAGS.contains(&g.as_str())) {
            if !ire_used {
                bail!(
                    "{} sets IRE, which is off: add --ire (or --ire-toggle-at to switch it on \
                     during the run)",
                    flag(f)
                );
            }
        }
        let kind = args.optimizer_kind()?;
        // A flag that sets a hyperparameter of some optimizer applies only to those that
        // read it.
        let described = kind.descriptor();
        let anyones = |f: &str| OptimizerKind::ALL.iter().any(|k| k.descriptor().reads(f));
        let uses = |f: &str| !anyones(f) || described.reads(f);
        if let Some(f) = given.iter().find(|g| !uses(g)) {
            bail!("{} does not apply to {}", flag(f), kind.name());
        }
    }
    Ok(())
}

/// Flags of IRE's own, which mean nothing while it is off.
const IRE_FLAGS: [&str; 7] = [
    "kappa",
    "gamma",
    "mask_every",
    "fisher_beta",
    "ire_start",
    "prog_decay",
    "mask_rule",
];

/// Checks every output before any work starts: writable, not a folder or device, no two flags
/// naming the same file (the checkpoint may be resumed from and saved to one file), none of
/// them the text or an IDX file the run reads, and the log not one of the files named after
/// `--save` (its periodic checkpoints and the `-diverged` file).
pub(super) fn check_outputs(args: &TrainArgs) -> anyhow::Result<()> {
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
    // --resume is left out: the run may save over the checkpoint it resumed from.
    let inputs = crate::cli::Inputs {
        checkpoint: None,
        text_file: args.text_file.as_deref(),
        data_dir: args.data_dir.as_deref(),
    };
    crate::cli::check_outputs_apart(&named, inputs)?;
    if let Some(dir) = &args.init_from {
        let read: Vec<(String, PathBuf)> = ire_playground::huggingface::FILES
            .iter()
            .map(|(name, _)| (format!("--init-from's {name}"), dir.join(name)))
            .collect();
        let read: Vec<(&str, &Path)> = read
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_path()))
            .collect();
        files::check_outputs_apart(&named, &read)?;
    }
    if let (Some(log), Some(save)) = (&args.log, &args.save) {
        if super::periodic::is_named_after(save, log) {
            bail!(
                "--log {} is a name the run gives to the checkpoints it writes beside --save \
                 ({}-step<N>.safetensors, {}-diverged.safetensors); choose another log name",
                log.display(),
                super::periodic::stem_of(save),
                super::periodic::stem_of(save)
            );
        }
    }
    Ok(())
}
