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
        beta: f32,
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

/// `out = from`, exactly (`from + 0 * from`): saving and restoring weights, gradients,
/// activations.
pub fn copy(ctx: &GpuContext, from: &Tensor, out: &Tensor) -> Dispatch {
    axpy(ctx, from, 0.0, from, None, out)
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

/// `out = a + alpha * b + beta * c` (a point `theta + x d1 + y d2` of a landscape slice).
pub fn axpy2(
    ctx: &GpuContext,
    a: &Tensor,
    (alpha, b): (f32, &Tensor),
    (beta, c): (f32, &Tensor),
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.alpha = alpha;
    p.beta = beta;
    run_over_out(ctx, "axpy2", p, [a, b, c], out)
}

/// `out = a + alpha * coefficients[slot] * b`, with a coefficient a reduction left on the GPU
/// (Gram-Schmidt without a round trip to the host).
pub fn axpy_slot(
    ctx: &GpuContext,
    a: &Tensor,
    alpha: f32,
    (coefficients, slot): (&Tensor, usize),
    b: &Tensor,
    out: &Tensor,
) -> Dispatch {
    let mut p = params(out.len);
    p.alpha = alpha;
    p.norm_slot = slot as u32;
    run_over_out(ctx, "axpy_slot", p, [a, b, coefficients], out)
}

/// `out[slot] = value` (one invocation).
pub fn set_slot(ctx: &GpuContext, out: &Tensor, slot: usize, value: f32) -> Dispatch {
    assert!(
        slot < out.len,
        "slot {slot} outside a buffer of {}",
        out.len
    );
    let mut p = params(1);
    p.norm_slot = slot as u32;
    p.alpha = value;
    // A buffer may not be bound for reading and writing in one dispatch: bind a placeholder.
    let unused = ctx.placeholder();
    let ins = [&unused, &unused, &unused];
    run(ctx, "set_slot", p, ins, out, [1, 1, 1])
}

/// `out[index] += scale * scalars[slot]` (one invocation): collects one result per grid point.
pub fn add_slot(
    ctx: &GpuContext,
    (scalars, slot): (&Tensor, usize),
    scale: f32,
    out: &Tensor,
    index: usize,
) -> Dispatch {
    assert!(
        index < out.len,
        "index {index} outside a buffer of {}",
        out.len
    );
    let mut p = params(1);
    p.norm_slot = slot as u32;
    p.counter = index as u32;
    p.alpha = scale;
    run(
        ctx,
        "add_slot",
        p,
        [scalars, scalars, scalars],
        out,
        [1, 1, 1],
    )
}
