//! The experiments themselves: which runs, in which order, and what each stage chooses from the
//! previous one's results. Every choice is also written to `summary.json` for the report.

use super::outcome::{Criterion, RunSpec};
use super::{ExperimentArgs, Lab};
use anyhow::bail;
use ire_playground::optim::{IreConfig, MaskRule, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::{Family, TrainConfig};
use serde_json::json;

/// IRE's setting in an arm.
#[derive(Clone, Copy, Debug, PartialEq)]
struct IreSetting {
    kappa: f32,
    gamma: f32,
    prog_decay: bool,
    mask_rule: MaskRule,
}

impl IreSetting {
    const fn new(kappa: f32, gamma: f32) -> Self {
        Self {
            kappa,
            gamma,
            prog_decay: false,
            mask_rule: MaskRule::Fisher,
        }
    }

    fn config(&self) -> IreConfig {
        IreConfig {
            enabled: true,
            kappa: self.kappa,
            gamma: self.gamma,
            mask_every: 10,
            prog_decay: self.prog_decay,
            mask_rule: self.mask_rule,
            ..IreConfig::default()
        }
    }
}

/// The setting the short sweeps (and the long study's first stage) use for IRE.
const DEFAULT_IRE: IreSetting = IreSetting::new(2.0, 0.9);

/// One arm of a comparison: a base optimizer with or without IRE; its runs are named
/// `<label>_lr<lr>_s<seed>`.
#[derive(Clone, Copy, Debug)]
struct Arm {
    kind: OptimizerKind,
    ire: Option<IreSetting>,
    /// The IRE setting the label names it by, when it is not [`DEFAULT_IRE`].
    default_ire: IreSetting,
}

impl Arm {
    fn base(kind: OptimizerKind) -> Self {
        Self {
            kind,
            ire: None,
            default_ire: DEFAULT_IRE,
        }
    }

    fn with_ire(self, ire: IreSetting) -> Self {
        Self {
            ire: Some(ire),
            ..self
        }
    }

    /// `adamw`, `adamw-ire` (the default setting), `adamw-ire-k1-g0.6[-pd][-random]`.
    fn label(&self) -> String {
        let base = format!("{:?}", self.kind).to_lowercase();
        let Some(ire) = self.ire else { return base };
        let mut label = format!("{base}-ire");
        let d = self.default_ire;
        if (ire.kappa, ire.gamma) != (d.kappa, d.gamma) {
            label += &format!("-k{}-g{}", ire.kappa, ire.gamma);
        }
        if ire.prog_decay {
            label += "-pd";
        }
        if ire.mask_rule == MaskRule::Random {
            label += "-random";
        }
        label
    }
}

/// How every run of an experiment is configured, apart from its arm, lr and seed.
struct Recipe {
    family: Family,
    steps: usize,
    batch: usize,
    eval_every: usize,
    eval_batches: usize,
    probe_every: usize,
    hutchinson_samples: usize,
}

impl Recipe {
    /// A transformer's: `--steps` (default `steps`) at `--batch` (default 16), evaluated on 8
    /// batches `evals` times and probed `probes` times over the run.
    fn transformer(
        args: &ExperimentArgs,
        steps: usize,
        (evals, probes): (usize, usize),
        hutchinson_samples: usize,
    ) -> Self {
        let steps = args.steps.unwrap_or(steps);
        Self {
            family: Family::Transformer,
            steps,
            batch: args.batch.unwrap_or(16),
            eval_every: (steps / evals).max(1),
            eval_batches: 8,
            probe_every: (steps / probes).max(1),
            hutchinson_samples,
        }
    }

    fn config(&self, arm: &Arm, lr: f32, seed: u64) -> TrainConfig {
        TrainConfig {
            batch: self.batch,
            seed,
            eval_every: self.eval_every,
            eval_batches: self.eval_batches,
            ire: arm.ire.map(|s| s.config()).unwrap_or_default(),
            probe_every: self.probe_every,
            sharpness: SharpnessConfig {
                power_iters: 4,
                hutchinson_samples: self.hutchinson_samples,
                ..SharpnessConfig::default()
            },
            ..TrainConfig::recipe(self.family, arm.kind, self.steps).with_peak_lr(lr)
        }
    }

    /// One run per seed of `arm` at `lr`.
    fn runs(&self, lab: &Lab, arm: &Arm, lr: f32) -> Vec<RunSpec> {
        (0..lab.seeds)
            .map(|seed| RunSpec {
                name: format!("{}_lr{lr:e}_s{seed}", arm.label()),
                config: self.config(arm, lr, seed),
            })
            .collect()
    }
}

/// Sweeps `arms` over `grid` (every arm at every lr, all seeds), widening the grid by factors
/// of 2 while any arm's best is at an edge (up to 9 points). Returns the final grid and each
/// arm's best lr.
fn sweep(
    lab: &Lab,
    recipe: &Recipe,
    criterion: Criterion,
    arms: &[Arm],
    mut grid: Vec<f32>,
) -> anyhow::Result<(Vec<f32>, Vec<f32>)> {
    grid.sort_by(f32::total_cmp);
    loop {
        let runs: Vec<RunSpec> = arms
            .iter()
            .flat_map(|arm| grid.iter().flat_map(|&lr| recipe.runs(lab, arm, lr)))
            .collect();
        lab.train(&runs)?;
        let mut best = Vec::new();
        for arm in arms {
            let mut scores = Vec::new();
            for &lr in &grid {
                let score = lab.score(criterion, &recipe.runs(lab, arm, lr))?;
                eprintln!("{} lr {lr:e}: {criterion:?} score {score:.4}", arm.label());
                scores.push(score);
            }
            best.push(argmin(&scores));
        }
        let at_low = best.contains(&0);
        let at_high = best.contains(&(grid.len() - 1));
        if !at_low && !at_high || grid.len() >= 9 {
            let lrs = best.iter().map(|&i| grid[i]).collect();
            return Ok((grid, lrs));
        }
        if at_low {
            grid.insert(0, grid[0] / 2.0);
        }
        if at_high {
            grid.push(grid[grid.len() - 1] * 2.0);
        }
    }
}

fn argmin(scores: &[f32]) -> usize {
    scores
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// An experiment.
pub enum Plan {
    /// A base optimizer and its IRE twin swept over the learning rate (200 steps of `tiny`).
    Short(OptimizerKind),
    /// AdamW vs AdmIRE over a long horizon: the sweep, then kappa and gamma at AdamW's best lr,
    /// prog-decay, and the two controls (a random mask; a plain lr increase of the same mean
    /// step size).
    Long,
    /// SGD vs SGD-IRE and SAM vs SAM-IRE on a ResNet, chosen by test accuracy.
    ResNet,
}

impl Plan {
    pub fn named(name: &str) -> anyhow::Result<Self> {
        let short = OptimizerKind::ALL
            .into_iter()
            .map(|k| (k.descriptor().experiment, Self::Short(k)));
        let mut plans: Vec<(&str, Self)> = short.collect();
        plans.extend([("admire-long", Self::Long), ("resnet-ire", Self::ResNet)]);
        let names: Vec<&str> = plans.iter().map(|(n, _)| *n).collect();
        let choices = names.join(", ");
        match plans.into_iter().find(|(n, _)| *n == name) {
            Some((_, plan)) => Ok(plan),
            None => bail!("unknown experiment '{name}'; choose {choices}"),
        }
    }

    pub fn default_preset(&self) -> &'static str {
        match self {
            Self::ResNet => "resnet-tiny",
            _ => "tiny",
        }
    }

    pub fn family(&self) -> Family {
        match self {
            Self::ResNet => Family::ResNet,
            _ => Family::Transformer,
        }
    }

    pub fn run(&self, lab: &Lab, args: &ExperimentArgs) -> anyhow::Result<()> {
        let grid = |default: &[f32]| {
            if args.grid.is_empty() {
                default.to_vec()
            } else {
                args.grid.clone()
            }
        };
        match self {
            Self::Short(kind) => {
                let recipe = Recipe::transformer(args, 200, (4, 4), 0);
                let default = kind.descriptor().on(Family::Transformer).lr_grid;
                let arms = [Arm::base(*kind), Arm::base(*kind).with_ire(DEFAULT_IRE)];
                let (grid, best) = sweep(lab, &recipe, Criterion::TrainLoss, &arms, grid(default))?;
                lab.write_summary(&json!({
                    "grid": grid,
                    "best_lr": {arms[0].label(): best[0], arms[1].label(): best[1]},
                }))
            }
            Self::Long => long(lab, args, grid(&[2e-3, 4e-3, 8e-3, 1.6e-2])),
            Self::ResNet => resnet(lab, args, grid),
        }
    }
}

/// The long AdamW/AdmIRE study (docs/RESULTS.md, "At scale").
fn long(lab: &Lab, args: &ExperimentArgs, grid: Vec<f32>) -> anyhow::Result<()> {
    let recipe = Recipe::transformer(args, 10_000, (20, 10), 4);
    let base = Arm::base(OptimizerKind::AdamW);
    let ire = |s: IreSetting| base.with_ire(s);
    // 1. The learning-rate sweep of both arms.
    let (grid, best) = sweep(
        lab,
        &recipe,
        Criterion::TrainLoss,
        &[base, ire(DEFAULT_IRE)],
        grid,
    )?;
    let lr = best[0];
    // 2. kappa and gamma at AdamW's best lr, one at a time around the default (kappa 2,
    // gamma 0.9): kappa in {1, 2, 4}, gamma in {0.6, 0.8, 0.9}. (The full 3 x 3 grid would
    // double the stage's cost; on a 2-core machine that decides whether it runs at all.)
    let settings: Vec<IreSetting> = [(1.0, 0.9), (2.0, 0.9), (4.0, 0.9), (2.0, 0.6), (2.0, 0.8)]
        .into_iter()
        .map(|(kappa, gamma)| IreSetting::new(kappa, gamma))
        .collect();
    let runs: Vec<RunSpec> = settings
        .iter()
        .flat_map(|s| recipe.runs(lab, &ire(*s), lr))
        .collect();
    lab.train(&runs)?;
    let mut scores = Vec::new();
    for s in &settings {
        let score = lab.score(Criterion::TrainLoss, &recipe.runs(lab, &ire(*s), lr))?;
        eprintln!("{} lr {lr:e}: final train loss {score:.4}", ire(*s).label());
        scores.push(score);
    }
    let chosen = settings[argmin(&scores)];
    // 3. Prog-decay with the best setting; 4. the controls: the same kappa on a random gamma
    // fraction, and plain AdamW at the lr that gives the same mean step size, lr (1 + kappa
    // gamma).
    let decayed = ire(IreSetting {
        prog_decay: true,
        ..chosen
    });
    let random = ire(IreSetting {
        mask_rule: MaskRule::Random,
        ..chosen
    });
    let scaled_lr = lr * (1.0 + chosen.kappa * chosen.gamma);
    let mut runs = recipe.runs(lab, &decayed, lr);
    runs.extend(recipe.runs(lab, &random, lr));
    runs.extend(recipe.runs(lab, &base, scaled_lr));
    lab.train(&runs)?;
    lab.write_summary(&json!({
        "steps": recipe.steps,
        "grid": grid,
        "best_lr": {base.label(): best[0], ire(DEFAULT_IRE).label(): best[1]},
        "kappa_gamma": settings.iter().zip(&scores).map(|(s, score)| json!({
            "arm": ire(*s).label(), "kappa": s.kappa, "gamma": s.gamma, "final_train": score,
        })).collect::<Vec<_>>(),
        "chosen": {"arm": ire(chosen).label(), "kappa": chosen.kappa, "gamma": chosen.gamma},
        "prog_decay": decayed.label(),
        "random_mask": random.label(),
        "lr_scaled": {"arm": base.label(), "lr": scaled_lr},
    }))
}

/// SGD/SGD-IRE and SAM/SAM-IRE on a ResNet: each base swept by test accuracy, its IRE twin at
/// the base's best lr (kappa 2, gamma 0.8).
fn resnet(
    lab: &Lab,
    args: &ExperimentArgs,
    grid: impl Fn(&[f32]) -> Vec<f32>,
) -> anyhow::Result<()> {
    let batch = args.batch.unwrap_or(64);
    let per_epoch = lab
        .workload
        .train_len()
        .map_or(1, |n| n.div_ceil(batch.max(1)));
    let steps = match args.steps {
        Some(s) => s,
        None => args
            .epochs
            .checked_mul(per_epoch)
            .filter(|&s| s > 0)
            .ok_or_else(|| anyhow::anyhow!("--epochs must be at least 1"))?,
    };
    let recipe = Recipe {
        family: Family::ResNet,
        steps,
        batch,
        eval_every: (steps / 5).max(1),
        eval_batches: lab.workload.eval_batches(batch),
        probe_every: (steps / 5).max(1),
        hutchinson_samples: 0,
    };
    let setting = IreSetting::new(2.0, 0.8);
    let mut summary = serde_json::Map::new();
    for kind in [OptimizerKind::Sgd, OptimizerKind::Sam] {
        let base = Arm {
            default_ire: setting,
            ..Arm::base(kind)
        };
        let default = kind.descriptor().on(Family::ResNet).lr_grid;
        let (grid, best) = sweep(lab, &recipe, Criterion::Accuracy, &[base], grid(default))?;
        let twin = base.with_ire(setting);
        lab.train(&recipe.runs(lab, &twin, best[0]))?;
        summary.insert(
            base.label(),
            json!({"grid": grid, "best_lr": best[0], "ire": twin.label(),
                   "kappa": setting.kappa, "gamma": setting.gamma}),
        );
    }
    summary.insert("steps".into(), json!(steps));
    summary.insert("batch".into(), json!(batch));
    lab.write_summary(&serde_json::Value::Object(summary))
}
