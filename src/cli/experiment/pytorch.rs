//! Runs an experiment's runs in the exported PyTorch script (src/export), `jobs` processes at a
//! time: the engine writes each run's step-0 checkpoint (its initial weights and data order come
//! from the seed exactly as in the engine), and `train.py` trains it, logging the engine's JSONL
//! rows and checkpointing as it goes. An interrupted run resumes from its newest checkpoint,
//! its log cut back to that step, so a resumed experiment is the same experiment.

use super::outcome::RunSpec;
use super::workload::Workload;
use anyhow::{bail, Context};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::export;
use ire_playground::files;
use ire_playground::gpu::GpuContext;
use ire_playground::train::TrainConfig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How the PyTorch processes are started.
pub struct PythonRunner {
    /// The Python interpreter (with torch, numpy and safetensors).
    pub python: PathBuf,
    /// CPU threads per process.
    pub threads: usize,
    /// Processes at once.
    pub jobs: usize,
}

/// Where a run's files live under the experiment folder.
struct RunFiles {
    log: PathBuf,
    init: PathBuf,
    save: PathBuf,
    stderr: PathBuf,
}

impl RunFiles {
    fn of(dir: &Path, run: &RunSpec) -> Self {
        let state = dir.join("state");
        Self {
            log: run.log(dir),
            init: state.join(format!("{}.init.safetensors", run.name)),
            save: state.join(format!("{}.safetensors", run.name)),
            stderr: state.join(format!("{}.stderr", run.name)),
        }
    }

    /// The periodic checkpoints `train.py --checkpoint-every` left, with their steps.
    fn periodic(&self) -> Vec<(usize, PathBuf)> {
        let (Some(stem), Some(folder)) = (
            self.save.file_stem().and_then(|s| s.to_str()),
            self.save.parent(),
        ) else {
            return Vec::new();
        };
        let prefix = format!("{stem}-step");
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let step = name
                    .strip_prefix(&prefix)?
                    .strip_suffix(".safetensors")?
                    .parse::<usize>()
                    .ok()?;
                Some((step, e.path()))
            })
            .collect()
    }

    /// The newest periodic checkpoint, with its step.
    fn newest_periodic(&self) -> Option<(usize, PathBuf)> {
        self.periodic().into_iter().max_by_key(|(step, _)| *step)
    }

    /// Best effort: a finished run's periodic checkpoints are no longer needed.
    fn remove_periodic(&self) {
        for (_, path) in self.periodic() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Keeps the log rows of the first `step` steps (a step's evaluation and probe rows come right
/// after its step row; an event logged at `step` belongs to the next step).
fn truncate_log(path: &Path, step: usize) -> anyhow::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) => return Ok(()),
    };
    let mut kept = String::new();
    let mut seen_step = false;
    for line in text.lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            break; // a half-written last line
        };
        let at = row.get("step").and_then(|s| s.as_u64()).unwrap_or(0) as usize;
        let is_step_row = row.get("loss").is_some();
        let is_event = row.get("event").is_some();
        if at > step || (seen_step && (is_step_row || is_event)) {
            break;
        }
        seen_step |= is_step_row && at == step;
        kept.push_str(line);
        kept.push('\n');
    }
    files::write_atomic(path, kept.as_bytes())?;
    Ok(())
}

impl PythonRunner {
    /// Trains `runs` (all pending) in PyTorch. Fails after the others have finished if any
    /// process failed for another reason than divergence (rerunning resumes it).
    pub fn train(
        &self,
        ctx: &GpuContext,
        workload: &Workload,
        dir: &Path,
        runs: &[&RunSpec],
    ) -> anyhow::Result<()> {
        let Some(first) = runs.first() else {
            return Ok(());
        };
        std::fs::create_dir_all(dir.join("state"))?;
        let project = dir.join("pytorch");
        let script = project.join("train.py");
        // The script is rewritten on every start, so a rerun uses this binary's version. It is
        // exported from the first run's step-0 state, which that run then starts from.
        let checkpoint = workload.trainer(ctx, first.config.clone())?.checkpoint()?;
        for file in export::project(&checkpoint, workload.export_data())? {
            let path = project.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            files::write_atomic(&path, &file.bytes)?;
        }
        let mut queue: Vec<&RunSpec> = runs.iter().rev().copied().collect();
        let mut running: Vec<(&RunSpec, Child, std::time::Instant)> = Vec::new();
        let mut failed = Vec::new();
        while !queue.is_empty() || !running.is_empty() {
            while running.len() < self.jobs.max(1) {
                let Some(run) = queue.pop() else { break };
                let built = (run.name == first.name).then_some(&checkpoint);
                let child = self.start(ctx, (workload, built), dir, &script, run)?;
                running.push((run, child, std::time::Instant::now()));
            }
            std::thread::sleep(Duration::from_millis(200));
            let mut i = 0;
            while i < running.len() {
                let Some(status) = running[i].1.try_wait()? else {
                    i += 1;
                    continue;
                };
                let (run, _, started) = running.swap_remove(i);
                let files = RunFiles::of(dir, run);
                let secs = started.elapsed().as_secs_f64();
                match status.code() {
                    // 1: the run diverged (its log ends with a `diverged` row): a result.
                    Some(0) | Some(1) => {
                        eprintln!("  {}: {secs:.0} s ({status})", run.name);
                        run.mark_done(dir)?;
                        files.remove_periodic();
                    }
                    _ => {
                        eprintln!(
                            "  {}: failed ({status}); see {}",
                            run.name,
                            files.stderr.display()
                        );
                        failed.push(run.name.clone());
                    }
                }
            }
        }
        if !failed.is_empty() {
            bail!(
                "{} run(s) failed: {}; run the experiment again to resume them",
                failed.len(),
                failed.join(", ")
            );
        }
        Ok(())
    }

    /// Starts `train.py` for `run`: from its newest checkpoint, or from its step-0 state
    /// (`built` when the caller already has it, else built here).
    fn start(
        &self,
        ctx: &GpuContext,
        (workload, built): (&Workload, Option<&Checkpoint>),
        dir: &Path,
        script: &Path,
        run: &RunSpec,
    ) -> anyhow::Result<Child> {
        let files = RunFiles::of(dir, run);
        let from = match files.newest_periodic() {
            Some((step, path)) => {
                truncate_log(&files.log, step)?;
                eprintln!("  {}: resuming at step {step}", run.name);
                path
            }
            None => {
                let _ = std::fs::remove_file(&files.log);
                match built {
                    Some(checkpoint) => checkpoint.save(&files.init)?,
                    None => workload
                        .trainer(ctx, run.config.clone())?
                        .checkpoint()?
                        .save(&files.init)?,
                }
                files.init.clone()
            }
        };
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&files.stderr)
            .with_context(|| files.stderr.display().to_string())?;
        let mut command = Command::new(&self.python);
        command
            .arg(script)
            .arg("--checkpoint")
            .arg(&from)
            .args(["--steps", &run.config.steps.to_string()])
            .arg("--log")
            .arg(&files.log)
            .arg("--save")
            .arg(&files.save)
            .args([
                "--checkpoint-every",
                &checkpoint_every(&run.config).to_string(),
            ])
            .args(["--threads", &self.threads.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        command
            .spawn()
            .with_context(|| format!("cannot start {}", self.python.display()))
    }
}

/// Checkpoints about every 5% of a run (at least 50 steps apart), so an interruption loses
/// little.
fn checkpoint_every(config: &TrainConfig) -> usize {
    (config.steps / 20).clamp(50, 2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_is_cut_back_to_a_checkpoints_step() {
        let dir = std::env::temp_dir().join(format!("ire-truncate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.jsonl");
        let rows = [
            r#"{"step":1,"loss":2.0}"#,
            r#"{"step":2,"loss":1.9}"#,
            r#"{"step":2,"val_loss":1.8}"#,
            r#"{"step":2,"event":"ire_on"}"#,
            r#"{"step":3,"loss":1.7}"#,
            r#"{"step":3,"val_lo"#,
        ];
        std::fs::write(&path, rows.join("\n")).unwrap();
        truncate_log(&path, 2).unwrap();
        let kept = std::fs::read_to_string(&path).unwrap();
        assert_eq!(kept, rows[..3].join("\n") + "\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
