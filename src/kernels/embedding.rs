//! Token + position embedding (shaders/embedding*.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!(
    "embedding.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("tokens", "array<u32>"),
        read("wte"),
        read("wpe"),
        write("x"),
    ],
);
const BACKWARD: Shader = shader!(
    "embedding_backward.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("tokens", "array<u32>"),
        read("dx"),
        write("dwte"),
        write("dwpe"),
    ],
);

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

crate::wgsl_struct! {
    struct Dims {
        rows: u32,
        seq: u32,
        dim: u32,
        vocab: u32,
    }
}

impl EmbeddingShape {
    fn dims(&self) -> Dims {
        Dims {
            rows: self.rows as u32,
            seq: self.seq as u32,
            dim: self.dim as u32,
            vocab: self.vocab as u32,
        }
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
    let grid = ctx.grid_1d(shape.rows * shape.dim);
    let tensors = [tokens, wte, wpe, x];
    ctx.launch(&FORWARD, "forward", &[], &shape.dims(), &tensors, grid)
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
    let grid = ctx.grid_1d((shape.vocab + shape.seq) * shape.dim);
    let tensors = [tokens, dx, dwte, dwpe];
    ctx.launch(&BACKWARD, "backward", &[], &shape.dims(), &tensors, grid)
}
