//! Reading results back: every readback that has arrived becomes a [`Record`] (step,
//! evaluation, probe; events queued with the step they precede), without blocking.

use super::{Pending, Trainer};
use crate::error::{Error, Result};
use crate::kernels::slot;
use crate::train::{EvalRecord, ProbeRecord, Record, StepRecord};
use web_time::Instant;

impl Trainer {
    fn probe_record(&self, step: usize, ire_active: bool, values: &[f32]) -> ProbeRecord {
        let tensors = self.ire.tensor_names.len();
        let masks = &values[slot::per_tensor::mask_counts(tensors)..][..tensors];
        let below = &values[slot::per_tensor::below_counts(tensors)..][..tensors];
        let flat_fraction_by_tensor = self
            .ire
            .tensor_names
            .iter()
            .zip(&self.ire.tensor_sizes)
            .zip(masks)
            .map(|((name, &size), &count)| (name.clone(), count / size as f32))
            .collect();
        let sharpness = self.sharpness.as_ref().map(|s| s.config);
        let power = sharpness.filter(|c| c.power_iters > 0);
        ProbeRecord {
            step,
            lambda_max: power.map(|_| values[slot::LAMBDA_MAX]),
            lambda_residual: power.map(|_| {
                crate::probe::power_residual(values[slot::LAMBDA_MAX], values[slot::DOT2])
            }),
            trace: sharpness
                .filter(|c| c.hutchinson_samples > 0)
                .map(|_| values[slot::TRACE]),
            weight_norm: sharpness.map(|_| values[slot::WEIGHT_SQ].sqrt()),
            fisher_trace: values[slot::FISHER_SUM],
            flat_count: masks.iter().map(|&c| c as u64).sum(),
            flat_fraction_by_tensor,
            below_eps_count: below.iter().map(|&c| c as u64).sum(),
            ire_active,
        }
    }

    /// Collects every result that has arrived (never blocks). A NaN/Inf loss or gradient stops
    /// the run with [`Error::NonFinite`]; the weights keep their last finite values because the
    /// GPU skips such updates. On an error the records that arrived with it are in
    /// [`Trainer::history`]; [`Trainer::poll_with_outcome`] returns them together.
    pub fn poll(&mut self) -> Result<Vec<Record>> {
        let (records, outcome) = self.poll_with_outcome();
        outcome.map(|()| records)
    }

    /// Like [`Trainer::poll`], but the records that arrived are returned whatever the outcome
    /// (the records of the diverged step itself come with [`Error::NonFinite`]).
    pub fn poll_with_outcome(&mut self) -> (Vec<Record>, Result<()>) {
        match self.collect_arrived() {
            Ok(out) => {
                let outcome = match self.diverged_at {
                    Some(step) if self.pending.is_empty() || !out.is_empty() => {
                        Err(Error::NonFinite { step })
                    }
                    _ => Ok(()),
                };
                (out, outcome)
            }
            Err(e) => (Vec::new(), Err(e)),
        }
    }

    fn collect_arrived(&mut self) -> Result<Vec<Record>> {
        self.ctx.check_healthy()?;
        let results = self.ring.drain(&self.ctx)?;
        let now = Instant::now();
        // Steps whose results arrive together share the time since the previous arrival (or
        // since the first of them was submitted, if the GPU was idle in between): exact on
        // average, and independent of how often the driver polls.
        let steps_arrived = self
            .pending
            .iter()
            .take(results.len())
            .filter(|p| matches!(p, Pending::Step { .. }))
            .count()
            .max(1);
        let first_submit = self
            .pending
            .iter()
            .take(results.len())
            .find_map(|p| match p {
                Pending::Step { submitted, .. } => Some(*submitted),
                _ => None,
            });
        let since = match (self.last_completion, first_submit) {
            (Some(last), Some(sub)) => last.max(sub),
            (None, Some(sub)) => sub,
            (Some(last), None) => last,
            (None, None) => now,
        };
        let ms_each = now.duration_since(since).as_secs_f64() * 1e3 / steps_arrived as f64;
        let mut out = Vec::new();
        for (_, values) in results {
            let pending = self
                .pending
                .pop_front()
                .expect("a pending entry per readback");
            let record = match pending {
                Pending::Step {
                    step,
                    lr,
                    ire_kappa,
                    events,
                    ..
                } => {
                    for e in events {
                        self.history.push(Record::Event(e.clone()));
                        out.push(Record::Event(e));
                    }
                    if values[slot::NONFINITE] != 0.0 && self.diverged_at.is_none() {
                        self.diverged_at = Some(step);
                    }
                    // SAM's second pass overwrites LOSS with the loss at the perturbed point.
                    let loss_slot = if self.sam.is_some() {
                        slot::SAM_LOSS
                    } else {
                        slot::LOSS
                    };
                    Record::Step(StepRecord {
                        step,
                        loss: values[loss_slot],
                        lr,
                        ms: ms_each,
                        grad_norm: values[slot::GRAD_NORM],
                        ire_kappa,
                        acc: self
                            .task
                            .has_accuracy()
                            .then(|| values[slot::TRAIN_CORRECT]),
                    })
                }
                Pending::Probe {
                    step, ire_active, ..
                } => Record::Probe(self.probe_record(step, ire_active, &values)),
                Pending::Eval { step, batches, .. } => Record::Eval(EvalRecord {
                    step,
                    val_loss: values[slot::EVAL_LOSS] / batches as f32,
                    val_acc: self
                        .task
                        .has_accuracy()
                        .then(|| values[slot::EVAL_CORRECT] / batches as f32),
                }),
            };
            self.history.push(record.clone());
            out.push(record);
        }
        if !out.is_empty() {
            self.last_completion = Some(now);
        }
        Ok(out)
    }

    /// Blocks until the oldest pending result is ready (native drivers only; the web polls).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_for_oldest(&self) {
        let Some(index) = self.pending.front().map(|p| p.index().clone()) else {
            return;
        };
        self.ctx.wait_for(index);
    }
}
