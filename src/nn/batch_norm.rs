//! BatchNorm2d with its running statistics (kept outside the parameters: they are not trained,
//! and IRE's Fisher mask must not cover them).

use super::{Init, ParamSet, ParamSpec};
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::batchnorm::{self, BatchNormBuffers, BatchNormMode};

/// BatchNorm over `channels` channels of `len` elements each (CNHW activations).
pub struct BatchNorm2d {
    gamma: Tensor,
    beta: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
    stats: Tensor,
    /// Running mean then running variance, `[2 * channels]`.
    pub running: Tensor,
    /// Channels.
    pub channels: usize,
    len: usize,
}

impl BatchNorm2d {
    /// `{name}.weight` (ones) and `{name}.bias` (zeros), decayed like the convolutions (the
    /// usual CIFAR recipe applies weight decay to every parameter).
    pub fn specs(name: &str, channels: usize) -> Vec<ParamSpec> {
        vec![
            ParamSpec::new(format!("{name}.weight"), &[channels], true, Init::Ones),
            ParamSpec::new(format!("{name}.bias"), &[channels], true, Init::Zeros),
        ]
    }

    /// Binds the layer to its parameters and allocates statistics (running variance starts at 1).
    pub fn new(
        ctx: &GpuContext,
        params: &ParamSet,
        name: &str,
        channels: usize,
        len: usize,
    ) -> Self {
        let p = |s: &str| format!("{name}.{s}");
        let mut running = vec![0f32; 2 * channels];
        running[channels..].fill(1.0);
        Self {
            gamma: params.param(&p("weight")),
            beta: params.param(&p("bias")),
            dgamma: params.grad(&p("weight")),
            dbeta: params.grad(&p("bias")),
            stats: Tensor::zeros(ctx, "batchnorm stats", 2 * channels),
            running: Tensor::from_slice(ctx, "batchnorm running stats", &running),
            channels,
            len,
        }
    }

    fn buffers(&self) -> BatchNormBuffers<'_> {
        BatchNormBuffers {
            gamma: &self.gamma,
            beta: &self.beta,
            stats: &self.stats,
            running: &self.running,
        }
    }

    /// `y = BN(x)` in `mode`.
    pub fn forward(
        &self,
        ctx: &GpuContext,
        mode: BatchNormMode,
        x: &Tensor,
        y: &Tensor,
    ) -> Dispatch {
        batchnorm::forward(ctx, mode, self.channels, self.len, x, y, &self.buffers())
    }

    /// `dx` and the parameter gradients, from the last training-mode forward's statistics.
    pub fn backward(&self, ctx: &GpuContext, x: &Tensor, dy: &Tensor, dx: &Tensor) -> Dispatch {
        batchnorm::backward(
            ctx,
            self.channels,
            self.len,
            x,
            dy,
            &self.buffers(),
            dx,
            &self.dgamma,
            &self.dbeta,
        )
    }
}
