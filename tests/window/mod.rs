//! What the window tests share: opening the app in a test harness, reading its status, and
//! drawing frames until the runs get somewhere.
#![allow(dead_code)]

use egui_kittest::{Harness, HarnessBuilder};
use ire_playground::app::{LaunchOptions, PlaygroundApp, Status};
use std::time::{Duration, Instant};

/// The app opened with `launch` in a window of `width` x `height` points.
pub fn open(width: f32, height: f32, launch: LaunchOptions) -> Harness<'static, PlaygroundApp> {
    let mut harness = HarnessBuilder::default()
        .with_size([width, height])
        .wgpu()
        .build_eframe(move |cc| PlaygroundApp::new(cc, launch));
    harness.run_steps(3);
    harness
}

/// A first visit (no saved settings, no link) in a window of `width` x `height` points.
pub fn first_visit(width: f32, height: f32) -> Harness<'static, PlaygroundApp> {
    open(width, height, LaunchOptions::default())
}

/// The app's status.
pub fn status(harness: &Harness<'_, PlaygroundApp>) -> Status {
    harness.state().status()
}

/// Draws frames until `done` holds (the runs train between frames), or fails after 3 minutes.
pub fn frames_until(
    harness: &mut Harness<'_, PlaygroundApp>,
    what: &str,
    done: impl Fn(&Status) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !done(&status(harness)) {
        assert!(Instant::now() < deadline, "waited 3 minutes for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Steps done by the slowest run.
pub fn steps_done(status: &Status) -> usize {
    status.runs.iter().map(|r| r.steps).min().unwrap_or(0)
}
