//! Training data: the embedded Shakespeare corpus, generated puzzles, Fashion-MNIST, and
//! batching.

mod batcher;
mod corpus;
mod images;
mod puzzles;

pub use batcher::{Batch, Batcher, IGNORE};
pub use corpus::{Corpus, ExampleShape, Vocab, MAX_TEXT_BYTES, MAX_VOCAB, SHAKESPEARE_FILE};
pub use images::{
    ImageBatch, ImageBatcher, ImageDataset, ImageSet, FASHION_CLASSES, FASHION_FILES, IDX_NAMES,
};
pub use puzzles::Puzzle;
