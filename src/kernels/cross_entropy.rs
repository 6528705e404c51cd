//! Fused softmax + cross-entropy (shaders/cross_entropy.wgsl).

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!("cross_entropy.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    rows: u32,
    vocab: u32,
    grad_scale: f32,
    _pad: u32,
}

/// Per-row losses of `logits [rows, vocab]` against `targets`, and, when `dlogits` is given, the
/// gradient of the mean loss (`grad_scale = 1/rows`).
pub fn forward_backward(
    ctx: &GpuContext,
    rows: usize,
    vocab: usize,
    logits: &Tensor,
    targets: &Tensor,
    losses: &Tensor,
    dlogits: Option<&Tensor>,
) -> Dispatch {
    let write_grad = dlogits.is_some();
    let kernel = ctx.kernel(
        &SHADER,
        "forward_backward",
        &[("WRITE_GRAD", if write_grad { 1.0 } else { 0.0 })],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
            Access::ReadWrite,
        ],
    );
    let u = ctx.uniform(&Dims {
        rows: rows as u32,
        vocab: vocab as u32,
        grad_scale: 1.0 / rows as f32,
        _pad: 0,
    });
    let dlogits = dlogits
        .cloned()
        .unwrap_or_else(|| Tensor::zeros(ctx, "no dlogits", 1));
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            logits.binding(),
            targets.binding(),
            losses.binding(),
            dlogits.binding(),
        ],
        grid_items(rows, 64),
    )
}

const ACCURACY: Shader = shader!("accuracy.wgsl");

/// `correct[r] = 1` where row `r`'s arg-max logit is its target, else 0.
pub fn correct_rows(
    ctx: &GpuContext,
    rows: usize,
    classes: usize,
    logits: &Tensor,
    targets: &Tensor,
    correct: &Tensor,
) -> Dispatch {
    let kernel = ctx.kernel(
        &ACCURACY,
        "correct_rows",
        &[],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let u = ctx.uniform(&Dims {
        rows: rows as u32,
        vocab: classes as u32,
        grad_scale: 0.0,
        _pad: 0,
    });
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&u),
            logits.binding(),
            targets.binding(),
            correct.binding(),
        ],
        grid_items(rows, 64),
    )
}
