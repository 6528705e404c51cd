//! The app's window driven through its widgets, as a person (or a screen reader) meets it:
//! egui_kittest finds each widget by the name AccessKit gives it, clicks it or presses keys, and
//! the tests read what the window shows and what the app's status says. The window trains on the
//! machine's adapter (lavapipe in CI), so the runs are real and the tests stay short.
#![cfg(feature = "gui")]

mod window;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ire_playground::app::{Mode, Status};
use window::{first_visit, frames_until, status, steps_done};

#[test]
fn a_first_visit_shows_the_guide_and_every_widget_has_a_name() {
    let mut harness = first_visit(1280.0, 800.0);
    // Every button, box and field a person can act on has a name a screen reader reads.
    harness.check_accessibility();
    let s = status(&harness);
    assert!(s.guide, "a first visit shows the guide");
    assert_eq!(s.runs.len(), 2, "the first experiment compares two runs");
    assert!(s.runs[0].label.contains("AdamW") && s.runs[1].label.contains("AdmIRE"));
    assert!(
        s.runs.iter().all(|r| r.steps == 0),
        "nothing trains before Run"
    );
    harness.get_by_label("Start here");
    // The guide sits below the toolbar, never over it.
    let run = harness.get_by_label("Run").rect();
    let guide = harness.get_by_label("Start here").rect();
    assert!(
        run.bottom() <= guide.top(),
        "toolbar {run:?}, guide {guide:?}"
    );
    harness.get_by_label("Got it").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Start here").is_none());
    assert!(!status(&harness).guide);
}

#[test]
fn run_trains_the_first_experiment_and_the_keys_work_with_focus_on_a_widget() {
    let mut harness = first_visit(1280.0, 800.0);
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "3 steps of both runs", |s| steps_done(s) >= 3);
    assert_eq!(status(&harness).mode, Mode::Running);
    // IRE is armed (it acts from its start step), and the button says so.
    let s = status(&harness);
    assert!(s.ire_on, "the first experiment's AdmIRE run has IRE on");
    harness.get_by_label_contains("IRE: armed");
    // Focus on a checkbox (not a text field): Space still pauses, I still switches IRE.
    harness.get_by_label("log y").focus();
    harness.run_steps(1);
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert_eq!(status(&harness).mode, Mode::Paused, "Space pauses");
    harness.get_by_label("Run");
    harness.key_press(egui::Key::I);
    harness.run_steps(2);
    assert!(!status(&harness).ire_on, "I switches IRE off");
    harness.get_by_label_contains("IRE: off");
    harness.check_accessibility();
}

#[test]
fn reset_asks_before_it_discards_trained_runs() {
    let mut harness = first_visit(1280.0, 800.0);
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "2 steps", |s| steps_done(s) >= 2);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    let before = steps_done(&status(&harness));
    harness.key_press(egui::Key::R);
    harness.run_steps(2);
    harness.get_by_label("Keep training them").click();
    harness.run_steps(2);
    assert!(
        steps_done(&status(&harness)) >= before,
        "keeping keeps the runs"
    );
    harness.get_by_label("Reset").click();
    harness.run_steps(2);
    harness.get_by_label("Discard them and start").click();
    harness.run_steps(3);
    assert_eq!(
        steps_done(&status(&harness)),
        0,
        "discarding starts new runs"
    );
}

#[test]
fn on_a_phone_the_plots_get_the_screen_and_the_settings_are_a_drawer() {
    let mut harness = first_visit(390.0, 844.0);
    harness.check_accessibility();
    // The settings are closed: the optimizer's menu is not on screen.
    assert!(harness.query_by_label("optimizer").is_none());
    let drawer = harness.get_by_label("Settings");
    let toolbar = drawer.rect();
    // The guide starts below the toolbar and spans the phone's width.
    let guide = harness.get_by_label("Start here").rect();
    assert!(toolbar.bottom() <= guide.top() && guide.left() < 40.0);
    let layout = status(&harness).layout;
    assert!(
        layout.settings_drawer && !layout.settings_shown,
        "{layout:?}"
    );
    assert!(layout.plots_width >= 0.9 * layout.width, "{layout:?}");
    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    assert!(status(&harness).layout.settings_shown);
    harness.get_by_label("optimizer");
    harness.check_accessibility();
    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("optimizer").is_none());
}

#[test]
fn a_changed_setting_is_seen_in_the_notices_bar_and_its_reset_applies_it() {
    let mut harness = first_visit(1280.0, 800.0);
    harness.get_by_label("Got it").click();
    harness.run_steps(2);
    harness.get_by_label("seed").set_value_accesskit(7.0);
    harness.run_steps(2);
    let changed = |s: &Status| {
        s.notices
            .iter()
            .any(|n| n.text.contains("Settings changed"))
    };
    assert!(changed(&status(&harness)), "{:?}", status(&harness).notices);
    // The bar's own Reset (the toolbar has one too) starts runs with the new seed at once: the
    // runs had not trained, so nothing is asked.
    let resets = harness.get_all_by_label("Reset").count();
    assert_eq!(resets, 2, "the toolbar's Reset and the bar's");
    harness.get_all_by_label("Reset").last().unwrap().click();
    harness.run_steps(3);
    assert!(
        !changed(&status(&harness)),
        "{:?}",
        status(&harness).notices
    );
}

#[test]
fn picking_a_finding_after_training_asks_first_and_names_the_finding() {
    let finding = &ire_playground::app::FINDINGS[0];
    let mut harness = first_visit(1280.0, 800.0);
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "2 steps", |s| steps_done(s) >= 2);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    harness.get_by_label("findings").click();
    harness.run_steps(2);
    // Each finding says how long it runs.
    let line = format!("{}: ", finding.name);
    harness.get_by_label_contains(&line).click();
    harness.run_steps(2);
    assert!(
        steps_done(&status(&harness)) >= 2,
        "nothing is discarded yet"
    );
    harness.get_by_label("Discard them and start").click();
    harness.run_steps(3);
    // The menu names the finding loaded.
    let shown = harness.get_by_label("findings").value();
    assert_eq!(shown, Some(format!("finding: {}", finding.name)));
    assert_eq!(steps_done(&status(&harness)), 0);
}

#[test]
fn a_task_trains_with_accuracy_and_back_to_shakespeare_restores_the_text() {
    let mut harness = first_visit(1280.0, 900.0);
    harness
        .get_by_label("Tasks (modular addition, parity)")
        .click();
    harness.run_steps(2);
    harness
        .get_by_label("Modular addition (a + b mod 97)")
        .click();
    harness.run_steps(2);
    let s = status(&harness);
    assert_eq!(s.text.as_deref(), Some("puzzle: modadd p=97 train=0.3"));
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "an evaluation", |s| {
        s.runs.iter().all(|r| r.last_val_acc.is_some())
    });
    let run = &status(&harness).runs[0];
    let (train, val) = (run.last_train_acc.unwrap(), run.last_val_acc.unwrap());
    assert!((0.0..=100.0).contains(&train) && (0.0..=100.0).contains(&val));
    // The panel names what it shows.
    harness.get_by_label_contains("Accuracy %");
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    harness.get_by_label("Back to Shakespeare").click();
    harness.run_steps(3);
    assert_eq!(status(&harness).text, None);
    // The grokking finding brings its task with it.
    harness.get_by_label("findings").click();
    harness.run_steps(2);
    harness.get_by_label_contains("grokking: ").click();
    harness.run_steps(3);
    let s = status(&harness);
    assert_eq!(s.text.as_deref(), Some("puzzle: modadd p=97 train=0.3"));
    let labels: Vec<&str> = s.runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["AdamW", "AdmIRE", "AdamW lr 0.01 (tuned)"]);
}

/// Every symbol the app's sources write outside comments has a glyph in egui's built-in fonts
/// (a missing one draws as an empty box: the notices' warning sign and arrows did).
#[test]
fn every_symbol_the_app_writes_has_a_glyph() {
    let mut folders = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app")];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut symbols = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let code = line.split(" // ").next().unwrap();
            symbols.extend(code.chars().filter(|c| !c.is_ascii()));
        }
    }
    assert!(symbols.contains(&'λ'), "the sources were read");
    let missing: Vec<char> = symbols
        .into_iter()
        .filter(|&c| {
            std::panic::catch_unwind(|| {
                Harness::new_ui(move |ui| {
                    ui.label(c.to_string());
                })
                .run();
            })
            .is_err()
        })
        .collect();
    assert!(missing.is_empty(), "no glyph for {missing:?}");
}

/// A window with one short AdamW run of `tiny` (60 steps of batch 4, no evaluations or probes).
fn one_short_run() -> Harness<'static, ire_playground::app::PlaygroundApp> {
    let mut settings = ire_playground::app::Settings::for_adapter(true);
    let t = &mut settings.train;
    t.steps = 60;
    t.batch = 4;
    t.warmup = 2;
    t.eval_every = 0;
    t.probe_every = 0;
    let launch = ire_playground::app::LaunchOptions {
        settings: Some(settings.to_url_hash()),
        ..Default::default()
    };
    window::open(1280.0, 800.0, launch)
}

#[test]
fn branching_switches_ire_in_a_new_run_from_the_same_state() {
    let mut harness = one_short_run();
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "8 steps", |s| steps_done(s) >= 8);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::B);
    frames_until(&mut harness, "the branch", |s| s.runs.len() == 2);
    let s = status(&harness);
    let at = s.runs[0].steps;
    assert_eq!(s.runs[1].steps, at, "the branch starts where its run is");
    assert!(
        s.runs[1]
            .label
            .ends_with(&format!("from step {at}: IRE on, kappa 2, K 10")),
        "{}",
        s.runs[1].label
    );
    assert_eq!(
        s.runs[1].first_loss, s.runs[0].first_loss,
        "a shared history"
    );
    assert!(s.ire_on, "the IRE switch controls the branch");
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "both runs past the branch", |s| {
        s.runs.iter().all(|r| r.steps >= at + 10)
    });
    let s = status(&harness);
    assert_eq!(s.runs[1].events, vec![format!("ire_on@{at}")]);
    assert!(
        s.runs[0].events.is_empty(),
        "the run itself goes on unchanged"
    );
    assert_ne!(
        s.runs[0].last_loss, s.runs[1].last_loss,
        "IRE changed the branch's steps"
    );
    // The branch can leave the plots, then the runs.
    harness.get_all_by_label("hide").nth(1).unwrap().click();
    harness.run_steps(2);
    assert!(status(&harness).runs[1].hidden);
    harness.get_all_by_label("remove").nth(1).unwrap().click();
    harness.run_steps(2);
    assert_eq!(status(&harness).runs.len(), 2, "a first press only asks");
    harness.get_by_label("remove: sure?").click();
    harness.run_steps(2);
    let s = status(&harness);
    assert_eq!(s.runs.len(), 1);
    assert!(!s.ire_on, "the switch is back on the AdamW run");
}

#[test]
fn a_run_can_be_duplicated_with_its_own_seed_and_renamed() {
    let mut harness = one_short_run();
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "6 steps", |s| steps_done(s) >= 6);
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    let base = status(&harness).runs[0].label.clone();
    harness.get_by_label("duplicate").click();
    frames_until(&mut harness, "the duplicate", |s| s.runs.len() == 2);
    let s = status(&harness);
    assert_eq!(s.runs[1].label, format!("{base} seed 1"));
    assert_eq!(s.runs[1].steps, 0, "a duplicate starts from step 0");
    assert_eq!(s.runs[0].differs, "");
    assert_eq!(
        s.runs[1].differs, "seed 0 -> 1",
        "the only difference, named"
    );
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("vs {base}: seed 0 -> 1"));
    harness.get_by_label("Run").click();
    frames_until(&mut harness, "the duplicate trains", |s| {
        s.runs[1].steps >= 6
    });
    let s = status(&harness);
    assert_ne!(
        s.runs[0].first_loss, s.runs[1].first_loss,
        "other initial weights and data"
    );
    // Rename the duplicate: Enter keeps the name, the legend and the status show it.
    harness.get_all_by_label("rename").nth(1).unwrap().click();
    harness.run_steps(2);
    harness.get_by_label("Enter: keep · Esc: cancel");
    // The name field opens focused, holding the run's name.
    let field = harness
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.is_focused())
        .expect("a focused name field");
    assert_eq!(field.value().as_deref(), Some(&*format!("{base} seed 1")));
    field.type_text(" (mine)");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert_eq!(
        status(&harness).runs[1].label,
        format!("{base} seed 1 (mine)")
    );
    // Typing the name did not reach the keys: R did not reset, Space did not pause.
    assert_eq!(status(&harness).runs.len(), 2);
}
