//! SwiGLU, Llama's feed-forward gate (shaders/swiglu.wgsl).

use super::elementwise::{over_out, Len};
use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "swiglu.wgsl",
    structs: [Len],
    bindings: [
        uniform("dims", "Len"),
        read("a"),
        read("b"),
        read("dh"),
        write("out"),
    ],
    elementwise: [
        ("forward", "i >= dims.n"),
        ("backward_gate", "i >= dims.n"),
        ("backward_up", "i >= dims.n"),
    ],
);

fn run(ctx: &GpuContext, entry: &'static str, ins: [&Tensor; 3], out: &Tensor) -> Dispatch {
    over_out(ctx, &SHADER, entry, &ins, out)
}

/// `h = silu(gate) * up`.
pub fn forward(ctx: &GpuContext, gate: &Tensor, up: &Tensor, h: &Tensor) -> Dispatch {
    // The dh slot is unused by the forward entry point; bind the gate there.
    run(ctx, "forward", [gate, up, gate], h)
}

/// `d gate = dh * up * silu'(gate)` and `d up = dh * silu(gate)`; two dispatches.
pub fn backward(
    ctx: &GpuContext,
    (gate, up): (&Tensor, &Tensor),
    dh: &Tensor,
    (d_gate, d_up): (&Tensor, &Tensor),
) -> [Dispatch; 2] {
    [
        run(ctx, "backward_gate", [gate, up, dh], d_gate),
        run(ctx, "backward_up", [gate, up, dh], d_up),
    ]
}
