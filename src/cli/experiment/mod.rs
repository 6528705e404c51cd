//! `ire-playground experiment NAME`: the fair IRE-vs-base comparisons of docs/RESULTS.md.
//!
//! For each comparison the base optimizer's learning rate is swept (a factor 2 apart, extended
//! until the best is inside the range), IRE runs over the same grid (so both its result at the
//! base's best learning rate and at its own best are available), every run with the same seeds,
//! hence the same initial weights and data order. Each run's log is written as it goes to
//! `OUT/NAME/<run>.jsonl`, and a finished run is marked by `<run>.done` (holding its
//! configuration), so an interrupted experiment resumes where it stopped. Runs train on the
//! engine (`--backend engine`, `--jobs` runs interleaved on one adapter) or in the exported
//! PyTorch script (`--backend pytorch`, `--jobs` processes). `scripts/report_experiments.py`
//! turns the logs into the tables and plots of docs/RESULTS.md.

mod engine;
mod outcome;
mod plans;
mod pytorch;
mod workload;

use anyhow::bail;
use clap::Args;
use ire_playground::gpu::GpuContext;
use ire_playground::train::Family;
use outcome::{Criterion, RunSpec};
use std::path::PathBuf;
use workload::Workload;

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    /// adamw-vs-admire, sgd-vs-sgdire, sam-vs-samire, lion-vs-lionire, muon-vs-muonire (short
    /// sweeps of a base optimizer and its IRE twin), grokking (AdamW, AdmIRE, Muon and Muon-IRE
    /// on modular addition, by steps to 99% validation accuracy), admire-long (the long
    /// AdamW/AdmIRE study: sweep, kappa x gamma, prog-decay, random-mask and lr controls) or
    /// resnet-ire (SGD/SGD-IRE and SAM/SAM-IRE on a ResNet, by test accuracy).
    name: String,
    /// Where run logs go.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    #[command(flatten)]
    kernels: super::KernelsArg,
    /// Model preset [default: tiny; resnet-ire: resnet-tiny].
    #[arg(long)]
    preset: Option<String>,
    /// Steps per run [default: 200; admire-long: 10000; resnet-ire: from --epochs].
    #[arg(long)]
    steps: Option<usize>,
    /// resnet-ire: epochs over the training set per run.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Examples per batch [default: 16; resnet-ire: 64].
    #[arg(long)]
    batch: Option<usize>,
    /// Seeds (initial weights and data order).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Starting learning-rate grid (comma-separated) instead of the experiment's default.
    #[arg(long, value_delimiter = ',')]
    grid: Vec<f32>,
    /// Runs trained at once (engine: steps interleaved on the adapter; pytorch: processes).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// engine (the playground's WGSL engine) or pytorch (the exported script: on a CPU it is
    /// much faster than a software adapter).
    #[arg(long, default_value = "engine")]
    backend: String,
    /// The Python interpreter for --backend pytorch [default: $IRE_PYTHON, else python3].
    #[arg(long)]
    python: Option<PathBuf>,
    /// CPU threads per PyTorch process.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// resnet-ire: the full Fashion-MNIST as IDX files (e.g. /usr/share/datasets/fashion-mnist)
    /// instead of the embedded 10k/2k subset.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Where runs are trained.
enum Backend {
    Engine { jobs: usize },
    PyTorch(pytorch::PythonRunner),
}

/// Everything the experiment plans need: the model and data, the output folder, the backend
/// and the adapter (the PyTorch backend uses it to write each run's step-0 state).
pub struct Lab {
    ctx: GpuContext,
    workload: Workload,
    dir: PathBuf,
    backend: Backend,
    /// Seeds per setting.
    seeds: u64,
}

impl Lab {
    /// Trains those of `runs` that have not finished.
    fn train(&self, runs: &[RunSpec]) -> anyhow::Result<()> {
        let mut pending: Vec<&RunSpec> = Vec::new();
        for run in runs {
            if !run.is_done(&self.dir)? {
                pending.push(run);
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        eprintln!("{} run(s) to train", pending.len());
        match &self.backend {
            Backend::Engine { jobs } => {
                engine::train(&self.ctx, &self.workload, &self.dir, *jobs, &pending)
            }
            Backend::PyTorch(runner) => {
                runner.train(&self.ctx, &self.workload, &self.dir, &pending)
            }
        }
    }

    /// The mean score of a setting's runs (one per seed).
    fn score(&self, criterion: Criterion, runs: &[RunSpec]) -> anyhow::Result<f32> {
        outcome::mean_score(&self.dir, criterion, runs)
    }

    /// Writes a JSON summary of what the plan chose (read by the report script).
    fn write_summary(&self, summary: &serde_json::Value) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(summary)?;
        ire_playground::files::write_atomic(&self.dir.join("summary.json"), text.as_bytes())?;
        Ok(())
    }
}

pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let plan = plans::Plan::named(&args.name)?;
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1 (a comparison needs runs)");
    }
    if let Some(lr) = args
        .grid
        .iter()
        .enumerate()
        .find_map(|(i, lr)| args.grid[..i].contains(lr).then_some(lr))
    {
        // The same run twice would write one log from two trainers.
        bail!("--grid names the learning rate {lr} more than once");
    }
    if args.grid.iter().any(|lr| !(lr.is_finite() && *lr > 0.0)) {
        bail!("learning rates in --grid must be positive");
    }
    let backend = match args.backend.as_str() {
        "engine" => Backend::Engine { jobs: args.jobs },
        "pytorch" => Backend::PyTorch(pytorch::PythonRunner {
            python: args
                .python
                .clone()
                .or_else(|| std::env::var_os("IRE_PYTHON").map(PathBuf::from))
                .unwrap_or_else(|| "python3".into()),
            threads: args.threads,
            jobs: args.jobs,
        }),
        other => bail!("unknown --backend '{other}'; choose engine or pytorch"),
    };
    let preset = args.preset.clone().unwrap_or(plan.default_preset().into());
    if Family::of_preset(&preset) != plan.family() {
        bail!(
            "experiment '{}' needs a {:?} preset, '{preset}' is not one",
            args.name,
            plan.family()
        );
    }
    let workload = match plan.task() {
        Some(puzzle) => {
            if args.data_dir.is_some() {
                bail!("--data-dir applies to ResNet presets only");
            }
            Workload::task(&preset, puzzle)?
        }
        None => Workload::new(&preset, args.data_dir.as_deref())?,
    };
    let dir = args.out.join(&args.name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    // Before any run: the folder must take files (the logs, `.done` markers and summary).
    ire_playground::files::check_output(&dir.join("summary.json"))?;
    let lab = Lab {
        ctx: super::open_gpu(&args.kernels)?,
        workload,
        dir,
        backend,
        seeds: args.seeds,
    };
    plan.run(&lab, &args)?;
    eprintln!(
        "done: logs in {}; run scripts/report_experiments.py",
        lab.dir.display()
    );
    Ok(())
}
