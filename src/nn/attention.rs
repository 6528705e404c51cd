//! Causal multi-head self-attention: packed qkv projection, optional rotary position embeddings
//! on q and k (Llama), attention, output projection.

use super::{Linear, ParamSet, ParamSpec, Sublayer};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::attention::{self, AttentionShape};
use crate::kernels::attention_fused::{self, FusedTexels};
use crate::kernels::rope::{self, RopeShape};

/// Self-attention block (`{prefix}.qkv`, `{prefix}.proj`).
pub struct CausalSelfAttention {
    rotary: Option<RopeShape>,
    qkv: Linear,
    proj: Linear,
    shape: AttentionShape,
    rows: usize,
    qkv_out: Tensor,
    heads_out: Tensor,
    d_heads_out: Tensor,
    dqkv: Tensor,
    kernels: Kernels,
}

/// Which attention kernels the adapter runs, with the scratch each needs.
enum Kernels {
    /// Fused kernels (CPU adapters with 8-lane subgroups), with their texel copies.
    Fused(Box<FusedTexels>),
    /// Kernels that store the `[B, H, T, T]` probabilities and their gradient.
    Stored { probs: Tensor, dscores: Tensor },
}

impl Kernels {
    fn new(ctx: &GpuContext, shape: AttentionShape) -> Self {
        if let Some(texels) = FusedTexels::new(ctx, shape) {
            return Self::Fused(Box::new(texels));
        }
        Self::Stored {
            probs: Tensor::zeros(ctx, "attention probs", shape.probs_len()),
            dscores: Tensor::zeros(ctx, "d attention scores", shape.probs_len()),
        }
    }
}

impl CausalSelfAttention {
    /// Declarations (with or without biases); the output projection uses GPT-2's residual-scaled
    /// init `proj_std`.
    pub fn specs(prefix: &str, dim: usize, std: f32, proj_std: f32, bias: bool) -> Vec<ParamSpec> {
        let layers = [("qkv", dim, 3 * dim, std), ("proj", dim, dim, proj_std)];
        Linear::group_specs(prefix, bias, &layers)
    }

    /// Binds parameters and allocates activations for `shape`; `llama` drops the biases and
    /// rotates q and k by their positions.
    pub fn new(
        ctx: &GpuContext,
        params: &ParamSet,
        prefix: &str,
        shape: AttentionShape,
        llama: bool,
    ) -> Self {
        let dim = shape.heads * shape.head_dim;
        let rows = shape.batch * shape.seq;
        let bias = !llama;
        Self {
            rotary: llama.then_some(RopeShape {
                rows,
                seq: shape.seq,
                heads: shape.heads,
                head_dim: shape.head_dim,
            }),
            qkv: Linear::new(params, &format!("{prefix}.qkv"), dim, 3 * dim, bias),
            proj: Linear::new(params, &format!("{prefix}.proj"), dim, dim, bias),
            shape,
            rows,
            qkv_out: Tensor::zeros(ctx, "qkv", rows * 3 * dim),
            heads_out: Tensor::zeros(ctx, "attention heads", rows * dim),
            d_heads_out: Tensor::zeros(ctx, "d attention heads", rows * dim),
            dqkv: Tensor::zeros(ctx, "dqkv", rows * 3 * dim),
            kernels: Kernels::new(ctx, shape),
        }
    }
}

impl Sublayer for CausalSelfAttention {
    /// `y = proj(attention(qkv(x)))`.
    fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Vec<Dispatch> {
        let mut out = self.qkv.forward(ctx, self.rows, x, &self.qkv_out);
        if let Some(rotary) = self.rotary {
            out.push(rope::forward(ctx, rotary, &self.qkv_out));
        }
        let (shape, qkv, heads) = (self.shape, &self.qkv_out, &self.heads_out);
        match &self.kernels {
            Kernels::Fused(texels) => {
                out.extend(attention_fused::forward(ctx, shape, texels, qkv, heads));
            }
            Kernels::Stored { probs, .. } => {
                out.push(attention::forward(ctx, shape, qkv, probs, heads));
            }
        }
        out.extend(self.proj.forward(ctx, self.rows, &self.heads_out, y));
        out
    }

    /// Gradients of all parameters, and `dx`.
    fn backward(&self, ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Vec<Dispatch> {
        let mut out =
            self.proj
                .backward(ctx, self.rows, &self.heads_out, dy, Some(&self.d_heads_out));
        let (shape, qkv, heads) = (self.shape, &self.qkv_out, &self.heads_out);
        let (dheads, dqkv) = (&self.d_heads_out, &self.dqkv);
        match &self.kernels {
            // The qkv texels are this step's: the forward pass, earlier in the same submission,
            // copied them.
            Kernels::Fused(texels) => out.extend(attention_fused::backward(
                ctx, shape, texels, heads, dheads, dqkv,
            )),
            Kernels::Stored { probs, dscores } => out.extend(attention::backward(
                ctx, shape, qkv, probs, dheads, dscores, dqkv,
            )),
        }
        if let Some(rotary) = self.rotary {
            // The gradient of the rotated q and k, turned back to the projection's output.
            out.push(rope::backward(ctx, rotary, &self.dqkv));
        }
        out.extend(self.qkv.backward(ctx, self.rows, x, &self.dqkv, Some(dx)));
        out
    }
}
