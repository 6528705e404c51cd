//! What may change while a run trains. Everything else about a run (model, optimizer, gamma,
//! batch, schedule, probes) is built into its GPU plans and changes only with a new run.

use super::TrainConfig;
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// The live parameters: IRE's switch, its amplification kappa and its mask-refresh interval K.
/// They take effect from the next submitted step.
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

    /// The live parameters a run with `config` starts with.
    pub fn of(config: &TrainConfig) -> Self {
        Self {
            ire_on: config.ire.enabled,
            kappa: config.ire.kappa,
            mask_every: config.ire.mask_every,
        }
    }

    /// `config` with these live parameters (the starting switch included).
    pub fn applied_to(&self, config: &TrainConfig) -> TrainConfig {
        let mut c = config.clone();
        c.ire.enabled = self.ire_on;
        c.ire.kappa = self.kappa;
        c.ire.mask_every = self.mask_every;
        c
    }

    /// Rejects values IRE cannot use (the same rules as [`crate::optim::IreConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        self.applied_to(&TrainConfig::default()).ire.validate()
    }

    /// Whether going from `running` to `wanted` needs a new run: true when they differ in
    /// anything but the live parameters and the recorded switch steps.
    pub fn needs_new_run(running: &TrainConfig, wanted: &TrainConfig) -> bool {
        let mut a = Self::of(wanted).applied_to(running);
        a.ire.toggle_at.clone_from(&wanted.ire.toggle_at);
        a != *wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_structural_changes_need_a_new_run() {
        let running = TrainConfig::default();
        let mut wanted = running.clone();
        wanted.ire.kappa = 5.0;
        wanted.ire.mask_every = 3;
        wanted.ire.enabled = true;
        assert!(!LiveParams::needs_new_run(&running, &wanted));
        wanted.ire.gamma = 0.6;
        assert!(LiveParams::needs_new_run(&running, &wanted));
        let bad = LiveParams {
            ire_on: true,
            kappa: -1.0,
            mask_every: 1,
        };
        assert!(bad.validate().is_err());
    }
}
