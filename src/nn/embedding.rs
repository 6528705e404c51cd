//! Token and learned position embeddings (`wte`, `wpe`), or token embeddings alone (models
//! whose attention rotates positions in).

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::embedding::{self, EmbeddingShape, TokenIndex};

/// `x = wte[tokens] + wpe[position]` (or `wte[tokens]` alone).
pub struct Embedding {
    wte: Tensor,
    dwte: Tensor,
    /// The position table and its gradient, when the model has one.
    positions: Option<(Tensor, Tensor)>,
    shape: EmbeddingShape,
}

impl Embedding {
    /// `wte.weight [vocab, dim]`, `wpe.weight [seq, dim]`, both N(0, std).
    pub fn specs(vocab: usize, seq: usize, dim: usize, std: f32) -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("wte.weight", &[vocab, dim], true, Init::Normal(std)).outer(),
            ParamSpec::new("wpe.weight", &[seq, dim], true, Init::Normal(std)).outer(),
        ]
    }

    /// `wte.weight [vocab, dim]` alone, N(0, std).
    pub fn token_specs(vocab: usize, dim: usize, std: f32) -> Vec<ParamSpec> {
        vec![ParamSpec::new("wte.weight", &[vocab, dim], true, Init::Normal(std)).outer()]
    }

    /// Token embeddings alone (the kernels skip positions).
    pub fn tokens_only(params: &ParamSet, shape: EmbeddingShape) -> Self {
        Self {
            wte: params.param("wte.weight"),
            dwte: params.grad("wte.weight"),
            positions: None,
            shape,
        }
    }

    /// Binds parameters.
    pub fn new(params: &ParamSet, shape: EmbeddingShape) -> Self {
        Self {
            wte: params.param("wte.weight"),
            dwte: params.grad("wte.weight"),
            positions: Some((params.param("wpe.weight"), params.grad("wpe.weight"))),
            shape,
        }
    }

    /// Embeds `tokens` into `x`.
    pub fn forward(&self, ctx: &GpuContext, tokens: &Tensor, x: &Tensor) -> Dispatch {
        let wpe = self.positions.as_ref().map(|p| &p.0);
        embedding::forward(ctx, self.shape, tokens, &self.wte, wpe, x)
    }

    /// Gradients of the tables; `index` tells where each token occurs in the batch.
    pub fn backward(&self, ctx: &GpuContext, index: &TokenIndex, dx: &Tensor) -> Dispatch {
        let dwpe = self.positions.as_ref().map(|p| &p.1);
        embedding::backward(ctx, self.shape, index, dx, &self.dwte, dwpe)
    }
}
