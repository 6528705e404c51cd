//! The transformer's feed-forward block: `proj(gelu(fc(x)))`.

use super::{Linear, ParamSet, ParamSpec, Sublayer};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::elementwise::{gelu_backward, gelu_forward};

/// Two linear layers with GELU between them.
pub struct Mlp {
    fc: Linear,
    proj: Linear,
    rows: usize,
    hidden: Tensor,
    activated: Tensor,
    d_activated: Tensor,
    d_hidden: Tensor,
}

impl Mlp {
    /// Declarations (`{prefix}.fc`, `{prefix}.proj` with the residual-scaled init).
    pub fn specs(prefix: &str, dim: usize, d_ff: usize, std: f32, proj_std: f32) -> Vec<ParamSpec> {
        let layers = [("fc", dim, d_ff, std), ("proj", d_ff, dim, proj_std)];
        Linear::group_specs(prefix, true, &layers)
    }

    /// Binds parameters and allocates activations for `[rows, model width, hidden width]`.
    pub fn new(ctx: &GpuContext, params: &ParamSet, prefix: &str, dims: [usize; 3]) -> Self {
        let [rows, dim, d_ff] = dims;
        Self {
            fc: Linear::new(params, &format!("{prefix}.fc"), dim, d_ff, true),
            proj: Linear::new(params, &format!("{prefix}.proj"), d_ff, dim, true),
            rows,
            hidden: Tensor::zeros(ctx, "mlp hidden", rows * d_ff),
            activated: Tensor::zeros(ctx, "mlp gelu", rows * d_ff),
            d_activated: Tensor::zeros(ctx, "d mlp gelu", rows * d_ff),
            d_hidden: Tensor::zeros(ctx, "d mlp hidden", rows * d_ff),
        }
    }
}

impl Sublayer for Mlp {
    /// `y = proj(gelu(fc(x)))`.
    fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Vec<Dispatch> {
        let mut out = self.fc.forward(ctx, self.rows, x, &self.hidden);
        out.push(gelu_forward(ctx, &self.hidden, &self.activated));
        out.extend(self.proj.forward(ctx, self.rows, &self.activated, y));
        out
    }

    fn backward(&self, ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Vec<Dispatch> {
        let mut out =
            self.proj
                .backward(ctx, self.rows, &self.activated, dy, Some(&self.d_activated));
        out.push(gelu_backward(
            ctx,
            &self.hidden,
            &self.d_activated,
            &self.d_hidden,
        ));
        out.extend(
            self.fc
                .backward(ctx, self.rows, x, &self.d_hidden, Some(dx)),
        );
        out
    }
}
