//! The matmul for CPU adapters with subgroups of at least 8 lanes (shaders/matmul_lanes.wgsl):
//! both operands are copied into textures ([`Texels`]) and multiplied from there.
//! Chosen by [`super::matmul::MatmulVariant::for_shape`]; shapes it cannot take fall back.

use super::matmul::{Dims, MatmulShape};
use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor, Texels, TEXEL_ROW_WGSL};

const MATMUL_LANES: Shader = shader!(
    "matmul_lanes.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        texels("a"),
        texels("b"),
        read("bias"),
        write("c"),
    ],
    preludes: [TEXEL_ROW_WGSL],
);

/// Lanes of one workgroup (one subgroup), rows and columns of C it computes.
const LANES: u32 = 8;
const BLOCK_ROWS: usize = 16;
const BLOCK_COLS: usize = 64;

/// Whether this adapter runs the kernel: a CPU adapter whose subgroups hold a whole workgroup.
pub fn available(ctx: &GpuContext) -> bool {
    ctx.adapter.is_cpu && ctx.subgroup_min_lanes >= LANES
}

/// The kernel's layout for `shape` (`nn` 0, `nt` 1, `tn` 2), when its alignment allows it.
fn layout(shape: &MatmulShape) -> Option<u32> {
    let MatmulShape {
        m,
        n,
        k,
        trans_a,
        trans_b,
    } = *shape;
    match (trans_a, trans_b) {
        (false, false) if k % 4 == 0 && n % 4 == 0 => Some(0),
        (false, true) if k % 4 == 0 => Some(1),
        (true, false) if m % 4 == 0 && n % 4 == 0 => Some(2),
        _ => None,
    }
}

/// `c = op(a) op(b) (+ bias)`: copies `a` and `b` into textures made here, then multiplies. `None`
/// when the adapter, the shape's alignment or the texture size limit rules it out.
pub fn matmul_lanes(
    ctx: &GpuContext,
    a: &Tensor,
    b: &Tensor,
    bias: Option<&Tensor>,
    c: &Tensor,
    shape: MatmulShape,
) -> Option<Vec<Dispatch>> {
    if !available(ctx) {
        return None;
    }
    let layout = layout(&shape)?;
    let MatmulShape { m, n, k, .. } = shape;
    let a_texels = Texels::for_len(ctx, "matmul a texels", m.checked_mul(k)?)?;
    let b_texels = Texels::for_len(ctx, "matmul b texels", k.checked_mul(n)?)?;
    let dims = Dims::of(&shape);
    let constants = [
        ("LAYOUT", f64::from(layout)),
        ("HAS_BIAS", if bias.is_some() { 1.0 } else { 0.0 }),
    ];
    let kernel = ctx.kernel(&MATMUL_LANES, "main", &constants);
    let uniform = ctx.uniform(&dims);
    // The bias slot must be bound even when unused.
    let bias = bias
        .cloned()
        .unwrap_or_else(|| Tensor::zeros(ctx, "no bias", 1));
    let grid = [
        n.div_ceil(BLOCK_COLS) as u32,
        m.div_ceil(BLOCK_ROWS) as u32,
        1,
    ];
    let mut product = kernel.dispatch(
        ctx,
        &[
            uniform.as_entire_binding(),
            wgpu::BindingResource::TextureView(&a_texels.view),
            wgpu::BindingResource::TextureView(&b_texels.view),
            bias.binding(),
            c.binding(),
        ],
        grid,
    );
    product.work.bytes = (a_texels.bytes() + b_texels.bytes() + bias.bytes() + c.bytes()) as f64;
    Some(vec![
        a_texels.fill_from(a),
        b_texels.fill_from(b),
        product.with_flops(2.0 * m as f64 * n as f64 * k as f64),
    ])
}
