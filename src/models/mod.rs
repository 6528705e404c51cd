//! Models built from the layers in `nn`.

mod config;
mod transformer;

pub use config::TransformerConfig;
pub use transformer::Transformer;
