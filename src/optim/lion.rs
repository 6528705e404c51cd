//! Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2): the sign
//! of an interpolation between momentum and gradient, with decoupled weight decay. Its steps all
//! have size `lr` per coordinate, so it takes a learning rate 3-10x smaller than AdamW's and a
//! weight decay as much larger (the authors' advice; here 3x), and `beta2 = 0.99`.

use super::descriptor::{Descriptor, FamilyDefaults, Passes};
use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;

/// Lion, described.
pub(super) const LION: Descriptor = Descriptor {
    name: "Lion",
    flag: "lion",
    menu: "Lion (sign of momentum)",
    ire_name: "Lion-IRE",
    experiment: "lion-vs-lionire",
    state: &["optimizer.state1"],
    entry: "lion",
    hyper,
    hyperparameters: &["beta1", "beta2"],
    passes: Passes::UpdateOnly,
    // AdamW's lr x decay per step (3e-3 x 0.1), at a third of its learning rate.
    weight_decay: 0.3,
    defaults,
    // 1e-3 trains `tiny` to 2.99 in 60 steps, 3e-4 to 3.62 (AdamW's 3e-3: 2.67); the
    // experiments sweep the grid.
    transformer: FamilyDefaults::new(1e-3, &[2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3]),
    resnet: FamilyDefaults::new(3e-4, &[1e-4, 3e-4, 1e-3]),
};

/// The authors' betas: (0.9, 0.99).
fn defaults(c: OptimizerConfig) -> OptimizerConfig {
    OptimizerConfig {
        beta1: 0.9,
        beta2: 0.99,
        ..c
    }
}

/// Fills Lion's fields of `base`: its two betas.
fn hyper(base: Hyper, c: &OptimizerConfig, _update: u64) -> Hyper {
    Hyper {
        beta1: c.beta1,
        beta2: c.beta2,
        ..base
    }
}
