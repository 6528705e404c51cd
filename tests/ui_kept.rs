//! Runs kept across restarts, driven through the window as a person meets them: a session
//! saved when paused comes back after the window is gone (dropped without closing, as a crash
//! leaves it) and continues bit-identically; Reset keeps the runs it replaces, also when the
//! window closes before their last save; a store that cannot be written says so once and
//! training goes on.
#![cfg(feature = "gui")]

mod window;

use egui_kittest::kittest::Queryable;
use ire_playground::app::{LaunchOptions, Mode, Settings, Status};
use std::path::{Path, PathBuf};
use window::{frames_until, open, status, steps_done};

const STEPS: usize = 40;

/// A short compare run of `tiny` with evaluations and probes (what a resumed run must repeat).
fn settings() -> String {
    let mut s = Settings::for_adapter(true);
    s.compare = true;
    let t = &mut s.train;
    t.steps = STEPS;
    t.batch = 4;
    t.warmup = 2;
    t.eval_every = 10;
    t.eval_batches = 1;
    t.probe_every = 10;
    t.sharpness.power_iters = 2;
    t.sharpness.hutchinson_samples = 1;
    t.ire.mask_every = 5;
    s.to_url_hash()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ire-ui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn kept_in(dir: &Path) -> LaunchOptions {
    LaunchOptions {
        settings: Some(settings()),
        keep_runs: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

fn saved_step(s: &Status) -> Option<usize> {
    s.kept.as_ref().and_then(|k| k.saved_step)
}

/// Every step taken and every result in (the last evaluation and probe arrive after the last
/// step's loss; the window pauses once they have).
fn finished(s: &Status) -> bool {
    s.mode == Mode::Paused && s.runs.iter().all(|r| r.steps == STEPS)
}

fn offered(s: &Status) -> bool {
    s.notices
        .iter()
        .any(|n| n.text.starts_with("Runs you trained before were kept"))
}

#[test]
fn runs_saved_at_a_pause_come_back_after_a_crash_and_continue_bit_identically() {
    let dir = scratch("continue");
    let mut first = open(1280.0, 800.0, kept_in(&dir));
    assert!(!offered(&status(&first)), "nothing was kept yet");
    first.get_by_label("Run").click();
    frames_until(&mut first, "12 steps", |s| steps_done(s) >= 12);
    first.get_by_label("Pause").click();
    frames_until(&mut first, "the save at the pause", |s| {
        saved_step(s) == Some(steps_done(s))
    });
    let saved = steps_done(&status(&first));
    assert!(saved < STEPS);
    // Gone without closing: only what was saved is left.
    drop(first);

    let mut second = open(1280.0, 800.0, kept_in(&dir));
    assert!(offered(&status(&second)), "{:?}", status(&second).notices);
    second.get_by_label("Continue them (C)").click();
    frames_until(&mut second, "the kept runs", |s| steps_done(s) == saved);
    second.get_by_label("Run").click();
    frames_until(&mut second, "the end of the continued runs", finished);
    let continued = status(&second);

    let mut straight = open(
        1280.0,
        800.0,
        LaunchOptions {
            settings: Some(settings()),
            ..Default::default()
        },
    );
    straight.get_by_label("Run").click();
    frames_until(&mut straight, "the end of the uninterrupted runs", finished);
    let straight = status(&straight);
    assert_eq!(continued.runs.len(), 2);
    for (c, s) in continued.runs.iter().zip(&straight.runs) {
        assert_eq!(c.label, s.label);
        assert_eq!(c.last_loss, s.last_loss, "{}: last losses", c.label);
        assert_eq!(c.last_val_loss, s.last_val_loss, "{}", c.label);
        assert_eq!(c.lambda_max, s.lambda_max, "{}: sharpness", c.label);
        assert_eq!(c.events, s.events, "{}", c.label);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reset_keeps_the_runs_it_replaces_and_offers_them_back() {
    let dir = scratch("reset");
    let mut h = open(1280.0, 800.0, kept_in(&dir));
    h.get_by_label("Run").click();
    frames_until(&mut h, "4 steps", |s| steps_done(s) >= 4);
    h.get_by_label("Pause").click();
    h.run_steps(2);
    h.key_press(egui::Key::R);
    h.run_steps(2);
    h.get_by_label_contains("They are kept");
    h.get_by_label("Start new runs").click();
    frames_until(&mut h, "the replaced runs' last save", |s| {
        let replaced = s
            .kept
            .as_ref()
            .is_some_and(|k| k.sessions.len() == 1 && k.sessions[0].0 != k.current);
        replaced && steps_done(s) == 0
    });
    let kept = status(&h).kept.unwrap();
    assert!(kept.sessions[0].1.contains("AdamW vs AdmIRE"), "{kept:?}");
    h.run_steps(2);
    assert!(offered(&status(&h)));
    // C continues them (the new runs had not trained: nothing to keep of them).
    h.key_press(egui::Key::C);
    frames_until(&mut h, "the kept runs back", |s| steps_done(s) >= 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_store_that_cannot_be_written_says_so_and_training_goes_on() {
    let dir = scratch("full");
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_folder = dir.join("file");
    std::fs::write(&not_a_folder, b"in the way").unwrap();
    let mut h = open(1280.0, 800.0, kept_in(&not_a_folder));
    h.get_by_label("Run").click();
    frames_until(&mut h, "3 steps", |s| steps_done(s) >= 3);
    h.get_by_label("Pause").click();
    frames_until(&mut h, "the failed save", |s| {
        s.kept.as_ref().is_some_and(|k| k.error.is_some())
    });
    let s = status(&h);
    let said: Vec<_> = s
        .notices
        .iter()
        .filter(|n| n.text.starts_with("Runs are not being kept"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", s.notices);
    let before = steps_done(&s);
    h.get_by_label("Run").click();
    frames_until(&mut h, "training after the failure", |s| {
        steps_done(s) >= before + 3
    });
    assert_eq!(std::fs::read(&not_a_folder).unwrap(), b"in the way");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The steps of each run in the kept session whose folder is not `except`, from its manifest.
fn kept_steps(dir: &Path, except: &str) -> Vec<u64> {
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy() == except {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path().join("manifest.json")) else {
            continue;
        };
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        for run in manifest["runs"].as_array().unwrap() {
            steps.push(run["step"].as_u64().unwrap());
        }
    }
    steps
}

#[test]
fn closing_the_window_while_replaced_runs_wait_for_their_last_save_keeps_them() {
    use eframe::App;
    let dir = scratch("exit");
    let mut h = open(1280.0, 800.0, kept_in(&dir));
    h.get_by_label("Run").click();
    frames_until(&mut h, "8 steps", |s| steps_done(s) >= 8);
    h.key_press(egui::Key::R);
    h.run_steps(1);
    let trained = steps_done(&status(&h));
    // The replaced runs' last save starts over the next frames; the window closes first.
    h.get_by_label("Start new runs").click();
    h.run_steps(1);
    let current = status(&h).kept.unwrap().current;
    h.state_mut().on_exit();
    drop(h);
    let kept = kept_steps(&dir, &current);
    assert_eq!(kept.len(), 2, "the replaced session was not kept: {kept:?}");
    assert!(
        kept.iter().all(|&s| s as usize >= trained),
        "kept at steps {kept:?}, trained {trained} steps before the reset"
    );
}
