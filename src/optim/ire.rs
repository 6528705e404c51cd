//! IRE, Implicit Regularization Enhancement (Wang et al., NeurIPS 2024, arXiv 2405.20763), as a
//! wrapper over any base optimizer, entirely on the GPU:
//!
//! - every `mask_every` steps while active (and at once when switched on), one forward/backward
//!   on the current batch with labels **sampled from the model's own predictive distribution**
//!   gives g; the diagonal Fisher estimate is `h = beta * h + (1 - beta) * N * g^2` (N tokens);
//! - the mask marks the `gamma` fraction of coordinates with the **smallest** `h`, over all
//!   parameters together: an exact radix select finds the k-th smallest value (k = floor(gamma n))
//!   on the GPU, and every coordinate with `h <= threshold` is flat (ties included);
//! - the update is `theta += delta * (1 + kappa * mask)`, delta being the base optimizer's full
//!   step; with `prog_decay`, kappa is scaled by `lr_t / lr_max`.
//!
//! Fisher refreshes also run at probe steps when IRE is off, so flat-direction counts can be
//! compared between base and IRE runs; the mask is then computed but not applied.

use super::{IreStep, IreTiming, LiveParams};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::cross_entropy;
use crate::kernels::ire::{self, MaskBuffers, SampleParams, SelectScratch};
use crate::kernels::reduce::{self, ReduceMode};
use crate::kernels::segments::{segment_table, sum_segments};
use crate::kernels::slot;
use crate::models::Network;
use crate::rng::uniform_at;
use serde::{Deserialize, Serialize};

/// IRE hyperparameters (names follow the paper).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IreConfig {
    /// Whether IRE starts switched on.
    pub enabled: bool,
    /// Amplification of flat coordinates' steps.
    pub kappa: f32,
    /// Fraction of coordinates treated as flat, in (0, 1).
    pub gamma: f32,
    /// Refresh the Fisher estimate and mask every this many steps.
    pub mask_every: usize,
    /// EMA factor of the Fisher estimate (0: the latest estimate only).
    pub fisher_beta: f32,
    /// First step at which IRE may act (None: the end of warm-up).
    pub start: Option<usize>,
    /// Scale kappa by `lr_t / lr_max`.
    pub prog_decay: bool,
    /// Steps at which IRE is switched (on->off or off->on).
    pub toggle_at: Vec<usize>,
    /// A coordinate also counts as flat-by-threshold when `h < eps_rel * mean(h)`.
    pub eps_rel: f32,
    /// Which coordinates are amplified: the flattest by the Fisher estimate (IRE), or a random
    /// `gamma` fraction (a control that separates "flat directions" from "bigger steps").
    pub mask_rule: MaskRule,
}

/// How IRE's mask is chosen at each refresh.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskRule {
    /// The `gamma` fraction with the smallest Fisher values, ties included (the algorithm).
    #[default]
    Fisher,
    /// Each coordinate independently with probability `gamma`, redrawn at every refresh from
    /// the run's seed and the refresh counter (`uniform_at(seed + RANDOM_MASK_SALT, counter,
    /// j) < gamma`, j the coordinate's index in declaration order). The Fisher estimate is still
    /// refreshed, so the probes' statistics stay comparable.
    Random,
}

/// Added to the run's seed for the random mask's stream (apart from the sampled labels').
pub const RANDOM_MASK_SALT: u32 = 0x9E37_79B9;

impl Default for IreConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            kappa: 2.0,
            gamma: 0.9,
            mask_every: 10,
            fisher_beta: 0.0,
            start: None,
            prog_decay: false,
            toggle_at: Vec::new(),
            eps_rel: 1e-3,
            mask_rule: MaskRule::Fisher,
        }
    }
}

impl IreConfig {
    /// Rejects a kappa outside [0, 100].
    pub fn check_kappa(kappa: f32) -> Result<()> {
        if kappa.is_finite() && (0.0..=100.0).contains(&kappa) {
            Ok(())
        } else {
            Err(Error::InvalidConfig(format!(
                "kappa must be in [0, 100], got {kappa}"
            )))
        }
    }

    /// Rejects a refresh interval of 0.
    pub fn check_mask_every(mask_every: usize) -> Result<()> {
        if mask_every == 0 {
            Err(Error::InvalidConfig("mask-every must be at least 1".into()))
        } else {
            Ok(())
        }
    }

    /// Rejects values outside the algorithm's domain.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        Self::check_kappa(self.kappa)?;
        Self::check_mask_every(self.mask_every)?;
        if !(self.gamma > 0.0 && self.gamma < 1.0) {
            return bad(format!("gamma must be in (0, 1), got {}", self.gamma));
        }
        if !(0.0..1.0).contains(&self.fisher_beta) {
            return bad(format!(
                "fisher-beta must be in [0, 1), got {}",
                self.fisher_beta
            ));
        }
        if !(self.eps_rel.is_finite() && self.eps_rel > 0.0) {
            return bad(format!("eps-rel must be > 0, got {}", self.eps_rel));
        }
        Ok(())
    }

    /// Whether IRE is switched on for step `step` (0-based), after the scheduled toggles.
    pub fn enabled_at(&self, step: usize) -> bool {
        let flips = self.toggle_at.iter().filter(|&&t| t <= step).count();
        self.enabled ^ (flips % 2 == 1)
    }
}

/// IRE's buffers and its prebuilt refresh plan for one model.
pub struct Ire {
    /// When it acts, how much, and when its mask was last refreshed.
    pub timing: IreTiming,
    /// Diagonal Fisher estimate, laid out like the parameters.
    pub fisher: Tensor,
    /// 1 on flat coordinates (the optimizer reads it when kappa != 0).
    pub mask: Tensor,
    sample_params: wgpu::Buffer,
    seed: u32,
    rows: usize,
    vocab: usize,
    refreshes: u32,
    probe_refreshes: u32,
    refresh: Plan,
    /// The mask rule and, for [`MaskRule::Random`], what drawing it needs.
    mask_rule: MaskRule,
    gamma: f32,
    entries: Vec<(usize, usize)>,
    /// Parameter tensor names, in the order of the per-tensor statistics.
    pub tensor_names: Vec<String>,
    /// Real (non-padding) coordinates per tensor.
    pub tensor_sizes: Vec<usize>,
}

impl Ire {
    /// What IRE does at `step` (learning rate `lr`) under `live`; see [`IreTiming::plan_step`].
    pub fn plan_step(&mut self, step: usize, lr: f32, live: &LiveParams) -> IreStep {
        self.timing.plan_step(step, lr, live)
    }

    /// Allocates IRE's state for `model` and records the refresh plan (gamma, the Fisher EMA
    /// factor and `eps_rel` are built into it; kappa and the refresh interval are live, read
    /// per step by [`Ire::plan_step`]).
    pub fn new(
        ctx: &GpuContext,
        model: &dyn Network,
        config: &IreConfig,
        seed: u64,
        timing: IreTiming,
    ) -> Result<Self> {
        config.validate()?;
        let params = model.params();
        let n = params.params.len;
        let real = params.count();
        let fisher = Tensor::zeros(ctx, "fisher", n);
        let mask = Tensor::zeros(ctx, "ire mask", n);
        // Under the random rule the host writes `mask` before each refresh; the Fisher rule's
        // marking then goes to a buffer nobody applies.
        let fisher_mask = match config.mask_rule {
            MaskRule::Fisher => None,
            MaskRule::Random => Some(Tensor::zeros(ctx, "ire fisher mask (unused)", n)),
        };
        let below = Tensor::zeros(ctx, "fisher below eps", n);
        let sampled = Tensor::zeros(ctx, "sampled labels", model.head().rows);
        let sample_params = ctx.uniform(&SampleParams::default());
        let scratch = SelectScratch::new(ctx);

        let entries: Vec<_> = params
            .specs
            .iter()
            .map(|s| {
                let view = params.param(&s.name);
                ((view.offset / 4) as usize, view.len)
            })
            .collect();
        let table = segment_table(ctx, &entries);
        let tensors = entries.len();

        // Padding coordinates have h = 0 and sort first; skip past them so that k counts
        // real coordinates only.
        let padding = n - real;
        let flat_k = (config.gamma as f64 * real as f64).floor() as usize;
        let k = if flat_k == 0 { 0 } else { flat_k + padding };

        let mut refresh = Plan::new();
        refresh.extend(model.forward_plan());
        let head = model.head();
        refresh.push(ire::sample_labels(
            ctx,
            &sample_params,
            head.rows,
            (&head.logits, &head.targets),
            &sampled,
        ));
        refresh.push(cross_entropy::forward_backward(
            ctx,
            (head.rows, head.scoring.scored_rows),
            model.head().classes,
            &model.head().logits,
            &sampled,
            &model.head().losses,
            Some(&model.head().dlogits),
        ));
        refresh.extend(model.backward_plan());
        refresh.push(ire::accumulate(
            ctx,
            &params.grads,
            &fisher,
            config.fisher_beta,
            head.scoring.scored_rows as f32,
        ));
        let sum = ReduceMode::Store {
            slot: slot::FISHER_SUM,
            scale: 1.0,
        };
        refresh.extend_dispatches(reduce::reduce(
            ctx,
            sum,
            &fisher,
            &model.head().partials,
            &model.head().scalars,
        ));
        refresh.extend_dispatches(ire::select_kth(ctx, &fisher, k, &scratch));
        refresh.push(ire::mark(
            ctx,
            MaskBuffers {
                fisher: &fisher,
                state: &scratch.state,
                scalars: &model.head().scalars,
                mask: fisher_mask.as_ref().unwrap_or(&mask),
                below: &below,
            },
            real,
            config.eps_rel,
        ));
        // Per-tensor mask counts, below-threshold counts and Fisher sums into the scalars.
        for (values, offset) in [
            (&mask, slot::per_tensor::mask_counts(tensors)),
            (&below, slot::per_tensor::below_counts(tensors)),
            (&fisher, slot::per_tensor::fisher_sums(tensors)),
        ] {
            let scalars = &model.head().scalars;
            refresh.push(sum_segments(ctx, &table, values, scalars, offset));
        }

        Ok(Self {
            timing,
            fisher,
            mask,
            sample_params,
            seed: seed as u32,
            rows: model.head().rows,
            vocab: model.head().classes,
            refreshes: 0,
            probe_refreshes: 0,
            refresh,
            mask_rule: config.mask_rule,
            gamma: config.gamma,
            tensor_names: params.specs.iter().map(|s| s.name.clone()).collect(),
            tensor_sizes: entries.iter().map(|e| e.1).collect(),
            entries,
        })
    }

    /// The buffers that carry state between refreshes, by name (what a checkpoint saves).
    pub fn state_tensors(&self) -> Vec<(&'static str, &Tensor)> {
        vec![("ire.fisher", &self.fisher), ("ire.mask", &self.mask)]
    }

    /// Refreshes so far, for training and for probes (their label streams' positions).
    pub fn refresh_counters(&self) -> (u32, u32) {
        (self.refreshes, self.probe_refreshes)
    }

    /// Continues the label streams from saved [`Ire::refresh_counters`].
    pub fn set_refresh_counters(&mut self, (refreshes, probe_refreshes): (u32, u32)) {
        self.refreshes = refreshes;
        self.probe_refreshes = probe_refreshes;
    }

    /// Queues new random labels for the next refresh; call before submitting [`Ire::refresh_plan`].
    /// Refreshes for probes draw from their own stream (`for_probe`), so that probing never changes
    /// the labels, hence the masks, of training refreshes.
    pub fn prepare_refresh(&mut self, ctx: &GpuContext, for_probe: bool) {
        let counter = if for_probe {
            self.probe_refreshes += 1;
            0x8000_0000 | self.probe_refreshes
        } else {
            self.refreshes += 1;
            self.refreshes
        };
        let p = SampleParams {
            rows: self.rows as u32,
            vocab: self.vocab as u32,
            seed: self.seed,
            counter,
        };
        ctx.write_buffer(&self.sample_params, 0, bytemuck::bytes_of(&p));
        if self.mask_rule == MaskRule::Random {
            let mask = self.random_mask(counter);
            self.mask.write(ctx, &mask);
        }
    }

    /// The random rule's mask for refresh `counter`, in the flat (padded) layout.
    fn random_mask(&self, counter: u32) -> Vec<f32> {
        let seed = self.seed.wrapping_add(RANDOM_MASK_SALT);
        let mut mask = vec![0.0f32; self.mask.len];
        let mut j = 0u32;
        for &(offset, len) in &self.entries {
            for m in &mut mask[offset..offset + len] {
                *m = if uniform_at(seed, counter, j) < self.gamma {
                    1.0
                } else {
                    0.0
                };
                j = j.wrapping_add(1);
            }
        }
        mask
    }

    /// Forward/backward with sampled labels, Fisher EMA, threshold, mask and per-tensor counts.
    /// Leaves the gradient buffer holding the sampled-label gradient: run before the train plan.
    pub fn refresh_plan(&self) -> &Plan {
        &self.refresh
    }
}
