//! A run's records turned into plot-ready series as they arrive, so drawing a frame never walks
//! the whole history.

use crate::train::Record;

/// One point: x = step, y = value.
pub type Point = [f64; 2];

/// Plot series of one run.
#[derive(Default)]
pub struct Series {
    /// Training loss per step.
    pub loss: Vec<Point>,
    /// The training batch's accuracy (%) per step (image models, tasks).
    pub train_acc: Vec<Point>,
    /// Validation loss per evaluation.
    pub val_loss: Vec<Point>,
    /// Held-out accuracy (%) per evaluation (image models, tasks).
    pub val_acc: Vec<Point>,
    /// Learning rate per step.
    pub lr: Vec<Point>,
    /// Top Hessian eigenvalue per probe.
    pub lambda_max: Vec<Point>,
    /// Power iteration's residual bound per probe (an eigenvalue lies within it of `lambda_max`).
    pub lambda_residual: Vec<Point>,
    /// Hutchinson Hessian trace per probe.
    pub trace: Vec<Point>,
    /// L2 norm of all the weights per probe.
    pub weight_norm: Vec<Point>,
    /// Trace of the diagonal Fisher estimate per probe.
    pub fisher_trace: Vec<Point>,
    /// Coordinates IRE marks as flat per probe.
    pub flat_count: Vec<Point>,
    /// Coordinates whose Fisher value is below `eps_rel * mean` per probe (flat by threshold).
    pub below_eps: Vec<Point>,
    /// Training steps per second (smoothed) per step.
    pub steps_per_s: Vec<Point>,
    /// Training tokens (or, for an image model, images) per second (smoothed) per step.
    pub tokens_per_s: Vec<Point>,
    /// The run trains an image model: its throughput counts images, not tokens.
    pub images: bool,
    /// IRE switches and parameter changes: step and event name.
    pub events: Vec<(f64, String)>,
    /// Parameter tensor names (heatmap rows).
    pub tensor_names: Vec<String>,
    /// Flat fraction per tensor (in `tensor_names` order) at each probe's step.
    pub flat_fractions: Vec<(f64, Vec<f32>)>,
    /// The latest step and the IRE amplification it applied (0 while IRE is off).
    pub last_kappa: Option<(f64, f64)>,
    smoothed_ms: Option<f64>,
}

impl Series {
    /// An empty series; `images` when its run trains an image model (throughput in images).
    pub fn of_images(images: bool) -> Self {
        Self {
            images,
            ..Default::default()
        }
    }

    /// Adds one record; `tokens_per_step` converts step rates to token rates.
    pub fn push(&mut self, record: &Record, tokens_per_step: f64) {
        match record {
            Record::Step(s) => {
                let x = s.step as f64;
                self.loss.push([x, s.loss as f64]);
                self.lr.push([x, s.lr as f64]);
                if let Some(acc) = s.acc {
                    self.train_acc.push([x, acc as f64 * 100.0]);
                }
                self.last_kappa = Some((x, s.ire_kappa as f64));
                if s.ms > 0.0 {
                    // An exponential average: single-step timings jitter with the frame clock.
                    let ms = match self.smoothed_ms {
                        Some(prev) => 0.9 * prev + 0.1 * s.ms,
                        None => s.ms,
                    };
                    self.smoothed_ms = Some(ms);
                    self.steps_per_s.push([x, 1e3 / ms]);
                    self.tokens_per_s.push([x, 1e3 / ms * tokens_per_step]);
                }
            }
            Record::Eval(e) => {
                self.val_loss.push([e.step as f64, e.val_loss as f64]);
                if let Some(acc) = e.val_acc {
                    self.val_acc.push([e.step as f64, acc as f64 * 100.0]);
                }
            }
            Record::Probe(p) => {
                let x = p.step as f64;
                if let Some(l) = p.lambda_max {
                    self.lambda_max.push([x, l as f64]);
                    if let Some(r) = p.lambda_residual {
                        self.lambda_residual.push([x, r as f64]);
                    }
                }
                if let Some(t) = p.trace {
                    self.trace.push([x, t as f64]);
                }
                if let Some(w) = p.weight_norm {
                    self.weight_norm.push([x, w as f64]);
                }
                self.fisher_trace.push([x, p.fisher_trace as f64]);
                self.flat_count.push([x, p.flat_count as f64]);
                self.below_eps.push([x, p.below_eps_count as f64]);
                if self.tensor_names.is_empty() {
                    self.tensor_names = p.flat_fraction_by_tensor.keys().cloned().collect();
                }
                let row = self
                    .tensor_names
                    .iter()
                    .map(|n| p.flat_fraction_by_tensor.get(n).copied().unwrap_or(0.0))
                    .collect();
                self.flat_fractions.push((x, row));
            }
            Record::Event(e) => self.events.push((e.step as f64, e.event.clone())),
        }
    }

    /// The step the run has reached: its last loss point (a run continued from a checkpoint
    /// without its log starts there, not at step 1).
    pub fn steps_reached(&self) -> usize {
        self.loss.last().map_or(0, |p| p[0] as usize)
    }

    /// Mean training loss of the first and of the last `n` steps shown (None: fewer than `2n`).
    pub fn loss_first_last(&self, n: usize) -> Option<(f64, f64)> {
        if self.loss.len() < 2 * n.max(1) {
            return None;
        }
        let mean = |p: &[Point]| p.iter().map(|p| p[1]).sum::<f64>() / p.len() as f64;
        let n = n.max(1);
        Some((
            mean(&self.loss[..n]),
            mean(&self.loss[self.loss.len() - n..]),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EventRecord, ProbeRecord, StepRecord};

    fn step(step: usize, loss: f32, ms: f64) -> Record {
        Record::Step(StepRecord {
            step,
            loss,
            lr: 1e-3,
            ms,
            grad_norm: 1.0,
            ire_kappa: 0.0,
            acc: None,
        })
    }

    #[test]
    fn rates_losses_events_and_heatmap_rows() {
        let mut s = Series::default();
        s.push(&step(1, 4.0, 100.0), 64.0);
        s.push(&step(2, 3.0, 100.0), 64.0);
        s.push(
            &Record::Event(EventRecord {
                step: 2,
                event: "ire_on".into(),
            }),
            64.0,
        );
        let mut probe = ProbeRecord {
            step: 2,
            lambda_max: Some(0.5),
            lambda_residual: Some(0.125),
            trace: None,
            weight_norm: Some(7.0),
            fisher_trace: 1.0,
            flat_count: 10,
            flat_fraction_by_tensor: Default::default(),
            below_eps_count: 0,
            ire_active: true,
        };
        probe.flat_fraction_by_tensor.insert("a".into(), 0.25);
        probe.flat_fraction_by_tensor.insert("b".into(), 0.75);
        s.push(&Record::Probe(probe), 64.0);
        assert_eq!(s.steps_per_s.last().unwrap()[1], 10.0);
        assert_eq!(s.tokens_per_s.last().unwrap()[1], 640.0);
        assert_eq!(s.loss_first_last(1), Some((4.0, 3.0)));
        assert_eq!(s.events, vec![(2.0, "ire_on".to_string())]);
        assert_eq!(s.tensor_names, vec!["a", "b"]);
        assert_eq!(s.flat_fractions[0].1, vec![0.25, 0.75]);
        assert!(s.trace.is_empty());
        assert_eq!(s.lambda_residual, vec![[2.0, 0.125]]);
        assert_eq!(s.weight_norm, vec![[2.0, 7.0]]);
    }
}
