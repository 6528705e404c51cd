//! Causal multi-head self-attention: packed qkv projection, attention, output projection.

use super::{Linear, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::attention::{self, AttentionShape};

/// Self-attention block (`{prefix}.qkv`, `{prefix}.proj`).
pub struct CausalSelfAttention {
    qkv: Linear,
    proj: Linear,
    shape: AttentionShape,
    rows: usize,
    qkv_out: Tensor,
    probs: Tensor,
    heads_out: Tensor,
    d_heads_out: Tensor,
    dscores: Tensor,
    dqkv: Tensor,
}

impl CausalSelfAttention {
    /// Declarations; the output projection uses GPT-2's residual-scaled init `proj_std`.
    pub fn specs(prefix: &str, dim: usize, std: f32, proj_std: f32) -> Vec<ParamSpec> {
        let mut v = Linear::specs(&format!("{prefix}.qkv"), dim, 3 * dim, true, std);
        v.extend(Linear::specs(
            &format!("{prefix}.proj"),
            dim,
            dim,
            true,
            proj_std,
        ));
        v
    }

    /// Binds parameters and allocates activations for `shape`.
    pub fn new(ctx: &GpuContext, params: &ParamSet, prefix: &str, shape: AttentionShape) -> Self {
        let dim = shape.heads * shape.head_dim;
        let rows = shape.batch * shape.seq;
        Self {
            qkv: Linear::new(params, &format!("{prefix}.qkv"), dim, 3 * dim, true),
            proj: Linear::new(params, &format!("{prefix}.proj"), dim, dim, true),
            shape,
            rows,
            qkv_out: Tensor::zeros(ctx, "qkv", rows * 3 * dim),
            probs: Tensor::zeros(ctx, "attention probs", shape.probs_len()),
            heads_out: Tensor::zeros(ctx, "attention heads", rows * dim),
            d_heads_out: Tensor::zeros(ctx, "d attention heads", rows * dim),
            dscores: Tensor::zeros(ctx, "d attention scores", shape.probs_len()),
            dqkv: Tensor::zeros(ctx, "dqkv", rows * 3 * dim),
        }
    }

    /// `y = proj(attention(qkv(x)))`.
    pub fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Vec<Dispatch> {
        vec![
            self.qkv.forward(ctx, self.rows, x, &self.qkv_out),
            attention::forward(ctx, self.shape, &self.qkv_out, &self.probs, &self.heads_out),
            self.proj.forward(ctx, self.rows, &self.heads_out, y),
        ]
    }

    /// Gradients of all parameters, and `dx`.
    pub fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        dy: &Tensor,
        dx: &Tensor,
    ) -> Vec<Dispatch> {
        let mut out =
            self.proj
                .backward(ctx, self.rows, &self.heads_out, dy, Some(&self.d_heads_out));
        out.extend(attention::backward(
            ctx,
            self.shape,
            &self.qkv_out,
            &self.probs,
            &self.d_heads_out,
            &self.dscores,
            &self.dqkv,
        ));
        out.extend(self.qkv.backward(ctx, self.rows, x, &self.dqkv, Some(dx)));
        out
    }
}
