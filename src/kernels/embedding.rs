//! Token + position embedding (shaders/embedding*.wgsl).

use super::shader;
use crate::gpu::{grid_1d, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!("embedding.wgsl");
const BACKWARD: Shader = shader!("embedding_backward.wgsl");

/// Sizes of an embedding call.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddingShape {
    /// Rows (batch * seq).
    pub rows: usize,
    /// Sequence length T (positions).
    pub seq: usize,
    /// Embedding width D.
    pub dim: usize,
    /// Vocabulary size V.
    pub vocab: usize,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    rows: u32,
    seq: u32,
    dim: u32,
    vocab: u32,
}

impl EmbeddingShape {
    fn uniform(&self, ctx: &GpuContext) -> wgpu::Buffer {
        ctx.uniform(&Dims {
            rows: self.rows as u32,
            seq: self.seq as u32,
            dim: self.dim as u32,
            vocab: self.vocab as u32,
        })
    }
}

/// `x[r] = wte[tokens[r]] + wpe[r % T]`.
pub fn forward(
    ctx: &GpuContext,
    shape: EmbeddingShape,
    tokens: &Tensor,
    wte: &Tensor,
    wpe: &Tensor,
    x: &Tensor,
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
        ],
    );
    let u = shape.uniform(ctx);
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            tokens.binding(),
            wte.binding(),
            wpe.binding(),
            x.binding(),
        ],
        grid_1d(
            shape.rows * shape.dim,
            ctx.limits.max_compute_workgroups_per_dimension,
        ),
    )
}

/// Gradients of both tables from `dx`.
pub fn backward(
    ctx: &GpuContext,
    shape: EmbeddingShape,
    tokens: &Tensor,
    dx: &Tensor,
    dwte: &Tensor,
    dwpe: &Tensor,
) -> Dispatch {
    let kernel = ctx.kernel(
        &BACKWARD,
        "backward",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let u = shape.uniform(ctx);
    let n = (shape.vocab + shape.seq) * shape.dim;
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            tokens.binding(),
            dx.binding(),
            dwte.binding(),
            dwpe.binding(),
        ],
        grid_1d(n, ctx.limits.max_compute_workgroups_per_dimension),
    )
}
