//! When the window draws its next frame: continuously while training on a GPU, paced on a
//! CPU adapter (whose cores also train), slowly while the tab is hidden, and not at all when
//! idle.

use super::frame_stats::FrameStats;
use web_time::Duration;

/// While a CPU adapter trains, the window is drawn by the same cores that train, so it redraws
/// by itself only every this many times what a frame costs on the UI thread (update and
/// rendering, eframe's measure), within the bounds below; input still gets a frame at once.
/// Measured on lavapipe with 2 cores (`scripts/bench-frames.sh`): a frame costs about 12 ms on
/// the UI thread and as much again in llvmpipe's rasteriser threads, and drawing at 27 fps cut
/// training from 5.2 to 2.0 steps/s per run, at 10 fps to 4.4; 16x keeps drawing near an
/// eighth of the machine.
const CPU_DRAW_SHARE_INVERSE: f64 = 16.0;
/// Fastest self-driven redraw on a CPU adapter (10 fps), s.
const CPU_MIN_INTERVAL_S: f64 = 0.1;
/// Slowest, s.
const CPU_MAX_INTERVAL_S: f64 = 0.5;

/// Asks egui for the next frame after this one, if any.
///
/// `busy`: something trains or is in flight; `hidden`: the page is not visible; `running`:
/// the runs are in the Running mode; `desktop_cpu`: a desktop window on a CPU adapter.
pub(super) fn schedule(
    ctx: &egui::Context,
    busy: bool,
    hidden: bool,
    running: bool,
    desktop_cpu: bool,
    frames: &FrameStats,
) {
    if busy && !hidden {
        // In the browser steps are submitted only from frames (a slower redraw would starve
        // the GPU) and the frames wait for them in its queue anyway: redraw continuously there.
        if desktop_cpu {
            // Input still gets a frame at once (egui repaints on every event).
            let interval = frames.draw_ms() * CPU_DRAW_SHARE_INVERSE;
            ctx.request_repaint_after(Duration::from_secs_f64(
                (interval / 1e3).clamp(CPU_MIN_INTERVAL_S, CPU_MAX_INTERVAL_S),
            ));
        } else {
            ctx.request_repaint();
        }
    } else if hidden && running {
        // Training waits while the tab is hidden: look again for it becoming visible.
        ctx.request_repaint_after(Duration::from_millis(250));
    }
    // Otherwise the window is idle: no frames until input, or until something it waits for
    // arrives (`platform::wake`).
}
