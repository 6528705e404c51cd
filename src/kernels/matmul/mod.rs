//! Matrix multiply with optional transposes and fused bias (shaders/matmul.wgsl), and the bias
//! gradient (shaders/bias.wgsl).

pub mod lanes;
mod shape;

pub use shape::{Layout, MatmulShape, Operand};

use super::shader;
use crate::gpu::{grid_items, Dispatch, GpuContext, KernelFamily, Shader, Tensor};

const MATMUL: Shader = shader!(
    "matmul.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read("a"),
        read("b"),
        read("bias"),
        write("c"),
    ],
);
const MATMUL_VEC4: Shader = shader!(
    "matmul_vec4.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("a", "array<vec4<f32>>"),
        read_as("b", "array<vec4<f32>>"),
        read("bias"),
        write("c"),
    ],
);
const BIAS: Shader = shader!(
    "bias.wgsl",
    structs: [BiasDims],
    bindings: [
        uniform("dims", "BiasDims"),
        read("dy"),
        write("db"),
        write("partials"),
    ],
);

/// Rows each first-stage invocation of a column reduction sums (`SLICE` in bias.wgsl and
/// layernorm_params.wgsl).
pub const COLUMN_SLICE: usize = 64;

/// Which matmul kernel runs: chosen per adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatmulVariant {
    /// 4x4 register blocking with vec4 loads and no barriers: fastest on software adapters.
    /// Falls back to [`MatmulVariant::Blocked`] when the operands' contiguous dimensions are not
    /// multiples of 4.
    Vec4,
    /// 4x4 register blocking with scalar loads: any shape.
    Blocked,
    /// 64x64 workgroup-memory tiles: fastest on real GPUs when C has many rows.
    Tiled,
    /// Operands copied into textures, 32x64 (or 16x64) blocks per 8-lane subgroup
    /// ([`lanes`]): fastest on CPU adapters with 8-lane subgroups. Falls back to
    /// [`MatmulVariant::Vec4`] where the adapter or shape rules it out.
    Lanes,
}

impl MatmulVariant {
    /// The variant suited to this adapter and shape: register blocking with vec4 loads on CPU
    /// adapters; on GPUs, workgroup-memory tiles when C has at least a tile's 64 rows, vec4
    /// otherwise. Measured on an H200 (Vulkan, docs/BENCHMARKS.md): the transformer's products
    /// (thousands of rows) step faster tiled (`small`: 20.1 vs 25.4 ms), the ResNet's
    /// convolutions (16 to 64 output channels as rows) faster with vec4 (ResNet-20: 49.6 vs
    /// 78.8 ms), where 64-row tiles would sit mostly idle.
    pub fn for_shape(ctx: &GpuContext, m: usize) -> Self {
        if lanes::available(ctx) {
            Self::Lanes
        } else if ctx.kernels == KernelFamily::Cpu || m < 64 {
            Self::Vec4
        } else {
            Self::Tiled
        }
    }

    /// The variant for large products on this adapter (what `bench` reports).
    pub fn for_adapter(ctx: &GpuContext) -> Self {
        Self::for_shape(ctx, usize::MAX)
    }
}

crate::wgsl_struct! {
    struct Dims {
        m: u32,
        n: u32,
        k: u32,
        _pad: u32,
    }
}

impl Dims {
    /// The uniform for `shape`.
    fn of(shape: &MatmulShape) -> Self {
        Self {
            m: shape.m as u32,
            n: shape.n as u32,
            k: shape.k as u32,
            ..bytemuck::Zeroable::zeroed()
        }
    }
}

/// `c = op(a) op(b) (+ bias)` with the adapter's preferred variant: one dispatch, or three
/// with [`MatmulVariant::Lanes`] (its operands are copied into textures first).
pub fn matmul(
    ctx: &GpuContext,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    c: &Tensor,
    shape: MatmulShape,
) -> Vec<Dispatch> {
    let variant = MatmulVariant::for_shape(ctx, shape.m);
    matmul_variant(ctx, variant, a, Operand { b, bias, c, shape })
}

/// Several products reading the same `a`, with the adapter's preferred variant; with
/// [`MatmulVariant::Lanes`] `a` is copied into texels once for all of them.
pub fn matmuls_sharing_a(ctx: &GpuContext, a: &Tensor, products: &[Operand]) -> Vec<Dispatch> {
    let lanes = products
        .iter()
        .all(|p| MatmulVariant::for_shape(ctx, p.shape.m) == MatmulVariant::Lanes);
    if lanes {
        if let Some(dispatches) = lanes::matmul_lanes_sharing_a(ctx, a, products) {
            return dispatches;
        }
    }
    products
        .iter()
        .flat_map(|p| matmul(ctx, a, p.b, p.bias, p.c, p.shape))
        .collect()
}

/// `c = op(a) op(b) (+ bias)` with an explicit kernel variant.
pub fn matmul_variant(
    ctx: &GpuContext,
    variant: MatmulVariant,
    a: &Tensor,
    product: Operand,
) -> Vec<Dispatch> {
    let Operand { b, bias, c, shape } = product;
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
    if variant == MatmulVariant::Lanes {
        if let Some(dispatches) = lanes::matmul_lanes_sharing_a(ctx, a, &[product]) {
            return dispatches;
        }
    }
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    // The vec4 kernel needs the same alignment as the texel one.
    let vec4_entry = Layout::of(&shape).map(|layout| match layout {
        Layout::Nn => "nn",
        Layout::Nt => "nt",
        Layout::Tn => "tn",
    });
    let bias_flag = [("HAS_BIAS", flag(bias.is_some()))];
    let all_flags = [
        ("TRANS_A", flag(trans_a)),
        ("TRANS_B", flag(trans_b)),
        ("HAS_BIAS", flag(bias.is_some())),
    ];
    let (shader, entry, flags, tile): (_, _, &[_], _) = match (variant, vec4_entry) {
        (MatmulVariant::Vec4 | MatmulVariant::Lanes, Some(entry)) => {
            (&MATMUL_VEC4, entry, &bias_flag, 32)
        }
        (MatmulVariant::Tiled, _) => (&MATMUL, "main_tiled", &all_flags, 64),
        _ => (&MATMUL, "main_blocked", &all_flags, 32),
    };
    let grid = [n.div_ceil(tile) as u32, m.div_ceil(tile) as u32, 1];
    let dims = Dims::of(&shape);
    let bias = ctx.bound_or_placeholder(bias);
    vec![ctx
        .launch(shader, entry, flags, &dims, &[a, b, &bias, c], grid)
        .with_flops(2.0 * m as f64 * n as f64 * k as f64)]
}

crate::wgsl_struct! {
    struct BiasDims {
        rows: u32,
        cols: u32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// `db[c] = sum_r dy[r, c]` for `dy` of shape `[rows, cols]`: per-slice partial sums, then
/// their sum per column (two dispatches; the scratch is allocated here, when the plan is built).
pub fn bias_backward(
    ctx: &GpuContext,
    dy: &Tensor,
    db: &Tensor,
    rows: usize,
    cols: usize,
) -> [Dispatch; 2] {
    let dims = BiasDims {
        rows: rows as u32,
        cols: cols as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let slices = rows.div_ceil(COLUMN_SLICE).max(1);
    let partials = Tensor::zeros(ctx, "bias gradient partials", slices * cols);
    let tensors = [dy, db, &partials];
    let columns = grid_items(cols, 64);
    [
        ctx.launch(
            &BIAS,
            "partial",
            &[],
            &dims,
            &tensors,
            column_grid(cols, slices),
        ),
        ctx.launch(&BIAS, "finish", &[], &dims, &tensors, columns),
    ]
}

/// Workgroups of 64 columns by `slices` row slices.
pub fn column_grid(cols: usize, slices: usize) -> [u32; 3] {
    [cols.div_ceil(64) as u32, slices as u32, 1]
}
