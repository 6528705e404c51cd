//! Rotary position embeddings on a packed qkv buffer (shaders/rope.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "rope.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        write("x"),
    ],
);

/// Llama's rotary base.
pub const BASE: f32 = 10_000.0;

crate::wgsl_struct! {
    struct Dims {
        rows: u32,
        seq: u32,
        heads: u32,
        head_dim: u32,
        base: f32,
        sign: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// The shape of the qkv buffer the rotation acts on.
#[derive(Clone, Copy, Debug)]
pub struct RopeShape {
    /// Token rows (`batch * seq`).
    pub rows: usize,
    /// Sequence length (a row's position is `row % seq`).
    pub seq: usize,
    /// Heads.
    pub heads: usize,
    /// Channels per head (even).
    pub head_dim: usize,
}

fn rotate(ctx: &GpuContext, shape: RopeShape, qkv: &Tensor, sign: f32) -> Dispatch {
    assert!(
        shape.head_dim.is_multiple_of(2),
        "rotary embeddings need an even head_dim"
    );
    let dims = Dims {
        rows: shape.rows as u32,
        seq: shape.seq as u32,
        heads: shape.heads as u32,
        head_dim: shape.head_dim as u32,
        base: BASE,
        sign,
        _pad0: 0,
        _pad1: 0,
    };
    let pairs = shape.rows * 2 * shape.heads * shape.head_dim / 2;
    ctx.launch(&SHADER, "rotate", &[], &dims, &[qkv], ctx.grid_1d(pairs))
}

/// Rotates q and k of `qkv` in place by their positions.
pub fn forward(ctx: &GpuContext, shape: RopeShape, qkv: &Tensor) -> Dispatch {
    rotate(ctx, shape, qkv, 1.0)
}

/// Turns the gradient of the rotated q and k in `dqkv` back in place (the rotation's transpose).
pub fn backward(ctx: &GpuContext, shape: RopeShape, dqkv: &Tensor) -> Dispatch {
    rotate(ctx, shape, dqkv, -1.0)
}
