//! SGD's per-step constants for the shared update kernel.

use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;

/// Fills SGD fields of `base`.
pub(super) fn hyper(base: Hyper, c: &OptimizerConfig) -> Hyper {
    Hyper {
        momentum: c.momentum,
        ..base
    }
}
