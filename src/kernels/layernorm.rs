//! LayerNorm forward and backward (shaders/layernorm*.wgsl).

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!("layernorm.wgsl");
const BACKWARD: Shader = shader!("layernorm_backward.wgsl");
const PARAMS: Shader = shader!("layernorm_params.wgsl");

/// PyTorch's default LayerNorm epsilon.
pub const EPS: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    rows: u32,
    cols: u32,
    eps: f32,
    _pad: u32,
}

fn dims(ctx: &GpuContext, rows: usize, cols: usize) -> wgpu::Buffer {
    ctx.uniform(&Dims {
        rows: rows as u32,
        cols: cols as u32,
        eps: EPS,
        _pad: 0,
    })
}

/// `y = layernorm(x) * gamma + beta` over rows of `cols`; `stats` receives `[rows, 2]` mean/rstd.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    y: &Tensor,
    stats: &Tensor,
) -> Dispatch {
    let kernel = ctx.kernel(
        &FORWARD,
        "forward",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let d = dims(ctx, rows, cols);
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&d),
            x.binding(),
            gamma.binding(),
            beta.binding(),
            y.binding(),
            stats.binding(),
        ],
        grid_items(rows, 64),
    )
}

/// Tensors of a LayerNorm backward call.
pub struct LayerNormGrads<'a> {
    /// Forward input.
    pub x: &'a Tensor,
    /// Scale parameter.
    pub gamma: &'a Tensor,
    /// Mean/rstd saved by the forward pass.
    pub stats: &'a Tensor,
    /// Gradient of the output.
    pub dy: &'a Tensor,
    /// Gradient arriving at `x` through the residual path, added to `dx` (None: nothing added).
    pub dresidual: Option<&'a Tensor>,
    /// Receives the input gradient.
    pub dx: &'a Tensor,
    /// Receives the gamma gradient.
    pub dgamma: &'a Tensor,
    /// Receives the beta gradient.
    pub dbeta: &'a Tensor,
}

/// Input and parameter gradients of LayerNorm; two dispatches.
pub fn backward(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    g: LayerNormGrads<'_>,
) -> [Dispatch; 2] {
    let has_residual = g.dresidual.is_some();
    let input_kernel = ctx.kernel(
        &BACKWARD,
        "backward_input",
        &[("HAS_RESIDUAL", if has_residual { 1.0 } else { 0.0 })],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let d = dims(ctx, rows, cols);
    let dresidual = g
        .dresidual
        .cloned()
        .unwrap_or_else(|| Tensor::zeros(ctx, "no residual", 1));
    let input = input_kernel.dispatch(
        ctx,
        &[
            uniform_binding(&d),
            g.x.binding(),
            g.gamma.binding(),
            g.stats.binding(),
            g.dy.binding(),
            dresidual.binding(),
            g.dx.binding(),
        ],
        grid_items(rows, 64),
    );
    let params_kernel = ctx.kernel(
        &PARAMS,
        "backward_params",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let params = params_kernel.dispatch(
        ctx,
        &[
            uniform_binding(&d),
            g.x.binding(),
            g.stats.binding(),
            g.dy.binding(),
            g.dgamma.binding(),
            g.dbeta.binding(),
        ],
        grid_items(cols, 64),
    );
    [input, params]
}
