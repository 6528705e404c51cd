//! The elementwise steps of Muon's Newton-Schulz orthogonalisation (shaders/muon.wgsl); the
//! products between them are ordinary matmuls. `optim::muon` strings them together.

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Grid, Shader, Tensor};

const SHADER: Shader = shader!(
    "muon.wgsl",
    structs: [Params],
    bindings: [
        uniform("params", "Params"),
        read("src"),
        read("norms"),
        write("out"),
    ],
    elementwise: [
        ("ns_start", "i >= params.n"),
        ("ns_combine", "i >= params.n"),
        ("ns_finish", "i >= params.n"),
    ],
);

crate::wgsl_struct! {
    struct Params {
        n: u32,
        rows: u32,
        cols: u32,
        transpose: u32,
        slot: u32,
        eps: f32,
        alpha: f32,
        beta: f32,
    }
}

/// A matrix `[rows, cols]` as Muon orthogonalises it: in its wide orientation (`[cols, rows]`
/// when it has more rows than columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixShape {
    /// Rows as stored (fan-out).
    pub rows: usize,
    /// Columns as stored (fan-in, or a filter's inputs x kernel area).
    pub cols: usize,
}

impl MatrixShape {
    /// Whether it is worked on transposed.
    pub fn transposed(self) -> bool {
        self.rows > self.cols
    }

    /// `(short, long)`: its wide orientation's rows and columns.
    pub fn wide(self) -> (usize, usize) {
        (self.rows.min(self.cols), self.rows.max(self.cols))
    }

    /// Elements.
    pub(crate) fn len(self) -> usize {
        self.rows * self.cols
    }

    fn params(self) -> Params {
        Params {
            n: self.len() as u32,
            rows: self.rows as u32,
            cols: self.cols as u32,
            transpose: self.transposed() as u32,
            ..bytemuck::Zeroable::zeroed()
        }
    }
}

fn run(ctx: &GpuContext, entry: &'static str, p: Params, tensors: [&Tensor; 3]) -> Dispatch {
    let grid = Grid::Elements(p.n as usize);
    ctx.launch(&SHADER, entry, &[], &p, &tensors, grid)
}

/// `x = m / max(sqrt(norms[slot]), eps)` in `m`'s wide orientation.
pub fn start(
    ctx: &GpuContext,
    shape: MatrixShape,
    m: &Tensor,
    (norms, slot): (&Tensor, usize),
    eps: f32,
    x: &Tensor,
) -> Dispatch {
    let p = Params {
        slot: slot as u32,
        eps,
        ..shape.params()
    };
    run(ctx, "ns_start", p, [m, norms, x])
}

/// `out = alpha * src + beta * out` over the first `n` elements.
pub fn combine(
    ctx: &GpuContext,
    n: usize,
    alpha: f32,
    src: &Tensor,
    beta: f32,
    out: &Tensor,
) -> Dispatch {
    let p = Params {
        n: n as u32,
        alpha,
        beta,
        ..bytemuck::Zeroable::zeroed()
    };
    let unused = ctx.placeholder();
    run(ctx, "ns_combine", p, [src, &unused, out])
}

/// `out = scale * x`, `x` turned back from the wide orientation into `shape`'s.
pub fn finish(
    ctx: &GpuContext,
    shape: MatrixShape,
    x: &Tensor,
    scale: f32,
    out: &Tensor,
) -> Dispatch {
    let p = Params {
        alpha: scale,
        ..shape.params()
    };
    let unused = ctx.placeholder();
    run(ctx, "ns_finish", p, [x, &unused, out])
}
