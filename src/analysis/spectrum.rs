//! The Hessian's spectrum: its top eigenvalues and its eigenvalue density by stochastic Lanczos
//! quadrature (Ghorbani et al., 2019; Yao et al.'s PyHessian): `vectors` Lanczos runs from
//! Rademacher start vectors; each run's Ritz values are the nodes and the squared first
//! components of their eigenvectors the weights of a quadrature for `v^T f(H) v`, and the
//! density is their average, smoothed by a Gaussian.

use super::lanczos::{Ritz, MAX_STEPS};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A spectrum request.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpectrumConfig {
    /// Lanczos steps per run (nodes of each quadrature).
    pub lanczos_steps: usize,
    /// Runs (random start vectors) averaged into the density.
    pub vectors: usize,
    /// Top eigenvalues reported (from the first run's Ritz values).
    pub top_k: usize,
    /// Finite-difference step of the Hessian-vector products (unit directions).
    pub eps: f32,
}

impl Default for SpectrumConfig {
    fn default() -> Self {
        Self {
            lanczos_steps: 20,
            vectors: 2,
            top_k: 5,
            eps: 1e-2,
        }
    }
}

impl SpectrumConfig {
    /// Rejects unusable settings with a reason.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if !(2..=MAX_STEPS).contains(&self.lanczos_steps) {
            return bad(format!(
                "Lanczos steps must be in 2..={MAX_STEPS}, got {}",
                self.lanczos_steps
            ));
        }
        if !(1..=64).contains(&self.vectors) {
            return bad(format!(
                "spectrum vectors must be in 1..=64, got {}",
                self.vectors
            ));
        }
        if !(1..=self.lanczos_steps).contains(&self.top_k) {
            return bad(format!(
                "top-k must be in 1..={} (the Lanczos steps), got {}",
                self.lanczos_steps, self.top_k
            ));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad(format!("eps must be > 0, got {}", self.eps));
        }
        Ok(())
    }
}

/// One run's quadrature: nodes (Ritz values, descending) and weights (summing to one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quadrature {
    /// Ritz values.
    pub nodes: Vec<f64>,
    /// Their weights.
    pub weights: Vec<f64>,
}

/// The density on a grid: `density[i]` at `lambda[i]`, integrating to about one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Density {
    /// Width of the Gaussian each node is spread over.
    pub sigma: f64,
    /// Grid of eigenvalues.
    pub lambda: Vec<f64>,
    /// Density per grid point.
    pub density: Vec<f64>,
}

/// A computed spectrum, as `spectrum --out` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumResult {
    /// The run's step at which it was taken.
    pub step: usize,
    /// The request.
    pub config: SpectrumConfig,
    /// Trainable scalars (the Hessian's size).
    pub params: usize,
    /// Top eigenvalues, descending.
    pub top: Vec<f64>,
    /// Each run's quadrature.
    pub runs: Vec<Quadrature>,
    /// The density's first moment times the size: a trace estimate (Hutchinson's with the
    /// same Rademacher vectors).
    pub trace: f64,
    /// The smoothed density.
    pub density: Density,
}

/// Points of the density grid.
const DENSITY_POINTS: usize = 201;

impl SpectrumResult {
    /// Assembles the result from the runs' Ritz decompositions (`ritz[0]` gives the top values).
    pub fn from_runs(step: usize, config: SpectrumConfig, params: usize, ritz: &[Ritz]) -> Self {
        let runs: Vec<Quadrature> = ritz
            .iter()
            .map(|r| Quadrature {
                nodes: r.values.clone(),
                weights: r.weights.clone(),
            })
            .collect();
        let top = ritz
            .first()
            .map(|r| r.values.iter().take(config.top_k).copied().collect())
            .unwrap_or_default();
        let mean_moment =
            ritz.iter().map(|r| r.first_moment).sum::<f64>() / ritz.len().max(1) as f64;
        Self {
            step,
            config,
            params,
            top,
            density: density(&runs),
            runs,
            trace: mean_moment * params as f64,
        }
    }
}

/// The runs' average quadrature spread by Gaussians: 1% of the nodes' range wide, or wider when
/// each run has few nodes (half the mean gap between `m` nodes), so that a short run gives a
/// density rather than a comb.
fn density(runs: &[Quadrature]) -> Density {
    let nodes = || runs.iter().flat_map(|r| r.nodes.iter().copied());
    let lo = nodes().fold(f64::INFINITY, f64::min);
    let hi = nodes().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return Density {
            sigma: 0.0,
            lambda: Vec::new(),
            density: Vec::new(),
        };
    }
    let nodes_per_run = runs.iter().map(|r| r.nodes.len()).max().unwrap_or(1).max(1);
    let relative = (0.5 / nodes_per_run as f64).max(0.01);
    let sigma = ((hi - lo) * relative).max(1e-6 * hi.abs().max(1.0));
    let (start, end) = (lo - 5.0 * sigma, hi + 5.0 * sigma);
    let lambda: Vec<f64> = (0..DENSITY_POINTS)
        .map(|i| start + (end - start) * i as f64 / (DENSITY_POINTS - 1) as f64)
        .collect();
    let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt() * runs.len() as f64);
    let density = lambda
        .iter()
        .map(|&l| {
            runs.iter()
                .flat_map(|r| r.nodes.iter().zip(&r.weights))
                .map(|(&node, &w)| w * (-0.5 * ((l - node) / sigma).powi(2)).exp())
                .sum::<f64>()
                * norm
        })
        .collect();
    Density {
        sigma,
        lambda,
        density,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_density_integrates_to_one_and_peaks_at_the_nodes() {
        let runs = vec![Quadrature {
            nodes: vec![10.0, 0.0],
            weights: vec![0.25, 0.75],
        }];
        let d = density(&runs);
        let step = d.lambda[1] - d.lambda[0];
        let total: f64 = d.density.iter().sum::<f64>() * step;
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        let peak = d
            .lambda
            .iter()
            .zip(&d.density)
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(l, _)| *l)
            .unwrap();
        assert!(peak.abs() < 0.2, "the heavier node is the mode: {peak}");
    }
}
