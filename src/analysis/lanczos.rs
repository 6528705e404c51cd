//! Lanczos iteration on the GPU over the finite-difference Hessian-vector products the probes
//! use. Every coefficient stays on the GPU (dot products reduced into a coefficient buffer, the
//! Gram-Schmidt updates read them from there), so a run needs no round trip until the host reads
//! the `2m` coefficients at its end and diagonalises the small tridiagonal matrix.
//!
//! Each step re-orthogonalises against every earlier basis vector, twice (classical
//! Gram-Schmidt done twice is as good as modified Gram-Schmidt and then some): with f32 vectors
//! and finite-difference products, plain three-term Lanczos loses orthogonality within a few
//! steps and reports ghost copies of the top eigenvalue.

use super::eigen::tridiagonal_eigen;
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, GpuContext, Plan, Tensor};
use crate::kernels::reduce::{partials_len, ReduceMode};
use crate::kernels::vector;
use crate::models::Network;
use crate::probe::{valid_coordinates, Hvp};

/// The most Lanczos steps a run may ask for (each keeps a parameter-sized vector on the GPU).
pub const MAX_STEPS: usize = 200;

/// Buffers of `steps` Lanczos steps for one model.
pub struct Lanczos {
    steps: usize,
    /// Orthonormal basis `v_0 .. v_steps`.
    basis: Vec<Tensor>,
    /// Ping-pong buffers for the vector being orthogonalised.
    work: [Tensor; 2],
    /// `alpha_j` at `j`, `beta_j^2` at `steps + j`, scratch at `2 steps`.
    coefficients: Tensor,
    partials: Tensor,
    valid: Tensor,
    backup: Tensor,
    plus_grad: Tensor,
    /// Real (unpadded) coordinates.
    count: usize,
}

/// What one Lanczos run found.
#[derive(Clone, Debug)]
pub struct Ritz {
    /// Ritz values (eigenvalue estimates), descending.
    pub values: Vec<f64>,
    /// Their eigenvectors in the Lanczos basis (`vectors[k][j]` multiplies `v_j`).
    pub vectors: Vec<Vec<f64>>,
    /// Quadrature weights: the squared first component of each eigenvector (how much of the
    /// start vector lies along it), summing to one.
    pub weights: Vec<f64>,
    /// `v_0^T H v_0`: with a start vector `z / |z|` of Rademacher signs, `count * first_moment`
    /// is Hutchinson's trace estimate from `z`.
    pub first_moment: f64,
}

impl Lanczos {
    /// Allocates `steps` steps' buffers for `model`.
    pub fn new(ctx: &GpuContext, model: &dyn Network, steps: usize) -> Result<Self> {
        if !(2..=MAX_STEPS).contains(&steps) {
            return Err(Error::InvalidConfig(format!(
                "Lanczos steps must be in 2..={MAX_STEPS}, got {steps}"
            )));
        }
        let params = model.params();
        let n = params.params.len;
        let z = |label: &str| Tensor::zeros(ctx, label, n);
        Ok(Self {
            steps,
            basis: (0..=steps).map(|_| z("lanczos basis vector")).collect(),
            work: [z("lanczos work a"), z("lanczos work b")],
            coefficients: Tensor::zeros(ctx, "lanczos coefficients", 2 * steps + 1),
            partials: Tensor::zeros(ctx, "lanczos partials", partials_len(n)),
            valid: Tensor::from_slice(ctx, "valid coordinates", &valid_coordinates(params)),
            backup: z("weights backup"),
            plus_grad: z("gradient at theta + eps v"),
            count: params.count(),
        })
    }

    /// Steps per run.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The coefficient buffer (read it back after [`Lanczos::finish_plan`] ran).
    pub fn coefficients(&self) -> &Tensor {
        &self.coefficients
    }

    /// The first part of a run: saves the weights and sets `v_0 = z / |z|`, `z` the Rademacher
    /// signs for (`seed`, `counter`) (the vectors Hutchinson's estimator of the probes draws).
    /// Then [`Lanczos::step_plan`] for each step and [`Lanczos::finish_plan`]; together they
    /// run on the batch in the model's input buffers and leave the weights as they found them.
    pub fn start_plan(
        &self,
        ctx: &GpuContext,
        model: &dyn Network,
        (seed, counter): (u32, u32),
    ) -> Plan {
        let params = model.params();
        let mut plan = Plan::new();
        plan.push(vector::copy(ctx, &params.params, &self.backup));
        if let Some(anchor) = model.curvature_anchor_plan() {
            plan.extend(anchor);
        }
        let (w0, scratch) = (&self.work[0], 2 * self.steps);
        plan.push(vector::rademacher(ctx, &self.valid, seed, counter, w0));
        plan.extend_dispatches(self.dot(ctx, w0, w0, scratch));
        let coefficients = &self.coefficients;
        plan.push(vector::normalize(
            ctx,
            w0,
            coefficients,
            scratch,
            &self.basis[0],
        ));
        plan
    }

    /// Step `j`: `w = H v_j`, `alpha_j = v_j . w`, `w` orthogonalised against `v_0 .. v_j`,
    /// `beta_j^2 = |w|^2`, `v_{j+1} = w / beta_j`.
    pub fn step_plan(&self, ctx: &GpuContext, model: &dyn Network, j: usize, eps: f32) -> Plan {
        let m = self.steps;
        assert!(j < m, "Lanczos step {j} of {m}");
        let scratch = 2 * m;
        let hvp = Hvp {
            ctx,
            model,
            backup: &self.backup,
            plus_grad: &self.plus_grad,
        };
        let mut plan = Plan::new();
        hvp.record(&mut plan, &self.basis[j], eps, &self.work[0]);
        plan.extend_dispatches(self.dot(ctx, &self.basis[j], &self.work[0], j));
        // w -= (w . v_i) v_i for every v_i so far, twice, alternating between the work buffers
        // (a dispatch may not read and write one buffer).
        let mut current = 0;
        for _pass in 0..2 {
            for v in &self.basis[..=j] {
                let (from, to) = (&self.work[current], &self.work[1 - current]);
                plan.extend_dispatches(self.dot(ctx, from, v, scratch));
                let coefficient = (&self.coefficients, scratch);
                plan.push(vector::axpy_slot(ctx, from, -1.0, coefficient, v, to));
                current = 1 - current;
            }
        }
        let w = &self.work[current];
        plan.extend_dispatches(self.dot(ctx, w, w, m + j));
        let coefficients = &self.coefficients;
        plan.push(vector::normalize(
            ctx,
            w,
            coefficients,
            m + j,
            &self.basis[j + 1],
        ));
        plan
    }

    /// The last part of a run: the weights back from their copy.
    pub fn finish_plan(&self, ctx: &GpuContext, model: &dyn Network) -> Plan {
        let mut plan = Plan::new();
        plan.push(vector::copy(ctx, &self.backup, &model.params().params));
        plan
    }

    fn dot(&self, ctx: &GpuContext, a: &Tensor, b: &Tensor, slot: usize) -> [Dispatch; 2] {
        let mode = ReduceMode::Store { slot, scale: 1.0 };
        vector::dot(ctx, a, b, &self.partials, &self.coefficients, mode)
    }

    /// The tridiagonal matrix's eigen-decomposition from the coefficients read back after a run
    /// (cut at the first step whose new vector vanished: the Krylov space was exhausted).
    pub fn ritz(&self, coefficients: &[f32]) -> Result<Ritz> {
        let m = self.steps;
        if coefficients.len() < 2 * m || coefficients.iter().any(|c| !c.is_finite()) {
            return Err(Error::Analysis(
                "the Lanczos coefficients are not finite (the loss or its gradient is NaN/Inf \
                 near these weights)"
                    .into(),
            ));
        }
        let alpha: Vec<f64> = coefficients[..m].iter().map(|&a| a as f64).collect();
        let beta2: Vec<f64> = coefficients[m..2 * m].iter().map(|&b| b as f64).collect();
        let scale = alpha.iter().fold(0.0f64, |s, a| s.max(a.abs())).max(1e-30);
        // beta_j joins v_j and v_{j+1}; a vanishing beta ends the Krylov space at j + 1.
        let kept = (0..m)
            .find(|&j| beta2[j].sqrt() <= 1e-6 * scale)
            .map_or(m, |j| j + 1);
        let off: Vec<f64> = beta2[..kept - 1].iter().map(|b| b.sqrt()).collect();
        let (values, vectors) = tridiagonal_eigen(&alpha[..kept], &off);
        let weights = vectors.iter().map(|v| v[0] * v[0]).collect();
        Ok(Ritz {
            values,
            vectors,
            weights,
            first_moment: alpha[0],
        })
    }

    /// Real (unpadded) coordinates of the model.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Records `out = sum_j coefficients[j] v_j` (a Ritz vector from its Lanczos coordinates),
    /// using the work buffers as scratch.
    pub fn combine(&self, ctx: &GpuContext, coefficients: &[f64], out: &Tensor) -> Plan {
        let mut plan = Plan::new();
        let v = &self.basis;
        // work[0] = v_0 - v_0: exactly zero, of the right length.
        plan.push(vector::axpy(ctx, &v[0], -1.0, &v[0], None, &self.work[0]));
        let mut current = 0;
        let terms: Vec<(f32, &Tensor)> = coefficients
            .iter()
            .zip(v)
            .map(|(&c, t)| (c as f32, t))
            .collect();
        for pair in terms.chunks(2) {
            let second = pair.get(1).copied().unwrap_or((0.0, pair[0].1));
            let (from, to) = (&self.work[current], &self.work[1 - current]);
            plan.push(vector::axpy2(ctx, from, pair[0], second, to));
            current = 1 - current;
        }
        plan.push(vector::copy(ctx, &self.work[current], out));
        plan
    }
}
