//! Batches of (input, target) token windows.
//!
//! Training batches: `batch` windows of `seq_len + 1` tokens at uniformly random offsets in the
//! training split, drawn from the run's seeded generator, so that the same seed gives the same
//! data order everywhere.
//!
//! Validation batches are fixed: batch `j`, row `r` is the window starting at token
//! `(j * batch + r) * seq_len` of the validation split (non-overlapping windows in text order), so
//! `eval --batches N` always scores the same text.
//!
//! A corpus of examples (a puzzle, [`ExampleShape`]) is cut at its examples instead: a training
//! row is a random example, validation row `r` of batch `j` is example `j * batch + r`, and every
//! target but the answers is [`IGNORE`].

use super::ExampleShape;
use crate::error::{Error, Result};
use crate::rng::Rng;

/// A target no loss or accuracy is taken on (an example's question tokens).
pub const IGNORE: u32 = u32::MAX;

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
    /// The corpus's examples, if it is made of them (then `seq_len` is an example's length
    /// less one).
    pub examples: Option<ExampleShape>,
}

impl Batcher {
    /// Batches of `batch` sequences of `seq_len` tokens from `corpus`.
    pub fn for_corpus(corpus: &super::Corpus, batch: usize, seq_len: usize) -> Self {
        Self {
            batch,
            seq_len,
            examples: corpus.examples,
        }
    }

    fn window(&self, tokens: &[u32], start: usize, out: &mut Batch) {
        let w = &tokens[start..start + self.seq_len + 1];
        out.inputs.extend_from_slice(&w[..self.seq_len]);
        out.targets.extend_from_slice(&w[1..]);
        if let Some(e) = self.examples {
            let row = out.targets.len() - self.seq_len;
            let questions = self.seq_len.saturating_sub(e.answers);
            out.targets[row..row + questions].fill(IGNORE);
        }
    }

    /// Where an example-cut corpus's example `i` starts, or None for running text.
    fn example_start(&self, i: usize) -> Option<usize> {
        self.examples.map(|e| i * e.len)
    }

    /// Refuses windows that are not whole examples.
    fn check_examples(&self) -> Result<()> {
        match self.examples {
            Some(e) if e.len != self.seq_len + 1 => Err(Error::InvalidConfig(format!(
                "a model reading windows of {} tokens cannot take examples of {}",
                self.seq_len, e.len
            ))),
            _ => Ok(()),
        }
    }

    /// A random training batch.
    pub fn train_batch(&self, tokens: &[u32], rng: &mut Rng) -> Result<Batch> {
        self.check_examples()?;
        if let Some(e) = self.examples {
            let count = tokens.len() / e.len;
            if count == 0 {
                return Err(Error::Data("the training split holds no examples".into()));
            }
            let mut b = Batch::default();
            for _ in 0..self.batch {
                let start = self.example_start(rng.below(count)).unwrap_or(0);
                self.window(tokens, start, &mut b);
            }
            return Ok(b);
        }
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
        if let Some(e) = self.examples {
            return (tokens.len() / e.len.max(1))
                .checked_div(self.batch)
                .unwrap_or(0);
        }
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
        self.check_examples()?;
        let mut b = Batch::default();
        for r in 0..self.batch {
            let i = j * self.batch + r;
            let start = self.example_start(i).unwrap_or(i * self.seq_len);
            self.window(tokens, start, &mut b);
        }
        Ok(b)
    }
}
