//! Causal attention as texel products for CPU adapters with 8-lane subgroups (see
//! shaders/matmul_lanes.wgsl): per (batch, head), `S = q k^T`, a row softmax, `O = P v`; backward
//! `dP = dO v^T`, the softmax's gradient, `dq = dS k`, `dk = dS^T q`, `dv = P^T dO`, each product
//! reading q, k and v straight out of the packed qkv rows (the four a head wide computed
//! transposed). Same contract as
//! [`super::attention::forward`] and [`super::attention::backward`]; the row-per-invocation
//! kernels stay for adapters without subgroups and for shapes this one cannot take.

use super::attention::AttentionShape;
use super::matmul_lanes::{self, Causal, Layout, OutView, Product, TexelView};
use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor, Texels};

const ROWS: Shader = shader!(
    "attention_rows.wgsl",
    structs: [RowDims],
    bindings: [
        uniform("rows", "RowDims"),
        write("scores"),
        read("probs"),
    ],
);

crate::wgsl_struct! {
    struct RowDims {
        count: u32,
        seq: u32,
        scale: f32,
        _pad: u32,
    }
}

/// The texture copies one attention layer's products read, made when the layer is built.
#[derive(Clone, Debug)]
pub struct AttentionTexels {
    qkv: Texels,
    probs: Texels,
    dout: Texels,
    dscores: Texels,
}

impl AttentionTexels {
    /// The copies for `shape`, or `None` when the adapter or the shape rules the kernel out
    /// (head width and sequence length multiples of 4, textures within the adapter's limits).
    pub fn new(ctx: &GpuContext, shape: AttentionShape) -> Option<Self> {
        let aligned = shape.head_dim.is_multiple_of(4) && shape.seq.is_multiple_of(4);
        if !matmul_lanes::available(ctx) || !aligned {
            return None;
        }
        let rows = shape.batch.checked_mul(shape.seq)?;
        let model = shape.heads.checked_mul(shape.head_dim)?;
        Some(Self {
            qkv: Texels::for_len(ctx, "qkv texels", rows.checked_mul(3 * model)?)?,
            probs: Texels::for_len(ctx, "attention probability texels", shape.probs_len())?,
            dout: Texels::for_len(ctx, "attention output gradient texels", rows * model)?,
            dscores: Texels::for_len(ctx, "attention score gradient texels", shape.probs_len())?,
        })
    }
}

/// Views of one attention call's tensors, per (batch, head).
struct Views {
    shape: AttentionShape,
}

impl Views {
    /// Part `part` of `[B*T, parts * D]` texels: q, k or v (0, 1, 2) of the packed qkv
    /// (`parts` 3), or the output's gradient (`parts` 1).
    fn packed<'a>(&self, texels: &'a Texels, parts: usize, part: usize) -> TexelView<'a> {
        let s = self.shape;
        let model = s.heads * s.head_dim / 4;
        TexelView {
            texels,
            offset: part * model,
            ld: parts * model,
            batch: s.seq * parts * model,
            head: s.head_dim / 4,
        }
    }

    /// Part `part` (0 q, 1 k, 2 v) of the packed qkv texels.
    fn qkv<'a>(&self, texels: &'a Texels, part: usize) -> TexelView<'a> {
        self.packed(texels, 3, part)
    }

    /// `[B, H, T, T]` texels (probabilities or their gradient).
    fn square<'a>(&self, texels: &'a Texels) -> TexelView<'a> {
        let s = self.shape;
        TexelView {
            texels,
            offset: 0,
            ld: s.seq / 4,
            batch: s.heads * s.seq * s.seq / 4,
            head: s.seq * s.seq / 4,
        }
    }

    /// `[B*T, D]` texels (the output's gradient).
    fn rows<'a>(&self, texels: &'a Texels) -> TexelView<'a> {
        self.packed(texels, 1, 0)
    }

    /// A `[B, H, T, T]` result.
    fn square_out<'a>(&self, tensor: &'a Tensor) -> OutView<'a> {
        let s = self.shape;
        OutView {
            tensor,
            offset: 0,
            ld: s.seq,
            batch: s.heads * s.seq * s.seq,
            head: s.seq * s.seq,
        }
    }

    /// A result with `width` floats per token, head `h` at `offset + h * head_dim`.
    fn rows_out<'a>(&self, tensor: &'a Tensor, width: usize, offset: usize) -> OutView<'a> {
        let s = self.shape;
        OutView {
            tensor,
            offset,
            ld: width,
            batch: s.seq * width,
            head: s.head_dim,
        }
    }

    /// The product `layout` with per-head sizes `m x n x k`: the scores' kind (`Rows`: as
    /// stored, a query per row) or a head's width of rows stored transposed (`Cols`).
    fn product<'a>(
        &self,
        (layout, causal): (Layout, Causal),
        (m, n, k): (usize, usize, usize),
        a: TexelView<'a>,
        b: TexelView<'a>,
        c: OutView<'a>,
    ) -> Product<'a> {
        Product {
            layout,
            m,
            n,
            k,
            a,
            b,
            bias: None,
            c,
            batch: self.shape.batch,
            heads: self.shape.heads,
            causal,
            trans_c: causal == Causal::Cols,
            conv_b: None,
            permuted_c: None,
        }
    }
}

fn rows_pass(
    ctx: &GpuContext,
    shape: AttentionShape,
    entry: &'static str,
    scores: &Tensor,
    probs: &Tensor,
) -> Dispatch {
    let count = shape.batch * shape.heads * shape.seq;
    let dims = RowDims {
        count: count as u32,
        seq: shape.seq as u32,
        scale: 1.0 / (shape.head_dim as f32).sqrt(),
        ..bytemuck::Zeroable::zeroed()
    };
    ctx.launch(
        &ROWS,
        entry,
        &[],
        &dims,
        &[scores, probs],
        ctx.grid_1d(count),
    )
}

/// `out = softmax(q k^T / sqrt(hd) + causal mask) v`, saving the probabilities in `probs`.
pub fn forward(
    ctx: &GpuContext,
    shape: AttentionShape,
    texels: &AttentionTexels,
    qkv: &Tensor,
    probs: &Tensor,
    out: &Tensor,
) -> Vec<Dispatch> {
    let v = Views { shape };
    let (t, hd, d) = (shape.seq, shape.head_dim, shape.heads * shape.head_dim);
    // Products whose result is a head's width wide run transposed (O^T = v^T P^T), so that the
    // 16 channels of a head fill a block's rows rather than a quarter of its columns.
    let scores = v.product(
        (Layout::Nt, Causal::Rows),
        (t, t, hd),
        v.qkv(&texels.qkv, 0),
        v.qkv(&texels.qkv, 1),
        v.square_out(probs),
    );
    let values = v.product(
        (Layout::Tt, Causal::Cols),
        (hd, t, t),
        v.qkv(&texels.qkv, 2),
        v.square(&texels.probs),
        v.rows_out(out, d, 0),
    );
    vec![
        texels.qkv.fill_from(qkv),
        matmul_lanes::product(ctx, &scores),
        // `probs` is bound twice, read-only and read-write: the forward pass reads only the first.
        rows_pass(
            ctx,
            shape,
            "softmax",
            probs,
            &Tensor::zeros(ctx, "unused", 1),
        ),
        texels.probs.fill_from(probs),
        matmul_lanes::product(ctx, &values),
    ]
}

/// Gradient of [`forward`] with respect to the packed qkv, given `dout`; `dscores` is scratch
/// of the size of `probs`.
pub fn backward(
    ctx: &GpuContext,
    shape: AttentionShape,
    texels: &AttentionTexels,
    probs: &Tensor,
    dout: &Tensor,
    dscores: &Tensor,
    dqkv: &Tensor,
) -> Vec<Dispatch> {
    let v = Views { shape };
    let (t, hd, d) = (shape.seq, shape.head_dim, shape.heads * shape.head_dim);
    let dp = v.product(
        (Layout::Nt, Causal::Rows),
        (t, t, hd),
        v.rows(&texels.dout),
        v.qkv(&texels.qkv, 2),
        v.square_out(dscores),
    );
    // dq^T = k^T dS^T, dk^T = q^T dS, dv^T = dO^T P, each stored transposed into its part of dqkv.
    let dq = v.product(
        (Layout::Tt, Causal::Cols),
        (hd, t, t),
        v.qkv(&texels.qkv, 1),
        v.square(&texels.dscores),
        v.rows_out(dqkv, 3 * d, 0),
    );
    let dk = v.product(
        (Layout::Tn, Causal::Cols),
        (hd, t, t),
        v.qkv(&texels.qkv, 0),
        v.square(&texels.dscores),
        v.rows_out(dqkv, 3 * d, d),
    );
    let dv = v.product(
        (Layout::Tn, Causal::Cols),
        (hd, t, t),
        v.rows(&texels.dout),
        v.square(&texels.probs),
        v.rows_out(dqkv, 3 * d, 2 * d),
    );
    vec![
        texels.dout.fill_from(dout),
        matmul_lanes::product(ctx, &dp),
        rows_pass(ctx, shape, "softmax_backward", dscores, probs),
        texels.dscores.fill_from(dscores),
        matmul_lanes::product(ctx, &dq),
        matmul_lanes::product(ctx, &dk),
        matmul_lanes::product(ctx, &dv),
    ]
}
