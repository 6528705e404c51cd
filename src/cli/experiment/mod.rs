//! `ire-playground experiment NAME`: the fair IRE-vs-base comparisons of docs/RESULTS.md.
//!
//! For each comparison the base optimizer's learning rate is swept (a factor 2 apart, extended
//! until the best is inside the range), IRE runs over the same grid (so both its result at the
//! base's best learning rate and at its own best are available), every run with the same seeds,
//! hence the same initial weights and data order. Each run's log is written as it goes to
//! `OUT/NAME/<run>.jsonl`, and a finished run is marked by `<run>.done`, so an interrupted
//! experiment resumes where it stopped. `scripts/report_experiments.py` turns the logs into the
//! tables and plots of docs/RESULTS.md.

use anyhow::{bail, Context};
use clap::Args;
use ire_playground::data::Corpus;
use ire_playground::gpu::GpuContext;
use ire_playground::models::TransformerConfig;
use ire_playground::optim::{IreConfig, OptimizerKind};
use ire_playground::probe::SharpnessConfig;
use ire_playground::train::concurrent::run_all;
use ire_playground::train::{Family, Record, TrainConfig, Trainer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    /// adamw-vs-admire, sgd-vs-sgdire or sam-vs-samire.
    name: String,
    /// Where run logs go.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Model preset.
    #[arg(long, default_value = "tiny")]
    preset: String,
    /// Steps per run.
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Sequences per batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Seeds (initial weights and data order).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Starting learning-rate grid (comma-separated) instead of the experiment's default.
    #[arg(long, value_delimiter = ',')]
    grid: Vec<f32>,
    /// Runs trained at once on the adapter, their steps interleaved (1: one after another).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

struct Plan {
    kind: OptimizerKind,
    grid: Vec<f32>,
    ire: IreConfig,
}

fn plan(name: &str) -> anyhow::Result<Plan> {
    let ire = IreConfig {
        kappa: 2.0,
        gamma: 0.9,
        mask_every: 10,
        ..IreConfig::default()
    };
    Ok(match name {
        "adamw-vs-admire" => Plan {
            kind: OptimizerKind::AdamW,
            grid: vec![1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2],
            ire,
        },
        "sgd-vs-sgdire" => Plan {
            kind: OptimizerKind::Sgd,
            grid: vec![0.25, 0.5, 1.0, 2.0],
            ire,
        },
        "sam-vs-samire" => Plan {
            kind: OptimizerKind::Sam,
            grid: vec![0.25, 0.5, 1.0, 2.0],
            ire,
        },
        other => bail!(
            "unknown experiment '{other}'; choose adamw-vs-admire, sgd-vs-sgdire or sam-vs-samire"
        ),
    })
}

/// Final metrics of one run.
struct Outcome {
    /// Mean training loss of the last 10% of steps.
    final_train: f32,
}

/// One run of the sweep: its name (the stem of its log) and configuration.
struct RunSpec {
    name: String,
    config: TrainConfig,
}

/// Trains the runs that have no `.done` marker yet, `args.jobs` at a time, each logging as it
/// goes. A run that diverges is a result too (its learning rate is too large): its log is kept.
fn train_pending(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    dir: &Path,
    args: &ExperimentArgs,
    runs: &[RunSpec],
) -> anyhow::Result<()> {
    let pending: Vec<&RunSpec> = runs
        .iter()
        .filter(|r| !dir.join(format!("{}.done", r.name)).exists())
        .collect();
    let model = TransformerConfig::preset(&args.preset, corpus.vocab.len())?;
    for group in pending.chunks(args.jobs.max(1)) {
        let mut trainers = Vec::new();
        let mut logs = Vec::new();
        for run in group {
            trainers.push(Trainer::new(
                ctx,
                model,
                run.config.clone(),
                corpus.clone(),
            )?);
            let path = dir.join(format!("{}.jsonl", run.name));
            let file = std::fs::File::create(&path).with_context(|| path.display().to_string())?;
            logs.push(std::io::BufWriter::new(file));
        }
        let started = std::time::Instant::now();
        let outcomes = run_all(&mut trainers, |i, records| {
            super::drive::write_to(&mut logs[i], records).map_err(|e| ire_playground::Error::Io {
                path: group[i].name.clone(),
                source: e,
            })
        });
        for (run, outcome) in group.iter().zip(outcomes) {
            match outcome {
                Ok(()) => eprintln!("  {}: {:.0} s", run.name, started.elapsed().as_secs_f64()),
                Err(e) => eprintln!("  {}: {e:#}", run.name),
            }
            let done = dir.join(format!("{}.done", run.name));
            ire_playground::files::write_atomic(
                &done,
                serde_json::to_string(&run.config)?.as_bytes(),
            )?;
        }
    }
    Ok(())
}

/// The final training loss of a finished run, from its log (infinite if it diverged or stopped
/// short).
fn outcome(dir: &Path, args: &ExperimentArgs, name: &str) -> anyhow::Result<Outcome> {
    let log_path = dir.join(format!("{name}.jsonl"));
    let text =
        std::fs::read_to_string(&log_path).with_context(|| log_path.display().to_string())?;
    let losses: Vec<f32> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Record>(l).ok())
        .filter_map(|r| match r {
            Record::Step(s) => Some(s.loss),
            _ => None,
        })
        .collect();
    let tail = (args.steps / 10).max(1);
    let final_train = if losses.len() < args.steps || losses.iter().any(|l| !l.is_finite()) {
        f32::INFINITY
    } else {
        losses[losses.len() - tail..].iter().sum::<f32>() / tail as f32
    };
    Ok(Outcome { final_train })
}

pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let plan = plan(&args.name)?;
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1 (a comparison needs runs)");
    }
    let dir = args.out.join(&args.name);
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    // Before any run: the folder must take files (the logs, `.done` markers and grid.json).
    ire_playground::files::check_output(&dir.join("grid.json"))?;
    let ctx = super::open_gpu()?;
    let corpus = Arc::new(Corpus::shakespeare()?);
    let base_config = |lr: f32, seed: u64, ire: bool| TrainConfig {
        batch: args.batch,
        seed,
        eval_every: (args.steps / 4).max(1),
        eval_batches: 8,
        ire: IreConfig {
            enabled: ire,
            ..plan.ire.clone()
        },
        probe_every: (args.steps / 4).max(1),
        sharpness: SharpnessConfig {
            power_iters: 4,
            hutchinson_samples: 0,
            ..SharpnessConfig::default()
        },
        ..TrainConfig::recipe(Family::Transformer, plan.kind, args.steps).with_peak_lr(lr)
    };
    let kind = format!("{:?}", plan.kind).to_lowercase();
    let mut grid = if args.grid.is_empty() {
        plan.grid.clone()
    } else {
        args.grid.clone()
    };
    if grid.iter().any(|lr| !(lr.is_finite() && *lr > 0.0)) {
        bail!("learning rates in --grid must be positive");
    }
    grid.sort_by(f32::total_cmp);
    // Sweep both arms over the grid; widen it while either arm's best is at an edge.
    let arm_name = |ire: bool| {
        if ire {
            format!("{kind}-ire")
        } else {
            kind.clone()
        }
    };
    let run_name = |ire: bool, lr: f32, seed: u64| format!("{}_lr{lr:e}_s{seed}", arm_name(ire));
    loop {
        // Every run of this grid first (both arms, all seeds), `--jobs` at a time.
        let mut runs = Vec::new();
        for ire in [false, true] {
            for &lr in &grid {
                for seed in 0..args.seeds {
                    runs.push(RunSpec {
                        name: run_name(ire, lr, seed),
                        config: base_config(lr, seed, ire),
                    });
                }
            }
        }
        train_pending(&ctx, &corpus, &dir, &args, &runs)?;
        let mut best = Vec::new();
        for ire in [false, true] {
            let arm = arm_name(ire);
            let mut scores = Vec::new();
            for &lr in &grid {
                let mut total = 0.0;
                for seed in 0..args.seeds {
                    total += outcome(&dir, &args, &run_name(ire, lr, seed))?.final_train;
                }
                scores.push(total / args.seeds as f32);
                eprintln!(
                    "{arm} lr {lr:e}: mean final train loss {:.4}",
                    total / args.seeds as f32
                );
            }
            let i = scores
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i)
                .unwrap_or(0);
            best.push(i);
        }
        let at_low = best.contains(&0);
        let at_high = best.contains(&(grid.len() - 1));
        if !at_low && !at_high || grid.len() >= 9 {
            break;
        }
        if at_low {
            grid.insert(0, grid[0] / 2.0);
        }
        if at_high {
            grid.push(grid[grid.len() - 1] * 2.0);
        }
    }
    ire_playground::files::write_atomic(
        &dir.join("grid.json"),
        serde_json::to_string(&grid)?.as_bytes(),
    )?;
    eprintln!(
        "done: logs in {}; run scripts/report_experiments.py",
        dir.display()
    );
    Ok(())
}
