//! Training data: the embedded Shakespeare corpus, Fashion-MNIST, and batching.

mod batcher;
mod corpus;
mod images;

pub use batcher::{Batch, Batcher};
pub use corpus::{Corpus, Vocab, MAX_TEXT_BYTES, MAX_VOCAB, SHAKESPEARE_FILE};
pub use images::{
    ImageBatch, ImageBatcher, ImageDataset, ImageSet, FASHION_CLASSES, FASHION_FILES, IDX_NAMES,
};
