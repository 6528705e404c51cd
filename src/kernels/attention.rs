//! Causal multi-head self-attention (shaders/attention.wgsl, shaders/attention_backward.wgsl).

use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Shader, Tensor};

/// Index helpers shared by the attention files (the row kernels here, the fused ones in
/// attention_fused.rs).
pub(super) const INDEX: &str = include_str!("../../shaders/attention_index.wgsl");

const FORWARD: Shader = shader!(
    "attention.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("qkv"),
        write("probs"),
        write("out"),
    ],
    preludes: [INDEX],
);
const BACKWARD: Shader = shader!(
    "attention_backward.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("qkv"),
        read("probs"),
        read("dout"),
        write("dscores"),
        write("dqkv"),
    ],
    preludes: [INDEX],
);
const VEC4: Shader = shader!(
    "attention_vec4.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("qkv", "array<vec4<f32>>"),
        write("probs"),
        read_as("dout", "array<vec4<f32>>"),
        write("dscores"),
        write_as("grad", "array<vec4<f32>>"),
    ],
    preludes: [INDEX],
);

/// Sizes of one attention call.
#[derive(Clone, Copy, Debug)]
pub struct AttentionShape {
    /// Sequences in the batch.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq: usize,
    /// Heads.
    pub heads: usize,
    /// Channels per head.
    pub head_dim: usize,
}

impl AttentionShape {
    /// Floating-point operations of the two products of a forward pass (`q k^T` and `p v`),
    /// causal: each query sees its own and earlier positions, half the square on average.
    pub fn flops(&self) -> f64 {
        let (b, h, t, d) = (self.batch, self.heads, self.seq, self.head_dim);
        2.0 * 2.0 * (b * h) as f64 * (t * (t + 1) / 2) as f64 * d as f64
    }

    /// Elements of the saved probability tensor `[B, H, T, T]`.
    pub fn probs_len(&self) -> usize {
        self.batch * self.heads * self.seq * self.seq
    }

    /// The pipeline constant fixing the head's lanes at build time: its vec4 lanes for the vec4
    /// kernels, 0 (read from the uniform) for the scalar ones.
    pub(super) fn lanes(&self) -> [(&'static str, f64); 1] {
        let lanes = if self.vec4() { self.head_dim / 4 } else { 0 };
        [("HEAD_LANES", lanes as f64)]
    }

    /// Whether the vec4 kernels apply (head_dim a multiple of 4, at most 64).
    pub fn vec4(&self) -> bool {
        self.head_dim.is_multiple_of(4) && self.head_dim <= 64
    }

    fn rows(&self) -> usize {
        self.batch * self.heads * self.seq
    }

    pub(super) fn dims(&self) -> Dims {
        Dims {
            batch: self.batch as u32,
            seq: self.seq as u32,
            heads: self.heads as u32,
            head_dim: self.head_dim as u32,
            scale: 1.0 / (self.head_dim as f32).sqrt(),
            ..bytemuck::Zeroable::zeroed()
        }
    }
}

crate::wgsl_struct! {
    pub(super) struct Dims {
        batch: u32,
        seq: u32,
        heads: u32,
        head_dim: u32,
        scale: f32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// `out = softmax(q k^T / sqrt(hd) + causal mask) v` per head; saves the probabilities in `probs`.
pub fn forward(
    ctx: &GpuContext,
    shape: AttentionShape,
    qkv: &Tensor,
    probs: &Tensor,
    out: &Tensor,
) -> Dispatch {
    let grid = grid_items(shape.rows(), 64);
    if shape.vec4() {
        // The vec4 file shares one layout for all entry points; the forward pass does not use
        // the gradient slots, which get (distinct) placeholders.
        let unused_read = Tensor::zeros(ctx, "unused", 4);
        let unused_write = Tensor::zeros(ctx, "unused", 4);
        let tensors = [qkv, probs, &unused_read, &unused_write, out];
        return ctx
            .launch(
                &VEC4,
                "forward",
                &shape.lanes(),
                &shape.dims(),
                &tensors,
                grid,
            )
            .with_flops(shape.flops());
    }
    let tensors = [qkv, probs, out];
    ctx.launch(&FORWARD, "forward", &[], &shape.dims(), &tensors, grid)
        .with_flops(shape.flops())
}

/// Gradient of [`forward`] with respect to the packed `qkv`, given `dout`. `dscores` is scratch of
/// the size of `probs`. Returns two dispatches (query side, then key/value side).
pub fn backward(
    ctx: &GpuContext,
    shape: AttentionShape,
    qkv: &Tensor,
    probs: &Tensor,
    dout: &Tensor,
    dscores: &Tensor,
    dqkv: &Tensor,
) -> [Dispatch; 2] {
    let shader = if shape.vec4() { &VEC4 } else { &BACKWARD };
    let tensors = [qkv, probs, dout, dscores, dqkv];
    let grid = grid_items(shape.rows(), 64);
    // Each side does two products of the forward pass's size (query: dP = dO V^T, dQ = dS K;
    // key: dK = dS^T Q, dV = P^T dO).
    ["backward_query", "backward_key"].map(|entry| {
        ctx.launch(shader, entry, &shape.lanes(), &shape.dims(), &tensors, grid)
            .with_flops(shape.flops())
    })
}
