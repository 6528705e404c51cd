//! IRE's timing, in one room: whether it acts at a step (its switch and its start step), how
//! much (kappa, with prog-decay), and when its mask is refreshed; and the live parameters that
//! may change all three while a run trains.

use super::IreConfig;
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// The live parameters: IRE's switch, its amplification kappa and its mask-refresh interval K.
/// They take effect from the next submitted step; everything else about a run (model,
/// optimizer, gamma, batch, schedule, probes) is built into its GPU plans.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveParams {
    /// IRE acts (from its start step on).
    pub ire_on: bool,
    /// Amplification of flat coordinates' steps.
    pub kappa: f32,
    /// Refresh the Fisher estimate and mask every this many steps.
    pub mask_every: usize,
}

impl LiveParams {
    /// What the UI says about which settings apply live.
    pub const HELP: &'static str =
        "IRE on/off, kappa and K apply live, from the next step; every other setting applies on Reset";

    /// The live parameters a run with IRE settings `ire` starts with.
    pub fn of(ire: &IreConfig) -> Self {
        Self {
            ire_on: ire.enabled,
            kappa: ire.kappa,
            mask_every: ire.mask_every,
        }
    }

    /// `ire` with these live parameters (the starting switch included).
    pub fn applied_to(&self, ire: &IreConfig) -> IreConfig {
        IreConfig {
            enabled: self.ire_on,
            kappa: self.kappa,
            mask_every: self.mask_every,
            ..ire.clone()
        }
    }

    /// Rejects values IRE cannot use (the rules of [`IreConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        IreConfig::check_kappa(self.kappa)?;
        IreConfig::check_mask_every(self.mask_every)
    }
}

/// What IRE does in one training step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IreStep {
    /// Amplification of flat coordinates' updates (0: the plain base step).
    pub kappa: f32,
    /// The Fisher estimate and the mask are refreshed before the step.
    pub refresh: bool,
}

/// When IRE acts and how much, for one run.
#[derive(Clone, Debug)]
pub struct IreTiming {
    /// The first step it may act at (the end of warm-up unless set).
    start: usize,
    /// The schedule's peak learning rate, which prog-decay scales kappa against.
    lr_max: f32,
    /// Kappa follows the learning rate down (the paper's prog-decay).
    prog_decay: bool,
    /// The step of the latest mask refresh while IRE acted (None: the next acting step
    /// refreshes).
    pub last_refresh: Option<usize>,
}

impl IreTiming {
    /// IRE's timing for settings `ire`, acting from step `start`, under a schedule peaking at
    /// `lr_max`.
    pub fn new(ire: &IreConfig, start: usize, lr_max: f32) -> Self {
        Self {
            start,
            lr_max,
            prog_decay: ire.prog_decay,
            last_refresh: None,
        }
    }

    /// Whether IRE acts at `step` under `live`.
    pub fn acts_at(&self, step: usize, live: &LiveParams) -> bool {
        live.ire_on && step >= self.start
    }

    /// What IRE does at `step`, whose learning rate is `lr`: its kappa, and whether the mask is
    /// refreshed first (the first acting step, then every K steps). Counts the refresh.
    pub fn plan_step(&mut self, step: usize, lr: f32, live: &LiveParams) -> IreStep {
        if !self.acts_at(step, live) {
            return IreStep {
                kappa: 0.0,
                refresh: false,
            };
        }
        let refresh = self
            .last_refresh
            .is_none_or(|r| step - r >= live.mask_every);
        if refresh {
            self.last_refresh = Some(step);
        }
        let kappa = if self.prog_decay && self.lr_max > 0.0 {
            live.kappa * lr / self.lr_max
        } else {
            live.kappa
        };
        IreStep { kappa, refresh }
    }

    /// IRE was switched on: its next acting step refreshes the mask.
    pub fn switched_on(&mut self) {
        self.last_refresh = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ire_acts_from_its_start_refreshing_every_k_steps() {
        let ire = IreConfig {
            prog_decay: true,
            ..IreConfig::default()
        };
        let mut timing = IreTiming::new(&ire, 3, 1.0);
        let mut live = LiveParams {
            ire_on: true,
            kappa: 4.0,
            mask_every: 2,
        };
        let steps: Vec<IreStep> = (0..7).map(|s| timing.plan_step(s, 0.5, &live)).collect();
        let refreshes: Vec<bool> = steps.iter().map(|s| s.refresh).collect();
        assert_eq!(refreshes, [false, false, false, true, false, true, false]);
        assert_eq!(steps[2].kappa, 0.0, "armed, not acting");
        assert_eq!(steps[3].kappa, 2.0, "prog-decay: kappa * lr / lr_max");
        live.ire_on = false;
        assert_eq!(timing.plan_step(7, 0.5, &live).kappa, 0.0);
        live.ire_on = true;
        timing.switched_on();
        assert!(
            timing.plan_step(8, 0.5, &live).refresh,
            "switching on refreshes at once"
        );
        let bad = LiveParams {
            kappa: -1.0,
            ..live
        };
        assert!(bad.validate().is_err());
    }
}
