//! The app's settings -> run path without a window: a shared link that carries recorded IRE
//! switches starts a run that replays them, as the panel promises.
#![cfg(feature = "gui")]

mod common;

use ire_playground::app::{Datasets, Mode, Session, Settings};
use ire_playground::data::{Corpus, ImageDataset};
use ire_playground::train::Record;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn datasets() -> Datasets {
    Datasets {
        corpus: Arc::new(Corpus::shakespeare().unwrap()),
        images: Some(Arc::new(ImageDataset::fashion_mnist_embedded().unwrap())),
        corpus_file: Corpus::shakespeare_zlib().into(),
        image_files: Some(ImageDataset::embedded_files().map(Into::into).to_vec()),
        image_source: None,
    }
}

fn run_to_end(settings: &Settings) -> Session {
    let ctx = common::ctx();
    let session = Session::new(&ctx, settings, settings.train.ire.enabled, &datasets())
        .expect("the settings start a run");
    drive(session)
}

/// Runs `session` until nothing is left to do (steps, results, analyses).
fn drive(mut session: Session) -> Session {
    session.mode = Mode::Running;
    // Bounded by time, not by a count of calls: `advance` returns at once while the adapter is
    // busy, so a call count runs out early on a slow software adapter (it did in CI).
    let deadline = Instant::now() + Duration::from_secs(300);
    while session.advance(Duration::from_millis(20)) {
        if let Some(e) = &session.runs[0].error {
            panic!("run failed: {e}");
        }
        assert!(
            Instant::now() < deadline,
            "the run did not finish in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    if let Some(e) = &session.runs[0].error {
        panic!("run failed: {e}");
    }
    session
}

/// A short, cheap run: batch 2, no evaluations or probes.
fn small_settings(steps: usize) -> Settings {
    let mut settings = Settings::for_adapter(true);
    settings.train.steps = steps;
    settings.train.batch = 2;
    settings.train.warmup = 2;
    settings.train.eval_every = 0;
    settings.train.eval_batches = 1;
    settings.train.probe_every = 0;
    settings
}

#[test]
fn a_link_with_recorded_switches_replays_them() {
    let mut settings = small_settings(16);
    settings.train.ire.enabled = false;
    settings.train.ire.start = Some(0);
    settings.train.ire.toggle_at = vec![8, 12];
    let link = settings.to_url_hash();
    let settings = Settings::from_url_hash(&link).expect("the link is valid");
    let session = run_to_end(&settings);
    let run = &session.runs[0];
    let events: Vec<(usize, String)> = run
        .trainer
        .history
        .iter()
        .filter_map(|r| match r {
            Record::Event(e) => Some((e.step, e.event.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        vec![(8, "ire_on".to_string()), (12, "ire_off".to_string())]
    );
    let steps = run
        .trainer
        .history
        .iter()
        .filter(|r| matches!(r, Record::Step(_)))
        .count();
    assert_eq!(steps, 16);
    // IRE amplified exactly the steps between the two switches.
    let kappas: Vec<f32> = run
        .trainer
        .history
        .iter()
        .filter_map(|r| match r {
            Record::Step(s) => Some(s.ire_kappa),
            _ => None,
        })
        .collect();
    let amplified: Vec<usize> = (0..16).filter(|&i| kappas[i] > 0.0).collect();
    assert_eq!(amplified, (8..12).collect::<Vec<_>>());
}

/// A link asking for an absurd batch (the product with the sequence length used to wrap and
/// divide by zero in the batcher) is refused with the reason, for both model families.
#[test]
fn a_paused_session_falls_quiet_and_samples_nothing() {
    // A paused window with nothing in flight must not ask for frames (it drew and sampled text
    // at full speed before), yet the one step it took is collected and looked at once.
    let ctx = common::ctx();
    let mut session = Session::new(&ctx, &small_settings(50), false, &datasets()).unwrap();
    session.step_once();
    let deadline = Instant::now() + Duration::from_secs(120);
    while session.advance(Duration::from_millis(20)) {
        assert!(
            Instant::now() < deadline,
            "a paused session kept asking for frames"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(session.steps_done(), 1);
    let text = |s: &Session| s.runs[0].sampler.as_ref().map(|t| t.text());
    let sampled = text(&session);
    assert!(sampled.is_some(), "the transformer run has a sampler");
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !session.advance(Duration::from_millis(20)),
            "paused and idle"
        );
    }
    assert_eq!(text(&session), sampled, "text was sampled while paused");
}

#[test]
fn a_link_with_an_absurd_batch_is_refused() {
    for preset in ["tiny", "resnet-tiny"] {
        let json = format!(r#"{{"preset":"{preset}","train":{{"batch":288230376151711744}}}}"#);
        let err = Settings::from_url_hash(&json).unwrap_err();
        assert!(err.contains("batch must be between 1 and 65536"), "{err}");
    }
}

/// "Tune both": three learning rates per arm until a tenth of the run, then the best of each
/// continues to the end, and the status reports the speed-up between the two survivors.
#[test]
fn tune_both_sweeps_then_continues_the_best_of_each_arm() {
    let mut settings = small_settings(50);
    settings.compare = true;
    settings.tune = true;
    let session = run_to_end(&settings);
    let tuning = session.tuning.as_ref().expect("tuning");
    assert!(tuning.decided);
    // IRE acts from step 2 (the end of warm-up); the sweep lasts 5 steps more, so the IRE arm
    // is judged on what IRE does.
    assert_eq!(tuning.sweep_steps, 7);
    assert_eq!(tuning.scores.len(), 6, "{:?}", tuning.scores);
    assert!(tuning.scores.iter().all(|(_, s)| s.is_finite()));
    // At each learning rate the IRE arm trained differently from the base arm (it did not when
    // the sweep ended with the warm-up, before IRE's first step).
    let (base_arm, ire_arm) = tuning.scores.split_at(3);
    for ((b, bs), (i, is)) in base_arm.iter().zip(ire_arm) {
        assert_eq!(
            b.trim_start_matches("AdamW"),
            i.trim_start_matches("AdmIRE")
        );
        assert_ne!(
            bs, is,
            "{b} and {i} scored alike: IRE never acted in the sweep"
        );
    }
    let labels: Vec<&str> = session.runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(
        labels[0].starts_with("AdamW lr") && labels[0].ends_with("(tuned)"),
        "{labels:?}"
    );
    assert!(
        labels[1].starts_with("AdmIRE lr") && labels[1].ends_with("(tuned)"),
        "{labels:?}"
    );
    for run in &session.runs {
        assert_eq!(run.series.loss.len(), 50, "{}", run.label);
    }
    // The kept runs are the best of their arm at the end of the sweep.
    let score = |label: &str| {
        let stem = label.trim_end_matches(" (tuned)");
        tuning.scores.iter().find(|(l, _)| l == stem).unwrap().1
    };
    let best_of = |arm: &str| {
        tuning
            .scores
            .iter()
            .filter(|(l, _)| l.starts_with(arm))
            .map(|(_, s)| *s)
            .fold(f64::INFINITY, f64::min)
    };
    assert_eq!(score(labels[0]), best_of("AdamW "));
    assert_eq!(score(labels[1]), best_of("AdmIRE "));
    let status = serde_json::to_value(session.status()).unwrap();
    assert_eq!(status["speed_up"]["base_step"], 50);
}

#[test]
fn analyses_in_compare_mode_see_both_runs_at_the_same_step_and_training_goes_on() {
    use ire_playground::analysis::{AnalysisRequest, LandscapeConfig, SliceKind, SpectrumConfig};
    let mut settings = small_settings(6);
    settings.compare = true;
    let ctx = common::ctx();
    let mut session = Session::new(&ctx, &settings, true, &datasets()).unwrap();
    session.request_analysis(AnalysisRequest::Landscape(LandscapeConfig {
        kind: SliceKind::Plane,
        grid: 3,
        ..Default::default()
    }));
    session.request_analysis(AnalysisRequest::Spectrum(SpectrumConfig {
        lanczos_steps: 3,
        vectors: 1,
        top_k: 2,
        ..Default::default()
    }));
    let session = drive(session);
    for run in &session.runs {
        let a = &run.analyses;
        assert!(a.error.is_none(), "{:?}", a.error);
        let (slice, spectrum) = (a.landscape.as_ref().unwrap(), a.spectrum.as_ref().unwrap());
        assert_eq!((slice.step, spectrum.step), (0, 0), "{}", run.label);
        assert_eq!(slice.loss.len(), 9);
        assert_eq!(run.series.loss.len(), 6, "training went on afterwards");
    }
    // Same start, same directions: the two runs' slices at step 0 are the same numbers.
    let [a, b] =
        [&session.runs[0], &session.runs[1]].map(|r| r.analyses.landscape.clone().unwrap());
    assert_eq!(a.loss, b.loss);
}
