//! `bench --profile`: the time of each dispatch of one training step.

use ire_playground::checkpoint::ModelSpec;
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::gpu::GpuContext;
use ire_playground::optim::{Optimizer, OptimizerKind};
use ire_playground::train::{Family, TaskData, TrainConfig, Trainer};
use serde_json::json;
use std::sync::Arc;

pub(super) fn profile(
    ctx: &GpuContext,
    corpus: &Arc<Corpus>,
    preset: &str,
    batch: usize,
) -> anyhow::Result<()> {
    let (data, config) = match Family::of_preset(preset) {
        Family::ResNet => (
            TaskData::Images {
                images: Arc::new(ImageDataset::fashion_mnist_embedded()?),
                augment: true,
            },
            TrainConfig::recipe(Family::ResNet, OptimizerKind::Sgd, 10),
        ),
        Family::Transformer => (TaskData::Text(corpus.clone()), TrainConfig::default()),
    };
    let model = ModelSpec::of_preset(preset, &data)?;
    let trainer = Trainer::build(ctx, &model, TrainConfig { batch, ..config }, data)?;
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
