//! Deterministic reductions into the scalars buffer (shaders/reduce.wgsl): mean loss, evaluation
//! sums, and the global gradient norm with its clipping factor and NaN/Inf flag.

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!("reduce.wgsl");

/// Elements each first-stage invocation sums.
pub const CHUNK: usize = 256;

/// Slots of the scalars buffer (must match shaders/common.wgsl).
pub mod slot {
    /// Mean training loss of the last step.
    pub const LOSS: usize = 0;
    /// Global gradient L2 norm before clipping.
    pub const GRAD_NORM: usize = 1;
    /// Factor the optimizer scales gradients by.
    pub const CLIP_SCALE: usize = 2;
    /// 1.0 when the step's loss or gradient was NaN/Inf (the update was skipped).
    pub const NONFINITE: usize = 3;
    /// Evaluation accumulator.
    pub const EVAL_LOSS: usize = 4;
    /// Number of slots (padded for alignment).
    pub const COUNT: usize = 8;
}

/// What the finishing stage does with the total.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReduceMode {
    /// `scalars[slot] = sum * scale`.
    Store {
        /// Target slot.
        slot: usize,
        /// Factor (1/n for a mean).
        scale: f32,
    },
    /// `scalars[slot] += sum * scale`.
    Accumulate {
        /// Target slot.
        slot: usize,
        /// Factor.
        scale: f32,
    },
    /// Global gradient norm, clipping factor for `clip` (<= 0: no clipping) and the NaN flag.
    GradNorm {
        /// Maximum norm.
        clip: f32,
    },
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    chunk: u32,
    mode: u32,
    out_slot: u32,
    scale: f32,
    clip: f32,
    _pad: [u32; 2],
}

/// Scratch for the first stage's partial sums of `n` elements.
pub fn partials_len(n: usize) -> usize {
    n.div_ceil(CHUNK).max(1)
}

/// Reduces `input` into `scalars` as `mode` says; two dispatches.
pub fn reduce(
    ctx: &GpuContext,
    mode: ReduceMode,
    input: &Tensor,
    partials: &Tensor,
    scalars: &Tensor,
) -> [Dispatch; 2] {
    let n = input.len;
    assert!(partials.len >= partials_len(n), "partials buffer too small");
    let (mode_id, out_slot, scale, clip) = match mode {
        ReduceMode::Store { slot, scale } => (0, slot, scale, 0.0),
        ReduceMode::Accumulate { slot, scale } => (1, slot, scale, 0.0),
        ReduceMode::GradNorm { clip } => (2, 0, 1.0, clip),
    };
    let params = ctx.uniform(&Params {
        n: n as u32,
        chunk: CHUNK as u32,
        mode: mode_id,
        out_slot: out_slot as u32,
        scale,
        clip,
        _pad: [0; 2],
    });
    let access = [
        Access::Uniform,
        Access::Read,
        Access::ReadWrite,
        Access::ReadWrite,
    ];
    let resources = [
        uniform_binding(&params),
        input.binding(),
        partials.binding(),
        scalars.binding(),
    ];
    [
        ctx.kernel(&SHADER, "partial", &[], &access).dispatch(
            ctx,
            &resources,
            grid_items(partials_len(n), 64),
        ),
        ctx.kernel(&SHADER, "finish", &[], &access)
            .dispatch(ctx, &resources, [1, 1, 1]),
    ]
}
