//! LayerNorm (GPT) or RMSNorm (Llama) over the model dimension, with its saved statistics.

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::layernorm::{self, NormKind};

/// LayerNorm or RMSNorm of `rows` rows of width `dim`.
pub struct LayerNorm {
    kind: NormKind,
    gamma: Tensor,
    beta: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
    stats: Tensor,
    rows: usize,
    dim: usize,
}

impl LayerNorm {
    /// `{prefix}.weight` (ones) and `{prefix}.bias` (zeros), not decayed.
    pub fn specs(prefix: &str, dim: usize) -> Vec<ParamSpec> {
        vec![
            ParamSpec::new(format!("{prefix}.weight"), &[dim], false, Init::Ones),
            ParamSpec::new(format!("{prefix}.bias"), &[dim], false, Init::Zeros),
        ]
    }

    /// RMSNorm's `{prefix}.weight` (ones), not decayed: no bias.
    pub fn rms_specs(prefix: &str, dim: usize) -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            format!("{prefix}.weight"),
            &[dim],
            false,
            Init::Ones,
        )]
    }

    /// An RMSNorm: the LayerNorm kernels without the mean, `beta` a zero buffer (and its
    /// gradient a scratch buffer nobody reads).
    pub fn rms(ctx: &GpuContext, params: &ParamSet, prefix: &str, rows: usize, dim: usize) -> Self {
        Self {
            kind: NormKind::Rms,
            gamma: params.param(&format!("{prefix}.weight")),
            beta: Tensor::zeros(ctx, "rmsnorm zero beta", dim),
            dgamma: params.grad(&format!("{prefix}.weight")),
            dbeta: Tensor::zeros(ctx, "rmsnorm unused dbeta", dim),
            stats: Tensor::zeros(ctx, "rmsnorm stats", rows * 2),
            rows,
            dim,
        }
    }

    /// Binds parameters and allocates the per-row statistics.
    pub fn new(ctx: &GpuContext, params: &ParamSet, prefix: &str, rows: usize, dim: usize) -> Self {
        Self {
            kind: NormKind::Layer,
            gamma: params.param(&format!("{prefix}.weight")),
            beta: params.param(&format!("{prefix}.bias")),
            dgamma: params.grad(&format!("{prefix}.weight")),
            dbeta: params.grad(&format!("{prefix}.bias")),
            stats: Tensor::zeros(ctx, "layernorm stats", rows * 2),
            rows,
            dim,
        }
    }

    /// `y = LN(x)`.
    pub fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Dispatch {
        layernorm::forward(
            ctx,
            self.kind,
            self.rows,
            self.dim,
            x,
            &self.gamma,
            &self.beta,
            y,
            &self.stats,
        )
    }

    /// `dx = dresidual + LN'(x)^T dy`, plus parameter gradients.
    pub fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        dy: &Tensor,
        dresidual: Option<&Tensor>,
        dx: &Tensor,
    ) -> [Dispatch; 3] {
        layernorm::backward(
            ctx,
            self.kind,
            self.rows,
            self.dim,
            layernorm::LayerNormGrads {
                x,
                gamma: &self.gamma,
                stats: &self.stats,
                dy,
                dresidual,
                dx,
                dgamma: &self.dgamma,
                dbeta: &self.dbeta,
            },
        )
    }
}
