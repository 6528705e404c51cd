//! "Tune both": the fair comparison of docs/RESULTS.md, live. In compare mode the base optimizer
//! and its IRE twin each start at three peak learning rates (x0.5, x1, x2 of the setting), all
//! from the same initial weights and data order; once IRE has acted for a tenth of the run (the
//! sweep ends that long after IRE's start, so the IRE arm is judged on what IRE does, not on
//! the warm-up it shares with the base) the best of each arm by training loss continues and the
//! others stop. The honest speed-up is then read off
//! the two survivors: the steps IRE needs to reach the tuned base's current loss.

use super::series::{Point, Series};
use super::session::{Datasets, LiveRun, Mode, Session};
use super::settings::Settings;
use crate::gpu::GpuContext;
use serde::Serialize;

/// Learning-rate factors each arm starts with.
pub const FACTORS: [f32; 3] = [0.5, 1.0, 2.0];

/// Steps of the sweep: IRE's first acting step plus a tenth of the run (at least 5), within
/// the run.
pub fn sweep_steps(config: &crate::train::TrainConfig) -> usize {
    let total = config.steps;
    config
        .ire_start()
        .saturating_add((total / 10).max(5))
        .min(total)
}

/// Steps averaged to smooth a training-loss curve (a 2% window, at least 5).
pub fn window(total: usize) -> usize {
    (total / 50).max(5)
}

/// Mean training loss of the last `n` recorded steps (infinite for a failed or empty run).
pub fn recent_loss(loss: &[Point], n: usize, failed: bool) -> f64 {
    if failed || loss.is_empty() {
        return f64::INFINITY;
    }
    let mean = mean(&loss[loss.len().saturating_sub(n.max(1))..]);
    if mean.is_finite() {
        mean
    } else {
        f64::INFINITY
    }
}

/// Mean of the values of `points` (non-empty).
fn mean(points: &[Point]) -> f64 {
    points.iter().map(|p| p[1]).sum::<f64>() / points.len() as f64
}

/// Index of the lowest score (the first of equals).
pub fn best(scores: &[f64]) -> usize {
    scores
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// The honest comparison of a tuned base and a tuned IRE run so far.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpeedUp {
    /// The base's latest step and its smoothed training loss there.
    pub base_step: usize,
    pub target: f64,
    /// The first step at which IRE's smoothed loss was at or below the target (None: not yet).
    pub ire_step: Option<usize>,
    /// `base_step / ire_step`.
    pub factor: Option<f64>,
}

/// Steps for `ire` to reach the smoothed training loss `base` has now (`window`-step moving
/// averages on both sides).
pub fn speed_up(base: &Series, ire: &Series, window: usize) -> Option<SpeedUp> {
    // The app calls this every frame: one pass over IRE's curve with a running window sum,
    // and only the base's last window.
    let w = window.max(1);
    let tail = base.loss.get(base.loss.len().checked_sub(w)?..)?;
    let (base_step, target) = (tail[w - 1][0] as usize, mean(tail));
    let mut sum = 0.0;
    let mut ire_step = None;
    for (k, p) in ire.loss.iter().enumerate() {
        sum += p[1];
        if k >= w {
            sum -= ire.loss[k - w][1];
        }
        if k + 1 >= w && sum / w as f64 <= target {
            ire_step = Some(p[0] as usize);
            break;
        }
    }
    Some(SpeedUp {
        base_step,
        target,
        ire_step,
        factor: ire_step.map(|s| base_step as f64 / s.max(1) as f64),
    })
}

/// The comparison's state under the run lines: the sweep in progress, its outcome, and the
/// speed-up and flatness of the two runs being compared.
pub fn comparison_ui(ui: &mut egui::Ui, session: &super::Session) {
    if let Some(t) = &session.tuning {
        if !t.decided {
            ui.weak(format!(
                "tuning both: each arm at x0.5, x1 and x2 the learning rate until step {}; \
                 then the best of each continues",
                t.sweep_steps
            ));
            return;
        }
        let scores: Vec<String> = t
            .scores
            .iter()
            .map(|(label, loss)| format!("{label}: {loss:.3}"))
            .collect();
        ui.weak(format!(
            "tuned at step {} by training loss: {}",
            t.sweep_steps,
            scores.join(" · ")
        ))
        .on_hover_text("The best learning rate of each arm continues; the others stopped.");
    }
    let Some((base, ire)) = session.compared() else {
        return;
    };
    let Some(s) = speed_up(&base.series, &ire.series, window(base.trainer.config.steps)) else {
        return;
    };
    let lam = |r: &super::session::LiveRun| {
        r.series
            .lambda_max
            .last()
            .map_or("-".to_string(), |p| super::axes::format_value(p[1]))
    };
    let reached = match (s.ire_step, s.factor) {
        (Some(step), Some(f)) => format!("{} reached it at step {step}: {f:.2}x", ire.label),
        _ => format!("{} has not reached it yet", ire.label),
    };
    ui.label(format!(
        "speed-up: {} is at loss {:.3} (smoothed) at step {}; {reached} · λ_max {} vs {}",
        base.label,
        s.target,
        s.base_step,
        lam(base),
        lam(ire)
    ))
    .on_hover_text(
        "Steps the IRE run needed to reach the base run's current training loss. It is an \
         honest speed-up only when both learning rates are tuned (tick 'tune both'); at an \
         untuned rate IRE's larger steps can look like a speed-up.",
    );
}

/// "Tune both" in progress or decided (see `app::tune`).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Tuning {
    /// Steps of the sweep.
    pub sweep_steps: usize,
    /// The base arm's runs are `runs[..arm_size]`, the IRE arm's the rest (while sweeping).
    pub(super) arm_size: usize,
    /// Each candidate's label and its mean training loss at the end of the sweep.
    pub scores: Vec<(String, f64)>,
    /// Whether the best of each arm has been chosen.
    pub decided: bool,
}

impl Session {
    /// Both arms at each of [`FACTORS`] times the peak learning rate, same seed.
    pub(super) fn tune_both(
        ctx: &GpuContext,
        settings: &Settings,
        data: &Datasets,
    ) -> crate::Result<Self> {
        let (base, ire) = settings.optimizer_names();
        let mut runs = Vec::new();
        for (name, on) in [(base, false), (ire, true)] {
            for factor in FACTORS {
                let mut s = settings.clone();
                let lr = settings.train.optimizer.lr * factor;
                s.train = s.train.with_peak_lr(lr);
                runs.push(LiveRun::new(
                    ctx,
                    format!("{name} lr {lr:.3e}"),
                    &s,
                    on,
                    data,
                )?);
            }
        }
        let arm_size = FACTORS.len();
        Ok(Self {
            ire_run: arm_size,
            runs,
            mode: Mode::Paused,
            tuning: Some(Tuning {
                sweep_steps: sweep_steps(&settings.train),
                arm_size,
                scores: Vec::new(),
                decided: false,
            }),
            next_run: 0,
            hold: false,
        })
    }

    /// Ends the sweep once every candidate has finished it: the best of each arm continues
    /// (labelled with its learning rate), the others stop.
    pub(super) fn decide_tuning(&mut self) {
        let Some(t) = &mut self.tuning else { return };
        let swept = |r: &LiveRun| r.series.steps_reached() >= t.sweep_steps || r.is_done();
        if t.decided || !self.runs.iter().all(swept) {
            return;
        }
        let n = window(self.runs[0].trainer.config.steps);
        let scores: Vec<f64> = self
            .runs
            .iter()
            .map(|r| recent_loss(&r.series.loss, n, r.error.is_some()))
            .collect();
        t.scores = self
            .runs
            .iter()
            .map(|r| r.label.clone())
            .zip(scores.iter().copied())
            .collect();
        let b = best(&scores[..t.arm_size]);
        let i = t.arm_size + best(&scores[t.arm_size..]);
        t.decided = true;
        let mut kept: Vec<LiveRun> = Vec::new();
        for (k, mut run) in std::mem::take(&mut self.runs).into_iter().enumerate() {
            if k == b || k == i {
                run.label = format!("{} (tuned)", run.label);
                kept.push(run);
            }
        }
        self.runs = kept;
        self.ire_run = 1;
        self.next_run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(losses: &[f64]) -> Series {
        let mut s = Series::default();
        s.loss = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| [(i + 1) as f64, l])
            .collect();
        s
    }

    #[test]
    fn the_speed_up_is_read_at_the_bases_current_loss() {
        let base = series(&[4.0, 3.0, 2.0, 1.0]);
        let ire = series(&[3.0, 1.5, 1.0, 0.5]);
        let s = speed_up(&base, &ire, 1).unwrap();
        assert_eq!((s.base_step, s.target, s.ire_step), (4, 1.0, Some(3)));
        assert!((s.factor.unwrap() - 4.0 / 3.0).abs() < 1e-12);
        // Two-step averages: the base ends at 1.5; IRE's windows read 2.25 at step 2, 1.25 at 3.
        let s = speed_up(&base, &ire, 2).unwrap();
        assert_eq!((s.base_step, s.target, s.ire_step), (4, 1.5, Some(3)));
        let slow = series(&[4.0, 4.0, 4.0, 4.0]);
        assert_eq!(speed_up(&base, &slow, 2).unwrap().ire_step, None);
        assert!(speed_up(&series(&[]), &ire, 1).is_none());
    }

    #[test]
    fn failed_runs_never_win_the_sweep() {
        let scores = [
            recent_loss(&[[1.0, 2.0], [2.0, 1.0]], 1, false),
            recent_loss(&[[1.0, 0.1]], 1, true),
            recent_loss(&[[1.0, f64::NAN]], 1, false),
        ];
        assert_eq!(scores, [1.0, f64::INFINITY, f64::INFINITY]);
        assert_eq!(best(&scores), 0);
        // The sweep lies where IRE acts: after warm-up (10% by default), another tenth.
        let mut config = crate::train::TrainConfig {
            steps: 2000,
            warmup: 200,
            ..Default::default()
        };
        assert_eq!(sweep_steps(&config), 400);
        config.ire.start = Some(50);
        assert_eq!(sweep_steps(&config), 250);
        config.steps = 3;
        config.warmup = 1;
        config.ire.start = None;
        assert_eq!(sweep_steps(&config), 3);
    }
}
