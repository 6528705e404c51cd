//! A bias-free 2-D convolution layer (ResNets put a BatchNorm after every convolution).

mod texels;

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor, Texels};
use crate::kernels::conv::{col2im, im2col, ConvShape};
use crate::kernels::matmul::{matmul, MatmulShape};
use crate::kernels::matmul_lanes;
use std::sync::OnceLock;

/// Patch matrices shared by every convolution of a network (rebuilt in the backward pass
/// rather than kept per layer).
pub struct ConvScratch {
    col: Tensor,
    dcol: Tensor,
    /// An activation or its gradient reordered to CHWN on its way into texels (texel matmul).
    chwn: Tensor,
    /// The patch matrix as texels, where the adapter runs the texel matmul (a copy of `col`,
    /// for the convolutions whose patches the product cannot assemble itself).
    col_texels: Option<Texels>,
}

impl ConvScratch {
    /// Scratch for `shapes`.
    pub fn new(ctx: &GpuContext, shapes: &[ConvShape]) -> Self {
        let largest = |f: fn(&ConvShape) -> usize| shapes.iter().map(f).max().unwrap_or(0);
        let len = largest(|s| s.patch_len() * s.positions());
        let activation = largest(|s| s.input_len().max(s.output_len()));
        let lanes = matmul_lanes::available(ctx);
        let col_texels = lanes
            .then(|| Texels::for_len(ctx, "patch matrix texels", len.next_multiple_of(4)))
            .flatten();
        Self {
            col: Tensor::zeros(ctx, "patch matrix", len),
            dcol: Tensor::zeros(ctx, "patch gradient", len),
            chwn: Tensor::zeros(ctx, "chwn activation", if lanes { activation } else { 1 }),
            col_texels,
        }
    }
}

/// Convolution weights `[out_channels, channels, k, k]` and the layer's geometry.
pub struct Conv2d {
    weight: Tensor,
    dweight: Tensor,
    /// Geometry (input shape, kernel, stride, padding).
    pub shape: ConvShape,
    /// The layer's input in CHWN order as texels, where the texel product assembles its patches
    /// from it: made by the first plan built, filled by every forward pass and read again by the
    /// backward pass, which always runs after its forward pass in the same plan.
    input_texels: OnceLock<Option<Texels>>,
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
            input_texels: OnceLock::new(),
        }
    }

    /// `y[co, positions] = W x col(x)`.
    pub fn forward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        y: &Tensor,
        scratch: &ConvScratch,
    ) -> Vec<Dispatch> {
        if let Some(out) = self.forward_texels(ctx, x, y, scratch) {
            return out;
        }
        let s = self.shape;
        let mut out = vec![im2col(ctx, s, x, &scratch.col)];
        out.extend(matmul(
            ctx,
            &self.weight,
            &scratch.col,
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
    /// the shared scratch rather than keeping every layer's patches alive, except on the texel
    /// path with assembled patches, which reads the texels of `x` that this layer's forward
    /// pass filled: record it after that forward pass, in the same plan, on the same `x`.
    pub fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<&Tensor>,
        scratch: &ConvScratch,
    ) -> Vec<Dispatch> {
        if let Some(out) = self.backward_texels(ctx, x, dy, dx, scratch) {
            return out;
        }
        let s = self.shape;
        let [co, positions, patch] = self.forward_dims();
        let (col, dcol) = (&scratch.col, &scratch.dcol);
        let mut out = vec![im2col(ctx, s, x, col)];
        out.extend(matmul(
            ctx,
            dy,
            col,
            None,
            &self.dweight,
            MatmulShape {
                m: co,
                n: patch,
                k: positions,
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
                    m: patch,
                    n: positions,
                    k: co,
                    trans_a: true,
                    trans_b: false,
                },
            ));
            out.push(col2im(ctx, s, dcol, dx));
        }
        out
    }

    /// The forward product's `[m, n, k]`: output channels, positions, patch length.
    fn forward_dims(&self) -> [usize; 3] {
        let s = self.shape;
        [s.out_channels, s.positions(), s.patch_len()]
    }
}
