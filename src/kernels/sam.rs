//! SAM's perturbation (shaders/sam.wgsl): ascend to `theta + rho * g / ||g||` (saving theta and
//! the unperturbed loss), and restore theta afterwards.

use super::shader;
use crate::gpu::{Dispatch, GpuContext, Shader, Tensor};

const SHADER: Shader = shader!(
    "sam.wgsl",
    structs: [Params],
    bindings: [
        uniform("params", "Params"),
        read("grads"),
        write("scalars"),
        write("weights"),
        write("backup"),
    ],
);

crate::wgsl_struct! {
    struct Params {
        n: u32,
        rho: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// Buffers of one SAM step: the gradient, the scalars (norm and losses), the weights, and a
/// backup of the weights as long as `weights`.
pub struct SamBuffers<'a> {
    /// Gradient at the unperturbed weights.
    pub grads: &'a Tensor,
    /// The model's scalars buffer.
    pub scalars: &'a Tensor,
    /// Flat weights, perturbed in place.
    pub weights: &'a Tensor,
    /// Holds the unperturbed weights between `ascend` and `restore`.
    pub backup: &'a Tensor,
}

/// The ascent and the restore dispatches, in that order.
pub fn ascend_and_restore(ctx: &GpuContext, rho: f32, b: SamBuffers<'_>) -> [Dispatch; 2] {
    let n = b.weights.len;
    assert!(b.backup.len >= n, "SAM backup smaller than the weights");
    let params = Params {
        n: n as u32,
        rho,
        ..bytemuck::Zeroable::zeroed()
    };
    let tensors = [b.grads, b.scalars, b.weights, b.backup];
    let grid = ctx.grid_1d(n);
    ["ascend", "restore"].map(|entry| ctx.launch(&SHADER, entry, &[], &params, &tensors, grid))
}
