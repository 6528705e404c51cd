//! Loss-landscape slices (Li et al., 2018, "Visualizing the Loss Landscape of Neural Nets"): the
//! loss at `theta + x d1` (a line) or `theta + x d1 + y d2` (a plane) on a grid of `x, y` in
//! `[-span, span]`, for random filter-normalised directions or the Hessian's top eigenvectors.
//! Each grid point is one forward pass in evaluation mode, recorded once and replayed per batch;
//! the weights are restored exactly afterwards.

use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::{slot, vector};
use crate::models::Network;
use crate::nn::ParamSet;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// A line or a plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliceKind {
    /// `theta + x d1`.
    #[serde(rename = "slice1d")]
    Line,
    /// `theta + x d1 + y d2`.
    #[serde(rename = "slice2d")]
    Plane,
}

/// Where the slice's directions come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionKind {
    /// Gaussian directions, each filter (row of a weight tensor) scaled to the norm of the
    /// weights' filter, so that `x = 1` moves every filter by its own size; comparable between
    /// runs and across architectures (Li et al.'s filter normalisation).
    Random,
    /// The Hessian's top eigenvectors by Lanczos (unit norm): `x` is a distance in weight space.
    Hessian,
}

/// Which batches the loss is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SliceData {
    /// The run's fixed probe batch (training data; the batch the sharpness probes see).
    Probe,
    /// The first `batches` held-out batches (what `eval` measures).
    Validation,
}

/// A slice request.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LandscapeConfig {
    /// Line or plane.
    pub kind: SliceKind,
    /// Random (filter-normalised) or Hessian directions.
    pub directions: DirectionKind,
    /// Points per axis (odd, so that the current weights are a grid point).
    pub grid: usize,
    /// The grid covers `[-span, span]` per axis.
    pub span: f32,
    /// Seed of random directions: equal seeds give equal directions for equal architectures
    /// (before each run's own filter normalisation), so two runs' slices are comparable.
    pub seed: u64,
    /// Probe batch or validation batches.
    pub data: SliceData,
    /// Validation batches (for [`SliceData::Validation`]).
    pub batches: usize,
    /// Random directions: move biases and normalisation parameters too (by their own values,
    /// as Li et al. do when they keep them); otherwise those stay fixed.
    pub include_bias_norm: bool,
    /// Hessian directions: Lanczos steps.
    pub lanczos_steps: usize,
    /// Hessian directions: finite-difference step of the Hessian-vector products.
    pub eps: f32,
}

impl Default for LandscapeConfig {
    fn default() -> Self {
        Self {
            kind: SliceKind::Line,
            directions: DirectionKind::Random,
            grid: 21,
            span: 1.0,
            seed: 0,
            data: SliceData::Probe,
            batches: 1,
            include_bias_norm: false,
            lanczos_steps: 20,
            eps: 1e-2,
        }
    }
}

/// Largest grid per axis for a line and for a plane.
pub const MAX_GRID: [usize; 2] = [1001, 101];

impl LandscapeConfig {
    /// Rejects unusable settings with a reason.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        let max = match self.kind {
            SliceKind::Line => MAX_GRID[0],
            SliceKind::Plane => MAX_GRID[1],
        };
        if self.grid < 3 || self.grid > max || self.grid.is_multiple_of(2) {
            return bad(format!(
                "the slice grid must be odd, between 3 and {max} points per axis (the current \
                 weights are its centre), got {}",
                self.grid
            ));
        }
        if !(self.span.is_finite() && self.span > 0.0 && self.span <= 1e4) {
            return bad(format!(
                "the slice span must be in (0, 1e4], got {}",
                self.span
            ));
        }
        if self.data == SliceData::Validation && !(1..=1000).contains(&self.batches) {
            return bad(format!(
                "validation batches must be in 1..=1000, got {}",
                self.batches
            ));
        }
        if self.directions == DirectionKind::Hessian {
            if !(2..=super::lanczos::MAX_STEPS).contains(&self.lanczos_steps) {
                return bad(format!(
                    "Lanczos steps must be in 2..={}, got {}",
                    super::lanczos::MAX_STEPS,
                    self.lanczos_steps
                ));
            }
            if !(self.eps.is_finite() && self.eps > 0.0) {
                return bad(format!("eps must be > 0, got {}", self.eps));
            }
        }
        Ok(())
    }

    /// Grid coordinates along one axis, `-span .. span`, with exactly 0 in the middle.
    pub fn axis(&self) -> Vec<f32> {
        let half = (self.grid - 1) / 2;
        (0..self.grid)
            .map(|i| self.span * (i as f32 - half as f32) / half as f32)
            .collect()
    }

    /// Rows of the grid (1 for a line).
    pub fn rows(&self) -> usize {
        match self.kind {
            SliceKind::Line => 1,
            SliceKind::Plane => self.grid,
        }
    }
}

/// A computed slice, as `landscape --out` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LandscapeResult {
    /// The run's step at which it was taken.
    pub step: usize,
    /// The request.
    pub config: LandscapeConfig,
    /// Grid coordinates per axis.
    pub axis: Vec<f32>,
    /// Mean loss per grid point: `loss[row * grid + column]`, the row giving `y` (plane) and
    /// the column `x`.
    pub loss: Vec<f32>,
    /// Hessian directions: the eigenvalues (Ritz values) of `d1` (and `d2`).
    pub eigenvalues: Vec<f64>,
}

/// The smallest and largest of `values`, NaN ignored (`(inf, -inf)` when none is left).
pub fn value_range(values: impl IntoIterator<Item = f32>) -> (f32, f32) {
    values
        .into_iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

impl LandscapeResult {
    /// The lowest and highest loss over the grid ([`value_range`]).
    pub fn loss_range(&self) -> (f32, f32) {
        value_range(self.loss.iter().copied())
    }

    /// The loss at the current weights (the grid's centre).
    pub fn center(&self) -> f32 {
        let g = self.config.grid;
        let mid = (g - 1) / 2;
        match self.config.kind {
            SliceKind::Line => self.loss[mid],
            SliceKind::Plane => self.loss[mid * g + mid],
        }
    }

    /// The second difference of a line's loss at its centre, `(L(h) - 2 L(0) + L(-h)) / h^2`
    /// with `h` the grid step: the curvature along `d1` (for a unit Hessian eigenvector, its
    /// eigenvalue). For a plane, along the centre row.
    pub fn center_curvature(&self) -> f64 {
        let g = self.config.grid;
        let mid = (g - 1) / 2;
        let row = match self.config.kind {
            SliceKind::Line => 0,
            SliceKind::Plane => mid,
        };
        let at = |i: usize| self.loss[row * g + i] as f64;
        let h = (self.axis[mid + 1] - self.axis[mid]) as f64;
        (at(mid + 1) - 2.0 * at(mid) + at(mid - 1)) / (h * h)
    }
}

/// Random filter-normalised direction `stream` (0 for `d1`, 1 for `d2`) for the weights
/// `weights` (the flat buffer's layout): Gaussian numbers drawn in declaration order from
/// `seed`, each filter (a weight tensor's slice along its first, output dimension) scaled to the
/// norm of the same filter of the weights. One-dimensional tensors (biases, normalisation
/// parameters) get zeros, or their own values with `include_bias_norm`. Padding stays zero.
pub fn filter_normalized(
    params: &ParamSet,
    weights: &[f32],
    seed: u64,
    stream: u64,
    include_bias_norm: bool,
) -> Vec<f32> {
    let mut direction = vec![0.0f32; weights.len()];
    let mut rng = Rng::new(seed).fork(100 + stream);
    for spec in &params.specs {
        let Some(entry) = params.arena.entries().iter().find(|e| e.name == spec.name) else {
            continue;
        };
        let range = entry.offset..entry.offset + entry.len();
        let (w, d) = (&weights[range.clone()], &mut direction[range]);
        if spec.shape.len() <= 1 {
            if include_bias_norm {
                d.copy_from_slice(w);
            }
            continue;
        }
        let row_len = entry.len() / spec.shape[0].max(1);
        if row_len == 0 {
            continue;
        }
        for (w_row, d_row) in w.chunks(row_len).zip(d.chunks_mut(row_len)) {
            d_row.iter_mut().for_each(|v| *v = rng.normal());
            let norm = |x: &[f32]| x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
            let scale = norm(w_row) / (norm(d_row) + 1e-10);
            d_row
                .iter_mut()
                .for_each(|v| *v = (*v as f64 * scale) as f32);
        }
    }
    direction
}

/// The GPU side of one slice: the directions, a copy of the weights, the per-point losses, and
/// one prebuilt plan per grid row.
pub struct SliceBuffers {
    /// First direction.
    pub d1: Tensor,
    /// Second direction (planes).
    pub d2: Tensor,
    backup: Tensor,
    /// Mean loss per grid point, summed over batches.
    pub losses: Tensor,
    rows: Vec<Plan>,
}

impl SliceBuffers {
    /// Allocates the buffers and records the rows' plans for `model` (an evaluation forward per
    /// point, its loss added to the point's sum with weight `1 / batches`).
    pub fn new(ctx: &GpuContext, model: &dyn Network, config: &LandscapeConfig) -> Self {
        let params = model.params();
        let n = params.params.len;
        let points = config.rows() * config.grid;
        let d1 = Tensor::zeros(ctx, "slice direction 1", n);
        let d2 = Tensor::zeros(ctx, "slice direction 2", n);
        let backup = Tensor::zeros(ctx, "weights backup", n);
        let losses = Tensor::zeros(ctx, "slice losses", points);
        let axis = config.axis();
        let batches = match config.data {
            SliceData::Probe => 1,
            SliceData::Validation => config.batches,
        };
        let scalars = &model.head().scalars;
        // The same dispatch before every point (it zeroes the evaluation sum): recorded once.
        let clear = vector::set_slot(ctx, scalars, slot::EVAL_LOSS, 0.0);
        let ys: Vec<f32> = match config.kind {
            SliceKind::Line => vec![0.0],
            SliceKind::Plane => axis.clone(),
        };
        let rows = ys
            .iter()
            .enumerate()
            .map(|(row, &y)| {
                let mut plan = Plan::new();
                for (column, &x) in axis.iter().enumerate() {
                    let point = (x, &d1);
                    plan.push(vector::axpy2(ctx, &backup, point, (y, &d2), &params.params));
                    plan.push(clear.clone());
                    plan.extend(model.eval_plan());
                    let index = row * config.grid + column;
                    let scale = 1.0 / batches as f32;
                    let loss = (scalars, slot::EVAL_LOSS);
                    plan.push(vector::add_slot(ctx, loss, scale, &losses, index));
                }
                plan
            })
            .collect();
        Self {
            d1,
            d2,
            backup,
            losses,
            rows,
        }
    }

    /// Saves the weights (before the first row; the sums start at zero).
    pub fn start_plan(&self, ctx: &GpuContext, model: &dyn Network) -> Plan {
        let mut plan = Plan::new();
        let params = &model.params().params;
        plan.push(vector::copy(ctx, params, &self.backup));
        plan
    }

    /// Row `row`'s points on the batch in the model's input buffers.
    pub fn row_plan(&self, row: usize) -> &Plan {
        &self.rows[row]
    }

    /// Restores the weights (after the last row).
    pub fn finish_plan(&self, ctx: &GpuContext, model: &dyn Network) -> Plan {
        let mut plan = Plan::new();
        let params = &model.params().params;
        plan.push(vector::copy(ctx, &self.backup, params));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::value_range;

    #[test]
    fn value_range_skips_nan_and_reports_empty() {
        assert_eq!(value_range([2.0, f32::NAN, -1.5, 0.5]), (-1.5, 2.0));
        assert_eq!(value_range([]), (f32::INFINITY, f32::NEG_INFINITY));
        assert_eq!(value_range([f32::NAN]), (f32::INFINITY, f32::NEG_INFINITY));
    }
}
