//! Token + position embedding (shaders/embedding*.wgsl).

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Grid, Shader, Tensor};

const FORWARD: Shader = shader!(
    "embedding.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("tokens", "array<u32>"),
        read("wte"),
        read("wpe"),
        write("x"),
    ],
);
const BACKWARD: Shader = shader!(
    "embedding_backward.wgsl",
    structs: [Dims],
    bindings: [
        uniform("dims", "Dims"),
        read_as("rows_by_token", "array<u32>"),
        read_as("token_starts", "array<u32>"),
        read("dx"),
        write("dwte"),
        write("dwpe"),
    ],
);

/// Sizes of an embedding call.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddingShape {
    /// Rows (batch * seq).
    pub rows: usize,
    /// Sequence length T (positions).
    pub seq: usize,
    /// Embedding width D.
    pub dim: usize,
    /// Vocabulary size V.
    pub vocab: usize,
}

crate::wgsl_struct! {
    struct Dims {
        rows: u32,
        seq: u32,
        dim: u32,
        vocab: u32,
    }
}

impl EmbeddingShape {
    fn dims(&self) -> Dims {
        Dims {
            rows: self.rows as u32,
            seq: self.seq as u32,
            dim: self.dim as u32,
            vocab: self.vocab as u32,
        }
    }
}

/// `x[r] = wte[tokens[r]] + wpe[r % T]` (without `wpe`: the token embedding alone).
pub fn forward(
    ctx: &GpuContext,
    shape: EmbeddingShape,
    tokens: &Tensor,
    wte: &Tensor,
    wpe: Option<&Tensor>,
    x: &Tensor,
) -> Dispatch {
    let n = shape.rows * shape.dim;
    let (wpe, positions) = bound_or_placeholder(ctx, wpe);
    let tensors = [tokens, wte, &wpe, x];
    ctx.launch(
        &FORWARD,
        "forward",
        &positions,
        &shape.dims(),
        &tensors,
        Grid::Elements(n),
    )
}

/// The position table (or its gradient) when the model has one; otherwise the context's
/// placeholder for its binding slot and `POSITIONS` switched off.
fn bound_or_placeholder(
    ctx: &GpuContext,
    t: Option<&Tensor>,
) -> (Tensor, [(&'static str, f64); 1]) {
    match t {
        Some(t) => (t.clone(), [("POSITIONS", 1.0)]),
        None => (ctx.placeholder(), [("POSITIONS", 0.0)]),
    }
}

/// Where each token id occurs in a batch, for the token table's gradient: the row indices
/// sorted by token (ascending rows within a token) and, per token id, where its rows start.
/// Built on the host with the batch (a counting sort, O(rows + vocab)), so that the gradient
/// kernel reads only the rows of its own token instead of scanning the whole batch, and sums
/// them in the same order as before (bit-identical results).
pub struct TokenIndex {
    /// `[rows]`: row indices grouped by token id.
    pub rows_by_token: Tensor,
    /// `[vocab + 1]`: token v's rows are `rows_by_token[starts[v]..starts[v + 1]]`.
    pub starts: Tensor,
    vocab: usize,
}

impl TokenIndex {
    /// Buffers for batches of `rows` tokens from a vocabulary of `vocab`.
    pub fn new(ctx: &GpuContext, rows: usize, vocab: usize) -> Self {
        Self {
            rows_by_token: Tensor::zeros(ctx, "rows by token", rows),
            starts: Tensor::zeros(ctx, "token starts", vocab + 1),
            vocab,
        }
    }

    /// The index of `tokens` (every id below the vocabulary size, as `set_batch` checks),
    /// queued for upload with the next submission.
    pub fn write(&self, ctx: &GpuContext, tokens: &[u32]) {
        let (rows_by_token, starts) = index_tokens(tokens, self.vocab);
        self.rows_by_token.write(ctx, &rows_by_token);
        self.starts.write(ctx, &starts);
    }
}

/// Counting sort of row indices by token id: `(rows_by_token, starts)` as in [`TokenIndex`].
pub fn index_tokens(tokens: &[u32], vocab: usize) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; vocab + 1];
    for &t in tokens {
        starts[t as usize + 1] += 1;
    }
    for v in 0..vocab {
        starts[v + 1] += starts[v];
    }
    let mut next = starts.clone();
    let mut rows_by_token = vec![0u32; tokens.len()];
    for (row, &t) in tokens.iter().enumerate() {
        rows_by_token[next[t as usize] as usize] = row as u32;
        next[t as usize] += 1;
    }
    (rows_by_token, starts)
}

/// Gradients of the token table and, when there is one, the position table from `dx`, with the
/// batch's token `index`.
pub fn backward(
    ctx: &GpuContext,
    shape: EmbeddingShape,
    index: &TokenIndex,
    dx: &Tensor,
    dwte: &Tensor,
    dwpe: Option<&Tensor>,
) -> Dispatch {
    let position_rows = if dwpe.is_some() { shape.seq } else { 0 };
    let grid = ctx.grid_1d((shape.vocab + position_rows) * shape.dim);
    let (dwpe, positions) = bound_or_placeholder(ctx, dwpe);
    let tensors = [&index.rows_by_token, &index.starts, dx, dwte, &dwpe];
    ctx.launch(
        &BACKWARD,
        "backward",
        &positions,
        &shape.dims(),
        &tensors,
        grid,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_indexed_by_a_stable_counting_sort() {
        let (rows, starts) = super::index_tokens(&[2, 0, 2, 1, 0, 2], 4);
        assert_eq!(starts, vec![0, 2, 3, 6, 6]);
        assert_eq!(rows, vec![1, 4, 3, 0, 2, 5]);
    }
}
