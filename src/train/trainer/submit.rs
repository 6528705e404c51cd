//! Submitting work: a training step (forward, backward, clipping, update, and IRE's refresh
//! when due), an evaluation or the probes, each recorded into one command buffer and submitted
//! once. Nothing here waits on the GPU.

use super::{Pending, Trainer, RING_SLOTS};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, ReadbackRing};
use crate::kernels::slot;
use crate::optim::LiveParams;
use web_time::Instant;

impl Trainer {
    /// Submits one training step (forward, backward, clipping, update, and IRE's Fisher refresh
    /// when one is due) as a single submission, then an evaluation and probes when due.
    /// Never waits on the GPU.
    pub fn submit_step(&mut self) -> Result<()> {
        if !self.can_submit() {
            return Err(Error::NotReady(
                "no step can be submitted now (finished, diverged, or results pending)".into(),
            ));
        }
        let step = self.next_step;
        if step > 0 && self.config.ire.toggle_at.contains(&step) {
            let flipped = LiveParams {
                ire_on: !self.live.ire_on,
                ..self.live
            };
            self.set_live(flipped)?;
        }
        let events = std::mem::take(&mut self.queued_events);
        let batch = self.task.train_batch(&mut self.data_rng)?;
        self.task.upload(&self.ctx, &batch)?;
        let lr = self.schedule.at(step);
        let ire = self.ire.plan_step(step, lr, &self.live);
        let ire_kappa = ire.kappa;
        self.optimizer.prepare_step(&self.ctx, lr, ire_kappa);
        let mut plans = Vec::with_capacity(3);
        if ire.refresh {
            self.ire.prepare_refresh(&self.ctx, false);
            plans.push(self.ire.refresh_plan());
        }
        plans.push(match &self.sam {
            Some(sam) => sam.plan(),
            None => self.task.network().train_plan(),
        });
        plans.push(self.optimizer.plan());
        let readback = Some((&mut self.ring, &self.task.network().head().scalars));
        let (slot, index) = submit_plans(&self.ctx, &plans, readback);
        let pending = Pending::Step {
            step: step + 1,
            lr,
            ire_kappa,
            events,
            submitted: Instant::now(),
            index,
        };
        self.track(slot, step, pending);
        self.next_step += 1;
        let done = self.next_step;
        let every = self.config.eval_every;
        if done == self.config.steps || (every > 0 && done.is_multiple_of(every)) {
            self.submit_eval(self.config.eval_batches)?;
        }
        let probe_every = self.config.probe_every;
        if probe_every > 0 && done.is_multiple_of(probe_every) {
            self.submit_probe()?;
        }
        Ok(())
    }

    /// Submits the probes on the fixed probe batch: Fisher statistics and flat-direction counts.
    /// While IRE acts, they are those of its latest mask refresh (probes never change training);
    /// otherwise a refresh computes them now (the mask is not applied).
    pub fn submit_probe(&mut self) -> Result<()> {
        self.check_ring_room()?;
        let last_step = self.next_step.saturating_sub(1);
        let ire_active = self.ire.timing.acts_at(last_step, &self.live);
        let mut plans = Vec::new();
        self.task.upload(&self.ctx, &self.probe_batch)?;
        if !ire_active {
            self.ire.prepare_refresh(&self.ctx, true);
            plans.push(self.ire.refresh_plan());
        }
        if let Some(sharpness) = &self.sharpness {
            plans.push(sharpness.plan());
        }
        let readback = Some((&mut self.ring, &self.task.network().head().scalars));
        let (slot, index) = submit_plans(&self.ctx, &plans, readback);
        let step = self.next_step;
        self.track(
            slot,
            step,
            Pending::Probe {
                step,
                ire_active,
                index,
            },
        );
        Ok(())
    }

    /// Submits an evaluation over the first `batches` fixed validation batches; its record arrives
    /// through [`Trainer::poll`].
    pub fn submit_eval(&mut self, batches: usize) -> Result<()> {
        self.check_ring_room()?;
        let scalars = &self.task.network().head().scalars;
        for s in [slot::EVAL_LOSS, slot::EVAL_CORRECT] {
            self.ctx.write_buffer(
                &scalars.buffer,
                scalars.offset + (s * 4) as u64,
                bytemuck::cast_slice(&[0f32]),
            );
        }
        let mut last = None;
        for j in 0..batches {
            let batch = self.task.eval_batch(j)?;
            self.task.upload(&self.ctx, &batch)?;
            let network = self.task.network();
            let readback = (j + 1 == batches).then_some((&mut self.ring, &network.head().scalars));
            last = Some(submit_plans(&self.ctx, &[network.eval_plan()], readback));
        }
        let (slot, index) =
            last.ok_or_else(|| Error::InvalidConfig("evaluation needs at least one batch".into()))?;
        let step = self.next_step;
        self.track(
            slot,
            step,
            Pending::Eval {
                step,
                batches,
                index,
            },
        );
        Ok(())
    }

    /// Refuses a submission when the readback ring is full.
    fn check_ring_room(&self) -> Result<()> {
        if self.ring.in_flight() >= RING_SLOTS {
            return Err(Error::NotReady(
                "too many results pending; poll first".into(),
            ));
        }
        Ok(())
    }

    /// Remembers a submission whose readback went into ring `slot`, tagged with `step`.
    fn track(&mut self, slot: Option<usize>, step: usize, pending: Pending) {
        self.ring.submitted(
            &self.ctx,
            slot.expect("a readback was recorded"),
            step as u64,
        );
        self.pending.push_back(pending);
    }
}

/// Records `plans` in order, optionally followed by a copy of `scalars` into the
/// readback ring, and submits them as one command buffer.
pub(super) fn submit_plans(
    ctx: &GpuContext,
    plans: &[&Plan],
    readback: Option<(&mut ReadbackRing, &crate::gpu::Tensor)>,
) -> (Option<usize>, Option<wgpu::SubmissionIndex>) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    for plan in plans {
        plan.record(&mut encoder);
    }
    let slot = readback.map(|(ring, scalars)| ring.record_copy(&mut encoder, scalars));
    let index = ctx.submit(encoder.finish());
    (slot, index)
}
