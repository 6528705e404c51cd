//! `ire-playground bench`: matmul GFLOP/s and training-step speed on this adapter, as JSON.

mod matmul;
mod profile;

use clap::Args;
use ire_playground::checkpoint::ModelSpec;
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::gpu::{GpuContext, Plan};
use ire_playground::kernels::matmul::lanes;
use ire_playground::kernels::matmul::MatmulVariant;
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::optim::{IreConfig, OptimizerKind};
use ire_playground::train::{Family, Record, TaskData, TrainConfig, Trainer};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    kernels: super::KernelsArg,
    /// Timed training steps per preset and configuration (after warm-up steps).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Sequences per batch for the training-step measurement.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Presets to time.
    #[arg(long, value_delimiter = ',', default_value = "tiny,small")]
    presets: Vec<String>,
    /// ResNet presets to time (SGD steps on Fashion-MNIST images); empty to skip.
    #[arg(long, value_delimiter = ',', default_value = "resnet-tiny,resnet20")]
    resnet_presets: Vec<String>,
    /// Images per batch for the ResNet measurement.
    #[arg(long, default_value_t = 64)]
    resnet_batch: usize,
    /// Runs trained at once for the concurrency curve (`tiny`, their steps interleaved on this
    /// adapter, as `experiment --jobs` does); empty to skip.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8", value_parser = runs_or_empty)]
    concurrency: Vec<usize>,
    /// Skip the PyTorch eager peer measurement (scripts/bench_torch.py; the interpreter is
    /// `IRE_BENCH_PYTHON` or `python3`).
    #[arg(long)]
    no_pytorch: bool,
    /// Instead of the benchmark, time each dispatch of one training step of the first preset
    /// (a transformer, or a ResNet preset such as `resnet-tiny`; `--batch` sets its batch).
    #[arg(long)]
    profile: bool,
}

/// One measurement: a preset at a batch size, timed over `steps` steps.
#[derive(Clone, Copy)]
struct Case<'a> {
    preset: &'a str,
    batch: usize,
    steps: usize,
}

impl<'a> Case<'a> {
    fn new(preset: &'a str, batch: usize, steps: usize) -> Self {
        Self {
            preset,
            batch,
            steps,
        }
    }
}

/// Mean milliseconds per step of a run of `config` (its first `warm` steps not counted). The
/// mean, not the median: results arriving together share their time, so single steps' times
/// are uneven while their sum is exact.
fn mean_step_ms(
    ctx: &GpuContext,
    (model, data): (&ModelSpec, &TaskData),
    config: TrainConfig,
    warm: usize,
) -> anyhow::Result<f64> {
    let trainer = Trainer::build(ctx, model, config, data.clone())?;
    mean_trainer_step_ms(trainer, warm)
}

fn mean_trainer_step_ms(mut trainer: Trainer, warm: usize) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    super::drive::drive(&mut trainer, &mut None, |r| {
        if let Record::Step(s) = r {
            if s.step > warm {
                times.push(s.ms);
            }
        }
    })?;
    Ok(times.iter().sum::<f64>() / times.len().max(1) as f64)
}

/// Training-step speed of a preset, and what IRE and the probes cost on top of a base step: a
/// step with IRE acting but no mask refresh, a step that refreshes the mask, and one probe
/// (amortised at a probe every 50 steps).
fn preset_bench(ctx: &GpuContext, corpus: &Arc<Corpus>, case: Case) -> anyhow::Result<Value> {
    let (preset, batch, steps) = (case.preset, case.batch, case.steps);
    let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
    let run = (
        &ModelSpec::transformer(model, corpus),
        &TaskData::Text(corpus.clone()),
    );
    let warm = 2;
    let base_config = TrainConfig {
        steps: warm + steps,
        batch,
        warmup: 0,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::default()
    };
    let with_ire = |mask_every| TrainConfig {
        ire: IreConfig {
            enabled: true,
            mask_every,
            ..IreConfig::default()
        },
        ..base_config.clone()
    };
    let base = mean_step_ms(ctx, run, base_config.clone(), warm)?;
    let ire_step = mean_step_ms(ctx, run, with_ire(1_000_000), warm)?;
    let refresh_step = mean_step_ms(ctx, run, with_ire(1), warm)?;
    // One probe, timed on its own (it runs between steps, never inside one).
    let probed = TrainConfig {
        probe_every: 1,
        ..base_config
    };
    let sharpness = probed.sharpness;
    let trainer = Trainer::build(ctx, run.0, probed, run.1.clone())?;
    let probe = Plan::concat(&[
        trainer.ire.refresh_plan(),
        trainer.sharpness_plan().expect("probes are on"),
    ]);
    probe.submit(ctx);
    ctx.wait_idle();
    let t = Instant::now();
    probe.submit(ctx);
    ctx.wait_idle();
    let probe_ms = t.elapsed().as_secs_f64() * 1e3;
    let tokens = (batch * model.seq_len) as f64;
    Ok(json!({
        "preset": preset,
        "params": model.param_count(),
        "batch": batch,
        "seq_len": model.seq_len,
        "step_ms_mean": base,
        "tokens_per_s": tokens / base * 1e3,
        "ire_step_without_refresh_ms": ire_step,
        "ire_overhead_without_refresh_percent": (ire_step / base - 1.0) * 100.0,
        "mask_refresh_step_ms": refresh_step,
        "probe_ms": probe_ms,
        "probe_settings": sharpness,
        "probe_amortised_ms_per_step_at_every_50": probe_ms / 50.0,
    }))
}

/// Total steps/s of `n` `tiny` runs trained at once (different seeds), after each has taken
/// `warm` steps.
/// A run count, or the empty string (`--concurrency ""` skips the curve; 0 is dropped).
fn runs_or_empty(s: &str) -> Result<usize, String> {
    if s.trim().is_empty() {
        return Ok(0);
    }
    s.trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of runs"))
}

fn concurrency_bench(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    n: usize,
    batch: usize,
    steps: usize,
) -> anyhow::Result<serde_json::Value> {
    use ire_playground::train::concurrent::run_all;
    let data = TaskData::Text(corpus.clone());
    let model = ModelSpec::of_preset("tiny", &data)?;
    let make = |total: usize| -> anyhow::Result<Vec<Trainer>> {
        (0..n)
            .map(|seed| {
                let config = TrainConfig {
                    steps: total,
                    batch,
                    seed: seed as u64,
                    warmup: 0,
                    eval_every: 0,
                    eval_batches: 1,
                    ..TrainConfig::default()
                };
                Ok(Trainer::build(ctx, &model, config, data.clone())?)
            })
            .collect()
    };
    // Warm-up runs compile the pipelines; the timed runs then measure steady state.
    let mut warm = make(2)?;
    run_all(&mut warm, |_, _| Ok(()));
    let mut trainers = make(steps)?;
    let start = Instant::now();
    let outcomes = run_all(&mut trainers, |_, _| Ok(()));
    let seconds = start.elapsed().as_secs_f64();
    if let Some(Err(e)) = outcomes.into_iter().find(|o| o.is_err()) {
        return Err(e.into());
    }
    Ok(json!({
        "runs": n,
        "batch": batch,
        "steps_each": steps,
        "total_steps_per_s": (n * steps) as f64 / seconds,
    }))
}

/// SGD step time and images/s of a ResNet preset on the embedded Fashion-MNIST subset.
fn resnet_bench(ctx: &GpuContext, data: &Arc<ImageDataset>, case: Case) -> anyhow::Result<Value> {
    let (preset, batch, warm) = (case.preset, case.batch, 2);
    let model = ResNetConfig::preset(preset)?;
    let config = TrainConfig {
        batch,
        warmup: 0,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::ResNet, OptimizerKind::Sgd, warm + case.steps)
    };
    let images = TaskData::Images {
        images: data.clone(),
        augment: true,
    };
    let trainer = Trainer::build(ctx, &ModelSpec::ResNet(model), config, images)?;
    let ms = mean_trainer_step_ms(trainer, warm)?;
    Ok(json!({
        "preset": preset,
        "depth": model.depth(),
        "params": model.param_count(),
        "batch": batch,
        "step_ms_mean": ms,
        "images_per_s": batch as f64 / ms * 1e3,
    }))
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.steps == 0 {
        anyhow::bail!("--steps must be at least 1: a mean over no steps is no figure");
    }
    let ctx = super::open_gpu(&args.kernels)?;
    let corpus = Arc::new(Corpus::shakespeare()?);
    if args.profile {
        let preset = args.presets.first().map_or("tiny", String::as_str);
        return profile::profile(&ctx, &corpus, preset, args.batch);
    }
    let preferred = MatmulVariant::for_adapter(&ctx);
    let mut matmul = Vec::new();
    for n in [256, 512, 1024] {
        let mut row = json!({"n": n});
        for variant in [
            MatmulVariant::Lanes,
            MatmulVariant::Vec4,
            MatmulVariant::Blocked,
            MatmulVariant::Tiled,
        ] {
            // Elsewhere Lanes falls back to Vec4: not a figure of its own.
            if variant == MatmulVariant::Lanes && !lanes::available(&ctx) {
                continue;
            }
            row[format!("{variant:?}").to_lowercase()] =
                json!(matmul::matmul_gflops(&ctx, variant, n));
        }
        matmul.push(row);
    }
    let mut train = Vec::new();
    let vocab = corpus.vocab.len();
    for preset in args.presets.iter().filter(|p| !p.is_empty()) {
        let mut entry = preset_bench(&ctx, &corpus, Case::new(preset, args.batch, args.steps))?;
        if !args.no_pytorch {
            let peer =
                super::peer::pytorch_step("transformer", preset, args.batch, args.steps, vocab);
            super::peer::compare(&mut entry, peer);
        }
        train.push(entry);
    }
    let mut resnet = Vec::new();
    // `--resnet-presets ''` parses as one empty name: skip, as the help says.
    let resnet_presets: Vec<&String> = args
        .resnet_presets
        .iter()
        .filter(|p| !p.is_empty())
        .collect();
    if !resnet_presets.is_empty() {
        let data = Arc::new(ImageDataset::fashion_mnist_embedded()?);
        for preset in resnet_presets {
            let batch = args.resnet_batch;
            let mut entry = resnet_bench(&ctx, &data, Case::new(preset, batch, args.steps))?;
            if !args.no_pytorch {
                let peer = super::peer::pytorch_step("resnet", preset, batch, args.steps, 10);
                super::peer::compare(&mut entry, peer);
            }
            resnet.push(entry);
        }
    }
    let mut concurrency = Vec::new();
    for &n in args.concurrency.iter().filter(|&&n| n > 0) {
        concurrency.push(concurrency_bench(&ctx, &corpus, n, args.batch, args.steps)?);
    }
    if let Some(one) = concurrency
        .first()
        .and_then(|c| c["total_steps_per_s"].as_f64())
    {
        for c in &mut concurrency {
            let total = c["total_steps_per_s"].as_f64().unwrap_or(0.0);
            c["speedup_over_first"] = json!(total / one);
        }
    }
    let out = json!({
        "adapter": ctx.adapter.as_ref(),
        "kernels": ctx.kernels,
        "matmul_variant_used": format!("{preferred:?}").to_lowercase(),
        "matmul_gflops": matmul,
        "train_step": train,
        "resnet_step": resnet,
        "concurrent_tiny_runs": concurrency,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
