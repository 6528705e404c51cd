//! The trainer: a state machine advanced a step at a time by whoever drives it (the CLI's loop,
//! the UI's frame callback). Submitting a step never waits on the GPU; results arrive later
//! through the readback ring and are turned into [`Record`]s by [`Trainer::poll`].
//!
//! Its rooms: construction (`build.rs`: runs from a config or a checkpoint, and checkpoints),
//! submission (`submit.rs`: steps, evaluations, probes, each one queue submission), readout
//! (`readout.rs`: turning readbacks into records). This file holds the state and the live
//! controls.

mod analysis;
mod build;
mod readout;
mod state;
mod submit;

use super::task::{HostBatch, Task};
use super::{EventRecord, LiveParams, Record, TrainConfig};
use crate::error::Result;
use crate::gpu::{GpuContext, Plan, ReadbackRing};
use crate::models::Network;
use crate::optim::{Ire, LrSchedule, Optimizer, Sam};
use crate::probe::Sharpness;
use crate::rng::Rng;
pub use build::TaskData;
pub use state::PendingCheckpoint;
use std::collections::VecDeque;
use web_time::Instant;

/// Results in flight at most (steps, evaluations and probes together).
const RING_SLOTS: usize = 6;
/// Readbacks one step may cause (the step, an evaluation, a probe).
const MAX_PER_STEP: usize = 3;

enum Pending {
    Step {
        step: usize,
        lr: f32,
        ire_kappa: f32,
        events: Vec<EventRecord>,
        submitted: Instant,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: Option<wgpu::SubmissionIndex>,
    },
    Eval {
        step: usize,
        batches: usize,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: Option<wgpu::SubmissionIndex>,
    },
    Probe {
        step: usize,
        ire_active: bool,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        index: Option<wgpu::SubmissionIndex>,
    },
}

impl Pending {
    #[cfg(not(target_arch = "wasm32"))]
    fn index(&self) -> &Option<wgpu::SubmissionIndex> {
        match self {
            Pending::Step { index, .. }
            | Pending::Eval { index, .. }
            | Pending::Probe { index, .. } => index,
        }
    }
}

/// A training run: a transformer on a corpus, or a ResNet on images.
pub struct Trainer {
    ctx: GpuContext,
    /// The model being trained and its data.
    pub task: Task,
    optimizer: Optimizer,
    /// IRE state (Fisher estimate, mask, refresh plan); inactive unless switched on.
    pub ire: Ire,
    sam: Option<Sam>,
    sharpness: Option<Sharpness>,
    probe_batch: HostBatch,
    /// The configuration the run was built with. The live parameters start from it and may
    /// change since: [`Trainer::live`] has those in force, [`Trainer::current_config`] both.
    pub config: TrainConfig,
    live: LiveParams,
    schedule: LrSchedule,
    data_rng: Rng,
    next_step: usize,
    ring: ReadbackRing,
    pending: VecDeque<Pending>,
    last_completion: Option<Instant>,
    /// Everything recorded so far, in order.
    pub history: Vec<Record>,
    queued_events: Vec<EventRecord>,
    diverged_at: Option<usize>,
    analysis: Option<analysis::AnalysisJob>,
}

impl Trainer {
    /// The model (for its parameters, plans and buffers).
    pub fn network(&self) -> &dyn Network {
        self.task.network()
    }

    /// Steps submitted so far (including any resumed from a checkpoint).
    pub fn steps_submitted(&self) -> usize {
        self.next_step
    }

    /// Whether another step may be submitted now without waiting.
    pub fn can_submit(&self) -> bool {
        self.next_step < self.config.steps
            && self.diverged_at.is_none()
            && self.analysis.is_none()
            && self.ring.in_flight() + MAX_PER_STEP <= RING_SLOTS
    }

    /// Submissions whose results have not been polled yet (0: the run is between steps, and a
    /// checkpoint may be taken).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Whether every step has been submitted and every result has arrived.
    pub fn is_finished(&self) -> bool {
        (self.next_step >= self.config.steps || self.diverged_at.is_some())
            && self.pending.is_empty()
    }

    /// The step at which a NaN/Inf loss or gradient was seen, if any.
    pub fn diverged_at(&self) -> Option<usize> {
        self.diverged_at
    }

    /// The sharpness probe plan, when probes are on (benchmarks time it on its own).
    pub fn sharpness_plan(&self) -> Option<&Plan> {
        self.sharpness.as_ref().map(Sharpness::plan)
    }

    /// Whether IRE is switched on for the next step.
    pub fn ire_enabled(&self) -> bool {
        self.live.ire_on
    }

    /// The live parameters now in force (see [`LiveParams`]).
    pub fn live(&self) -> LiveParams {
        self.live
    }

    /// The run's configuration with the live kappa and K in force now (what a checkpoint
    /// records; the switch's state is in the checkpoint's host state, and `ire.enabled` and
    /// `ire.toggle_at` keep saying how the run started and its scheduled switches).
    pub fn current_config(&self) -> TrainConfig {
        let mut config = self.config.clone();
        config.ire.kappa = self.live.kappa;
        config.ire.mask_every = self.live.mask_every;
        config
    }

    /// The one door for live changes, from the next step on: the IRE switch (an
    /// `ire_on`/`ire_off` event; switching on refreshes the mask at once) and kappa and K (an
    /// `ire_params` event). Events are recorded with the next step's result. Gamma and
    /// everything structural are built into the run's plans and change only with a new run.
    pub fn set_live(&mut self, live: LiveParams) -> Result<()> {
        live.validate()?;
        if (live.kappa, live.mask_every) != (self.live.kappa, self.live.mask_every) {
            self.queued_events.push(EventRecord {
                step: self.next_step,
                event: format!(
                    "ire_params kappa={} mask_every={}",
                    live.kappa, live.mask_every
                ),
            });
        }
        if live.ire_on != self.live.ire_on {
            self.queued_events.push(EventRecord {
                step: self.next_step,
                event: if live.ire_on { "ire_on" } else { "ire_off" }.into(),
            });
            if live.ire_on {
                self.ire.timing.switched_on();
            }
        }
        self.live = live;
        Ok(())
    }
}
