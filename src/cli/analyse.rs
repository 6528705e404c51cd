//! `ire-playground landscape` and `ire-playground spectrum`: a checkpoint's loss-landscape slice
//! and Hessian spectrum, computed on the GPU and written as JSON.

use clap::{Args, ValueEnum};
use ire_playground::analysis::{
    AnalysisRequest, AnalysisResult, DirectionKind, LandscapeConfig, SliceData, SliceKind,
    SpectrumConfig,
};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::files;
use ire_playground::train::{TrainConfig, Trainer};
use std::path::PathBuf;

/// The checkpoint and its data.
#[derive(Args, Debug)]
pub struct Source {
    /// Checkpoint written by `train --save` or `--checkpoint-every` (a transformer or a ResNet).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Transformers trained on --text-file: the same text.
    #[arg(long)]
    text_file: Option<PathBuf>,
    /// ResNets: read the full Fashion-MNIST from this folder instead of the embedded subset.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Sequences (or images) per batch [default: the run's training batch, so that the probe
    /// batch is the one the run's probes used].
    #[arg(long)]
    batch: Option<usize>,
    /// Where the JSON goes.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    kernels: super::KernelsArg,
}

#[derive(Args, Debug)]
pub struct LandscapeArgs {
    #[command(flatten)]
    source: Source,
    /// A line (`slice1d`) or a plane (`slice2d`).
    #[arg(long, value_enum, default_value_t = Kind::Slice1d)]
    kind: Kind,
    /// Random filter-normalised directions, or the Hessian's top eigenvectors (Lanczos).
    #[arg(long, value_enum, default_value_t = Directions::Random)]
    directions: Directions,
    /// Points per axis (odd).
    #[arg(long, default_value_t = 21)]
    grid: usize,
    /// Coordinates from -span to span (filter-normalised units for random directions, a
    /// distance in weight space for Hessian ones) [default: 1 random, 0.5 Hessian].
    #[arg(long)]
    span: Option<f32>,
    /// Seed of the random directions (equal seeds: comparable slices of two runs).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The loss on the run's probe batch (training data) or on validation batches (what `eval`
    /// measures).
    #[arg(long, value_enum, default_value_t = Data::Probe)]
    data: Data,
    /// Validation batches (with --data validation).
    #[arg(long, default_value_t = 1)]
    batches: usize,
    /// Random directions: move biases and normalisation parameters too.
    #[arg(long)]
    include_bias_norm: bool,
    /// Hessian directions: Lanczos steps.
    #[arg(long, default_value_t = 20)]
    lanczos_steps: usize,
}

#[derive(Args, Debug)]
pub struct SpectrumArgs {
    #[command(flatten)]
    source: Source,
    /// Lanczos steps per run.
    #[arg(long, default_value_t = 20)]
    lanczos_steps: usize,
    /// Random start vectors averaged into the density.
    #[arg(long, default_value_t = 2)]
    vectors: usize,
    /// Top eigenvalues reported.
    #[arg(long, default_value_t = 5)]
    top_k: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Kind {
    Slice1d,
    Slice2d,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Directions {
    Random,
    Hessian,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Data {
    Probe,
    Validation,
}

pub fn landscape(args: LandscapeArgs) -> anyhow::Result<()> {
    let directions = match args.directions {
        Directions::Random => DirectionKind::Random,
        Directions::Hessian => DirectionKind::Hessian,
    };
    let config = LandscapeConfig {
        kind: match args.kind {
            Kind::Slice1d => SliceKind::Line,
            Kind::Slice2d => SliceKind::Plane,
        },
        directions,
        grid: args.grid,
        span: args.span.unwrap_or(match directions {
            DirectionKind::Random => 1.0,
            DirectionKind::Hessian => 0.5,
        }),
        seed: args.seed,
        data: match args.data {
            Data::Probe => SliceData::Probe,
            Data::Validation => SliceData::Validation,
        },
        batches: args.batches,
        include_bias_norm: args.include_bias_norm,
        lanczos_steps: args.lanczos_steps,
        ..LandscapeConfig::default()
    };
    config.validate()?;
    let eval_batches = match config.data {
        SliceData::Probe => None,
        SliceData::Validation => Some(config.batches),
    };
    let result = analyse(
        &args.source,
        eval_batches,
        AnalysisRequest::Landscape(config),
    )?;
    let AnalysisResult::Landscape(slice) = result else {
        unreachable!("a slice was requested")
    };
    let (min_loss, max_loss) = slice.loss_range();
    let mut summary = serde_json::json!({
        "step": slice.step,
        "center_loss": slice.center(),
        "min_loss": min_loss,
        "max_loss": max_loss,
        "center_curvature": slice.center_curvature(),
        "out": args.source.out,
    });
    if !slice.eigenvalues.is_empty() {
        summary["eigenvalues"] = serde_json::json!(slice.eigenvalues);
        summary["note"] = serde_json::json!(curvature_note(&slice));
    }
    files::write_atomic(&args.source.out, &serde_json::to_vec_pretty(&slice)?)?;
    println!("{summary}");
    Ok(())
}

pub fn spectrum(args: SpectrumArgs) -> anyhow::Result<()> {
    let config = SpectrumConfig {
        lanczos_steps: args.lanczos_steps,
        vectors: args.vectors,
        top_k: args.top_k,
        ..SpectrumConfig::default()
    };
    config.validate()?;
    let result = analyse(&args.source, None, AnalysisRequest::Spectrum(config))?;
    let AnalysisResult::Spectrum(spectrum) = result else {
        unreachable!("a spectrum was requested")
    };
    files::write_atomic(&args.source.out, &serde_json::to_vec_pretty(&spectrum)?)?;
    println!(
        "{}",
        serde_json::json!({
            "step": spectrum.step,
            "top": spectrum.top,
            "trace": spectrum.trace,
            "params": spectrum.params,
            "out": args.source.out,
        })
    );
    Ok(())
}

/// Builds the checkpoint's run (weights and buffers; the run's seed and batch, so that its
/// probe batch is the run's) and computes `request` on it.
fn analyse(
    source: &Source,
    eval_batches: Option<usize>,
    request: AnalysisRequest,
) -> anyhow::Result<AnalysisResult> {
    let (text, images) = (source.text_file.as_deref(), source.data_dir.as_deref());
    let inputs = super::Inputs::checkpoint_and_data(&source.checkpoint, text, images);
    super::check_out_file(&source.out, inputs)?;
    let mut checkpoint = Checkpoint::load(&source.checkpoint)?;
    // Weights and buffers only: no optimizer state is needed.
    checkpoint.state = None;
    let run: TrainConfig = serde_json::from_str(&checkpoint.train_config).unwrap_or_default();
    let batch = source.batch.unwrap_or(run.batch);
    let (data, _) = super::eval::checkpoint_data(
        &checkpoint,
        source.text_file.as_deref(),
        source.data_dir.as_deref(),
        (batch, Some(eval_batches.unwrap_or(1))),
    )?;
    let ctx = super::open_gpu(&source.kernels)?;
    let config = TrainConfig {
        seed: run.seed,
        ..super::eval::evaluation_config(checkpoint.step, batch, eval_batches.unwrap_or(1))
    };
    let mut trainer = Trainer::from_checkpoint(&ctx, &checkpoint, config, data)?;
    trainer.start_analysis(request)?;
    Ok(trainer.finish_analysis()?)
}

/// Why a Hessian slice's centre curvature differs from the eigenvalue along the same direction:
/// the second difference spans a whole grid step, over which the loss is not quadratic.
fn curvature_note(slice: &ire_playground::analysis::LandscapeResult) -> String {
    let g = slice.config.grid;
    let h = slice
        .axis
        .get(g / 2 + 1)
        .zip(slice.axis.get(g / 2))
        .map_or(0.0, |(a, b)| a - b);
    format!(
        "center_curvature is the second difference (L(h) - 2 L(0) + L(-h)) / h^2 over one grid \
         step h = {h:.3} along the first direction; it equals that direction's eigenvalue only \
         as h -> 0 on a locally quadratic loss. Over a step this long the loss's higher-order \
         terms (it flattens away from the minimum) make it smaller; a smaller --span or more \
         --points bring it closer (at h = 0.01 it is within 0.3% of Lanczos' eigenvalue)"
    )
}
