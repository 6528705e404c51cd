//! Frame times and training throughput over the last few seconds, published with the run
//! status so that the UI tests see whether training keeps the UI smooth.

use serde::Serialize;
use std::collections::VecDeque;
use web_time::Instant;

/// Frames remembered (about two seconds at 60 fps).
const WINDOW: usize = 120;

/// Timing of recent frames.
#[derive(Default)]
pub struct FrameStats {
    /// (frame start, time spent in the app's update, steps done at the end of the frame).
    frames: VecDeque<(Instant, f64, usize)>,
    started: Option<Instant>,
    /// Frames drawn since the app started (an idle window draws none).
    total: u64,
    /// Running mean of what a frame costs on the UI thread (update and rendering), ms.
    draw_ms: Option<f64>,
}

/// What [`FrameStats::summary`] reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FrameSummary {
    /// Frames in the window.
    pub frames: usize,
    /// Mean time the app's update took (training submissions, plots, layout), ms.
    pub work_ms_mean: f64,
    /// Slowest update in the window, ms.
    pub work_ms_max: f64,
    /// Mean time from one frame's start to the next's, ms (16.7 at 60 fps).
    pub interval_ms_mean: f64,
    /// Median of those intervals, ms.
    pub interval_ms_median: f64,
    /// Their 95th percentile, ms.
    pub interval_ms_p95: f64,
    /// Frames drawn since the app started: a paused, idle window adds none.
    pub frames_total: u64,
    /// Running mean of a whole frame's cost on the UI thread (update, tessellation, rendering;
    /// eframe's measure), ms.
    pub draw_ms: f64,
    /// Training steps per second over the window (of the slowest run).
    pub steps_per_s: f64,
}

impl FrameStats {
    /// Marks the start of a frame's update.
    pub fn begin(&mut self) {
        self.started = Some(Instant::now());
    }

    /// Takes in what the previous frame cost on the UI thread, update and rendering (eframe's
    /// measure), seconds.
    pub fn record_draw(&mut self, seconds: f64) {
        let ms = seconds * 1e3;
        self.draw_ms = Some(match self.draw_ms {
            Some(old) => old + 0.1 * (ms - old),
            None => ms,
        });
    }

    /// The running mean of a frame's cost (update and rendering), ms; 0 until measured.
    pub fn draw_ms(&self) -> f64 {
        self.draw_ms.unwrap_or(0.0)
    }

    /// Marks the end of a frame's update; `steps` is the number of steps done so far.
    pub fn end(&mut self, steps: usize) {
        let Some(start) = self.started.take() else {
            return;
        };
        let work = start.elapsed().as_secs_f64() * 1e3;
        if self.frames.len() == WINDOW {
            self.frames.pop_front();
        }
        // A new run restarts the count: forget frames that had more steps.
        if self.frames.back().is_some_and(|f| f.2 > steps) {
            self.frames.clear();
        }
        self.frames.push_back((start, work, steps));
        self.total += 1;
    }

    /// The window's figures (zeros until two frames were seen).
    pub fn summary(&self) -> FrameSummary {
        let (Some(first), Some(last)) = (self.frames.front(), self.frames.back()) else {
            return FrameSummary {
                frames_total: self.total,
                draw_ms: self.draw_ms(),
                ..Default::default()
            };
        };
        let mut intervals: Vec<f64> = self
            .frames
            .iter()
            .zip(self.frames.iter().skip(1))
            .map(|(a, b)| b.0.duration_since(a.0).as_secs_f64() * 1e3)
            .collect();
        intervals.sort_by(f64::total_cmp);
        let n = self.frames.len();
        let span = last.0.duration_since(first.0).as_secs_f64();
        let works = self.frames.iter().map(|f| f.1);
        FrameSummary {
            frames: n,
            work_ms_mean: works.clone().sum::<f64>() / n as f64,
            work_ms_max: works.fold(0.0, f64::max),
            interval_ms_mean: if n > 1 {
                span * 1e3 / (n - 1) as f64
            } else {
                0.0
            },
            interval_ms_median: percentile(&intervals, 0.5),
            interval_ms_p95: percentile(&intervals, 0.95),
            frames_total: self.total,
            draw_ms: self.draw_ms(),
            steps_per_s: if span > 0.0 {
                (last.2 - first.2) as f64 / span
            } else {
                0.0
            },
        }
    }
}

/// The `q` quantile of sorted `values` (nearest rank; 0 for none).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_steps_per_second_and_restarts_with_a_new_run() {
        let mut stats = FrameStats::default();
        for steps in [0, 2, 4] {
            stats.begin();
            std::thread::sleep(std::time::Duration::from_millis(20));
            stats.end(steps);
        }
        let s = stats.summary();
        assert_eq!(s.frames, 3);
        assert!(s.work_ms_mean >= 15.0 && s.work_ms_max >= s.work_ms_mean);
        assert!(s.interval_ms_mean >= 15.0);
        assert!(s.steps_per_s > 0.0 && s.steps_per_s <= 4.0 / 0.035, "{s:?}");
        assert!(s.interval_ms_median >= 15.0 && s.interval_ms_p95 >= s.interval_ms_median);
        stats.begin();
        stats.end(0);
        assert_eq!(stats.summary().frames, 1);
        assert_eq!(stats.summary().frames_total, 4);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 10.0);
        assert_eq!(percentile(&values, 0.95), 19.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
