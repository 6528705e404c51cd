//! LayerNorm and RMSNorm forward and backward (shaders/layernorm*.wgsl).

use super::matmul::{column_grid, COLUMN_SLICE};
use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!(
    "layernorm.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("x"),
        read("gamma"),
        read("beta"),
        write("y"),
        write("stats"),
    ],
);
const BACKWARD: Shader = shader!(
    "layernorm_backward.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("x"),
        read("gamma"),
        read("stats"),
        read("dy"),
        read("dresidual"),
        write("dx"),
    ],
);
const PARAMS: Shader = shader!(
    "layernorm_params.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("x"),
        read("stats"),
        read("dy"),
        write("dgamma"),
        write("dbeta"),
        write("partials"),
    ],
);

/// PyTorch's default LayerNorm epsilon (also the playground's RMSNorm epsilon).
pub const EPS: f32 = 1e-5;

/// Which normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormKind {
    /// `(x - mean) / std * gamma + beta` (GPT).
    Layer,
    /// `x / rms * gamma` (Llama): the same kernels with the mean taken as zero; `beta` must be
    /// bound to zeros.
    Rms,
}

impl NormKind {
    fn constant(self) -> (&'static str, f64) {
        ("RMS", if self == NormKind::Rms { 1.0 } else { 0.0 })
    }
}

crate::wgsl_struct! {
    struct Dims {
        rows: u32,
        cols: u32,
        eps: f32,
        _pad: u32,
    }
}

fn dims(rows: usize, cols: usize) -> Dims {
    Dims {
        rows: rows as u32,
        cols: cols as u32,
        eps: EPS,
        _pad: 0,
    }
}

/// `y = layernorm(x) * gamma + beta` over rows of `cols`; `stats` receives `[rows, 2]` mean/rstd.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    ctx: &GpuContext,
    kind: NormKind,
    rows: usize,
    cols: usize,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    y: &Tensor,
    stats: &Tensor,
) -> Dispatch {
    ctx.launch(
        &FORWARD,
        "forward",
        &[kind.constant()],
        &dims(rows, cols),
        &[x, gamma, beta, y, stats],
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

/// Input and parameter gradients of LayerNorm; three dispatches.
pub fn backward(
    ctx: &GpuContext,
    kind: NormKind,
    rows: usize,
    cols: usize,
    g: LayerNormGrads<'_>,
) -> [Dispatch; 3] {
    let has_residual = if g.dresidual.is_some() { 1.0 } else { 0.0 };
    // Without a residual gradient the slot is bound but never read.
    let dresidual = ctx.bound_or_placeholder(g.dresidual);
    let input = ctx.launch(
        &BACKWARD,
        "backward_input",
        &[("HAS_RESIDUAL", has_residual), kind.constant()],
        &dims(rows, cols),
        &[g.x, g.gamma, g.stats, g.dy, &dresidual, g.dx],
        grid_items(rows, 64),
    );
    // The parameter gradients in two stages (slices of rows, then their sum per column).
    let slices = rows.div_ceil(COLUMN_SLICE).max(1);
    let partials = Tensor::zeros(ctx, "layernorm gradient partials", 2 * slices * cols);
    let tensors = [g.x, g.stats, g.dy, g.dgamma, g.dbeta, &partials];
    let d = dims(rows, cols);
    let partial = ctx.launch(
        &PARAMS,
        "partial",
        &[],
        &d,
        &tensors,
        column_grid(cols, slices),
    );
    let finish = ctx.launch(&PARAMS, "finish", &[], &d, &tensors, grid_items(cols, 64));
    [input, partial, finish]
}
