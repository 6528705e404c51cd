//! A ResNet's shape: presets, checks against the adapter's limits and the parameter list.

use crate::error::{Error, Result};
use crate::kernels::conv::ConvShape;
use crate::nn::{BatchNorm2d, Conv2d, Init, ParamSpec};
use serde::{Deserialize, Serialize};

/// Presets: `resnet-tiny` is ResNet-8 (one block per stage), `resnet20` and `resnet56` have 3
/// and 9 blocks per stage.
pub const RESNET_PRESETS: [&str; 3] = ["resnet-tiny", "resnet20", "resnet56"];

/// A ResNet's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResNetConfig {
    /// Basic blocks per stage (depth = 6n + 2).
    pub blocks_per_stage: usize,
    /// Channel multiplier (stages have 16/32/64 times this many channels).
    pub width: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Input height and width (square).
    pub image_size: usize,
    /// Output classes.
    pub classes: usize,
}

impl ResNetConfig {
    /// A named preset for 1x28x28 images with 10 classes (Fashion-MNIST).
    pub fn preset(name: &str) -> Result<Self> {
        let blocks_per_stage = match name {
            "resnet-tiny" | "resnet8" => 1,
            "resnet20" => 3,
            "resnet56" => 9,
            other => {
                return Err(Error::InvalidConfig(format!(
                    "unknown ResNet preset '{other}'; choose one of: {}",
                    RESNET_PRESETS.join(", ")
                )))
            }
        };
        Ok(Self {
            blocks_per_stage,
            width: 1,
            in_channels: 1,
            image_size: 28,
            classes: 10,
        })
    }

    /// Checks that the shape is well formed and of a size this engine can build (checkpoint
    /// metadata and flags are untrusted).
    pub fn validate(&self) -> Result<()> {
        for (name, v, min, max) in [
            ("blocks_per_stage", self.blocks_per_stage, 1, 64),
            ("width", self.width, 1, 16),
            ("in_channels", self.in_channels, 1, 4),
            ("image_size", self.image_size, 8, 256),
            ("classes", self.classes, 1, 100_000),
        ] {
            if !(min..=max).contains(&v) {
                return Err(Error::InvalidConfig(format!(
                    "ResNet {name} must be between {min} and {max}, got {v}"
                )));
            }
        }
        Ok(())
    }

    /// Number of layers with weights (6n + 2).
    pub fn depth(&self) -> usize {
        6 * self.blocks_per_stage + 2
    }

    pub(super) fn channels(&self) -> [usize; 3] {
        [16 * self.width, 32 * self.width, 64 * self.width]
    }

    /// Parameter declarations in PyTorch's `named_parameters` order.
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        let c = self.channels();
        let mut specs = vec![conv_spec("conv1", self.in_channels, c[0], 3).outer()];
        specs.extend(BatchNorm2d::specs("bn1", c[0]));
        let mut cin = c[0];
        for (stage, &cout) in c.iter().enumerate() {
            for b in 0..self.blocks_per_stage {
                let p = format!("layer{}.{b}", stage + 1);
                specs.push(conv_spec(&format!("{p}.conv1"), cin, cout, 3));
                specs.extend(BatchNorm2d::specs(&format!("{p}.bn1"), cout));
                specs.push(conv_spec(&format!("{p}.conv2"), cout, cout, 3));
                specs.extend(BatchNorm2d::specs(&format!("{p}.bn2"), cout));
                if cin != cout {
                    specs.push(conv_spec(&format!("{p}.shortcut.0"), cin, cout, 1));
                    specs.extend(BatchNorm2d::specs(&format!("{p}.shortcut.1"), cout));
                }
                cin = cout;
            }
        }
        // PyTorch's Linear default draws from U(-1/sqrt(in), 1/sqrt(in)): std 1/sqrt(3 in).
        let std = 1.0 / (3.0 * c[2] as f32).sqrt();
        specs.push(
            ParamSpec::new("fc.weight", &[self.classes, c[2]], true, Init::Normal(std)).outer(),
        );
        specs.push(ParamSpec::new(
            "fc.bias",
            &[self.classes],
            true,
            Init::Zeros,
        ));
        specs
    }

    /// Trainable parameters.
    pub fn param_count(&self) -> usize {
        self.param_specs()
            .iter()
            .map(|s| s.shape.iter().product::<usize>())
            .sum()
    }

    /// Rejects a batch whose largest buffer (the stem's patch matrix or an activation) exceeds
    /// the adapter's storage-binding limit, before anything is allocated.
    pub fn check_fits(&self, batch: usize, limits: &wgpu::Limits) -> Result<()> {
        if batch == 0 {
            return Err(Error::InvalidConfig("batch must be at least 1".into()));
        }
        let pixels = batch * self.image_size * self.image_size;
        let c = self.channels();
        let largest = [c[0] * pixels, c[0] * 9 * pixels, c[1] * 9 * pixels / 4]
            .into_iter()
            .max()
            .unwrap_or(0) as u64
            * 4;
        let limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if largest > limit {
            return Err(Error::TooLarge(format!(
                "a batch of {batch} needs a {:.0} MiB buffer (the first stage's patch matrix); this \
                 adapter binds at most {:.0} MiB. Use a smaller batch",
                largest as f64 / (1 << 20) as f64,
                limit as f64 / (1 << 20) as f64
            )));
        }
        Ok(())
    }
}

fn conv_spec(name: &str, cin: usize, cout: usize, k: usize) -> ParamSpec {
    let shape = ConvShape {
        channels: cin,
        out_channels: cout,
        batch: 1,
        height: 1,
        width: 1,
        kernel: k,
        stride: 1,
        pad: 0,
    };
    Conv2d::spec(name, shape)
}
