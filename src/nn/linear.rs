//! Linear layer with nn.Linear's layout: weight `[out, in]`, `y = x W^T + b`.

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::matmul::{bias_backward, matmul, matmuls_sharing_a, MatmulShape, Operand};

/// A fully connected layer over `rows` rows.
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
    dweight: Tensor,
    dbias: Option<Tensor>,
    fan_in: usize,
    fan_out: usize,
}

impl Linear {
    /// Declarations of several layers under `prefix`: each `(name, fan_in, fan_out, std)` is
    /// `{prefix}.{name}`, all with or without biases.
    pub fn group_specs(
        prefix: &str,
        bias: bool,
        layers: &[(&str, usize, usize, f32)],
    ) -> Vec<ParamSpec> {
        let specs = layers.iter().flat_map(|&(name, fan_in, fan_out, std)| {
            Self::specs(&format!("{prefix}.{name}"), fan_in, fan_out, bias, std)
        });
        specs.collect()
    }

    /// Parameter declarations for `{prefix}.weight` (and `{prefix}.bias`).
    pub fn specs(
        prefix: &str,
        fan_in: usize,
        fan_out: usize,
        bias: bool,
        std: f32,
    ) -> Vec<ParamSpec> {
        let mut v = vec![ParamSpec::new(
            format!("{prefix}.weight"),
            &[fan_out, fan_in],
            true,
            Init::Normal(std),
        )];
        if bias {
            v.push(ParamSpec::new(
                format!("{prefix}.bias"),
                &[fan_out],
                false,
                Init::Zeros,
            ));
        }
        v
    }

    /// Binds the layer to its parameters in `params`.
    pub fn new(params: &ParamSet, prefix: &str, fan_in: usize, fan_out: usize, bias: bool) -> Self {
        let b = |s: &str| format!("{prefix}.{s}");
        Self {
            weight: params.param(&b("weight")),
            dweight: params.grad(&b("weight")),
            bias: bias.then(|| params.param(&b("bias"))),
            dbias: bias.then(|| params.grad(&b("bias"))),
            fan_in,
            fan_out,
        }
    }

    /// `y[rows, out] = x[rows, in] W^T + b`.
    pub fn forward(&self, ctx: &GpuContext, rows: usize, x: &Tensor, y: &Tensor) -> Vec<Dispatch> {
        let shape = MatmulShape::nt(rows, self.fan_out, self.fan_in);
        matmul(ctx, x, &self.weight, self.bias.as_ref(), y, shape)
    }

    /// `dW = dy^T x`, `db = sum_rows dy`, and `dx = dy W` when `dx` is given.
    pub fn backward(
        &self,
        ctx: &GpuContext,
        rows: usize,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<&Tensor>,
    ) -> Vec<Dispatch> {
        let mut products = vec![Operand {
            b: x,
            bias: None,
            c: &self.dweight,
            shape: MatmulShape::tn(self.fan_out, self.fan_in, rows),
        }];
        if let Some(dx) = dx {
            products.push(Operand {
                b: &self.weight,
                bias: None,
                c: dx,
                shape: MatmulShape::nn(rows, self.fan_in, self.fan_out),
            });
        }
        // Both products read dy: copied into texels once where the adapter uses them.
        let mut out = matmuls_sharing_a(ctx, dy, &products);
        if let Some(db) = &self.dbias {
            out.extend(bias_backward(ctx, dy, db, rows, self.fan_out));
        }
        out
    }
}
