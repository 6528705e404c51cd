//! "Tune both": the fair comparison of docs/RESULTS.md, live. In compare mode the base optimizer
//! and its IRE twin each start at three peak learning rates (x0.5, x1, x2 of the setting), all
//! from the same initial weights and data order; after the first tenth of the run the best of
//! each arm by training loss continues and the others stop. The honest speed-up is then read off
//! the two survivors: the steps IRE needs to reach the tuned base's current loss.

use super::series::{Point, Series};

/// Learning-rate factors each arm starts with.
pub const FACTORS: [f32; 3] = [0.5, 1.0, 2.0];

/// The sweep's share of the run.
pub fn sweep_steps(total: usize) -> usize {
    (total / 10).max(5).min(total)
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
    let [base, ire] = &session.runs[..] else {
        return;
    };
    let Some(s) = speed_up(&base.series, &ire.series, window(base.trainer.config.steps)) else {
        return;
    };
    let lam = |r: &super::session::LiveRun| {
        r.series
            .lambda_max
            .last()
            .map_or("-".to_string(), |p| super::plots::format_value(p[1]))
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
        assert_eq!(sweep_steps(2000), 200);
        assert_eq!(sweep_steps(3), 3);
    }
}
