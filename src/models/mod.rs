//! Models built from the layers in `nn`.

mod config;
mod head;
mod network;
mod resnet;
mod transformer;

pub use config::TransformerConfig;
pub use head::ClassifierHead;
pub use network::Network;
pub use resnet::{ResNet, ResNetConfig, RESNET_PRESETS};
pub use transformer::Transformer;
