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
    /// Sum of the diagonal Fisher estimate (its trace) at the last refresh.
    pub const FISHER_SUM: usize = 5;
    /// SAM: loss at the unperturbed weights.
    pub const SAM_LOSS: usize = 6;
    /// Probe scratch: a dot product or squared norm.
    pub const DOT: usize = 7;
    /// Probe scratch: a second dot product.
    pub const DOT2: usize = 8;
    /// Sum of per-batch accuracies during evaluation (image classifiers).
    pub const EVAL_CORRECT: usize = 11;
    /// Number of fixed slots; per-tensor statistics follow (see `per_tensor`).
    pub const COUNT: usize = 16;

    /// Per-tensor statistics after the fixed slots, `tensors` entries each: IRE mask counts,
    /// below-`eps_rel * mean` counts, Fisher sums.
    pub mod per_tensor {
        /// Offset of the mask counts.
        pub fn mask_counts(_tensors: usize) -> usize {
            super::COUNT
        }
        /// Offset of the below-threshold counts.
        pub fn below_counts(tensors: usize) -> usize {
            super::COUNT + tensors
        }
        /// Offset of the Fisher sums.
        pub fn fisher_sums(tensors: usize) -> usize {
            super::COUNT + 2 * tensors
        }
        /// Total scalars-buffer length for a model with `tensors` parameter tensors.
        pub fn scalars_len(tensors: usize) -> usize {
            super::COUNT + 3 * tensors
        }
    }
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

fn uniform(ctx: &GpuContext, mode: ReduceMode, n: usize) -> wgpu::Buffer {
    let (mode_id, out_slot, scale, clip) = match mode {
        ReduceMode::Store { slot, scale } => (0, slot, scale, 0.0),
        ReduceMode::Accumulate { slot, scale } => (1, slot, scale, 0.0),
        ReduceMode::GradNorm { clip } => (2, 0, 1.0, clip),
    };
    ctx.uniform(&Params {
        n: n as u32,
        chunk: CHUNK as u32,
        mode: mode_id,
        out_slot: out_slot as u32,
        scale,
        clip,
        _pad: [0; 2],
    })
}

const ACCESS: [Access; 4] = [
    Access::Uniform,
    Access::Read,
    Access::ReadWrite,
    Access::ReadWrite,
];

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
    let params = uniform(ctx, mode, n);
    let resources = [
        uniform_binding(&params),
        input.binding(),
        partials.binding(),
        scalars.binding(),
    ];
    [
        ctx.kernel(&SHADER, "partial", &[], &ACCESS).dispatch(
            ctx,
            &resources,
            grid_items(partials_len(n), 64),
        ),
        ctx.kernel(&SHADER, "finish", &[], &ACCESS)
            .dispatch(ctx, &resources, [1, 1, 1]),
    ]
}

/// Only the finishing stage, for partial sums of `n` elements that another kernel wrote into
/// `partials` (e.g. `vector::dot_partial`).
pub fn finish(
    ctx: &GpuContext,
    mode: ReduceMode,
    n: usize,
    partials: &Tensor,
    scalars: &Tensor,
) -> Dispatch {
    assert!(partials.len >= partials_len(n), "partials buffer too small");
    let params = uniform(ctx, mode, n);
    // The finishing stage never reads `input`; bind a one-word placeholder.
    let unused = Tensor::zeros(ctx, "unused input", 1);
    ctx.kernel(&SHADER, "finish", &[], &ACCESS).dispatch(
        ctx,
        &[
            uniform_binding(&params),
            unused.binding(),
            partials.binding(),
            scalars.binding(),
        ],
        [1, 1, 1],
    )
}
