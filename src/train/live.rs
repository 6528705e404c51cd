//! Which changes of a run's settings the running run can take ([`crate::optim::LiveParams`]:
//! IRE's switch, kappa and K) and which need a new run (everything built into its GPU plans:
//! model, optimizer, gamma, batch, schedule, probes).

use super::TrainConfig;
use crate::optim::LiveParams;

impl TrainConfig {
    /// Whether going from this running configuration to `wanted` needs a new run: true when
    /// they differ in anything but the live parameters and the recorded switch steps.
    pub fn needs_new_run(&self, wanted: &TrainConfig) -> bool {
        let mut a = self.clone();
        a.ire = LiveParams::of(&wanted.ire).applied_to(&self.ire);
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
        assert!(!running.needs_new_run(&wanted));
        wanted.ire.gamma = 0.6;
        assert!(running.needs_new_run(&wanted));
    }
}
