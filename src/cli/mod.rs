//! Command-line interface. Errors end here: they are printed with their cause and the process
//! exits non-zero, never with a panic.

mod app;
mod bench;
mod drive;
mod eval;
mod experiment;
mod peer;
mod train;

use clap::{Parser, Subcommand};
use ire_playground::gpu::GpuContext;
use std::process::ExitCode;

/// A WebGPU training playground: small transformers trained by WGSL compute shaders. Without a
/// subcommand it opens the desktop app.
#[derive(Parser)]
#[command(name = "ire-playground", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the desktop app (the default without a subcommand).
    App(app::AppArgs),
    /// Train a model on the embedded Shakespeare corpus.
    Train(Box<train::TrainArgs>),
    /// Validation loss of a checkpoint on the fixed validation batches.
    Eval(eval::EvalArgs),
    /// Matmul throughput and training-step speed on this adapter, as JSON.
    Bench(bench::BenchArgs),
    /// Run a fair IRE-vs-base comparison (learning-rate sweeps, several seeds); resumable.
    Experiment(experiment::ExperimentArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train::run(*args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Experiment(args)) => experiment::run(args),
        Some(Command::App(args)) => app::run(args),
        None => app::run(app::AppArgs::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the adapter and says which one it is (on stderr, so stdout stays machine-readable).
fn open_gpu() -> anyhow::Result<GpuContext> {
    let ctx = pollster::block_on(GpuContext::new())?;
    eprintln!("adapter: {}", ctx.adapter);
    Ok(ctx)
}
