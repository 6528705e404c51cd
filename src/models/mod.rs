//! Models built from the layers in `nn`: the GPT-style transformer and the CIFAR-style ResNet,
//! both ending in a [`ClassifierHead`], both seen by optimizers, IRE, SAM and the probes through
//! the [`Network`] trait.

mod config;
mod family;
mod head;
mod network;
mod resnet;
mod resnet_config;
mod transformer;

pub use config::{Arch, TransformerConfig};
pub use family::Family;
pub use head::{ClassifierHead, Scoring};
pub use network::Network;
pub use resnet::ResNet;
pub use resnet_config::{ResNetConfig, RESNET_PRESETS};
pub use transformer::Transformer;
