//! Models built from the layers in `nn`.

mod config;
mod loss;
mod network;
mod resnet;
mod transformer;

pub use config::TransformerConfig;
pub use network::Network;
pub use resnet::{ResNet, ResNetConfig, RESNET_PRESETS};
pub use transformer::Transformer;
