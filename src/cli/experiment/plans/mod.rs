//! The experiments themselves: which runs, in which order, and what each stage chooses from the
//! previous one's results. Every choice is also written to `summary.json` for the report.

mod studies;

use super::outcome::{Criterion, RunSpec};
use super::{ExperimentArgs, Lab};
use anyhow::bail;
use ire_playground::data::Puzzle;
use ire_playground::optim::{IreConfig, MaskRule, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::{Family, TrainConfig};
use serde_json::json;
use studies::{grokking, long, resnet};

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
    /// Weight decay per base optimizer instead of its recipe's.
    weight_decay: Option<fn(OptimizerKind) -> f32>,
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
            weight_decay: None,
        }
    }

    fn config(&self, arm: &Arm, lr: f32, seed: u64) -> TrainConfig {
        let mut config = TrainConfig {
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
        };
        if let Some(decay) = self.weight_decay {
            config.optimizer.weight_decay = decay(arm.kind);
        }
        config
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
    /// AdamW, AdmIRE, Muon and Muon-IRE on modular addition, by steps to 99% validation
    /// accuracy (see `grokking`).
    Grokking,
}

impl Plan {
    pub fn named(name: &str) -> anyhow::Result<Self> {
        let short = OptimizerKind::ALL
            .into_iter()
            .map(|k| (k.descriptor().experiment, Self::Short(k)));
        let mut plans: Vec<(&str, Self)> = short.collect();
        plans.extend([
            ("admire-long", Self::Long),
            ("resnet-ire", Self::ResNet),
            ("grokking", Self::Grokking),
        ]);
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

    /// The generated task its transformer trains on, if any.
    pub fn task(&self) -> Option<Puzzle> {
        matches!(self, Self::Grokking).then_some(Puzzle::MODADD)
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
            Self::Grokking => grokking(lab, args),
            Self::ResNet => resnet(lab, args, grid),
        }
    }
}
