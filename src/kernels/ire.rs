//! IRE's GPU pieces: labels sampled from the model (shaders/fisher.wgsl), the Fisher EMA
//! (shaders/fisher_accumulate.wgsl), the exact k-th smallest value by radix select
//! (shaders/select.wgsl), and the flat-direction indicators (shaders/ire_mask.wgsl).

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Dispatch, GpuContext, Shader, Tensor};

const SAMPLE: Shader = shader!(
    "fisher.wgsl",
    structs: [SampleParams],
    bindings: [
        uniform("sp", "SampleParams"),
        read("logits"),
        read_as("targets", "array<u32>"),
        write_as("labels", "array<u32>"),
    ],
);
const ACCUMULATE: Shader = shader!(
    "fisher_accumulate.wgsl",
    structs: [AccumulateParams],
    bindings: [
        uniform("params", "AccumulateParams"),
        read("grads"),
        write("fisher"),
    ],
);
const SELECT: Shader = shader!(
    "select.wgsl",
    structs: [SelectParams],
    bindings: [
        uniform("params", "SelectParams"),
        read("values"),
        write_as("hist", "array<atomic<u32>, 256>"),
        write_as("state", "array<u32, 4>"),
    ],
);
const MASK: Shader = shader!(
    "ire_mask.wgsl",
    structs: [MaskParams],
    bindings: [
        uniform("params", "MaskParams"),
        read("fisher"),
        read_as("state", "array<u32, 4>"),
        read("scalars"),
        write("mask"),
        write("below"),
    ],
);

crate::wgsl_struct! {
    /// Uniform block of `sample_labels`; `counter` changes per refresh so each draws new labels.
    pub struct SampleParams {
        /// Rows of logits.
        pub rows: u32,
        /// Vocabulary size.
        pub vocab: u32,
        /// Run seed.
        pub seed: u32,
        /// Refresh counter.
        pub counter: u32,
    }
}

/// Draws one label per row of `logits` from softmax(logits) into `labels`, for the rows the
/// batch scores (IGNORE where `targets` is IGNORE).
pub fn sample_labels(
    ctx: &GpuContext,
    params: &wgpu::Buffer,
    rows: usize,
    (logits, targets): (&Tensor, &Tensor),
    labels: &Tensor,
) -> Dispatch {
    let k = ctx.kernel(&SAMPLE, "sample_labels", &[]);
    let bindings = [
        uniform_binding(params),
        logits.binding(),
        targets.binding(),
        labels.binding(),
    ];
    k.dispatch(ctx, &bindings, grid_items(rows, 64))
}

crate::wgsl_struct! {
    struct AccumulateParams {
        n: u32,
        beta: f32,
        scale: f32,
        _pad: u32,
    }
}

/// `fisher = beta * fisher + (1 - beta) * scale * grads^2`.
pub fn accumulate(
    ctx: &GpuContext,
    grads: &Tensor,
    fisher: &Tensor,
    beta: f32,
    scale: f32,
) -> Dispatch {
    let params = AccumulateParams {
        n: fisher.len as u32,
        beta,
        scale,
        ..bytemuck::Zeroable::zeroed()
    };
    let grid = ctx.grid_1d(fisher.len);
    ctx.launch(
        &ACCUMULATE,
        "accumulate",
        &[],
        &params,
        &[grads, fisher],
        grid,
    )
}

crate::wgsl_struct! {
    struct SelectParams {
        n: u32,
        shift: u32,
        k: u32,
        _pad: u32,
    }
}

/// Scratch of a radix select: a 256-bin histogram and a 4-word state (see shaders/select.wgsl).
pub struct SelectScratch {
    /// Histogram bins.
    pub hist: Tensor,
    /// `[prefix, remaining rank, threshold bits, empty flag]`.
    pub state: Tensor,
}

impl SelectScratch {
    /// Allocates the scratch.
    pub fn new(ctx: &GpuContext) -> Self {
        Self {
            hist: Tensor::zeros(ctx, "select histogram", 256),
            state: Tensor::zeros(ctx, "select state", 4),
        }
    }
}

/// Dispatches that leave the bit pattern of the `k`-th smallest (1-based) of the non-negative
/// `values` in `scratch.state[2]` (k = 0: `state[3] = 1`, no threshold).
pub fn select_kth(
    ctx: &GpuContext,
    values: &Tensor,
    k: usize,
    scratch: &SelectScratch,
) -> Vec<Dispatch> {
    let pass = |entry: &'static str, shift: u32, grid: [u32; 3]| {
        let params = SelectParams {
            n: values.len as u32,
            shift,
            k: k as u32,
            ..bytemuck::Zeroable::zeroed()
        };
        let tensors = [values, &scratch.hist, &scratch.state];
        ctx.launch(&SELECT, entry, &[], &params, &tensors, grid)
    };
    // Enough workgroups to fill a GPU, few enough that merging local histograms stays cheap.
    let groups = values.len.div_ceil(256 * 16).clamp(1, 1024) as u32;
    let mut out = vec![pass("start", 24, [1, 1, 1])];
    for shift in [24u32, 16, 8, 0] {
        out.push(pass("histogram", shift, [groups, 1, 1]));
        out.push(pass("choose", shift, [1, 1, 1]));
    }
    out
}

crate::wgsl_struct! {
    struct MaskParams {
        n: u32,
        real_count: u32,
        eps_rel: f32,
        _pad: u32,
    }
}

/// Buffers the flat-direction marking reads and writes.
pub struct MaskBuffers<'a> {
    /// Fisher estimate.
    pub fisher: &'a Tensor,
    /// Select state holding the threshold.
    pub state: &'a Tensor,
    /// Scalars holding the Fisher sum.
    pub scalars: &'a Tensor,
    /// Receives the IRE mask.
    pub mask: &'a Tensor,
    /// Receives the below-`eps_rel * mean` indicator.
    pub below: &'a Tensor,
}

/// Marks the flat coordinates (see shaders/ire_mask.wgsl).
pub fn mark(ctx: &GpuContext, b: MaskBuffers<'_>, real_count: usize, eps_rel: f32) -> Dispatch {
    let params = MaskParams {
        n: b.fisher.len as u32,
        real_count: real_count as u32,
        eps_rel,
        ..bytemuck::Zeroable::zeroed()
    };
    let tensors = [b.fisher, b.state, b.scalars, b.mask, b.below];
    let grid = ctx.grid_1d(b.fisher.len);
    ctx.launch(&MASK, "mark", &[], &params, &tensors, grid)
}
