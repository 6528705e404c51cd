//! The base optimizers' updates over the flat parameter buffer (shaders/optimizer.wgsl). The per-step
//! hyperparameters live in a uniform buffer the trainer rewrites with `queue.write_buffer` before
//! each submission, so the prebuilt dispatch never changes.

use super::shader;
use crate::gpu::{uniform_binding, Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "optimizer.wgsl",
    structs: [Hyper],
    bindings: [
        uniform("hyper", "Hyper"),
        read("scalars"),
        read("grads"),
        write("params"),
        write("state1"),
        write("state2"),
        read("ire_mask"),
        read("roles"),
    ],
    // Nothing is updated after a non-finite loss or gradient.
    elementwise: [
        ("adamw", "i >= hyper.n || scalars[S_NONFINITE] != 0.0"),
        ("sgd", "i >= hyper.n || scalars[S_NONFINITE] != 0.0"),
        ("lion", "i >= hyper.n || scalars[S_NONFINITE] != 0.0"),
        ("muon_momentum", "i >= hyper.n || scalars[S_NONFINITE] != 0.0"),
        ("muon", "i >= hyper.n || scalars[S_NONFINITE] != 0.0"),
    ],
);

crate::wgsl_struct! {
    /// Uniform block of shaders/optimizer.wgsl.
    pub struct Hyper {
        /// Elements in the flat buffers.
        pub n: u32,
        /// Coordinates below this index get weight decay.
        pub decay_end: u32,
        /// Learning rate of this step.
        pub lr: f32,
        /// Weight decay.
        pub weight_decay: f32,
        /// AdamW's and Lion's beta1.
        pub beta1: f32,
        /// AdamW's and Lion's beta2.
        pub beta2: f32,
        /// AdamW epsilon.
        pub eps: f32,
        /// `1 - beta1^t`.
        pub bias_correction1: f32,
        /// `sqrt(1 - beta2^t)`.
        pub bias_correction2_sqrt: f32,
        /// SGD's and Muon's momentum.
        pub momentum: f32,
        /// IRE amplification of flat coordinates for this step (0: plain base optimizer).
        pub ire_kappa: f32,
        /// Muon: the learning rate of the coordinates it leaves to AdamW, as a multiple of `lr`.
        pub aux_lr_scale: f32,
    }
}

/// Flat buffers an update reads and writes.
pub struct OptimizerBuffers<'a> {
    /// Step hyperparameters (uniform).
    pub hyper: &'a wgpu::Buffer,
    /// Scalars (clip factor, NaN flag).
    pub scalars: &'a Tensor,
    /// Gradients.
    pub grads: &'a Tensor,
    /// Parameters (updated in place).
    pub params: &'a Tensor,
    /// The two state buffers (AdamW m and v; SGD's momentum and a placeholder).
    pub state: [&'a Tensor; 2],
    /// IRE mask (1 on flat coordinates), read only when `ire_kappa != 0`.
    pub ire_mask: &'a Tensor,
    /// Muon: 1 on the coordinates it orthogonalises, 0 on those it leaves to AdamW (a
    /// placeholder for the other optimizers, which do not read it).
    pub roles: &'a Tensor,
}

/// One update of all parameters by the update rule at `entry` in shaders/optimizer.wgsl (an
/// optimizer descriptor's `entry`).
pub fn update(ctx: &GpuContext, entry: &'static str, b: OptimizerBuffers<'_>) -> Dispatch {
    let kernel = ctx.kernel(&SHADER, entry, &[ctx.run_constant()]);
    kernel.dispatch(
        ctx,
        &[
            uniform_binding(b.hyper),
            b.scalars.binding(),
            b.grads.binding(),
            b.params.binding(),
            b.state[0].binding(),
            b.state[1].binding(),
            b.ire_mask.binding(),
            b.roles.binding(),
        ],
        ctx.elementwise_grid(b.params.len),
    )
}
