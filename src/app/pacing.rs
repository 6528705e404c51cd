//! How many training steps the app keeps in flight. In the browser the page's drawing waits
//! in the same GPU queue as the training steps, so a frame comes only after every step queued
//! before it: the app measures how long a step takes on this GPU (from the arrival of its
//! results) and keeps about one frame's worth of steps in flight, at least one. On the desktop
//! a thread of its own submits the steps (`gpu::Submitter`), so the UI never waits for them and
//! only the readback ring bounds how many are in flight.

use web_time::Instant;

/// The frame interval the browser pacing aims at, ms (30 fps).
const TARGET_FRAME_MS: f64 = 33.0;
/// Weight of the newest measurement in the running estimate of a step's time.
const SMOOTHING: f64 = 0.2;

/// Running estimate of the time one step takes on the GPU.
#[derive(Default)]
pub struct Pacer {
    /// Since when steps have been in flight without a pause, and how many had completed then.
    busy_since: Option<(Instant, usize)>,
    /// Estimated time per step, ms.
    step_ms: Option<f64>,
}

impl Pacer {
    /// Takes in the frame's count of completed steps (all runs together) and whether steps are
    /// still in flight.
    pub fn observe(&mut self, now: Instant, completed: usize, in_flight: bool) {
        match self.busy_since {
            Some((since, before)) if completed > before => {
                let ms =
                    now.duration_since(since).as_secs_f64() * 1e3 / (completed - before) as f64;
                self.step_ms = Some(match self.step_ms {
                    Some(old) => old + SMOOTHING * (ms - old),
                    None => ms,
                });
                self.busy_since = in_flight.then_some((now, completed));
            }
            Some(_) if !in_flight => self.busy_since = None,
            Some(_) => {}
            None if in_flight => self.busy_since = Some((now, completed)),
            None => {}
        }
    }

    /// The estimated time of one step, ms (None until one was measured).
    pub fn step_ms(&self) -> Option<f64> {
        self.step_ms
    }

    /// How many steps may be in flight when the page's drawing shares the GPU queue with them:
    /// about one frame's worth, at least one.
    pub fn shared_queue_limit(&self) -> usize {
        match self.step_ms {
            Some(ms) if ms > 0.0 => ((TARGET_FRAME_MS / ms).floor() as usize).max(1),
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use web_time::Duration;

    #[test]
    fn slow_steps_keep_one_in_flight_and_fast_ones_fill_a_frame() {
        let mut pacer = Pacer::default();
        assert_eq!(pacer.shared_queue_limit(), 1, "unmeasured: one at a time");
        let t0 = Instant::now();
        pacer.observe(t0, 0, true);
        pacer.observe(t0 + Duration::from_millis(200), 1, true);
        assert!((pacer.step_ms().unwrap() - 200.0).abs() < 1.0);
        assert_eq!(pacer.shared_queue_limit(), 1);
        let mut fast = Pacer::default();
        fast.observe(t0, 10, true);
        fast.observe(t0 + Duration::from_millis(40), 30, false);
        assert!((fast.step_ms().unwrap() - 2.0).abs() < 0.1);
        assert_eq!(fast.shared_queue_limit(), 16);
    }

    #[test]
    fn idle_time_between_runs_is_not_counted() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        pacer.observe(t0, 0, true);
        pacer.observe(t0 + Duration::from_millis(10), 1, false);
        // A long pause with nothing in flight, then one more step.
        pacer.observe(t0 + Duration::from_secs(5), 1, true);
        pacer.observe(t0 + Duration::from_millis(5_010), 2, false);
        assert!(pacer.step_ms().unwrap() < 11.0, "{:?}", pacer.step_ms());
    }
}
