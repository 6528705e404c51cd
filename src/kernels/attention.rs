//! Causal multi-head self-attention (shaders/attention.wgsl, shaders/attention_backward.wgsl).

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!("attention.wgsl");
const BACKWARD: Shader = shader!("attention_backward.wgsl");
const VEC4: Shader = shader!("attention_vec4.wgsl");
const VEC4_ACCESS: [Access; 6] = [
    Access::Uniform,
    Access::Read,
    Access::ReadWrite,
    Access::Read,
    Access::ReadWrite,
    Access::ReadWrite,
];

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
    /// Elements of the saved probability tensor `[B, H, T, T]`.
    pub fn probs_len(&self) -> usize {
        self.batch * self.heads * self.seq * self.seq
    }

    /// Whether the vec4 kernels apply (head_dim a multiple of 4, at most 64).
    pub fn vec4(&self) -> bool {
        self.head_dim.is_multiple_of(4) && self.head_dim <= 64
    }

    fn rows(&self) -> usize {
        self.batch * self.heads * self.seq
    }

    fn uniform(&self, ctx: &GpuContext) -> wgpu::Buffer {
        ctx.uniform(&Dims {
            batch: self.batch as u32,
            seq: self.seq as u32,
            heads: self.heads as u32,
            head_dim: self.head_dim as u32,
            scale: 1.0 / (self.head_dim as f32).sqrt(),
            _pad: [0; 3],
        })
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    batch: u32,
    seq: u32,
    heads: u32,
    head_dim: u32,
    scale: f32,
    _pad: [u32; 3],
}

/// `out = softmax(q k^T / sqrt(hd) + causal mask) v` per head; saves the probabilities in `probs`.
pub fn forward(
    ctx: &GpuContext,
    shape: AttentionShape,
    qkv: &Tensor,
    probs: &Tensor,
    out: &Tensor,
) -> Dispatch {
    if shape.vec4() {
        let dims = shape.uniform(ctx);
        // The vec4 file shares one layout for all entry points; the forward pass does not use
        // the gradient slots, which get (distinct) placeholders.
        let unused_read = Tensor::zeros(ctx, "unused", 4);
        let unused_write = Tensor::zeros(ctx, "unused", 4);
        return ctx.kernel(&VEC4, "forward", &[], &VEC4_ACCESS).dispatch(
            ctx,
            &[
                uniform_binding(&dims),
                qkv.binding(),
                probs.binding(),
                unused_read.binding(),
                unused_write.binding(),
                out.binding(),
            ],
            grid_items(shape.rows(), 64),
        );
    }
    let kernel = ctx.kernel(
        &FORWARD,
        "forward",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let dims = shape.uniform(ctx);
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&dims),
            qkv.binding(),
            probs.binding(),
            out.binding(),
        ],
        grid_items(shape.rows(), 64),
    )
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
    let access = [
        Access::Uniform,
        Access::Read,
        Access::Read,
        Access::Read,
        Access::ReadWrite,
        Access::ReadWrite,
    ];
    let dims = shape.uniform(ctx);
    let resources = [
        uniform_binding(&dims),
        qkv.binding(),
        probs.binding(),
        dout.binding(),
        dscores.binding(),
        dqkv.binding(),
    ];
    let grid = grid_items(shape.rows(), 64);
    if shape.vec4() {
        return [
            ctx.kernel(&VEC4, "backward_query", &[], &VEC4_ACCESS)
                .dispatch(ctx, &resources, grid),
            ctx.kernel(&VEC4, "backward_key", &[], &VEC4_ACCESS)
                .dispatch(ctx, &resources, grid),
        ];
    }
    [
        ctx.kernel(&BACKWARD, "backward_query", &[], &access)
            .dispatch(ctx, &resources, grid),
        ctx.kernel(&BACKWARD, "backward_key", &[], &access)
            .dispatch(ctx, &resources, grid),
    ]
}
