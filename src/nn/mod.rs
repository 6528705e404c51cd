//! Layers. Each owns views of its parameters and gradients in the model's flat buffers, plus its
//! activation buffers, all allocated when the model is built; `forward` and `backward` return the
//! dispatches that compute them, side by side so each layer's maths is read in one place.

mod attention;
mod batch_norm;
mod conv;
mod embedding;
mod layer_norm;
mod linear;
mod mlp;
mod params;
mod residual_block;
mod swiglu;

pub use attention::CausalSelfAttention;
pub use batch_norm::BatchNorm2d;
pub use conv::{Conv2d, ConvScratch};
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use mlp::Mlp;
pub use params::{Init, ParamLayout, ParamSet, ParamSpec};
pub(crate) use residual_block::{Block, ConvBn, Gating, Relu};
pub use swiglu::SwiGlu;

use crate::gpu::{Dispatch, GpuContext, Tensor};

/// A transformer block's sub-layer (attention, a feed-forward network): `y = f(x)` over the
/// rows it was built for, and its backward pass.
pub trait Sublayer {
    /// The dispatches computing `y = f(x)`.
    fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Vec<Dispatch>;

    /// The dispatches computing the parameter gradients and `dx` from `dy` (the forward pass
    /// of the same plan has filled the activations).
    fn backward(&self, ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Vec<Dispatch>;
}
