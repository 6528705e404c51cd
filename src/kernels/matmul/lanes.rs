//! The matmul for CPU adapters with subgroups of at least 8 lanes (shaders/matmul_lanes.wgsl):
//! operands are copied into textures ([`Texels`]) and multiplied from there.

use super::shape::{Layout, MatmulShape, Operand};
use crate::gpu::{
    Dispatch, GpuContext, Grid, KernelFamily, Shader, Tensor, Texels, TEXEL_ROW_WGSL,
};
use crate::kernels::conv::ConvShape;
use crate::kernels::shader;

const MATMUL_LANES: Shader = shader!(
    "matmul_lanes.wgsl",
    structs: [LanesDims],
    bindings: [
        uniform("dims", "LanesDims"),
        texels("a"),
        texels("b"),
        read("bias"),
        write("c"),
    ],
    preludes: [TEXEL_ROW_WGSL],
);

/// Lanes of one workgroup (one subgroup), and the columns of C it computes.
const LANES: u32 = 8;
const BLOCK_COLS: usize = 64;

/// Rows of C per workgroup for a product with `m` rows: 32 fetch op(B) half as often per
/// product (A/B on lavapipe: `small` step 663/794 ms against 956/941 with 16 everywhere), 16
/// keep a block full when C has few rows (a head's 16 channels, a ResNet stage's 16 filters).
fn block_rows(m: usize) -> usize {
    if m >= 64 {
        32
    } else {
        16
    }
}

const PAD_COLUMNS: Shader = shader!(
    "pad_columns.wgsl",
    structs: [PadDims],
    bindings: [uniform("d", "PadDims"), read("a"), write("out")],
    elementwise: [("pad_columns", "i >= d.n")],
);

crate::wgsl_struct! {
    struct PadDims {
        n: u32,
        cols: u32,
        padded: u32,
        last: u32,
    }
}

crate::wgsl_struct! {
    struct LanesDims {
        m: u32,
        n: u32,
        k: u32,
        lda: u32,
        ldb: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Whether this adapter runs the kernel: a CPU adapter whose subgroups hold a whole workgroup.
pub fn available(ctx: &GpuContext) -> bool {
    ctx.kernels == KernelFamily::Cpu && ctx.adapter.is_cpu && ctx.subgroup_min_lanes >= LANES
}

/// One product: `C[m,n] = op(A) op(B) (+ bias)`, C stored row-major.
#[derive(Clone, Copy, Debug)]
pub struct Product<'a> {
    /// Storage of the operands.
    pub layout: Layout,
    /// Rows of C.
    pub m: usize,
    /// Columns of C.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// A's texels.
    pub a: &'a Texels,
    /// B's texels (a convolution's input when [`Product::conv_b`] is set).
    pub b: &'a Texels,
    /// Added to every row of C.
    pub bias: Option<&'a Tensor>,
    /// The result.
    pub c: &'a Tensor,
    /// op(B) is this convolution's patch matrix with positions ordered (pixel, image),
    /// assembled from its input's texels in CHWN order ([`Product::b`]) as the product reads
    /// them (see [`implicit_patches`]).
    pub conv_b: Option<ConvShape>,
    /// C's columns are positions ordered (pixel, image), stored at their CNHW place: the
    /// `[batch, pixels]` of that layout.
    pub permuted_c: Option<[usize; 2]>,
}

/// Whether the texel matmul can read `shape`'s patch matrix straight from the input's texels in
/// CHWN order (`CONV_B` in matmul_lanes.wgsl): the batch is a multiple of 4. Other convolutions
/// write the patch matrix out (im2col).
pub fn implicit_patches(shape: &ConvShape) -> bool {
    shape.batch.is_multiple_of(4)
}

impl<'a> Product<'a> {
    /// A dense product `C[m,n] = op(A) op(B)` of textures laid out as `layout` says.
    pub fn dense(
        layout: Layout,
        [m, n, k]: [usize; 3],
        a: &'a Texels,
        b: &'a Texels,
        c: &'a Tensor,
    ) -> Self {
        Self {
            layout,
            m,
            n,
            k,
            a,
            b,
            bias: None,
            c,
            conv_b: None,
            permuted_c: None,
        }
    }
}

fn u32_of(x: usize) -> u32 {
    u32::try_from(x).expect("matmul size exceeds u32")
}

/// The dispatch of `p` (its operands must already hold their texels).
pub fn product(ctx: &GpuContext, p: &Product) -> Dispatch {
    let (lda, ldb) = p.layout.strides(p.m, p.n, p.k);
    let dims = LanesDims {
        m: u32_of(p.m),
        n: u32_of(p.n),
        k: u32_of(p.k),
        lda: u32_of(lda),
        ldb: u32_of(ldb),
        ..bytemuck::Zeroable::zeroed()
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let constants = [
        ("LAYOUT", p.layout.constant()),
        ("HAS_BIAS", flag(p.bias.is_some())),
        ("ROWS", block_rows(p.m) as f64),
    ];
    let mut constants = constants.to_vec();
    if let Some(s) = p.conv_b {
        assert!(
            implicit_patches(&s) && matches!(p.layout, Layout::Nn | Layout::Nt),
            "convolution operand not supported: {s:?}, {:?}",
            p.layout
        );
        constants.extend(
            [
                ("CONV_B", 1),
                ("CONV_CHANNELS", s.channels),
                ("CONV_BATCH", s.batch),
                ("CONV_HEIGHT", s.height),
                ("CONV_WIDTH", s.width),
                ("CONV_OUT_W", s.out_w()),
                ("CONV_KERNEL", s.kernel),
                ("CONV_STRIDE", s.stride),
                ("CONV_PAD", s.pad),
            ]
            .map(|(name, v)| (name, v as f64)),
        );
    }
    if let Some([batch, pixels]) = p.permuted_c {
        constants.extend([
            ("PERMUTED_C", 1.0),
            ("PERM_BATCH", batch as f64),
            ("PERM_PIXELS", pixels as f64),
        ]);
    }
    let kernel = ctx.kernel(&MATMUL_LANES, "main", &constants);
    let uniform = ctx.uniform(&dims);
    let bias = ctx.bound_or_placeholder(p.bias);
    let grid = [
        u32_of(p.n.div_ceil(BLOCK_COLS)),
        u32_of(p.m.div_ceil(block_rows(p.m))),
        1,
    ];
    let mut dispatch = kernel.dispatch(
        ctx,
        &[
            uniform.as_entire_binding(),
            p.a.binding(),
            p.b.binding(),
            bias.binding(),
            p.c.binding(),
        ],
        grid,
    );
    dispatch.work.bytes = (p.a.bytes() + p.b.bytes() + bias.bytes() + p.c.bytes()) as f64;
    dispatch.with_flops(2.0 * p.m as f64 * p.n as f64 * p.k as f64)
}

/// Products with the same `a` (stored the same way, as `m * k` floats), `a` and each `b`
/// copied into textures made here, then multiplied: `a` is copied into texels once for all
/// of them (a linear layer's backward pass: `dW = dy^T x` and `dx = dy W` both read `dy`).
/// `None` when the adapter, any product's alignment or the texture size limit rules it out.
pub fn matmul_lanes_sharing_a(
    ctx: &GpuContext,
    a: &Tensor,
    products: &[Operand],
) -> Option<Vec<Dispatch>> {
    if !available(ctx) {
        return None;
    }
    let first = products.first()?.shape;
    let a_len = first.m.checked_mul(first.k)?;
    // Every product's alignment and its `a` checked before any texture is made; all read `a`
    // with the same row length (a linear layer's dy: `dy^T` in one product, `dy` in the other).
    let layouts = products
        .iter()
        .map(|p| {
            let same_a = p.shape.m.checked_mul(p.shape.k)? == a_len;
            same_a.then(|| Layout::padding_a(&p.shape)).flatten()
        })
        .collect::<Option<Vec<_>>>()?;
    let a_row = layouts[0].1;
    if a_row == 0 || layouts.iter().any(|&(_, row)| row != a_row) {
        return None;
    }
    let padded_row = a_row.div_ceil(4) * 4;
    let a_rows = a_len / a_row;
    let a_texels = Texels::for_len(ctx, "matmul a texels", a_rows.checked_mul(padded_row)?)?;
    let mut out = Vec::new();
    if padded_row == a_row {
        out.push(a_texels.fill_from(a));
    } else {
        let padded = Tensor::zeros(ctx, "matmul a padded", a_rows * padded_row);
        out.push(pad_columns(ctx, a, [a_rows, a_row], &padded));
        out.push(a_texels.fill_from(&padded));
    }
    for (&Operand { b, bias, c, shape }, (layout, _)) in products.iter().zip(layouts) {
        let MatmulShape { m, n, k, .. } = shape;
        let b_texels = Texels::for_len(ctx, "matmul b texels", k.checked_mul(n)?)?;
        let dispatch = product(
            ctx,
            &Product {
                bias,
                ..Product::dense(layout, [m, n, k], &a_texels, &b_texels, c)
            },
        );
        out.push(b_texels.fill_from(b));
        out.push(dispatch);
    }
    Some(out)
}

/// `padded [rows, cols rounded up to 4]` = `a [rows, cols]` with zero columns appended.
pub fn pad_columns(
    ctx: &GpuContext,
    a: &Tensor,
    [rows, cols]: [usize; 2],
    padded: &Tensor,
) -> Dispatch {
    let width = cols.div_ceil(4) * 4;
    let n = rows * width;
    assert!(
        a.len >= rows * cols && padded.len >= n,
        "pad_columns: buffers too small"
    );
    let dims = PadDims {
        n: u32_of(n),
        cols: u32_of(cols),
        padded: u32_of(width),
        last: u32_of((rows * cols).max(1) - 1),
    };
    ctx.launch(
        &PAD_COLUMNS,
        "pad_columns",
        &[],
        &dims,
        &[a, padded],
        Grid::Elements(n),
    )
}
