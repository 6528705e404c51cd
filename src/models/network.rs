//! What the optimizers, IRE, SAM and the probes need from a model, so that they work on any
//! classifier the engine builds (the transformer predicts a character per position, the ResNet
//! a class per image).

use super::ClassifierHead;
use crate::gpu::{GpuContext, Plan};
use crate::nn::ParamSet;

/// A model with prebuilt plans over its flat parameter buffer.
pub trait Network {
    /// Parameters and gradients.
    fn params(&self) -> &ParamSet;
    /// The classifier head: logits, targets, losses, reduction scratch and the scalars shared
    /// with the reductions, the optimizer and the probes (`kernels::slot`).
    fn head(&self) -> &ClassifierHead;
    /// Forward, loss, backward and gradient norm of a training step (updates any running
    /// statistics).
    fn train_plan(&self) -> &Plan;
    /// The same computation without side effects on running statistics: for SAM's second pass
    /// and the probes, which must not count as extra training batches.
    fn aux_train_plan(&self) -> &Plan;
    /// Forward to logits in training mode, without side effects (IRE's Fisher pass).
    fn forward_plan(&self) -> &Plan;
    /// Backward from `dlogits` to every parameter gradient.
    fn backward_plan(&self) -> &Plan;
    /// Forward in evaluation mode and the loss (and accuracy, for classifiers of images) added
    /// to the evaluation slots.
    fn eval_plan(&self) -> &Plan;
    /// What the sharpness probes run once at the current weights before differentiating:
    /// networks with ReLUs record their activation pattern here. None for smooth networks.
    fn curvature_anchor_plan(&self) -> Option<&Plan> {
        None
    }
    /// The training computation the probes' finite differences use (no side effects). For
    /// smooth networks the auxiliary plan; networks with ReLUs hold the pattern recorded by
    /// [`Network::curvature_anchor_plan`] fixed, so that the loss is smooth around the weights
    /// and the differences see the Hessian autograd sees (across ReLU kinks they do not).
    fn curvature_train_plan(&self) -> &Plan {
        self.aux_train_plan()
    }
    /// Replaces all parameters with `flat` (laid out as `params().arena`).
    fn load_flat(&self, ctx: &GpuContext, flat: &[f32]) {
        self.params().params.write(ctx, flat);
    }
}

/// Implements [`Network`] for a model struct whose parameters, head and plans are fields named
/// like the trait's methods (`params`, `head`, `train_plan`, ..., `eval_plan`); `aux` names the
/// side-effect-free training plan, and `curvature` (optional) the probes' anchor and
/// fixed-pattern plans.
macro_rules! impl_network {
    ($model:ty, aux: $aux:ident $(, curvature: $anchor:ident, $curv:ident)?) => {
        impl $crate::models::Network for $model {
            $(
                fn curvature_anchor_plan(&self) -> Option<&$crate::gpu::Plan> {
                    Some(&self.$anchor)
                }
                fn curvature_train_plan(&self) -> &$crate::gpu::Plan {
                    &self.$curv
                }
            )?
            fn params(&self) -> &$crate::nn::ParamSet {
                &self.params
            }
            fn head(&self) -> &$crate::models::ClassifierHead {
                &self.head
            }
            fn train_plan(&self) -> &$crate::gpu::Plan {
                &self.train_plan
            }
            fn aux_train_plan(&self) -> &$crate::gpu::Plan {
                &self.$aux
            }
            fn forward_plan(&self) -> &$crate::gpu::Plan {
                &self.forward_plan
            }
            fn backward_plan(&self) -> &$crate::gpu::Plan {
                &self.backward_plan
            }
            fn eval_plan(&self) -> &$crate::gpu::Plan {
                &self.eval_plan
            }
        }
    };
}
pub(crate) use impl_network;
