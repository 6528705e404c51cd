//! The shape of a product and how its operands are stored.

use crate::gpu::Tensor;

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

impl MatmulShape {
    /// `C = A B`: A stored `[m,k]`, B `[k,n]`.
    pub fn nn(m: usize, n: usize, k: usize) -> Self {
        Self::with(m, n, k, false, false)
    }

    /// `C = A B^T`: A stored `[m,k]`, B `[n,k]` (a linear layer's forward pass).
    pub fn nt(m: usize, n: usize, k: usize) -> Self {
        Self::with(m, n, k, false, true)
    }

    /// `C = A^T B`: A stored `[k,m]`, B `[k,n]` (a weight gradient `dy^T x`).
    pub fn tn(m: usize, n: usize, k: usize) -> Self {
        Self::with(m, n, k, true, false)
    }

    /// Any of the four storage combinations.
    pub fn with(m: usize, n: usize, k: usize, trans_a: bool, trans_b: bool) -> Self {
        Self {
            m,
            n,
            k,
            trans_a,
            trans_b,
        }
    }
}

/// One product of several sharing their `a` ([`super::matmuls_sharing_a`]):
/// `c = op(a) op(b) (+ bias)`.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a> {
    /// The second factor.
    pub b: &'a Tensor,
    /// Added to every row of `c`.
    pub bias: Option<&'a Tensor>,
    /// The result.
    pub c: &'a Tensor,
    /// Its shape.
    pub shape: MatmulShape,
}

/// How the operands are stored (see matmul_lanes.wgsl for the alignment each needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A `[M,K]`, B `[K,N]`.
    Nn,
    /// A `[M,K]`, B `[N,K]`.
    Nt,
    /// A `[K,M]`, B `[K,N]`.
    Tn,
}

impl Layout {
    /// The layout of `shape`, when its alignment allows the kernel with A as stored.
    pub fn of(shape: &MatmulShape) -> Option<Self> {
        Self::padding_a(shape).and_then(|(layout, a_row)| a_row.is_multiple_of(4).then_some(layout))
    }

    /// The layout of `shape` when A's stored rows may be padded to whole texels (see
    /// `pad_columns` in `lanes.rs`), and the length of those rows: K for `nn` (any K), M for
    /// `tn` (any M); `nt` reads K-long rows of both operands, so K must be a multiple of 4.
    pub fn padding_a(shape: &MatmulShape) -> Option<(Self, usize)> {
        let MatmulShape {
            m,
            n,
            k,
            trans_a,
            trans_b,
        } = *shape;
        let four = |x: usize| x.is_multiple_of(4);
        match (trans_a, trans_b) {
            (false, false) if four(n) => Some((Self::Nn, k)),
            (false, true) if four(k) => Some((Self::Nt, k)),
            (true, false) if four(n) => Some((Self::Tn, m)),
            _ => None,
        }
    }

    /// Row strides in texels `(lda, ldb)` of the stored (not transposed) operands of a dense
    /// `m x n x k` product, A's rows padded to whole texels.
    pub fn strides(self, m: usize, n: usize, k: usize) -> (usize, usize) {
        match self {
            Self::Nn => (k.div_ceil(4), n / 4),
            Self::Nt => (k / 4, k / 4),
            Self::Tn => (m.div_ceil(4), n / 4),
        }
    }

    /// `LAYOUT` in matmul_lanes.wgsl.
    pub(super) fn constant(self) -> f64 {
        match self {
            Self::Nn => 0.0,
            Self::Nt => 1.0,
            Self::Tn => 2.0,
        }
    }
}
