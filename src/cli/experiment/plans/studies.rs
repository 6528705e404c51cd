//! The experiments longer than one sweep: the long AdamW/AdmIRE study, the ResNet study, and
//! grokking. Each is a sequence of sweeps and runs whose choices go to `summary.json`.

use super::{argmin, sweep, Arm, IreSetting, Recipe, DEFAULT_IRE};
use crate::cli::experiment::outcome::{Criterion, RunSpec};
use crate::cli::experiment::{ExperimentArgs, Lab};
use ire_playground::optim::{MaskRule, OptimizerKind};
use ire_playground::train::Family;
use serde_json::json;

/// Does IRE make a transformer grok sooner? AdamW and Muon, each beside its IRE twin, on
/// modular addition (p 97, 30% of the pairs trained on), `tiny` at batch 512 for 1,000 steps
/// (the "grokking" finding's protocol), evaluated every 50 steps and probed (lambda_max) 10
/// times; every arm swept over its own learning-rate grid with `--seeds` seeds and compared
/// at its own best by steps to 99% validation accuracy. Weight decay 1 for AdamW (the
/// grokking literature's) and 0.1 for Muon (about AdamW's lr x decay per step at Muon's lr).
pub(super) fn grokking(lab: &Lab, args: &ExperimentArgs) -> anyhow::Result<()> {
    let steps = args.steps.unwrap_or(1000);
    let recipe = Recipe {
        batch: args.batch.unwrap_or(512),
        eval_batches: 8,
        weight_decay: Some(|kind| match kind {
            OptimizerKind::Muon => 0.1,
            _ => 1.0,
        }),
        ..Recipe::transformer(args, steps, (20, 10), 0)
    };
    let mut summary = serde_json::Map::new();
    for (kind, default) in [
        (OptimizerKind::AdamW, [1e-3, 3e-3, 1e-2]),
        (OptimizerKind::Muon, [5e-3, 2e-2, 8e-2]),
    ] {
        let arms = [Arm::base(kind), Arm::base(kind).with_ire(DEFAULT_IRE)];
        let grid = if args.grid.is_empty() {
            default.to_vec()
        } else {
            args.grid.clone()
        };
        let (grid, best) = sweep(lab, &recipe, Criterion::StepsTo99, &arms, grid)?;
        for (arm, lr) in arms.iter().zip(best) {
            summary.insert(arm.label(), json!({"grid": grid, "best_lr": lr}));
        }
    }
    lab.write_summary(&serde_json::Value::Object(summary))
}

/// The long AdamW/AdmIRE study (docs/RESULTS.md, "At scale").
pub(super) fn long(lab: &Lab, args: &ExperimentArgs, grid: Vec<f32>) -> anyhow::Result<()> {
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
pub(super) fn resnet(
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
        weight_decay: None,
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
