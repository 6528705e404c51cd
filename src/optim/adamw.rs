//! AdamW's per-step constants (bias corrections) for the shared update kernel.

use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;

/// Fills AdamW fields of `base` for update number `t` (1-based).
pub(super) fn hyper(base: Hyper, c: &OptimizerConfig, t: u64) -> Hyper {
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
