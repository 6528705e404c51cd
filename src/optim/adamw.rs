//! AdamW (torch.optim.AdamW: decoupled weight decay, bias-corrected moments).

use super::descriptor::{Descriptor, FamilyDefaults, Passes};
use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;

/// AdamW, described.
pub(super) const ADAMW: Descriptor = Descriptor {
    name: "AdamW",
    flag: "adamw",
    menu: "AdamW",
    ire_name: "AdmIRE",
    experiment: "adamw-vs-admire",
    state: &["optimizer.state1", "optimizer.state2"],
    entry: "adamw",
    hyper,
    hyperparameters: &["beta1", "beta2", "eps"],
    passes: Passes::UpdateOnly,
    weight_decay: 0.1,
    defaults: super::descriptor::shared_defaults,
    transformer: FamilyDefaults::new(3e-3, &[1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2]),
    resnet: FamilyDefaults::new(3e-3, &[1e-3, 3e-3, 1e-2]),
};

/// Fills AdamW fields of `base` for update number `t` (1-based): its betas, epsilon and bias
/// corrections.
fn hyper(base: Hyper, c: &OptimizerConfig, t: u64) -> Hyper {
    let t = t.min(i32::MAX as u64) as i32;
    Hyper {
        beta1: c.beta1,
        beta2: c.beta2,
        eps: c.eps,
        bias_correction1: 1.0 - c.beta1.powi(t),
        bias_correction2_sqrt: (1.0 - c.beta2.powi(t)).sqrt(),
        ..base
    }
}
