//! What the rest of the playground knows about a base optimizer, in one record per optimizer:
//! its names, the state it keeps, its update kernel and per-step constants, the hyperparameters
//! it reads, and its defaults per model family. The CLI, the app's menu, the recipes, the
//! experiment grids and checkpoints all read it from [`super::OptimizerKind::descriptor`].

use super::OptimizerConfig;
use crate::kernels::optimizer::Hyper;
use crate::models::Family;

/// One base optimizer, described.
#[derive(Debug)]
pub struct Descriptor {
    /// As people write it: "AdamW".
    pub name: &'static str,
    /// On the command line and in settings files: "adamw".
    pub flag: &'static str,
    /// In the app's optimizer menu: what it is, briefly.
    pub menu: &'static str,
    /// Its IRE variant's name (the paper's "AdmIRE" for AdamW).
    pub ire_name: &'static str,
    /// The `experiment` comparing it with its IRE variant on a transformer.
    pub experiment: &'static str,
    /// The per-coordinate state it keeps from step to step, by checkpoint name (at most two
    /// buffers: the update kernel binds two).
    pub state: &'static [&'static str],
    /// Its update's entry point in shaders/optimizer.wgsl.
    pub entry: &'static str,
    /// Fills its fields of this step's uniform block from the configuration and the 1-based
    /// update count.
    pub hyper: fn(Hyper, &OptimizerConfig, u64) -> Hyper,
    /// The hyperparameters of [`OptimizerConfig`] beyond lr and weight decay that it reads,
    /// by field name (a flag that sets another is refused).
    pub hyperparameters: &'static [&'static str],
    /// What a step runs besides the gradient and the update kernel.
    pub passes: Passes,
    /// Its weight decay in the recipes.
    pub weight_decay: f32,
    /// Its own defaults of the hyperparameters several optimizers share (Lion's beta2 0.99,
    /// Muon's momentum 0.95), applied by the recipes.
    pub defaults: fn(OptimizerConfig) -> OptimizerConfig,
    /// Its defaults on transformers.
    pub transformer: FamilyDefaults,
    /// Its defaults on ResNets.
    pub resnet: FamilyDefaults,
}

/// What an optimizer's step runs besides the gradient and its update kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passes {
    /// Nothing else (AdamW, SGD, Lion).
    UpdateOnly,
    /// First an ascent to the sharpest nearby point and a second gradient there (SAM).
    AscentFirst,
    /// A momentum pass, then each hidden matrix's update orthogonalised by Newton-Schulz
    /// iterations, then the update kernel (Muon).
    Orthogonalise,
}

/// An optimizer's defaults on one model family.
#[derive(Debug)]
pub struct FamilyDefaults {
    /// The recipe's peak learning rate.
    pub peak_lr: f32,
    /// The learning rates an experiment sweeps when none are given.
    pub lr_grid: &'static [f32],
}

/// Keeps the shared defaults of [`OptimizerConfig`] (for [`Descriptor::defaults`]).
pub(super) fn shared_defaults(c: OptimizerConfig) -> OptimizerConfig {
    c
}

impl FamilyDefaults {
    /// Peak learning rate `peak_lr`, and `lr_grid` for the experiments' sweeps.
    pub const fn new(peak_lr: f32, lr_grid: &'static [f32]) -> Self {
        Self { peak_lr, lr_grid }
    }
}

impl Descriptor {
    /// Its defaults on `family`.
    pub fn on(&self, family: Family) -> &FamilyDefaults {
        match family {
            Family::Transformer => &self.transformer,
            Family::ResNet => &self.resnet,
        }
    }

    /// Whether it reads the hyperparameter `field` of [`OptimizerConfig`].
    pub fn reads(&self, field: &str) -> bool {
        self.hyperparameters.contains(&field)
    }
}
