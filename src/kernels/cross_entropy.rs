//! Fused softmax + cross-entropy (shaders/cross_entropy.wgsl).

use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "cross_entropy.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("logits"),
        read_as("targets", "array<u32>"),
        write("losses"),
        write("dlogits"),
    ],
);

crate::wgsl_struct! {
    struct Dims {
        rows: u32,
        vocab: u32,
        grad_scale: f32,
        _pad: u32,
    }
}

/// Per-row losses of `logits [rows, vocab]` against `targets` (0 where a target is IGNORE),
/// and, when `dlogits` is given, the gradient of their mean over the `scored` rows.
pub fn forward_backward(
    ctx: &GpuContext,
    (rows, scored): (usize, usize),
    vocab: usize,
    logits: &Tensor,
    targets: &Tensor,
    losses: &Tensor,
    dlogits: Option<&Tensor>,
) -> Dispatch {
    let write_grad = dlogits.is_some();
    let dims = Dims {
        rows: rows as u32,
        vocab: vocab as u32,
        grad_scale: 1.0 / scored.max(1) as f32,
        ..bytemuck::Zeroable::zeroed()
    };
    // Without a gradient the slot is bound but never written.
    let dlogits = ctx.bound_or_placeholder(dlogits);
    ctx.launch(
        &SHADER,
        "forward_backward",
        &[("WRITE_GRAD", if write_grad { 1.0 } else { 0.0 })],
        &dims,
        &[logits, targets, losses, &dlogits],
        grid_items(rows, 64),
    )
}

const ACCURACY: Shader = shader!(
    "accuracy.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("logits"),
        read_as("targets", "array<u32>"),
        write("correct"),
    ],
);

/// `correct[r] = 1` where row `r`'s arg-max logit is its target, else 0.
pub fn correct_rows(
    ctx: &GpuContext,
    rows: usize,
    classes: usize,
    logits: &Tensor,
    targets: &Tensor,
    correct: &Tensor,
) -> Dispatch {
    let dims = Dims {
        rows: rows as u32,
        vocab: classes as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let tensors = [logits, targets, correct];
    let grid = grid_items(rows, 64);
    ctx.launch(&ACCURACY, "correct_rows", &[], &dims, &tensors, grid)
}
