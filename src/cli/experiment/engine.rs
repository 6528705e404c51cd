//! Runs an experiment's runs on the playground's own engine, `jobs` at a time with their steps
//! interleaved on one adapter.

use super::outcome::RunSpec;
use super::workload::Workload;
use ire_playground::gpu::GpuContext;
use ire_playground::train::concurrent::run_all;
use std::path::Path;

/// Trains `runs` (all pending), each logging as it goes; a run that diverges is a result too
/// (its learning rate is too large) and is marked done with its log kept.
pub fn train(
    ctx: &GpuContext,
    workload: &Workload,
    dir: &Path,
    jobs: usize,
    runs: &[&RunSpec],
) -> anyhow::Result<()> {
    for group in runs.chunks(jobs.max(1)) {
        let mut trainers = Vec::new();
        let mut logs = Vec::new();
        for run in group {
            trainers.push(workload.trainer(ctx, run.config.clone())?);
            let path = run.log(dir);
            let file = ire_playground::files::open_log(&path, false)?;
            logs.push(std::io::BufWriter::new(file));
        }
        let started = std::time::Instant::now();
        let outcomes = run_all(&mut trainers, |i, records| {
            crate::cli::drive::write_to(&mut logs[i], records).map_err(|e| {
                ire_playground::Error::Io {
                    path: group[i].name.clone(),
                    cause: e,
                }
            })
        });
        for (run, outcome) in group.iter().zip(outcomes) {
            match outcome {
                Ok(()) => eprintln!("  {}: {:.0} s", run.name, started.elapsed().as_secs_f64()),
                Err(e) => eprintln!("  {}: {e:#}", run.name),
            }
            run.mark_done(dir)?;
        }
    }
    Ok(())
}
