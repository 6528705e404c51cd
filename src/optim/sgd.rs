//! SGD with momentum (torch.optim.SGD: coupled weight decay), also SAM's base.

use super::descriptor::{Descriptor, FamilyDefaults, Passes};
use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;

/// SGD with momentum, described.
pub(super) const SGD: Descriptor = Descriptor {
    name: "SGD",
    flag: "sgd",
    menu: "SGD (momentum)",
    ire_name: "SGD-IRE",
    experiment: "sgd-vs-sgdire",
    state: &["optimizer.state1"],
    entry: "sgd",
    hyper,
    hyperparameters: &["momentum"],
    passes: Passes::UpdateOnly,
    weight_decay: 5e-4,
    defaults: super::descriptor::shared_defaults,
    transformer: FamilyDefaults::new(0.3, &[0.25, 0.5, 1.0, 2.0]),
    resnet: FamilyDefaults::new(0.1, &[0.05, 0.1, 0.2]),
};

/// Fills SGD fields of `base`: its momentum.
fn hyper(base: Hyper, c: &OptimizerConfig, _update: u64) -> Hyper {
    Hyper {
        momentum: c.momentum,
        ..base
    }
}
