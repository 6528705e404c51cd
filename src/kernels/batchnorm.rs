//! BatchNorm2d forward (training and evaluation) and backward in the CNHW layout
//! (shaders/batchnorm*.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const FORWARD: Shader = shader!(
    "batchnorm.wgsl",
    structs: [Dims],
    bindings: [
        uniform("d", "Dims"),
        read("x"),
        read("gamma"),
        read("beta"),
        write("y"),
        write("stats"),
        write("running"),
    ],
    preludes: [super::WORKGROUP_SUM],
    elementwise: [("forward_eval", "i >= d.channels * d.len")],
);
const BACKWARD: Shader = shader!(
    "batchnorm_backward.wgsl",
    structs: [Dims],
    bindings: [
        uniform("d", "Dims"),
        read("x"),
        read("dy"),
        read("gamma"),
        read("stats"),
        write("dx"),
        write("dgamma"),
        write("dbeta"),
    ],
);

/// PyTorch's BatchNorm2d defaults.
pub const EPS: f32 = 1e-5;
/// Running-statistics momentum (PyTorch's default).
pub const MOMENTUM: f32 = 0.1;

crate::wgsl_struct! {
    struct Dims {
        channels: u32,
        len: u32,
        eps: f32,
        momentum: f32,
    }
}

/// The tensors of one BatchNorm layer.
pub struct BatchNormBuffers<'a> {
    /// Scale, `[channels]`.
    pub gamma: &'a Tensor,
    /// Shift, `[channels]`.
    pub beta: &'a Tensor,
    /// Batch mean and inverse std of the last training forward, `[channels, 2]`.
    pub stats: &'a Tensor,
    /// Running mean then running variance, `[2 * channels]`.
    pub running: &'a Tensor,
}

/// How a forward pass normalises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchNormMode {
    /// Batch statistics, and the running statistics are updated (a training step).
    Train,
    /// Batch statistics without touching the running ones (SAM's second pass, IRE's Fisher
    /// pass, probes: extra forward passes must not count as more training batches).
    TrainNoUpdate,
    /// Running statistics (evaluation).
    Eval,
}

fn dims(channels: usize, len: usize) -> Dims {
    Dims {
        channels: channels as u32,
        len: len as u32,
        eps: EPS,
        momentum: MOMENTUM,
    }
}

/// `y = gamma * (x - mean) / sqrt(var + eps) + beta` per channel of `x[channels, len]`.
pub fn forward(
    ctx: &GpuContext,
    mode: BatchNormMode,
    channels: usize,
    len: usize,
    x: &Tensor,
    y: &Tensor,
    b: &BatchNormBuffers,
) -> Dispatch {
    let update = [
        (
            "UPDATE_RUNNING",
            if mode == BatchNormMode::Train {
                1.0
            } else {
                0.0
            },
        ),
        ctx.run_constant(),
    ];
    let entry = if mode == BatchNormMode::Eval {
        "forward_eval"
    } else {
        "forward_train"
    };
    // Training statistics: one workgroup per channel; evaluation is elementwise.
    let grid = if mode == BatchNormMode::Eval {
        ctx.elementwise_grid(channels * len)
    } else {
        [channels as u32, 1, 1]
    };
    let tensors = [x, b.gamma, b.beta, y, b.stats, b.running];
    ctx.launch(
        &FORWARD,
        entry,
        &update,
        &dims(channels, len),
        &tensors,
        grid,
    )
}

/// `dx`, `dgamma`, `dbeta` of a training-mode forward (whose `stats` it reads).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    ctx: &GpuContext,
    channels: usize,
    len: usize,
    x: &Tensor,
    dy: &Tensor,
    b: &BatchNormBuffers,
    dx: &Tensor,
    dgamma: &Tensor,
    dbeta: &Tensor,
) -> Dispatch {
    let tensors = [x, dy, b.gamma, b.stats, dx, dgamma, dbeta];
    let grid = [channels as u32, 1, 1];
    ctx.launch(
        &BACKWARD,
        "backward",
        &[],
        &dims(channels, len),
        &tensors,
        grid,
    )
}
