//! Batches of (input, target) token windows.
//!
//! Training batches: `batch` windows of `seq_len + 1` tokens at uniformly random offsets in the
//! training split, drawn from the run's seeded generator, so that the same seed gives the same
//! data order everywhere.
//!
//! Validation batches are fixed: batch `j`, row `r` is the window starting at token
//! `(j * batch + r) * seq_len` of the validation split (non-overlapping windows in text order), so
//! `eval --batches N` always scores the same text.

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Inputs and next-token targets, `batch * seq_len` each, row-major.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Input token ids.
    pub inputs: Vec<u32>,
    /// Target token ids (inputs shifted by one).
    pub targets: Vec<u32>,
}

/// Cuts batches from token streams.
#[derive(Clone, Debug)]
pub struct Batcher {
    /// Sequences per batch.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
}

impl Batcher {
    fn window(&self, tokens: &[u32], start: usize, out: &mut Batch) {
        let w = &tokens[start..start + self.seq_len + 1];
        out.inputs.extend_from_slice(&w[..self.seq_len]);
        out.targets.extend_from_slice(&w[1..]);
    }

    /// A random training batch.
    pub fn train_batch(&self, tokens: &[u32], rng: &mut Rng) -> Result<Batch> {
        if tokens.len() <= self.seq_len + 1 {
            return Err(Error::Data(format!(
                "training text ({} tokens) is shorter than one sequence ({})",
                tokens.len(),
                self.seq_len + 1
            )));
        }
        let mut b = Batch::default();
        for _ in 0..self.batch {
            let start = rng.below(tokens.len() - self.seq_len - 1);
            self.window(tokens, start, &mut b);
        }
        Ok(b)
    }

    /// How many fixed validation batches the validation split holds.
    pub fn val_batches_available(&self, tokens: &[u32]) -> usize {
        // Checked: a batch from a flag can be any size, and a wrapped product divided by zero.
        match self.batch.checked_mul(self.seq_len) {
            Some(per_batch) if per_batch > 0 => tokens.len().saturating_sub(1) / per_batch,
            _ => 0,
        }
    }

    /// Validation batch `j` (see the module docs for the order).
    pub fn val_batch(&self, tokens: &[u32], j: usize) -> Result<Batch> {
        let available = self.val_batches_available(tokens);
        if j >= available {
            return Err(Error::Data(format!(
                "validation batch {j} requested but the validation split holds {available} batches \
                 of {}x{}",
                self.batch, self.seq_len
            )));
        }
        let mut b = Batch::default();
        for r in 0..self.batch {
            self.window(tokens, (j * self.batch + r) * self.seq_len, &mut b);
        }
        Ok(b)
    }
}
