//! Token and learned position embeddings (`wte`, `wpe`), or token embeddings alone (models
//! whose attention rotates positions in).

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::embedding::{self, EmbeddingShape, TokenIndex};

/// `x = wte[tokens] + wpe[position]`.
pub struct Embedding {
    wte: Tensor,
    wpe: Tensor,
    dwte: Tensor,
    dwpe: Tensor,
    shape: EmbeddingShape,
}

impl Embedding {
    /// `wte.weight [vocab, dim]`, `wpe.weight [seq, dim]`, both N(0, std).
    pub fn specs(vocab: usize, seq: usize, dim: usize, std: f32) -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("wte.weight", &[vocab, dim], true, Init::Normal(std)),
            ParamSpec::new("wpe.weight", &[seq, dim], true, Init::Normal(std)),
        ]
    }

    /// `wte.weight [vocab, dim]` alone, N(0, std).
    pub fn token_specs(vocab: usize, dim: usize, std: f32) -> Vec<ParamSpec> {
        vec![ParamSpec::new(
            "wte.weight",
            &[vocab, dim],
            true,
            Init::Normal(std),
        )]
    }

    /// Token embeddings alone: the kernels add a zero position table (and write its gradient
    /// into a scratch buffer nobody reads).
    pub fn tokens_only(ctx: &GpuContext, params: &ParamSet, shape: EmbeddingShape) -> Self {
        let zeros = |label: &str| Tensor::zeros(ctx, label, shape.seq * shape.dim);
        Self {
            wte: params.param("wte.weight"),
            wpe: zeros("zero position table"),
            dwte: params.grad("wte.weight"),
            dwpe: zeros("unused position gradient"),
            shape,
        }
    }

    /// Binds parameters.
    pub fn new(params: &ParamSet, shape: EmbeddingShape) -> Self {
        Self {
            wte: params.param("wte.weight"),
            wpe: params.param("wpe.weight"),
            dwte: params.grad("wte.weight"),
            dwpe: params.grad("wpe.weight"),
            shape,
        }
    }

    /// Embeds `tokens` into `x`.
    pub fn forward(&self, ctx: &GpuContext, tokens: &Tensor, x: &Tensor) -> Dispatch {
        embedding::forward(ctx, self.shape, tokens, &self.wte, &self.wpe, x)
    }

    /// Gradients of both tables; `index` tells where each token occurs in the batch.
    pub fn backward(&self, ctx: &GpuContext, index: &TokenIndex, dx: &Tensor) -> Dispatch {
        embedding::backward(ctx, self.shape, index, dx, &self.dwte, &self.dwpe)
    }
}
