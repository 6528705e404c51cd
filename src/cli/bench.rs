//! `ire-playground bench`: matmul GFLOP/s and training-step speed on this adapter, as JSON.

use clap::Args;
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::gpu::{GpuContext, Plan, Tensor};
use ire_playground::kernels::matmul::{matmul_variant, MatmulShape, MatmulVariant};
use ire_playground::kernels::matmul_lanes;
use ire_playground::models::{ResNetConfig, TransformerConfig};
use ire_playground::optim::{IreConfig, Optimizer, OptimizerKind};
use ire_playground::train::{Family, Record, TrainConfig, Trainer};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchArgs {
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

fn profile(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    preset: &str,
    batch: usize,
) -> anyhow::Result<()> {
    let trainer = if preset.starts_with("resnet") {
        let model = ResNetConfig::preset(preset)?;
        let config = TrainConfig {
            batch,
            ..TrainConfig::recipe(Family::ResNet, OptimizerKind::Sgd, 10)
        };
        let data = Arc::new(ImageDataset::fashion_mnist_embedded()?);
        Trainer::resnet(ctx, model, config, data, true)?
    } else {
        let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
        let config = TrainConfig {
            batch,
            ..TrainConfig::default()
        };
        Trainer::new(ctx, model, config, corpus.clone())?
    };
    // A real training batch: the input buffers of a fresh model hold zeros, a degenerate step
    // (the ResNet's BatchNorms see zero variance; nearly every gradient is exactly zero) that
    // no training run takes.
    let host_batch = trainer
        .task
        .train_batch(&mut ire_playground::rng::Rng::new(0))?;
    trainer.task.upload(ctx, &host_batch)?;
    let plan = trainer.network().train_plan();
    // The first pass pays each pipeline's first use (llvmpipe builds or loads a variant then:
    // up to 16 ms for one texel-matmul dispatch), which no later step pays; time the second.
    plan.profile(ctx);
    let rows = plan.profile(ctx);
    let total: f64 = rows.iter().map(|r| r.ms).sum();
    // The same plan submitted whole, as a training step submits it (the median of a few runs:
    // this figure is for comparing builds on a noisy machine); the per-dispatch timing above
    // adds each submission's own start-up to every row.
    let mut whole: Vec<f64> = (0..7)
        .map(|_| {
            let started = std::time::Instant::now();
            plan.submit(ctx);
            ctx.wait_idle();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    whole.sort_by(f64::total_cmp);
    let whole = whole[whole.len() / 2];
    // Per kernel: time, count, and the work of its dispatches.
    let mut by_kernel: std::collections::BTreeMap<&str, (f64, usize, f64, f64)> =
        Default::default();
    for r in &rows {
        let e = by_kernel.entry(r.label.as_ref()).or_default();
        e.0 += r.ms;
        e.1 += 1;
        e.2 += r.work.flops;
        e.3 += r.work.bytes;
    }
    let mut kernels: Vec<_> = by_kernel.into_iter().collect();
    kernels.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    // Achieved rates: GFLOP/s where the kernel declares its operations (products, attention),
    // and GB/s over the bytes of the buffers it binds (each touched once: a lower bound).
    let rate = |amount: f64, ms: f64| (amount > 0.0 && ms > 0.0).then(|| amount / ms / 1e6);
    // The parameter update alone, as the base optimizer and with IRE amplifying (kappa 2): the
    // only work IRE adds to a step without a mask refresh.
    let mut optimizer = Optimizer::new(
        ctx,
        trainer.config.optimizer,
        trainer.network().params(),
        &trainer.network().head().scalars,
        &trainer.ire.mask,
    )?;
    let mut update_ms = |kappa: f32| {
        let reps = 50;
        let mut total = 0.0;
        for _ in 0..reps {
            optimizer.prepare_step(ctx, 1e-3, kappa);
            total += optimizer.plan().profile(ctx)[0].ms;
        }
        total / reps as f64
    };
    let base_update = update_ms(0.0);
    let ire_update = update_ms(2.0);
    let out = json!({
        "adapter": ctx.adapter.as_ref(),
        "preset": preset,
        "batch": batch,
        "dispatches": rows.len(),
        "total_ms_serialised": total,
        "plan_ms_whole_median": whole,
        "update_ms_base": base_update,
        "update_ms_with_ire": ire_update,
        "ire_overhead_percent_of_step": (ire_update - base_update) / total * 100.0,
        "by_kernel": kernels
            .iter()
            .map(|(k, (ms, n, flops, bytes))| {
                json!({
                    "kernel": k,
                    "ms": ms,
                    "count": n,
                    "gflop_per_s": rate(*flops, *ms),
                    "gb_per_s": rate(*bytes, *ms),
                })
            })
            .collect::<Vec<_>>(),
        // Each dispatch in plan order, so that one product or gather can be told from another.
        "by_dispatch": rows
            .iter()
            .map(|r| {
                json!({
                    "kernel": r.label.as_ref(),
                    "ms": r.ms,
                    "gflop_per_s": rate(r.work.flops, r.ms),
                    "gb_per_s": rate(r.work.bytes, r.ms),
                })
            })
            .collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn matmul_gflops(ctx: &GpuContext, variant: MatmulVariant, n: usize) -> f64 {
    let a = Tensor::from_slice(ctx, "a", &vec![0.5f32; n * n]);
    let b = Tensor::from_slice(ctx, "b", &vec![0.25f32; n * n]);
    let c = Tensor::zeros(ctx, "c", n * n);
    let shape = MatmulShape {
        m: n,
        n,
        k: n,
        trans_a: false,
        trans_b: false,
    };
    let mut plan = Plan::new();
    plan.extend_dispatches(matmul_variant(ctx, variant, &a, &b, None, &c, shape));
    plan.submit(ctx);
    ctx.wait_idle();
    // Repeat until at least 0.3 s of work is timed, so small sizes are not timer noise.
    let mut reps = 1;
    loop {
        let t = Instant::now();
        let mut plan = Plan::new();
        for _ in 0..reps {
            plan.extend_dispatches(matmul_variant(ctx, variant, &a, &b, None, &c, shape));
        }
        plan.submit(ctx);
        ctx.wait_idle();
        let s = t.elapsed().as_secs_f64();
        if s > 0.3 || reps >= 256 {
            return 2.0 * (n as f64).powi(3) * reps as f64 / s / 1e9;
        }
        reps *= 2;
    }
}

/// Mean milliseconds per step of a run of `config` (its first `warm` steps not counted). The
/// mean, not the median: results arriving together share their time, so single steps' times
/// are uneven while their sum is exact.
fn mean_step_ms(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    model: TransformerConfig,
    config: TrainConfig,
    warm: usize,
) -> anyhow::Result<f64> {
    let trainer = Trainer::new(ctx, model, config, corpus.clone())?;
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
fn preset_bench(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    preset: &str,
    batch: usize,
    steps: usize,
) -> anyhow::Result<serde_json::Value> {
    let model = TransformerConfig::preset(preset, corpus.vocab.len())?;
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
    let base = mean_step_ms(ctx, corpus, model, base_config.clone(), warm)?;
    let ire_step = mean_step_ms(ctx, corpus, model, with_ire(1_000_000), warm)?;
    let refresh_step = mean_step_ms(ctx, corpus, model, with_ire(1), warm)?;
    // One probe, timed on its own (it runs between steps, never inside one).
    let probed = TrainConfig {
        probe_every: 1,
        ..base_config
    };
    let sharpness = probed.sharpness;
    let trainer = Trainer::new(ctx, model, probed, corpus.clone())?;
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
    let model = TransformerConfig::preset("tiny", corpus.vocab.len())?;
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
                Ok(Trainer::new(ctx, model, config, corpus.clone())?)
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
fn resnet_bench(
    ctx: &GpuContext,
    data: &Arc<ImageDataset>,
    preset: &str,
    batch: usize,
    steps: usize,
) -> anyhow::Result<serde_json::Value> {
    let model = ResNetConfig::preset(preset)?;
    let warm = 2;
    let config = TrainConfig {
        batch,
        warmup: 0,
        eval_every: 0,
        eval_batches: 1,
        ..TrainConfig::recipe(Family::ResNet, OptimizerKind::Sgd, warm + steps)
    };
    let trainer = Trainer::resnet(ctx, model, config, data.clone(), true)?;
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
    let ctx = super::open_gpu()?;
    let corpus = Arc::new(Corpus::shakespeare()?);
    if args.profile {
        let preset = args.presets.first().map_or("tiny", String::as_str);
        return profile(&ctx, &corpus, preset, args.batch);
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
            if variant == MatmulVariant::Lanes && !matmul_lanes::available(&ctx) {
                continue;
            }
            row[format!("{variant:?}").to_lowercase()] = json!(matmul_gflops(&ctx, variant, n));
        }
        matmul.push(row);
    }
    let mut train = Vec::new();
    let vocab = corpus.vocab.len();
    for preset in args.presets.iter().filter(|p| !p.is_empty()) {
        let mut entry = preset_bench(&ctx, &corpus, preset, args.batch, args.steps)?;
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
            let mut entry = resnet_bench(&ctx, &data, preset, batch, args.steps)?;
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
        "matmul_variant_used": format!("{preferred:?}").to_lowercase(),
        "matmul_gflops": matmul,
        "train_step": train,
        "resnet_step": resnet,
        "concurrent_tiny_runs": concurrency,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
