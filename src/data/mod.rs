//! Training data: the embedded Shakespeare corpus and batching.

mod batcher;
mod corpus;

pub use batcher::{Batch, Batcher};
pub use corpus::{Corpus, Vocab};
