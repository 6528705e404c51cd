//! [`Conv2d`] on the texel matmul (CPU adapters with 8-lane subgroups, see
//! shaders/matmul_lanes.wgsl): the patches assembled inside the product from the input in CHWN
//! order, or written by im2col where the batch is not a multiple of 4; the input gradient as a
//! convolution of dy with the turned weight where the layer allows it.

use super::{Conv2d, ConvScratch};
use crate::gpu::{Dispatch, GpuContext, Tensor, Texels};
use crate::kernels::conv::{col2im, im2col, to_chwn, turn_weight, ConvShape};
use crate::kernels::matmul::lanes::{self, implicit_patches, pad_columns, product, Product};
use crate::kernels::matmul::Layout;

impl Conv2d {
    /// Whether the texel matmul runs this layer: the adapter has it, the positions are a
    /// multiple of 4, and so is the patch length unless the product assembles the patches.
    fn texel_path(&self, ctx: &GpuContext) -> bool {
        Self::texel_path_for(ctx, &self.shape)
    }

    /// [`Conv2d::texel_path`] for a layer of shape `s`.
    pub(super) fn texel_path_for(ctx: &GpuContext, s: &ConvShape) -> bool {
        // An assembled patch matrix may have any length (the weight is padded to match).
        let aligned = s.patch_len().is_multiple_of(4) || implicit_patches(s);
        lanes::available(ctx) && aligned && s.positions().is_multiple_of(4)
    }

    /// Whether a layer of shape `s` runs on the texel matmul with the patches assembled by the
    /// product (no patch matrix written).
    pub(super) fn assembles_patches(ctx: &GpuContext, s: &ConvShape) -> bool {
        Self::texel_path_for(ctx, s) && implicit_patches(s)
    }

    /// Whether a layer of shape `s` takes its input gradient as the convolution of dy with the
    /// turned weight (no patch gradient, no col2im).
    pub(super) fn turns_input_gradient(ctx: &GpuContext, s: &ConvShape) -> bool {
        Self::assembles_patches(ctx, s)
            && s.stride == 1
            && 2 * s.pad + 1 == s.kernel
            && s.patch_len().is_multiple_of(4)
            && s.turned().patch_len().is_multiple_of(4)
    }

    /// The forward pass on the texel matmul (`None` where it does not run).
    pub(super) fn forward_texels(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        y: &Tensor,
        scratch: &ConvScratch,
    ) -> Option<Vec<Dispatch>> {
        if !self.texel_path(ctx) {
            return None;
        }
        let [co, positions, patch] = self.forward_dims();
        let mut patches = self.patches(ctx, x, scratch, Pass::Forward)?;
        // The product's k steps by 4: a patch length that is not a multiple of 4 (the stem's
        // 9) reads a weight padded with zero columns, and the patch rows past the end as zero.
        let k = patch.next_multiple_of(4);
        let w = Texels::for_len(ctx, "conv weight texels", co * k)?;
        if k == patch {
            patches.steps.push(w.fill_from(&self.weight));
        } else {
            let padded = Tensor::zeros(ctx, "padded conv weight", co * k);
            patches
                .steps
                .push(pad_columns(ctx, &self.weight, [co, patch], &padded));
            patches.steps.push(w.fill_from(&padded));
        }
        let y_product = Product {
            conv_b: patches.conv_b,
            permuted_c: patches.permuted(),
            ..Product::dense(Layout::Nn, [co, positions, k], &w, &patches.texels, y)
        };
        patches.steps.push(product(ctx, &y_product));
        Some(patches.steps)
    }

    /// The backward pass on the texel matmul (`None` where it does not run): `dW` reads the
    /// patches as the forward pass does; `dx` is, for a "same" convolution at stride 1 whose
    /// patches the product assembles, the convolution of `dy` with the turned weight (no patch
    /// gradient, no col2im), else `col2im(W^T dy)`.
    /// `(x, dy, dx)` are those of [`Conv2d::backward`].
    pub(super) fn backward_texels(
        &self,
        ctx: &GpuContext,
        (x, dy, dx): (&Tensor, &Tensor, Option<&Tensor>),
        scratch: &ConvScratch,
    ) -> Option<Vec<Dispatch>> {
        if !self.texel_path(ctx) {
            return None;
        }
        let s = self.shape;
        let [co, positions, patch] = self.forward_dims();
        if dx.is_some() && !patch.is_multiple_of(4) {
            // Neither the turned weight nor W^T (a patch-length side) steps by 4.
            return None;
        }
        let patches = self.patches(ctx, x, scratch, Pass::Backward)?;
        let dy_texels = Texels::for_len(ctx, "conv dy texels", co * positions)?;
        let permuted = patches.permuted();
        let mut out = patches.steps;
        if patches.conv_b.is_some() {
            // dy in the products' (pixel, image) order, as the patches are.
            let dy_shape = [co, s.batch, s.out_h(), s.out_w()];
            out.push(to_chwn(ctx, dy_shape, dy, &scratch.chwn));
            out.push(dy_texels.fill_prefix_from(&scratch.chwn, co * positions));
        } else {
            out.push(dy_texels.fill_from(dy));
        }
        // dW [co, patch] = dy [co, positions] col^T, col stored [patch, positions].
        let dw = Product {
            conv_b: patches.conv_b,
            ..Product::dense(
                Layout::Nt,
                [co, patch, positions],
                &dy_texels,
                &patches.texels,
                &self.dweight,
            )
        };
        out.push(product(ctx, &dw));
        let Some(dx) = dx else {
            return Some(out);
        };
        let w_len = co * patch;
        if Self::turns_input_gradient(ctx, &s) {
            let turned = s.turned();
            let w_turned = Tensor::zeros(ctx, "turned conv weight", w_len);
            let w_texels = Texels::for_len(ctx, "turned conv weight texels", w_len)?;
            let dims = [s.channels, positions, turned.patch_len()];
            let dx_product = Product {
                conv_b: Some(turned),
                permuted_c: permuted,
                ..Product::dense(Layout::Nn, dims, &w_texels, &dy_texels, dx)
            };
            out.push(turn_weight(ctx, s, &self.weight, &w_turned));
            out.push(w_texels.fill_from(&w_turned));
            out.push(product(ctx, &dx_product));
        } else {
            let w_texels = Texels::for_len(ctx, "conv weight texels", w_len)?;
            let dims = [patch, positions, co];
            let dcol = scratch.dcol(ctx, patch * positions);
            let dcol_product = Product {
                permuted_c: permuted,
                ..Product::dense(Layout::Tn, dims, &w_texels, &dy_texels, &dcol)
            };
            out.push(w_texels.fill_from(&self.weight));
            out.push(product(ctx, &dcol_product));
            out.push(col2im(ctx, s, &dcol, dx));
        }
        Some(out)
    }

    /// This layer's input texels (CHWN), made on first use. `None` also where the forward pass
    /// could not finish on the texel path (its weight's texels past the adapter's limits): the
    /// backward pass reads these texels only if the forward pass filled them, so both passes
    /// must decide alike whatever order their plans are built in.
    fn input_texels(&self, ctx: &GpuContext) -> Option<Texels> {
        let [co, _, patch] = self.forward_dims();
        let len = self.shape.input_len();
        self.input_texels
            .get_or_init(|| {
                let weight_fits = Texels::fits(ctx, co * patch.next_multiple_of(4));
                weight_fits
                    .then(|| Texels::for_len(ctx, "conv input texels", len))
                    .flatten()
            })
            .clone()
    }

    /// op(B) of the products that read `x`'s patches: `x` itself in texels, reordered to CHWN,
    /// when the product can assemble the patches ([`implicit_patches`]; the layer's own texels,
    /// which the backward pass finds filled by the forward pass), else the patch matrix written
    /// by im2col and copied into the scratch texels.
    fn patches(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        scratch: &ConvScratch,
        pass: Pass,
    ) -> Option<Patches> {
        let s = self.shape;
        if implicit_patches(&s) {
            let len = s.input_len();
            let texels = self.input_texels(ctx)?;
            let x_shape = [s.channels, s.batch, s.height, s.width];
            let steps = match pass {
                Pass::Forward => vec![
                    to_chwn(ctx, x_shape, x, &scratch.chwn),
                    texels.fill_prefix_from(&scratch.chwn, len),
                ],
                Pass::Backward => Vec::new(),
            };
            return Some(Patches {
                steps,
                texels,
                conv_b: Some(s),
            });
        }
        let texels = scratch.col_texels.clone()?;
        let len = s.patch_len().checked_mul(s.positions())?;
        if len > texels.len {
            return None;
        }
        let col = scratch.col(ctx, len);
        Some(Patches {
            steps: vec![im2col(ctx, s, x, &col), texels.fill_prefix_from(&col, len)],
            texels,
            conv_b: None,
        })
    }
}

/// Which pass asks for [`Conv2d::patches`].
#[derive(Clone, Copy)]
enum Pass {
    Forward,
    Backward,
}

/// See [`Conv2d::patches`].
struct Patches {
    /// The plan steps that fill [`Patches::texels`].
    steps: Vec<Dispatch>,
    texels: Texels,
    /// The convolution whose patches the product assembles from `texels`, if it does.
    conv_b: Option<ConvShape>,
}

impl Patches {
    /// With assembled patches the products' positions run (pixel, image): a result over
    /// positions is stored back in CNHW ([`Product::permuted_c`]).
    fn permuted(&self) -> Option<[usize; 2]> {
        self.conv_b.map(|s| [s.batch, s.out_h() * s.out_w()])
    }
}
