//! A bias-free 2-D convolution layer (ResNets put a BatchNorm after every convolution).

mod texels;

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor, Texels};
use crate::kernels::conv::{col2im, im2col, ConvShape};
use crate::kernels::matmul::lanes;
use crate::kernels::matmul::{matmul, MatmulShape};
use std::sync::{Mutex, OnceLock};

/// Patch matrices shared by every convolution of a network (rebuilt in the backward pass
/// rather than kept per layer), sized for the layers expected to write them: on the texel
/// matmul, convolutions whose patches the product assembles write none. Should a layer fall
/// back to a patch matrix the scratch was not sized for, the scratch grows while its plan is
/// built ([`ConvScratch::col`]); plans built earlier keep the buffer they were built with.
pub struct ConvScratch {
    col: Mutex<Tensor>,
    dcol: Mutex<Tensor>,
    /// An activation or its gradient reordered to CHWN on its way into texels (texel matmul).
    chwn: Tensor,
    /// The patch matrix as texels, where the adapter runs the texel matmul (a copy of `col`,
    /// for the convolutions whose patches the product cannot assemble itself).
    col_texels: Option<Texels>,
}

impl ConvScratch {
    /// Scratch for `shapes`.
    pub fn new(ctx: &GpuContext, shapes: &[ConvShape]) -> Self {
        let largest = |keep: &dyn Fn(&ConvShape) -> bool, f: fn(&ConvShape) -> usize| {
            shapes.iter().filter(|s| keep(s)).map(f).max().unwrap_or(0)
        };
        let patches = |s: &ConvShape| s.patch_len() * s.positions();
        let assembled = |s: &ConvShape| Conv2d::assembles_patches(ctx, s);
        // im2col runs wherever the product does not assemble the patches, and where a layer's
        // backward pass cannot take the texel path (a patch length that is not a multiple of
        // 4: the stem, which has no input gradient, but counted anyway).
        let col_len = largest(
            &|s| !assembled(s) || !s.patch_len().is_multiple_of(4),
            patches,
        );
        // The patch gradient, for col2im: all but the "same" stride-1 convolutions that take
        // their input gradient as a convolution of dy.
        let dcol_len = largest(&|s| !Conv2d::turns_input_gradient(ctx, s), patches);
        let texel_col_len = largest(
            &|s| Conv2d::texel_path_for(ctx, s) && !assembled(s),
            patches,
        );
        let lanes = lanes::available(ctx);
        let activation = largest(&|_| lanes, |s| s.input_len().max(s.output_len()));
        let col_texels = (texel_col_len > 0)
            .then(|| {
                Texels::for_len(
                    ctx,
                    "patch matrix texels",
                    texel_col_len.next_multiple_of(4),
                )
            })
            .flatten();
        Self {
            col: Mutex::new(Tensor::zeros(ctx, "patch matrix", col_len.max(1))),
            dcol: Mutex::new(Tensor::zeros(ctx, "patch gradient", dcol_len.max(1))),
            chwn: Tensor::zeros(ctx, "chwn activation", activation.max(1)),
            col_texels,
        }
    }

    /// The shared patch matrix, grown first to `len` floats if it is smaller (a layer that the
    /// sizing in [`ConvScratch::new`] did not expect to write one).
    fn col(&self, ctx: &GpuContext, len: usize) -> Tensor {
        Self::at_least(ctx, &self.col, len, "patch matrix")
    }

    /// [`ConvScratch::col`] for the patch gradient.
    fn dcol(&self, ctx: &GpuContext, len: usize) -> Tensor {
        Self::at_least(ctx, &self.dcol, len, "patch gradient")
    }

    fn at_least(ctx: &GpuContext, shared: &Mutex<Tensor>, len: usize, label: &str) -> Tensor {
        let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.len < len {
            *shared = Tensor::zeros(ctx, label, len);
        }
        shared.clone()
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
        let col = scratch.col(ctx, s.patch_len() * s.positions());
        let mut out = vec![im2col(ctx, s, x, &col)];
        out.extend(matmul(
            ctx,
            &self.weight,
            &col,
            None,
            y,
            MatmulShape::nn(s.out_channels, s.positions(), s.patch_len()),
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
        if let Some(out) = self.backward_texels(ctx, (x, dy, dx), scratch) {
            return out;
        }
        let s = self.shape;
        let [co, positions, patch] = self.forward_dims();
        let len = patch * positions;
        let (col, dcol) = (&scratch.col(ctx, len), &scratch.dcol(ctx, len));
        let mut out = vec![im2col(ctx, s, x, col)];
        out.extend(matmul(
            ctx,
            dy,
            col,
            None,
            &self.dweight,
            MatmulShape::nt(co, patch, positions),
        ));
        if let Some(dx) = dx {
            out.extend(matmul(
                ctx,
                &self.weight,
                dy,
                None,
                dcol,
                MatmulShape::tn(patch, positions, co),
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
