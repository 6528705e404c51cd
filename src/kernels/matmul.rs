//! Matrix multiply with optional transposes and fused bias (shaders/matmul.wgsl), and the bias
//! gradient (shaders/bias.wgsl).

use super::shader;
use crate::gpu::{grid_items, uniform_binding, Access, Dispatch, GpuContext, Shader, Tensor};

const MATMUL: Shader = shader!("matmul.wgsl");
const BIAS: Shader = shader!("bias.wgsl");

/// Which matmul kernel runs: chosen per adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatmulVariant {
    /// 4x4 register blocking without barriers: fastest on software adapters.
    Blocked,
    /// 64x64 workgroup-memory tiles: fastest on real GPUs.
    Tiled,
}

impl MatmulVariant {
    /// The variant suited to this adapter.
    pub fn for_adapter(ctx: &GpuContext) -> Self {
        if ctx.adapter.is_cpu {
            Self::Blocked
        } else {
            Self::Tiled
        }
    }
}

/// Shape of `C[m,n] = op(A) op(B)`; `trans_a` means A is stored `[k,m]`, `trans_b` means B is `[n,k]`.
#[derive(Clone, Copy, Debug)]
pub struct MatmulShape {
    /// Rows of C.
    pub m: usize,
    /// Columns of C.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// A is stored transposed.
    pub trans_a: bool,
    /// B is stored transposed.
    pub trans_b: bool,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

/// `c = op(a) op(b) (+ bias)` with the adapter's preferred variant.
pub fn matmul(
    ctx: &GpuContext,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    c: &Tensor,
    shape: MatmulShape,
) -> Dispatch {
    matmul_variant(ctx, MatmulVariant::for_adapter(ctx), a, b, bias, c, shape)
}

/// `c = op(a) op(b) (+ bias)` with an explicit kernel variant.
pub fn matmul_variant(
    ctx: &GpuContext,
    variant: MatmulVariant,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    c: &Tensor,
    shape: MatmulShape,
) -> Dispatch {
    let MatmulShape {
        m,
        n,
        k,
        trans_a,
        trans_b,
    } = shape;
    assert!(
        a.len >= m * k && b.len >= k * n && c.len >= m * n,
        "matmul operand too small"
    );
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let (entry, tile) = match variant {
        MatmulVariant::Blocked => ("main_blocked", 32),
        MatmulVariant::Tiled => ("main_tiled", 64),
    };
    let kernel = ctx.kernel(
        &MATMUL,
        entry,
        &[
            ("TRANS_A", flag(trans_a)),
            ("TRANS_B", flag(trans_b)),
            ("HAS_BIAS", flag(bias.is_some())),
        ],
        &[
            Access::Uniform,
            Access::Read,
            Access::Read,
            Access::Read,
            Access::ReadWrite,
        ],
    );
    let dims = ctx.uniform(&Dims {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        _pad: 0,
    });
    // The bias slot must be bound even when unused.
    let bias = bias
        .cloned()
        .unwrap_or_else(|| Tensor::zeros(ctx, "no bias", 1));
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(&dims),
            a.binding(),
            b.binding(),
            bias.binding(),
            c.binding(),
        ],
        [n.div_ceil(tile) as u32, m.div_ceil(tile) as u32, 1],
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BiasDims {
    rows: u32,
    cols: u32,
    _pad: [u32; 2],
}

/// `db[c] = sum_r dy[r, c]` for `dy` of shape `[rows, cols]`.
pub fn bias_backward(
    ctx: &GpuContext,
    dy: &Tensor,
    db: &Tensor,
    rows: usize,
    cols: usize,
) -> Dispatch {
    let kernel = ctx.kernel(
        &BIAS,
        "backward",
        &[],
        &[Access::Uniform, Access::Read, Access::ReadWrite],
    );
    let dims = ctx.uniform(&BiasDims {
        rows: rows as u32,
        cols: cols as u32,
        _pad: [0; 2],
    });
    kernel.dispatch(
        ctx,
        &[uniform_binding(&dims), dy.binding(), db.binding()],
        grid_items(cols, 64),
    )
}
