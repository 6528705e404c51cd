//! A bias-free 2-D convolution layer (ResNets put a BatchNorm after every convolution).

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::conv::{col2im, im2col, ConvShape};
use crate::kernels::matmul::{matmul, MatmulShape};

/// Convolution weights `[out_channels, channels, k, k]` and the layer's geometry.
pub struct Conv2d {
    weight: Tensor,
    dweight: Tensor,
    /// Geometry (input shape, kernel, stride, padding).
    pub shape: ConvShape,
}

impl Conv2d {
    /// `{name}.weight`, He-normal initialised (fan-out, for ReLU networks), decayed.
    pub fn spec(name: &str, shape: ConvShape) -> ParamSpec {
        let fan_out = shape.out_channels * shape.kernel * shape.kernel;
        ParamSpec::new(
            format!("{name}.weight"),
            &[
                shape.out_channels,
                shape.channels,
                shape.kernel,
                shape.kernel,
            ],
            true,
            Init::Normal((2.0 / fan_out as f32).sqrt()),
        )
    }

    /// Binds the layer to `{name}.weight` in `params`.
    pub fn new(params: &ParamSet, name: &str, shape: ConvShape) -> Self {
        let w = format!("{name}.weight");
        Self::from_tensors(params.param(&w), params.grad(&w), shape)
    }

    /// A layer over explicit weight and gradient tensors (tests).
    pub fn from_tensors(weight: Tensor, dweight: Tensor, shape: ConvShape) -> Self {
        Self {
            weight,
            dweight,
            shape,
        }
    }

    /// `y[co, positions] = W x col(x)`; `col` is scratch of at least `patch_len * positions`.
    pub fn forward(&self, ctx: &GpuContext, x: &Tensor, y: &Tensor, col: &Tensor) -> Vec<Dispatch> {
        let s = self.shape;
        let mut out = vec![im2col(ctx, s, x, col)];
        out.extend(matmul(
            ctx,
            &self.weight,
            col,
            None,
            y,
            MatmulShape {
                m: s.out_channels,
                n: s.positions(),
                k: s.patch_len(),
                trans_a: false,
                trans_b: false,
            },
        ));
        out
    }

    /// `dW = dy col(x)^T`, and `dx = col2im(W^T dy)` when `dx` is given. Rebuilds `col(x)` in
    /// the shared scratch rather than keeping every layer's patches alive.
    pub fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<&Tensor>,
        col: &Tensor,
        dcol: &Tensor,
    ) -> Vec<Dispatch> {
        let s = self.shape;
        let mut out = vec![im2col(ctx, s, x, col)];
        out.extend(matmul(
            ctx,
            dy,
            col,
            None,
            &self.dweight,
            MatmulShape {
                m: s.out_channels,
                n: s.patch_len(),
                k: s.positions(),
                trans_a: false,
                trans_b: true,
            },
        ));
        if let Some(dx) = dx {
            out.extend(matmul(
                ctx,
                &self.weight,
                dy,
                None,
                dcol,
                MatmulShape {
                    m: s.patch_len(),
                    n: s.positions(),
                    k: s.out_channels,
                    trans_a: true,
                    trans_b: false,
                },
            ));
            out.push(col2im(ctx, s, dcol, dx));
        }
        out
    }
}
