//! Elementwise kernels: GELU (shaders/gelu.wgsl) and the residual add (shaders/residual.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Grid, Shader, Tensor};

const GELU: Shader = shader!(
    "gelu.wgsl",
    structs: [Len],
    bindings: [
        uniform("dims", "Len"),
        read("x"),
        read("dy"),
        write("out"),
    ],
    elementwise: [("forward", "i >= dims.n"), ("backward", "i >= dims.n")],
);
const RESIDUAL: Shader = shader!(
    "residual.wgsl",
    structs: [Len],
    bindings: [
        uniform("dims", "Len"),
        read("a"),
        read("b"),
        write("out"),
    ],
    elementwise: [("forward", "i >= dims.n")],
);

crate::wgsl_struct! {
    /// The uniform of elementwise kernels: the element count.
    pub(super) struct Len {
        n: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Elementwise over `out` ([`Grid::Elements`]), the inputs bound before it in order (the shader's
/// uniform is [`Len`]).
pub(super) fn over_out(
    ctx: &GpuContext,
    shader: &Shader,
    entry: &'static str,
    inputs: &[&Tensor],
    out: &Tensor,
) -> Dispatch {
    let n = out.len;
    let len = Len {
        n: n as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let tensors: Vec<&Tensor> = inputs.iter().copied().chain([out]).collect();
    ctx.launch(shader, entry, &[], &len, &tensors, Grid::Elements(n))
}

fn three_operand(
    ctx: &GpuContext,
    shader: &Shader,
    entry: &'static str,
    inputs: [&Tensor; 2],
    out: &Tensor,
) -> Dispatch {
    over_out(ctx, shader, entry, &inputs, out)
}

/// `out = gelu_tanh(x)`.
pub fn gelu_forward(ctx: &GpuContext, x: &Tensor, out: &Tensor) -> Dispatch {
    // The dy slot is unused by the forward entry point; bind x there.
    three_operand(ctx, &GELU, "forward", [x, x], out)
}

/// `dx = dy * gelu_tanh'(x)`.
pub fn gelu_backward(ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
    three_operand(ctx, &GELU, "backward", [x, dy], dx)
}

/// `out = a + b`.
pub fn residual_add(ctx: &GpuContext, a: &Tensor, b: &Tensor, out: &Tensor) -> Dispatch {
    three_operand(ctx, &RESIDUAL, "forward", [a, b], out)
}
