//! Llama's feed-forward block: `down(silu(gate(x)) * up(x))`, no biases.

use super::{Linear, ParamSet, ParamSpec, Sublayer};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::elementwise::residual_add;
use crate::kernels::swiglu;

/// The gated feed-forward block.
pub struct SwiGlu {
    gate: Linear,
    up: Linear,
    down: Linear,
    rows: usize,
    gate_out: Tensor,
    up_out: Tensor,
    hidden: Tensor,
    d_hidden: Tensor,
    d_gate: Tensor,
    d_up: Tensor,
    dx_gate: Tensor,
    dx_up: Tensor,
}

impl SwiGlu {
    /// Declarations (`{prefix}.gate`, `{prefix}.up`, `{prefix}.down` with the residual-scaled
    /// init).
    pub fn specs(prefix: &str, dim: usize, d_ff: usize, std: f32, proj_std: f32) -> Vec<ParamSpec> {
        let layers = [
            ("gate", dim, d_ff, std),
            ("up", dim, d_ff, std),
            ("down", d_ff, dim, proj_std),
        ];
        Linear::group_specs(prefix, false, &layers)
    }

    /// Binds parameters and allocates activations for `[rows, model width, hidden width]`.
    pub fn new(ctx: &GpuContext, params: &ParamSet, prefix: &str, dims: [usize; 3]) -> Self {
        let [rows, dim, d_ff] = dims;
        let hidden = |label: &str| Tensor::zeros(ctx, label, rows * d_ff);
        let model = |label: &str| Tensor::zeros(ctx, label, rows * dim);
        Self {
            gate: Linear::new(params, &format!("{prefix}.gate"), dim, d_ff, false),
            up: Linear::new(params, &format!("{prefix}.up"), dim, d_ff, false),
            down: Linear::new(params, &format!("{prefix}.down"), d_ff, dim, false),
            rows,
            gate_out: hidden("swiglu gate"),
            up_out: hidden("swiglu up"),
            hidden: hidden("swiglu hidden"),
            d_hidden: hidden("d swiglu hidden"),
            d_gate: hidden("d swiglu gate"),
            d_up: hidden("d swiglu up"),
            dx_gate: model("d x via gate"),
            dx_up: model("d x via up"),
        }
    }
}

impl Sublayer for SwiGlu {
    /// `y = down(silu(gate(x)) * up(x))`.
    fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Vec<Dispatch> {
        let mut out = self.gate.forward(ctx, self.rows, x, &self.gate_out);
        out.extend(self.up.forward(ctx, self.rows, x, &self.up_out));
        out.push(swiglu::forward(
            ctx,
            &self.gate_out,
            &self.up_out,
            &self.hidden,
        ));
        out.extend(self.down.forward(ctx, self.rows, &self.hidden, y));
        out
    }

    /// Parameter gradients and `dx` (the sum of both projections' input gradients).
    fn backward(&self, ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Vec<Dispatch> {
        let mut out = self
            .down
            .backward(ctx, self.rows, &self.hidden, dy, Some(&self.d_hidden));
        out.extend(swiglu::backward(
            ctx,
            (&self.gate_out, &self.up_out),
            &self.d_hidden,
            (&self.d_gate, &self.d_up),
        ));
        out.extend(
            self.gate
                .backward(ctx, self.rows, x, &self.d_gate, Some(&self.dx_gate)),
        );
        out.extend(
            self.up
                .backward(ctx, self.rows, x, &self.d_up, Some(&self.dx_up)),
        );
        out.push(residual_add(ctx, &self.dx_gate, &self.dx_up, dx));
        out
    }
}
