//! Causal attention fused into one kernel per direction for CPU adapters with 8-lane subgroups
//! (shaders/attention_fused.wgsl, shaders/attention_fused_backward.wgsl): no `[B, H, T, T]`
//! probability matrix is stored; the forward pass saves each query row's log-sum-exp and the
//! backward pass recomputes the probabilities from it. Same contract as
//! [`super::attention::forward`] and [`super::attention::backward`] otherwise; q, k and v (and
//! the output's gradient) are read from texel copies ([`FusedTexels`]).
//!
//! Why only CPU adapters: on llvmpipe, stores to storage buffers go lane by lane, and the texel
//! products this replaces wrote the probability matrix and its gradient, and copied both into
//! texels, at every layer and step, which cost more than the arithmetic. A GPU would want many
//! more rows per workgroup; it keeps the row-per-invocation kernels.

use super::attention::{AttentionShape, INDEX};
use super::{matmul::lanes as matmul_lanes, shader};
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor, Texels, TEXEL_ROW_WGSL};

/// Row blocks, head lanes and the qkv texel read, shared by the two files.
const BLOCKS: &str = include_str!("../../shaders/attention_blocks.wgsl");
/// Rows per workgroup (`BLOCK` in shaders/attention_blocks.wgsl).
const BLOCK: usize = 8;

const FORWARD: Shader = shader!(
    "attention_fused.wgsl",
    structs: [super::attention::Dims],
    bindings: [
        uniform("dims", "Dims"),
        texels("qkv"),
        write_as("out", "array<vec4<f32>>"),
        write("lse"),
    ],
    preludes: [INDEX, BLOCKS, TEXEL_ROW_WGSL],
);
const BACKWARD: Shader = shader!(
    "attention_fused_backward.wgsl",
    structs: [super::attention::Dims],
    bindings: [
        uniform("dims", "Dims"),
        texels("qkv"),
        read_as("out", "array<vec4<f32>>"),
        texels("dout"),
        read("lse"),
        write("row_dots"),
        write_as("grad", "array<vec4<f32>>"),
    ],
    preludes: [INDEX, BLOCKS, TEXEL_ROW_WGSL],
);

/// The texel copies the fused kernels read, and their per-row statistics, made when the layer
/// is built.
#[derive(Clone, Debug)]
pub struct FusedTexels {
    qkv: Texels,
    dout: Texels,
    /// Each query row's log-sum-exp, `[B, H, T]`, saved by the forward pass.
    lse: Tensor,
    /// Each query row's `dO . O`, `[B, H, T]`, passed between the backward kernels.
    row_dots: Tensor,
}

impl FusedTexels {
    /// The copies for `shape`, or `None` when the adapter or the shape rules the kernels out: a
    /// CPU adapter with subgroups of at least 8 lanes (as for the texel matmul), a head width
    /// that is a multiple of 4 and at most 64, a grid within the dispatch limit, and textures
    /// within the adapter's limits.
    pub fn new(ctx: &GpuContext, shape: AttentionShape) -> Option<Self> {
        let max_groups = ctx.limits.max_compute_workgroups_per_dimension as usize;
        let grid_fits = grid_dims(shape).iter().all(|&g| g <= max_groups);
        if !matmul_lanes::available(ctx) || !shape.vec4() || !grid_fits {
            return None;
        }
        let rows = shape.batch.checked_mul(shape.seq)?;
        let model = shape.heads.checked_mul(shape.head_dim)?;
        let stats = rows.checked_mul(shape.heads)?;
        Some(Self {
            qkv: Texels::for_len(ctx, "qkv texels", rows.checked_mul(3 * model)?)?,
            dout: Texels::for_len(ctx, "attention output gradient texels", rows * model)?,
            lse: Tensor::zeros(ctx, "attention log-sum-exp", stats),
            row_dots: Tensor::zeros(ctx, "attention gradient row dots", stats),
        })
    }
}

/// A dispatch of `entry` over `shape`'s row blocks, `[ceil(T / 8), H, B]` workgroups, with
/// `resources` bound after the uniform.
fn launch(
    ctx: &GpuContext,
    (shader, entry): (&Shader, &'static str),
    shape: AttentionShape,
    resources: &[wgpu::BindingResource<'_>],
) -> Dispatch {
    let kernel = ctx.kernel(shader, entry, &shape.lanes());
    let uniform = ctx.uniform(&shape.dims());
    let bindings: Vec<_> = std::iter::once(uniform.as_entire_binding())
        .chain(resources.iter().cloned())
        .collect();
    let [blocks, heads, batch] = grid_dims(shape).map(|g| g as u32);
    kernel.dispatch(ctx, &bindings, [blocks, heads, batch])
}

/// Workgroups per dimension: row blocks, heads, sequences.
fn grid_dims(shape: AttentionShape) -> [usize; 3] {
    [shape.seq.div_ceil(BLOCK), shape.heads, shape.batch]
}

/// `out = softmax(q k^T / sqrt(hd) + causal mask) v`, saving each query row's log-sum-exp in
/// `texels`. Two dispatches: the copy of `qkv` into texels, then the kernel.
pub fn forward(
    ctx: &GpuContext,
    shape: AttentionShape,
    texels: &FusedTexels,
    qkv: &Tensor,
    out: &Tensor,
) -> Vec<Dispatch> {
    let kernel = launch(
        ctx,
        (&FORWARD, "forward"),
        shape,
        &[texels.qkv.binding(), out.binding(), texels.lse.binding()],
    );
    vec![texels.qkv.fill_from(qkv), kernel.with_flops(shape.flops())]
}

/// Gradient of [`forward`] with respect to the packed qkv, given its output `out` and the
/// output's gradient `dout`. The qkv texels are the forward pass's, which must have run on the
/// same qkv since. Three dispatches: the copy of `dout` into texels, the query side, then the
/// key/value side, which reads the query side's row dots.
pub fn backward(
    ctx: &GpuContext,
    shape: AttentionShape,
    texels: &FusedTexels,
    out: &Tensor,
    dout: &Tensor,
    dqkv: &Tensor,
) -> Vec<Dispatch> {
    let mut dispatches = vec![texels.dout.fill_from(dout)];
    // The query side recomputes the scores and does dP = dO v^T and dq = dS k; the key side
    // recomputes both and does dk = dS^T q and dv = P^T dO.
    for (entry, products) in [("backward_query", 3.0), ("backward_key", 4.0)] {
        let kernel = launch(
            ctx,
            (&BACKWARD, entry),
            shape,
            &[
                texels.qkv.binding(),
                out.binding(),
                texels.dout.binding(),
                texels.lse.binding(),
                texels.row_dots.binding(),
                dqkv.binding(),
            ],
        );
        dispatches.push(kernel.with_flops(shape.flops() / 2.0 * products));
    }
    dispatches
}
