//! ReLU and global average pooling, forward and backward (shaders/relu_pool.wgsl).

use super::shader;
use crate::gpu::{
    grid_1d, grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor,
};

const RELU_POOL: Shader = shader!("relu_pool.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    n: u32,
    batch: u32,
    pixels: u32,
    _pad: u32,
}

fn launch(
    ctx: &GpuContext,
    entry: &'static str,
    dims: Dims,
    a: &Tensor,
    b: &Tensor,
    out: &Tensor,
    grid: [u32; 3],
) -> Dispatch {
    let kernel = ctx.kernel(
        &RELU_POOL,
        entry,
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let u = ctx.uniform(&dims);
    kernel.dispatch(
        ctx,
        &[uniform_binding(&u), a.binding(), b.binding(), out.binding()],
        grid,
    )
}

fn elements(n: usize) -> Dims {
    Dims {
        n: n as u32,
        batch: 0,
        pixels: 0,
        _pad: 0,
    }
}

/// `y = max(x, 0)` over `y.len` elements.
pub fn relu_forward(ctx: &GpuContext, x: &Tensor, y: &Tensor) -> Dispatch {
    let grid = grid_1d(y.len, ctx.limits.max_compute_workgroups_per_dimension);
    launch(ctx, "relu_forward", elements(y.len), x, x, y, grid)
}

/// `dx = dy` where the ReLU's output `y` is positive, else 0.
pub fn relu_backward(ctx: &GpuContext, y: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
    let grid = grid_1d(dx.len, ctx.limits.max_compute_workgroups_per_dimension);
    launch(ctx, "relu_backward", elements(dx.len), y, dy, dx, grid)
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
    let dims = Dims {
        n: channels as u32,
        batch: batch as u32,
        pixels: pixels as u32,
        _pad: 0,
    };
    launch(
        ctx,
        "pool_forward",
        dims,
        x,
        x,
        y,
        grid_items(channels * batch, 64),
    )
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
    let dims = Dims {
        n: channels as u32,
        batch: batch as u32,
        pixels: pixels as u32,
        _pad: 0,
    };
    let grid = grid_1d(
        channels * batch * pixels,
        ctx.limits.max_compute_workgroups_per_dimension,
    );
    launch(ctx, "pool_backward", dims, dy, dy, dx, grid)
}
