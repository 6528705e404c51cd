//! ReLU and global average pooling, forward and backward (shaders/relu_pool.wgsl).

use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Grid, Shader, Tensor};

const RELU_POOL: Shader = shader!(
    "relu_pool.wgsl",
    structs: [Dims],
    bindings: [
        uniform("d", "Dims"),
        read("a"),
        read("b"),
        write("out"),
    ],
    elementwise: [
        ("relu_forward", "i >= d.n"),
        ("relu_forward_gated", "i >= d.n"),
        ("relu_backward", "i >= d.n"),
        ("pool_backward", "i >= d.n * d.batch * d.pixels"),
    ],
);

crate::wgsl_struct! {
    struct Dims {
        n: u32,
        batch: u32,
        pixels: u32,
        _pad: u32,
    }
}

/// Elementwise over `n` outputs ([`Grid::Elements`]).
fn elementwise(
    ctx: &GpuContext,
    entry: &'static str,
    dims: Dims,
    [a, b, out]: [&Tensor; 3],
    n: usize,
) -> Dispatch {
    ctx.launch(
        &RELU_POOL,
        entry,
        &[],
        &dims,
        &[a, b, out],
        Grid::Elements(n),
    )
}

fn elements(n: usize) -> Dims {
    Dims {
        n: n as u32,
        ..bytemuck::Zeroable::zeroed()
    }
}

fn pooling(channels: usize, batch: usize, pixels: usize) -> Dims {
    Dims {
        n: channels as u32,
        batch: batch as u32,
        pixels: pixels as u32,
        _pad: 0,
    }
}

/// `y = max(x, 0)` over `y.len` elements.
pub fn relu_forward(ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Dispatch {
    elementwise(ctx, "relu_forward", elements(y.len), [x, x, y], y.len)
}

/// `y = x` where `gate` (the ReLU's output at an anchor point) is positive, else 0: the ReLU
/// with its activation pattern held fixed.
pub fn relu_forward_gated(ctx: &GpuContext, x: &Tensor, gate: &Tensor, y: &Tensor) -> Dispatch {
    let n = y.len;
    elementwise(ctx, "relu_forward_gated", elements(n), [x, gate, y], n)
}

/// `dx = dy` where the ReLU's output `y` (or, with the pattern held fixed, the gate) is
/// positive, else 0.
pub fn relu_backward(ctx: &GpuContext, y: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
    elementwise(ctx, "relu_backward", elements(dx.len), [y, dy, dx], dx.len)
}

/// Mean over pixels: `x[channels, batch, pixels]` to `y[batch, channels]`.
pub fn pool_forward(
    ctx: &GpuContext,
    channels: usize,
    batch: usize,
    pixels: usize,
    x: &Tensor,
    y: &Tensor,
) -> Dispatch {
    let dims = pooling(channels, batch, pixels);
    let grid = grid_items(channels * batch, 64);
    ctx.launch(&RELU_POOL, "pool_forward", &[], &dims, &[x, x, y], grid)
}

/// `dx[c, n, p] = dy[n, c] / pixels`.
pub fn pool_backward(
    ctx: &GpuContext,
    channels: usize,
    batch: usize,
    pixels: usize,
    dy: &Tensor,
    dx: &Tensor,
) -> Dispatch {
    let dims = pooling(channels, batch, pixels);
    let n = channels * batch * pixels;
    elementwise(ctx, "pool_backward", dims, [dy, dy, dx], n)
}
