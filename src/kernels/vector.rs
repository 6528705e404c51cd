//! Vector operations on flat parameter-sized buffers (shaders/vector.wgsl) for SAM and probes.

use super::reduce::{self, partials_len, ReduceMode, CHUNK};
use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "vector.wgsl",
    structs: [Params],
    bindings: [
        uniform("params", "Params"),
        read("a"),
        read("b"),
        read("scalars"),
        write("out"),
    ],
);
const NONE: u32 = u32::MAX;

crate::wgsl_struct! {
    struct Params {
        n: u32,
        norm_slot: u32,
        alpha: f32,
        seed: u32,
        counter: u32,
        chunk: u32,
        _pad0: u32,
        _pad1: u32,
    }
}

fn params(n: usize) -> Params {
    Params {
        n: n as u32,
        norm_slot: NONE,
        alpha: 0.0,
        seed: 0,
        counter: 0,
        chunk: CHUNK as u32,
        ..bytemuck::Zeroable::zeroed()
    }
}

fn run(
    ctx: &GpuContext,
    entry: &'static str,
    p: Params,
    [a, b, scalars]: [&Tensor; 3],
    out: &Tensor,
    grid: [u32; 3],
) -> Dispatch {
    ctx.launch(&SHADER, entry, &[], &p, &[a, b, scalars, out], grid)
}

/// An elementwise pass over `out`.
fn run_over_out(
    ctx: &GpuContext,
    entry: &'static str,
    p: Params,
    ins: [&Tensor; 3],
    out: &Tensor,
) -> Dispatch {
    run(ctx, entry, p, ins, out, ctx.grid_1d(out.len))
}

/// `out = base + alpha * v`, or `base + alpha * v / sqrt(scalars[slot])` when `norm_slot` is given.
pub fn axpy(
    ctx: &GpuContext,
    base: &Tensor,
    alpha: f32,
    v: &Tensor,
    norm_slot: Option<(usize, &Tensor)>,
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.alpha = alpha;
    let scalars = match norm_slot {
        Some((slot, scalars)) => {
            p.norm_slot = slot as u32;
            scalars
        }
        None => base,
    };
    run_over_out(ctx, "axpy", p, [base, v, scalars], out)
}

/// `out = (a - b) * alpha`.
pub fn scaled_difference(
    ctx: &GpuContext,
    a: &Tensor,
    b: &Tensor,
    alpha: f32,
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.alpha = alpha;
    run_over_out(ctx, "hvp", p, [a, b, a], out)
}

/// `out = v / sqrt(scalars[slot])`.
pub fn normalize(
    ctx: &GpuContext,
    v: &Tensor,
    scalars: &Tensor,
    slot: usize,
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.norm_slot = slot as u32;
    run_over_out(ctx, "normalize", p, [v, v, scalars], out)
}

/// `out = +-valid` with hashed signs for (`seed`, `counter`).
pub fn rademacher(
    ctx: &GpuContext,
    valid: &Tensor,
    seed: u32,
    counter: u32,
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.seed = seed;
    p.counter = counter;
    run_over_out(ctx, "rademacher", p, [valid, valid, valid], out)
}

/// `scalars[slot] (op)= scale * (a . b)`; two dispatches.
pub fn dot(
    ctx: &GpuContext,
    a: &Tensor,
    b: &Tensor,
    partials: &Tensor,
    scalars: &Tensor,
    mode: ReduceMode,
) -> [Dispatch; 2] {
    let n = a.len;
    let first = run(
        ctx,
        "dot_partial",
        params(n),
        [a, b, a],
        partials,
        grid_items(partials_len(n), 64),
    );
    [first, reduce::finish(ctx, mode, n, partials, scalars)]
}
