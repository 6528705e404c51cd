//! A run of an experiment, and its result read back from its log.

use anyhow::Context;
use ire_playground::train::{Record, TrainConfig};
use std::path::{Path, PathBuf};

/// One run: its name (the stem of its log) and configuration.
pub struct RunSpec {
    pub name: String,
    pub config: TrainConfig,
}

impl RunSpec {
    /// The run's JSONL log.
    pub fn log(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.jsonl", self.name))
    }

    /// The marker of a finished run (it holds the run's configuration, for the report).
    pub fn done_marker(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.done", self.name))
    }

    /// Whether the run has finished (or diverged, which is a result too). A run finished with
    /// another configuration (a rerun with other `--steps`, say) is an error naming what
    /// differs: its log is not this run's result, and retraining would replace it.
    pub fn is_done(&self, dir: &Path) -> anyhow::Result<bool> {
        let marker = self.done_marker(dir);
        let Ok(text) = std::fs::read_to_string(&marker) else {
            return Ok(false);
        };
        // Through TrainConfig, so that a marker written before a field existed reads as its
        // default.
        let done: TrainConfig = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a run's configuration", marker.display()))?;
        let (then, now) = (
            serde_json::to_value(&done)?,
            serde_json::to_value(&self.config)?,
        );
        if then != now {
            let differ: Vec<String> = match (then.as_object(), now.as_object()) {
                (Some(a), Some(b)) => a
                    .iter()
                    .filter(|(k, v)| b.get(*k) != Some(*v))
                    .map(|(k, v)| format!("{k} {v} then, {} now", b.get(k).unwrap_or(&v.clone())))
                    .collect(),
                _ => vec!["the configuration".into()],
            };
            anyhow::bail!(
                "{} in {} finished with other settings ({}); give another --out, or remove its \
                 .jsonl and .done files to train it again",
                self.name,
                dir.display(),
                differ.join("; ")
            );
        }
        Ok(true)
    }

    /// Marks the run finished.
    pub fn mark_done(&self, dir: &Path) -> anyhow::Result<()> {
        let config = serde_json::to_string(&self.config)?;
        ire_playground::files::write_atomic(&self.done_marker(dir), config.as_bytes())?;
        Ok(())
    }
}

/// Final metrics of one run.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Mean training loss of the last 10% of steps (infinite if the run diverged or stopped
    /// short).
    pub final_train: f32,
    /// Accuracy at the last evaluation (image tasks; 0 if there was none).
    pub final_acc: f32,
    /// The first evaluation's step at which accuracy reached 99% (tasks), if one did.
    pub step_to_99: Option<usize>,
    /// The run's length.
    pub steps: usize,
}

/// How the best learning rate of a sweep is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// Lowest mean final training loss (language models: the quantity the paper's speed-ups
    /// are measured in).
    TrainLoss,
    /// Highest mean final test accuracy (image classifiers: the paper's claim).
    Accuracy,
    /// Fewest steps to 99% validation accuracy (a task: how soon it generalises); a run that
    /// never gets there counts as the whole run plus its shortfall.
    StepsTo99,
}

impl Criterion {
    /// A score to minimise.
    pub fn score(self, o: &Outcome) -> f32 {
        match self {
            Self::TrainLoss => o.final_train,
            Self::Accuracy if o.final_train.is_finite() => -o.final_acc,
            Self::Accuracy => f32::INFINITY,
            Self::StepsTo99 if !o.final_train.is_finite() => f32::INFINITY,
            Self::StepsTo99 => match o.step_to_99 {
                Some(step) => step as f32,
                None => o.steps as f32 * (2.0 - o.final_acc),
            },
        }
    }
}

/// Reads run `spec`'s outcome from its log.
pub fn outcome(dir: &Path, spec: &RunSpec) -> anyhow::Result<Outcome> {
    let path = spec.log(dir);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let mut losses = Vec::new();
    let mut final_acc = 0.0;
    let mut step_to_99 = None;
    for record in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Record>(l).ok())
    {
        match record {
            Record::Step(s) => losses.push(s.loss),
            Record::Eval(e) => {
                final_acc = e.val_acc.unwrap_or(0.0);
                if final_acc >= 0.99 && step_to_99.is_none() {
                    step_to_99 = Some(e.step);
                }
            }
            _ => {}
        }
    }
    let steps = spec.config.steps;
    let tail = (steps / 10).max(1);
    let final_train = if losses.len() < steps || losses.iter().any(|l| !l.is_finite()) {
        f32::INFINITY
    } else {
        losses[losses.len() - tail..].iter().sum::<f32>() / tail as f32
    };
    Ok(Outcome {
        final_train,
        final_acc,
        step_to_99,
        steps,
    })
}

/// The mean score of `runs` (one per seed).
pub fn mean_score(dir: &Path, criterion: Criterion, runs: &[RunSpec]) -> anyhow::Result<f32> {
    let mut total = 0.0;
    for run in runs {
        total += criterion.score(&outcome(dir, run)?);
    }
    Ok(total / runs.len().max(1) as f32)
}
