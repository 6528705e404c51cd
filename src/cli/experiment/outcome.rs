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

    /// Whether the run has finished (or diverged, which is a result too).
    pub fn is_done(&self, dir: &Path) -> bool {
        self.done_marker(dir).exists()
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
}

/// How the best learning rate of a sweep is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// Lowest mean final training loss (language models: the quantity the paper's speed-ups
    /// are measured in).
    TrainLoss,
    /// Highest mean final test accuracy (image classifiers: the paper's claim).
    Accuracy,
}

impl Criterion {
    /// A score to minimise.
    pub fn score(self, o: &Outcome) -> f32 {
        match self {
            Self::TrainLoss => o.final_train,
            Self::Accuracy if o.final_train.is_finite() => -o.final_acc,
            Self::Accuracy => f32::INFINITY,
        }
    }
}

/// Reads run `spec`'s outcome from its log.
pub fn outcome(dir: &Path, spec: &RunSpec) -> anyhow::Result<Outcome> {
    let path = spec.log(dir);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let mut losses = Vec::new();
    let mut final_acc = 0.0;
    for record in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Record>(l).ok())
    {
        match record {
            Record::Step(s) => losses.push(s.loss),
            Record::Eval(e) => final_acc = e.val_acc.unwrap_or(0.0),
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
