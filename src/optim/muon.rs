//! Muon (Keller Jordan et al. 2024; torch.optim.Muon's semantics): momentum with Nesterov's
//! look-ahead, the update of each hidden layer's weight matrix orthogonalised by five
//! Newton-Schulz iterations with the published quintic coefficients and scaled by
//! `sqrt(max(1, fan-out / fan-in))`, and decoupled weight decay. The outer layers (embeddings,
//! the output head, a ResNet's stem; [`crate::nn::ParamSpec::outer`]) and every vector (biases,
//! norms) are trained by AdamW at their own learning rate (`aux_lr`), as the authors advise.
//! A convolution's filters are orthogonalised as the matrix `[out, in x k x k]`, as in the
//! authors' CIFAR-10 runs.

use super::descriptor::{Descriptor, FamilyDefaults, Passes};
use super::OptimizerConfig;
use crate::gpu::{Dispatch, GpuContext, Tensor};
use crate::kernels::matmul::{matmul, MatmulShape};
use crate::kernels::muon::{combine, finish, start, MatrixShape};
use crate::kernels::optimizer::Hyper;
use crate::kernels::reduce::{partials_len, ReduceMode};
use crate::kernels::vector::dot;
use crate::nn::ParamSet;

/// Muon, described.
pub(super) const MUON: Descriptor = Descriptor {
    name: "Muon",
    flag: "muon",
    menu: "Muon (orthogonalised momentum)",
    ire_name: "Muon-IRE",
    experiment: "muon-vs-muonire",
    // The momentum, and AdamW's second moment on the coordinates AdamW trains (on Muon's own,
    // the update being orthogonalised: scratch rewritten every step).
    state: &["optimizer.state1", "optimizer.state2"],
    entry: "muon",
    hyper,
    hyperparameters: &["momentum", "aux_lr", "beta1", "beta2", "eps"],
    passes: Passes::Orthogonalise,
    weight_decay: 0.01,
    defaults,
    transformer: FamilyDefaults::new(0.02, &[5e-3, 1e-2, 2e-2, 4e-2, 8e-2]),
    resnet: FamilyDefaults::new(0.02, &[1e-2, 2e-2, 4e-2]),
};

/// The Newton-Schulz iteration's coefficients `(a, b, c)`: `X <- a X + (b A + c A^2) X` with
/// `A = X X^T` (torch.optim.Muon's defaults, from the authors).
pub const NS_COEFFICIENTS: (f32, f32, f32) = (3.4445, -4.7750, 2.0315);
/// Newton-Schulz iterations per step.
pub const NS_STEPS: usize = 5;
/// The floor of the Frobenius norm the update is divided by first.
pub const NS_EPS: f32 = 1e-7;

/// Muon's momentum (the authors' 0.95) and the AdamW learning rate of the coordinates it leaves
/// to AdamW.
fn defaults(c: OptimizerConfig) -> OptimizerConfig {
    OptimizerConfig {
        momentum: 0.95,
        ..c
    }
}

/// Fills Muon's fields of `base` for update number `t`: its momentum, and AdamW's betas,
/// epsilon, bias corrections and learning-rate factor for the other coordinates.
fn hyper(base: Hyper, c: &OptimizerConfig, t: u64) -> Hyper {
    let adamw = (super::adamw::ADAMW.hyper)(base, c, t);
    Hyper {
        momentum: c.momentum,
        aux_lr_scale: c.aux_lr / c.lr,
        ..adamw
    }
}

/// 1 on the coordinates of the hidden layers' matrices (Muon's), 0 elsewhere (AdamW's).
pub(super) fn roles(ctx: &GpuContext, params: &ParamSet) -> Tensor {
    let mut roles = vec![0.0f32; params.params.len];
    for spec in params.specs.iter().filter(|s| s.hidden_matrix().is_some()) {
        let view = params.view_of(&params.params, &spec.name);
        let start = (view.offset / 4) as usize;
        roles[start..start + view.len].fill(1.0);
    }
    Tensor::from_slice(ctx, "muon roles", &roles)
}

/// The orthogonalisation of every hidden matrix's update in `update` (laid out like the
/// parameters): on each, in place, `NS(update) * sqrt(max(1, rows / cols))`. The scratch it
/// needs is sized once for the largest matrix.
pub(super) fn orthogonalise(ctx: &GpuContext, params: &ParamSet, update: &Tensor) -> Vec<Dispatch> {
    let matrices: Vec<(String, MatrixShape)> = params
        .specs
        .iter()
        .filter_map(|s| {
            let (rows, cols) = s.hidden_matrix()?;
            Some((s.name.clone(), MatrixShape { rows, cols }))
        })
        .collect();
    let Some(largest) = matrices.iter().map(|(_, m)| m.len()).max() else {
        return Vec::new();
    };
    let shortest_sq = matrices
        .iter()
        .map(|(_, m)| m.wide().0.pow(2))
        .max()
        .unwrap_or(1);
    let x = [
        Tensor::zeros(ctx, "muon x", largest),
        Tensor::zeros(ctx, "muon x'", largest),
    ];
    let gram = Tensor::zeros(ctx, "muon gram", shortest_sq);
    let poly = Tensor::zeros(ctx, "muon polynomial", shortest_sq);
    let norms = Tensor::zeros(ctx, "muon norms", matrices.len());
    let partials = Tensor::zeros(ctx, "muon partials", partials_len(largest));
    let (a, b, c) = NS_COEFFICIENTS;
    let mut out = Vec::new();
    for (slot, (name, shape)) in matrices.iter().enumerate() {
        let m = params.view_of(update, name);
        let (short, long) = shape.wide();
        let store = ReduceMode::Store { slot, scale: 1.0 };
        out.extend(dot(ctx, &m, &m, &partials, &norms, store));
        out.push(start(ctx, *shape, &m, (&norms, slot), NS_EPS, &x[0]));
        for step in 0..NS_STEPS {
            let (now, next) = (&x[step % 2], &x[(step + 1) % 2]);
            out.extend(matmul(
                ctx,
                now,
                now,
                None,
                &gram,
                MatmulShape::nt(short, short, long),
            ));
            out.extend(matmul(
                ctx,
                &gram,
                &gram,
                None,
                &poly,
                MatmulShape::nn(short, short, short),
            ));
            out.push(combine(ctx, short * short, b, &gram, c, &poly));
            out.extend(matmul(
                ctx,
                &poly,
                now,
                None,
                next,
                MatmulShape::nn(short, long, short),
            ));
            out.push(combine(ctx, short * long, a, now, 1.0, next));
        }
        let scale = (shape.rows as f32 / shape.cols as f32).max(1.0).sqrt();
        out.push(finish(ctx, *shape, &x[NS_STEPS % 2], scale, &m));
    }
    out
}
