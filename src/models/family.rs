//! "Transformer or ResNet", said once: the kind of model a preset, a checkpoint or a recipe is
//! about.

use super::RESNET_PRESETS;
use serde::{Deserialize, Serialize};

/// Which kind of model: a recipe's, a preset's, a checkpoint's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// GPT-style character transformers on text (AdamW with clipping).
    Transformer,
    /// CIFAR-style ResNets on images (SGD with momentum, no clipping).
    #[serde(rename = "resnet")]
    ResNet,
}

impl Family {
    /// The family a preset name belongs to: the ResNet presets are ResNets, every other name a
    /// transformer's (an unknown one is refused where the preset is looked up).
    pub fn of_preset(preset: &str) -> Self {
        if RESNET_PRESETS.contains(&preset) {
            Self::ResNet
        } else {
            Self::Transformer
        }
    }

    /// The family of a preset this playground has (None: an unknown name, which the lookup
    /// of the preset itself refuses with the list of names).
    pub fn of_known_preset(preset: &str) -> Option<Self> {
        if RESNET_PRESETS.contains(&preset) {
            Some(Self::ResNet)
        } else if super::config::PRESETS.contains(&preset) {
            Some(Self::Transformer)
        } else {
            None
        }
    }

    /// The name as the command line and the checkpoint metadata write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Transformer => "transformer",
            Self::ResNet => "resnet",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_name_their_family() {
        assert_eq!(Family::of_preset("resnet20"), Family::ResNet);
        assert_eq!(Family::of_preset("resnet-tiny"), Family::ResNet);
        assert_eq!(Family::of_preset("llama-small"), Family::Transformer);
        assert_eq!(Family::ResNet.name(), "resnet");
        assert_eq!(Family::of_known_preset("resnet99"), None);
        assert_eq!(Family::of_known_preset("tiny"), Some(Family::Transformer));
    }
}
