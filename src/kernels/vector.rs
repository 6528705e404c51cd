//! Vector operations on flat parameter-sized buffers (shaders/vector.wgsl) for SAM and probes.

use super::reduce::{self, partials_len, ReduceMode, CHUNK};
use super::shader;
use crate::gpu::{
    grid_1d, grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor,
};

const SHADER: Shader = shader!("vector.wgsl");
const NONE: u32 = u32::MAX;
const ACCESS: [Access; 5] = [
    Access::Uniform,
    Access::Read,
    Access::Read,
    Access::Read,
    Access::ReadWrite,
];

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    norm_slot: u32,
    alpha: f32,
    seed: u32,
    counter: u32,
    chunk: u32,
    _pad: [u32; 2],
}

fn params(n: usize) -> Params {
    Params {
        n: n as u32,
        norm_slot: NONE,
        alpha: 0.0,
        seed: 0,
        counter: 0,
        chunk: CHUNK as u32,
        _pad: [0; 2],
    }
}

fn run(
    ctx: &GpuContext,
    entry: &'static str,
    p: Params,
    ins: [&Tensor; 3],
    out: &Tensor,
    grid: [u32; 3],
) -> Dispatch {
    let u = ctx.uniform(&p);
    ctx.kernel(&SHADER, entry, &[], &ACCESS).dispatch(
        ctx,
        &[
            uniform_binding(&u),
            ins[0].binding(),
            ins[1].binding(),
            ins[2].binding(),
            out.binding(),
        ],
        grid,
    )
}

fn grid(ctx: &GpuContext, n: usize) -> [u32; 3] {
    grid_1d(n, ctx.limits.max_compute_workgroups_per_dimension)
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
    run(ctx, "axpy", p, [base, v, scalars], out, grid(ctx, out.len))
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
    run(ctx, "hvp", p, [a, b, a], out, grid(ctx, out.len))
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
    run(
        ctx,
        "normalize",
        p,
        [v, v, scalars],
        out,
        grid(ctx, out.len),
    )
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
    run(
        ctx,
        "rademacher",
        p,
        [valid, valid, valid],
        out,
        grid(ctx, out.len),
    )
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
