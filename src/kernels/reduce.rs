//! Deterministic reductions into the scalars buffer (shaders/reduce.wgsl): mean loss, evaluation
//! sums, and the global gradient norm with its clipping factor and NaN/Inf flag.

use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "reduce.wgsl",
    structs: [Params],
    bindings: [
        uniform("params", "Params"),
        read("input"),
        write("partials"),
        write("scalars"),
    ],
    preludes: [super::WORKGROUP_SUM],
);

/// Elements each first-stage invocation sums.
pub const CHUNK: usize = 256;

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

crate::wgsl_struct! {
    struct Params {
        n: u32,
        chunk: u32,
        mode: u32,
        out_slot: u32,
        scale: f32,
        clip: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// Scratch for the first stage's partial sums of `n` elements.
pub fn partials_len(n: usize) -> usize {
    n.div_ceil(CHUNK).max(1)
}

fn params(mode: ReduceMode, n: usize) -> Params {
    let (mode_id, out_slot, scale, clip) = match mode {
        ReduceMode::Store { slot, scale } => (0, slot, scale, 0.0),
        ReduceMode::Accumulate { slot, scale } => (1, slot, scale, 0.0),
        ReduceMode::GradNorm { clip } => (2, 0, 1.0, clip),
    };
    Params {
        n: n as u32,
        chunk: CHUNK as u32,
        mode: mode_id,
        out_slot: out_slot as u32,
        scale,
        clip,
        ..bytemuck::Zeroable::zeroed()
    }
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
    let params = params(mode, n);
    let tensors = [input, partials, scalars];
    let partial_grid = grid_items(partials_len(n), 64);
    [
        ctx.launch(&SHADER, "partial", &[], &params, &tensors, partial_grid),
        ctx.launch(&SHADER, "finish", &[], &params, &tensors, [1, 1, 1]),
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
    // The finishing stage never reads `input`.
    let unused = ctx.placeholder();
    let tensors = [&unused, partials, scalars];
    ctx.launch(
        &SHADER,
        "finish",
        &[],
        &params(mode, n),
        &tensors,
        [1, 1, 1],
    )
}
