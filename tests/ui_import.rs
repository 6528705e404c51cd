//! A Hugging Face model opened in the window (`app --open-log DIR`, the desktop's path field):
//! new runs start from its weights, with the settings on the left; a folder that does not hold
//! together is refused with the reason.
#![cfg(feature = "gui")]

mod common;
mod window;

use egui_kittest::kittest::Queryable;
use ire_playground::app::{LaunchOptions, Settings};
use std::path::{Path, PathBuf};
use window::{frames_until, open, status, steps_done};

/// A `tiny` trained 40 steps and exported to the Hugging Face format in `dir`.
fn exported(dir: &Path) -> PathBuf {
    let (ck, hf) = (dir.join("tiny.safetensors"), dir.join("tiny-hf"));
    common::succeed(&["train", "--steps", "40", "--save", ck.to_str().unwrap()]);
    let (ck, hf_s) = (ck.to_str().unwrap(), hf.to_str().unwrap());
    common::succeed(&[
        "export",
        "--format",
        "hf",
        "--checkpoint",
        ck,
        "--out",
        hf_s,
    ]);
    hf
}

fn launch_with(open_logs: Vec<PathBuf>) -> LaunchOptions {
    let mut settings = Settings::for_adapter(true);
    settings.compare = true;
    settings.train.steps = 60;
    settings.train.batch = 4;
    settings.train.warmup = 2;
    settings.train.probe_every = 0;
    LaunchOptions {
        settings: Some(settings.to_url_hash()),
        open_logs,
        ..Default::default()
    }
}

#[test]
fn runs_start_from_an_opened_hugging_face_models_weights() {
    let dir = std::env::temp_dir().join(format!("ire-ui-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hf = exported(&dir);
    let mut fresh = open(1280.0, 800.0, launch_with(Vec::new()));
    let mut imported = open(1280.0, 800.0, launch_with(vec![hf.clone()]));
    let s = status(&imported);
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("start from") && n.text.contains("tiny-hf")),
        "{:?}",
        s.notices
    );
    assert_eq!(s.runs.len(), 2, "both compared runs start from it");
    for h in [&mut fresh, &mut imported] {
        h.get_by_label("Run").click();
        frames_until(h, "10 steps", |s| steps_done(s) >= 10);
    }
    let (fresh, imported) = (status(&fresh), status(&imported));
    for (f, i) in fresh.runs.iter().zip(&imported.runs) {
        let (f, i) = (f.first_loss.unwrap(), i.first_loss.unwrap());
        // 40 trained steps in: well below a fresh model's ln(vocab) ~ 4.4.
        assert!(
            i < f - 0.5,
            "{}: imported {i}, fresh {f}",
            imported.runs[0].label
        );
    }
    // A folder whose config does not fit its weights (32 positions, the weights hold 64) is
    // refused, naming the tensor.
    let odd = dir.join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    for name in ["tokenizer.json", "model.safetensors"] {
        std::fs::copy(hf.join(name), odd.join(name)).unwrap();
    }
    let config = std::fs::read_to_string(hf.join("config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let mut config = config.as_object().unwrap().clone();
    config.insert("n_positions".into(), 32.into());
    std::fs::write(
        odd.join("config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    let refused = open(1280.0, 800.0, launch_with(vec![odd]));
    let s = status(&refused);
    assert!(
        s.notices
            .iter()
            .any(|n| n.text.contains("none of the app's presets") || n.text.contains("has shape")),
        "{:?}",
        s.notices
    );
    let _ = std::fs::remove_dir_all(&dir);
}
