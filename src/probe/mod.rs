//! Loss-landscape probes on the GPU: the top Hessian eigenvalue by power iteration and the
//! Hessian trace by Hutchinson's estimator, both from finite-difference Hessian-vector products
//! (and, beside them, the weights' L2 norm)
//!
//! `H v ~= (grad L(theta + eps v) - grad L(theta - eps v)) / (2 eps)`  (central difference, unit v),
//!
//! on whatever batch the model's token buffers hold (the trainer's fixed probe batch). Flat-direction
//! counts and the Fisher trace come from IRE's refresh (`optim::Ire`).
//!
//! `eps` defaults to 1e-2 for a unit-norm direction: with f32 gradients this keeps rounding error
//! (about 1e-7 |g| / eps) and the O(eps^2) truncation error both far below 1% at playground scale.
//! Hutchinson's Rademacher vectors have norm sqrt(n), so their step is eps / sqrt(n), the same
//! perturbation size. Power iteration is warm-started from the previous probe's eigenvector, so a
//! few iterations per probe track `lambda_max` as training moves.

use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::reduce::ReduceMode;
use crate::kernels::slot;
use crate::kernels::vector;
use crate::models::Network;
use crate::rng::Rng;
pub(crate) use hvp::Hvp;

mod hvp;
use serde::{Deserialize, Serialize};

/// 1 on the flat buffer's real coordinates, 0 on alignment padding (what random probe vectors
/// are drawn over).
pub(crate) fn valid_coordinates(params: &crate::nn::ParamSet) -> Vec<f32> {
    let mut valid = vec![0.0f32; params.params.len];
    for e in params.arena.entries() {
        valid[e.offset..e.offset + e.len()].fill(1.0);
    }
    valid
}

/// Probe settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharpnessConfig {
    /// Power iterations per probe (warm-started); 0 skips `lambda_max`.
    pub power_iters: usize,
    /// Rademacher samples per trace estimate; 0 skips `trace`.
    pub hutchinson_samples: usize,
    /// Finite-difference step along a unit direction.
    pub eps: f32,
}

impl Default for SharpnessConfig {
    fn default() -> Self {
        Self {
            power_iters: 5,
            hutchinson_samples: 8,
            eps: 1e-2,
        }
    }
}

impl SharpnessConfig {
    /// Rejects unusable settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "probe eps must be > 0, got {}",
                self.eps
            )));
        }
        if self.power_iters > 1000 || self.hutchinson_samples > 10_000 {
            return Err(Error::InvalidConfig(
                "probe iterations/samples are unreasonably many".into(),
            ));
        }
        Ok(())
    }
}

/// The a-posteriori error bound of power iteration's estimate: for a unit vector `v`, its
/// Rayleigh quotient `lambda = v.Hv` and `hv_norm2 = |Hv|^2`, the residual `|Hv - lambda v|` equals
/// `sqrt(|Hv|^2 - lambda^2)`, and a symmetric H has an eigenvalue within that distance of `lambda`
/// (Krylov-Weinstein). Once the iteration has converged onto the top eigenvector this is the
/// uncertainty of `lambda_max`; early on it is large, which is the honest answer.
pub fn power_residual(lambda: f32, hv_norm2: f32) -> f32 {
    let (l, n2) = (lambda as f64, hv_norm2 as f64);
    (n2 - l * l).max(0.0).sqrt() as f32
}

/// Buffers and the prebuilt plan of the sharpness probes for one model.
pub struct Sharpness {
    /// Settings.
    pub config: SharpnessConfig,
    plan: Plan,
    /// Power iteration's vector, warm-started from probe to probe.
    power_vector: Tensor,
}

impl Sharpness {
    /// Allocates the probe vectors and records the plan. The plan leaves the weights exactly as it
    /// found them (restored from a copy) and the results in `scalars[slot::LAMBDA_MAX]`,
    /// `scalars[slot::TRACE]` and `scalars[slot::WEIGHT_SQ]` (the weights' squared norm);
    /// `scalars[slot::DOT2]` keeps the last `|Hv|^2` (see [`power_residual`]).
    pub fn new(
        ctx: &GpuContext,
        model: &dyn Network,
        config: SharpnessConfig,
        seed: u64,
    ) -> Result<Self> {
        config.validate()?;
        let params = model.params();
        let n = params.params.len;
        let valid = valid_coordinates(params);
        // The start vector of power iteration.
        let mut start = vec![0.0f32; n];
        let mut rng = Rng::new(seed).fork(4);
        for e in params.arena.entries() {
            for v in &mut start[e.offset..e.offset + e.len()] {
                *v = rng.normal();
            }
        }
        let norm = start.iter().map(|v| v * v).sum::<f32>().sqrt();
        start.iter_mut().for_each(|v| *v /= norm);
        let valid = Tensor::from_slice(ctx, "valid coordinates", &valid);
        let v = Tensor::from_slice(ctx, "power iteration vector", &start);
        let hv = Tensor::zeros(ctx, "hessian-vector product", n);
        let z = Tensor::zeros(ctx, "rademacher vector", n);
        let backup = Tensor::zeros(ctx, "weights backup", n);
        let plus_grad = Tensor::zeros(ctx, "gradient at theta + eps v", n);
        let hvp = Hvp {
            ctx,
            model,
            backup: &backup,
            plus_grad: &plus_grad,
        };
        let (partials, scalars) = (&model.head().partials, &model.head().scalars);

        let mut plan = Plan::new();
        // The weights' norm (alignment padding holds zeros, so it adds nothing).
        let weight_sq = ReduceMode::Store {
            slot: slot::WEIGHT_SQ,
            scale: 1.0,
        };
        let weights = &params.params;
        plan.extend_dispatches(vector::dot(
            ctx, weights, weights, partials, scalars, weight_sq,
        ));
        plan.push(vector::copy(ctx, &params.params, &backup));
        if let Some(anchor) = model.curvature_anchor_plan() {
            plan.extend(anchor);
        }
        for _ in 0..config.power_iters {
            hvp.record(&mut plan, &v, config.eps, &hv);
            let rayleigh = ReduceMode::Store {
                slot: slot::LAMBDA_MAX,
                scale: 1.0,
            };
            plan.extend_dispatches(vector::dot(ctx, &v, &hv, partials, scalars, rayleigh));
            let norm2 = ReduceMode::Store {
                slot: slot::DOT2,
                scale: 1.0,
            };
            plan.extend_dispatches(vector::dot(ctx, &hv, &hv, partials, scalars, norm2));
            plan.push(vector::normalize(ctx, &hv, scalars, slot::DOT2, &v));
        }
        let samples = config.hutchinson_samples;
        let z_eps = config.eps / (params.count() as f32).sqrt();
        for s in 0..samples {
            plan.push(vector::rademacher(ctx, &valid, seed as u32, s as u32, &z));
            hvp.record(&mut plan, &z, z_eps, &hv);
            let scale = 1.0 / samples as f32;
            let mode = if s == 0 {
                ReduceMode::Store {
                    slot: slot::TRACE,
                    scale,
                }
            } else {
                ReduceMode::Accumulate {
                    slot: slot::TRACE,
                    scale,
                }
            };
            plan.extend_dispatches(vector::dot(ctx, &z, &hv, partials, scalars, mode));
        }
        plan.push(vector::copy(ctx, &backup, &params.params));
        Ok(Self {
            config,
            plan,
            power_vector: v,
        })
    }

    /// The buffers that carry state from probe to probe, by name (what a checkpoint saves).
    pub fn state_tensors(&self) -> Vec<(&'static str, &Tensor)> {
        vec![("probe.power_vector", &self.power_vector)]
    }

    /// The probe plan (runs on the batch in the model's token buffers).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
