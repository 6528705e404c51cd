//! 2-D convolution as im2col + matmul in the CNHW layout (shaders/conv.wgsl): patch gathering,
//! its adjoint, and the shape arithmetic.

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Grid, Shader, Tensor};

const CONV: Shader = shader!(
    "conv.wgsl",
    structs: [Dims],
    bindings: [
        uniform("d", "Dims"),
        read("src"),
        write("dst"),
    ],
    elementwise: [
        ("im2col", "i >= d.n"),
        ("col2im", "i >= d.n"),
        ("turn_weight", "i >= d.n"),
        ("to_chwn", "i >= d.n"),
    ],
);

/// A square convolution's geometry (input `[channels, batch, height, width]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Input channels.
    pub channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Images.
    pub batch: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Kernel size (square).
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub pad: usize,
}

impl ConvShape {
    /// Output height.
    pub fn out_h(&self) -> usize {
        (self.height + 2 * self.pad - self.kernel) / self.stride + 1
    }

    /// Output width.
    pub fn out_w(&self) -> usize {
        (self.width + 2 * self.pad - self.kernel) / self.stride + 1
    }

    /// Rows of the patch matrix (`channels * kernel^2`), the GEMM's inner dimension.
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Columns of the patch matrix: output positions over the batch.
    pub fn positions(&self) -> usize {
        self.batch * self.out_h() * self.out_w()
    }

    /// Elements of the input.
    pub fn input_len(&self) -> usize {
        self.channels * self.batch * self.height * self.width
    }

    /// The convolution that gives a "same" stride-1 convolution's input gradient from dy: the
    /// same geometry with the channels swapped (its weight made by [`turn_weight`]).
    pub fn turned(&self) -> ConvShape {
        ConvShape {
            channels: self.out_channels,
            out_channels: self.channels,
            ..*self
        }
    }

    /// Elements of the output.
    pub fn output_len(&self) -> usize {
        self.out_channels * self.positions()
    }
}

crate::wgsl_struct! {
    struct Dims {
        n: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

fn gather(
    ctx: &GpuContext,
    entry: &'static str,
    s: ConvShape,
    src: &Tensor,
    dst: &Tensor,
    n: usize,
) -> Dispatch {
    let dims = Dims {
        n: u32::try_from(n).expect("convolution size exceeds u32"),
        ..bytemuck::Zeroable::zeroed()
    };
    ctx.launch(
        &CONV,
        entry,
        &geometry(s),
        &dims,
        &[src, dst],
        Grid::Elements(n),
    )
}

/// The geometry as pipeline constants (see conv.wgsl); counts stay in the uniform.
fn geometry(s: ConvShape) -> [(&'static str, f64); 10] {
    [
        ("CHANNELS", s.channels),
        ("OUT_CHANNELS", s.out_channels),
        ("BATCH", s.batch),
        ("HEIGHT", s.height),
        ("WIDTH", s.width),
        ("OUT_H", s.out_h()),
        ("OUT_W", s.out_w()),
        ("KERNEL", s.kernel),
        ("STRIDE", s.stride),
        ("PAD", s.pad),
    ]
    .map(|(name, v)| (name, v as f64))
}

/// `col[patch_len, positions]` from the input `x` (zero outside the image).
pub fn im2col(ctx: &GpuContext, shape: ConvShape, x: &Tensor, col: &Tensor) -> Dispatch {
    let n = shape.patch_len() * shape.positions();
    assert!(
        x.len >= shape.input_len() && col.len >= n,
        "im2col operand too small"
    );
    gather(ctx, "im2col", shape, x, col, n)
}

/// The weight of the input gradient's convolution, `w_t[ci, co, kh, kw] = w[co, ci, K-1-kh,
/// K-1-kw]`: for a "same" convolution at stride 1, `dx` is the convolution of `dy` with `w_t`
/// (same geometry, channels swapped), so it needs no patch gradient and no col2im.
pub fn turn_weight(ctx: &GpuContext, shape: ConvShape, w: &Tensor, w_t: &Tensor) -> Dispatch {
    let n = shape.out_channels * shape.patch_len();
    assert!(w.len >= n && w_t.len >= n, "turn_weight operand too small");
    gather(ctx, "turn_weight", shape, w, w_t, n)
}

/// `src` `[channels, batch, height, width]` (CNHW) reordered into `dst` as `[channels,
/// height, width, batch]` (CHWN; see `to_chwn` in shaders/conv.wgsl).
pub fn to_chwn(
    ctx: &GpuContext,
    [channels, batch, height, width]: [usize; 4],
    src: &Tensor,
    dst: &Tensor,
) -> Dispatch {
    let n = channels * batch * height * width;
    assert!(src.len >= n && dst.len >= n, "to_chwn operand too small");
    let shape = ConvShape {
        channels,
        out_channels: channels,
        batch,
        height,
        width,
        kernel: 1,
        stride: 1,
        pad: 0,
    };
    gather(ctx, "to_chwn", shape, src, dst, n)
}

/// The input gradient from the patch gradient `dcol[patch_len, positions]` (im2col's adjoint).
pub fn col2im(ctx: &GpuContext, shape: ConvShape, dcol: &Tensor, dx: &Tensor) -> Dispatch {
    let n = shape.input_len();
    assert!(
        dcol.len >= shape.patch_len() * shape.positions() && dx.len >= n,
        "col2im operand too small"
    );
    gather(ctx, "col2im", shape, dcol, dx, n)
}
