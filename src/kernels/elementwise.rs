//! Elementwise kernels: GELU (shaders/gelu.wgsl) and the residual add (shaders/residual.wgsl).

use super::shader;
use crate::gpu::{grid_1d, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const GELU: Shader = shader!("gelu.wgsl");
const RESIDUAL: Shader = shader!("residual.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Len {
    n: u32,
    _pad: [u32; 3],
}

fn len_uniform(ctx: &GpuContext, n: usize) -> wgpu::Buffer {
    ctx.uniform(&Len {
        n: n as u32,
        _pad: [0; 3],
    })
}

fn three_operand(
    ctx: &GpuContext,
    shader: &Shader,
    entry: &'static str,
    inputs: [&Tensor; 2],
    out: &Tensor,
) -> Dispatch {
    let kernel = ctx.kernel(
        shader,
        entry,
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let n = out.len;
    let u = len_uniform(ctx, n);
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            inputs[0].binding(),
            inputs[1].binding(),
            out.binding(),
        ],
        grid_1d(n, ctx.limits.max_compute_workgroups_per_dimension),
    )
}

/// `out = gelu_tanh(x)`.
pub fn gelu_forward(ctx: &GpuContext, x: &Tensor, out: &Tensor) -> Dispatch {
    // The dy slot is unused by the forward entry point; bind x there.
    three_operand(ctx, &GELU, "forward", [x, x], out)
}

/// `dx = dy * gelu_tanh'(x)`.
pub fn gelu_backward(ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
    three_operand(ctx, &GELU, "backward", [x, dy], dx)
}

/// `out = a + b`.
pub fn residual_add(ctx: &GpuContext, a: &Tensor, b: &Tensor, out: &Tensor) -> Dispatch {
    three_operand(ctx, &RESIDUAL, "forward", [a, b], out)
}
