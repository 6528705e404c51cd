//! Command-line interface. Errors end here: they are printed with their cause and the process
//! exits non-zero, never with a panic.

mod bench;
mod eval;
mod experiment;
mod train;

use clap::{Parser, Subcommand};
use ire_playground::gpu::GpuContext;
use std::process::ExitCode;

/// A WebGPU training playground: small transformers trained by WGSL compute shaders.
#[derive(Parser)]
#[command(name = "ire-playground", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
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
        None => match Cli::parse_from(["ire-playground", "train"]).command {
            Some(Command::Train(args)) => train::run(*args),
            _ => unreachable!("`train` parses as the train subcommand"),
        },
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
