//! Command-line interface. Errors end here: they are printed with their cause and the process
//! exits non-zero, never with a panic.

mod analyse;
mod app;
mod bench;
mod drive;
mod eval;
mod experiment;
mod export;
mod peer;
mod task;
mod text;
mod train;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use ire_playground::gpu::{GpuContext, KernelFamily};
use std::path::{Path, PathBuf};
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
    /// Train a model (a transformer on the embedded Shakespeare or --text-file; a ResNet on
    /// Fashion-MNIST).
    Train(Box<train::TrainArgs>),
    /// Validation loss of a checkpoint on the fixed validation batches.
    Eval(eval::EvalArgs),
    /// Matmul throughput and training-step speed on this adapter, as JSON.
    Bench(bench::BenchArgs),
    /// Run a fair IRE-vs-base comparison (learning-rate sweeps, several seeds); resumable.
    Experiment(experiment::ExperimentArgs),
    /// Write a PyTorch project (train.py, one process or torchrun) that continues a checkpoint's
    /// run with the playground's semantics.
    Export(export::ExportArgs),
    /// Loss-landscape slice of a checkpoint: the loss on a 1-D or 2-D grid around its weights,
    /// along random filter-normalised or Hessian directions, as JSON.
    Landscape(Box<analyse::LandscapeArgs>),
    /// The Hessian's spectrum at a checkpoint: top eigenvalues (Lanczos) and the eigenvalue
    /// density (stochastic Lanczos quadrature), as JSON.
    Spectrum(analyse::SpectrumArgs),
}

/// The ids of the flags given on the command line of subcommand `name` (not defaults).
fn given_flags(matches: &clap::ArgMatches, name: &str) -> Vec<String> {
    let (Some(sub), Some(command)) = (
        matches.subcommand_matches(name),
        Cli::command().find_subcommand(name).cloned(),
    ) else {
        return Vec::new();
    };
    // Arguments only (clap also lists the argument group of the Args struct).
    command
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .filter(|id| sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .collect()
}

pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Some(Command::Train(args)) => train::run(*args, &given_flags(&matches, "train")),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Experiment(args)) => experiment::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::Landscape(args)) => analyse::landscape(*args),
        Some(Command::Spectrum(args)) => analyse::spectrum(args),
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
fn open_gpu(kernels: &KernelsArg) -> anyhow::Result<GpuContext> {
    let mut ctx = pollster::block_on(GpuContext::new())?;
    if let Some(choice) = &kernels.kernels {
        ctx = ctx.with_kernels(KernelFamily::parse(choice)?);
    }
    eprintln!("adapter: {}; kernels: {}", ctx.adapter, ctx.kernels.name());
    Ok(ctx)
}

/// `--kernels`: which kernel family a command runs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct KernelsArg {
    /// Kernel family: auto (the adapter's own), gpu (workgroup-tiled products and attention
    /// over stored probabilities: what GPUs run) or cpu (the texel matmul and fused attention
    /// of CPU adapters). Results agree to rounding; overrides the IRE_KERNELS variable.
    #[arg(long, value_parser = ["auto", "gpu", "cpu"])]
    pub kernels: Option<String>,
}

/// What a command reads: `--checkpoint`, the text of `--text-file` and the IDX files (plain
/// and gzipped) of `--data-dir`.
pub(crate) struct Inputs<'a> {
    pub checkpoint: Option<&'a Path>,
    pub text_file: Option<&'a Path>,
    pub data_dir: Option<&'a Path>,
}

impl<'a> Inputs<'a> {
    /// A checkpoint and the data files it is read with.
    pub(crate) fn checkpoint_and_data(
        checkpoint: &'a Path,
        text_file: Option<&'a Path>,
        data_dir: Option<&'a Path>,
    ) -> Self {
        Self {
            checkpoint: Some(checkpoint),
            text_file,
            data_dir,
        }
    }
}

/// Errors unless `out` (given as `--out`) can be written and names none of `inputs`.
pub(crate) fn check_out_file(out: &Path, inputs: Inputs) -> anyhow::Result<()> {
    ire_playground::files::check_output(out)?;
    check_outputs_apart(&[("--out", out)], inputs)
}

/// Errors if an output names the same file as another output or as one of `inputs`, each
/// named in the error as the user gave it: checked before any work.
pub(crate) fn check_outputs_apart(outputs: &[(&str, &Path)], inputs: Inputs) -> anyhow::Result<()> {
    let mut read: Vec<(String, PathBuf)> = Vec::new();
    if let Some(checkpoint) = inputs.checkpoint {
        read.push(("--checkpoint".into(), checkpoint.to_path_buf()));
    }
    if let Some(text) = inputs.text_file {
        read.push(("--text-file".into(), text.to_path_buf()));
    }
    if let Some(dir) = inputs.data_dir {
        for name in ire_playground::data::IDX_NAMES {
            for file in [name.to_string(), format!("{name}.gz")] {
                read.push((format!("--data-dir's {file}"), dir.join(file)));
            }
        }
    }
    let read: Vec<(&str, &Path)> = read
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_path()))
        .collect();
    Ok(ire_playground::files::check_outputs_apart(outputs, &read)?)
}
