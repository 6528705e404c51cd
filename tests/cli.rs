//! The command line as a user meets it: bad input gets a clear message and a non-zero exit, never
//! a panic; a short run logs, saves and evaluates.

mod common;

use common::{assert_fails_with, cli};

#[test]
fn bad_arguments_are_rejected_with_clear_messages() {
    assert_fails_with(&["train", "--lr", "0"], "learning rate must be a positive");
    assert_fails_with(
        &["train", "--lr", "nan"],
        "learning rate must be a positive",
    );
    assert_fails_with(
        &["train", "--batch", "0"],
        "batch must be between 1 and 65536, got 0",
    );
    assert_fails_with(
        &["train", "--preset", "huge"],
        "unknown preset 'huge'; choose one of: tiny, small",
    );
    assert_fails_with(
        &["train", "--optimizer", "adafactor"],
        "unknown optimizer 'adafactor'; choose adamw, sgd, sam, lion, muon",
    );
    assert_fails_with(
        &["train", "--model", "mlp"],
        "unknown --model 'mlp'; available: transformer, resnet",
    );
    assert_fails_with(
        &["experiment", "adamw-vs-admire", "--jobs", "0"],
        "--jobs must be at least 1",
    );
    assert_fails_with(
        &["experiment", "adamw-vs-admire", "--backend", "jax"],
        "unknown --backend 'jax'; choose engine or pytorch",
    );
    assert_fails_with(
        &["experiment", "resnet-ire", "--preset", "tiny"],
        "needs a ResNet preset, 'tiny' is not one",
    );
    assert_fails_with(
        &["experiment", "admire-long", "--grid", "0.001,-1"],
        "learning rates in --grid must be positive",
    );
    assert_fails_with(&["experiment", "nope"], "unknown experiment 'nope'");
    assert_fails_with(
        &["train", "--steps", "10", "--warmup", "20"],
        "warmup (20) exceeds steps (10)",
    );
}

#[test]
fn bad_checkpoints_are_rejected_with_clear_messages() {
    let dir = std::env::temp_dir().join(format!("ire-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.safetensors");
    std::fs::write(&text, "just some text").unwrap();
    assert_fails_with(
        &["eval", "--checkpoint", text.to_str().unwrap()],
        "not a valid safetensors file",
    );
    let missing = dir.join("missing.safetensors");
    assert_fails_with(
        &["eval", "--checkpoint", missing.to_str().unwrap()],
        "bad checkpoint",
    );
}

#[test]
fn short_run_logs_saves_and_evaluates() {
    let dir = std::env::temp_dir().join(format!("ire-cli-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("run.jsonl");
    let ckpt = dir.join("run.safetensors");
    let out = cli(&[
        "train",
        "--steps",
        "4",
        "--batch",
        "4",
        "--eval-every",
        "2",
        "--eval-batches",
        "1",
        "--log",
        log.to_str().unwrap(),
        "--save",
        ckpt.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<_> = lines.iter().filter(|v| v.get("loss").is_some()).collect();
    let evals: Vec<_> = lines
        .iter()
        .filter(|v| v.get("val_loss").is_some())
        .collect();
    assert_eq!(steps.len(), 4);
    assert_eq!(evals.len(), 2);
    for s in &steps {
        for key in ["step", "loss", "lr", "ms"] {
            assert!(s.get(key).is_some(), "step record lacks {key}: {s}");
        }
    }
    assert_eq!(evals[1]["step"], 4);

    let out = cli(&[
        "eval",
        "--checkpoint",
        ckpt.to_str().unwrap(),
        "--batches",
        "1",
        "--batch",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let val = v["val_loss"].as_f64().unwrap();
    // Same first validation batch of 4 sequences as the run's final evaluation.
    assert!(
        (val - evals[1]["val_loss"].as_f64().unwrap()).abs() < 1e-6,
        "{v}"
    );
}

/// `train --model resnet` plus `extra`.
fn resnet<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    [&["train", "--model", "resnet"], extra].concat()
}

#[test]
fn bad_resnet_arguments_and_data_are_rejected_with_clear_messages() {
    assert_fails_with(
        &resnet(&["--preset", "resnet99"]),
        "unknown ResNet preset 'resnet99'",
    );
    assert_fails_with(
        &resnet(&["--dataset", "cifar10"]),
        "unknown dataset 'cifar10'",
    );
    assert_fails_with(
        &resnet(&["--schedule", "linear"]),
        "unknown schedule 'linear'; choose cosine, constant or step",
    );
    assert_fails_with(
        &resnet(&["--width", "0"]),
        "width must be between 1 and 16, got 0",
    );
    let dir = std::env::temp_dir().join(format!("ire-cli-images-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    assert_fails_with(&resnet(&["--data-dir", d]), "train-images-idx3-ubyte");
    // A file that is not IDX data is named as such.
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        std::fs::write(dir.join(name), "not an idx file").unwrap();
    }
    assert_fails_with(
        &resnet(&["--data-dir", d]),
        "training images: not an unsigned-byte IDX file",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A build without the `gui` feature says so instead of failing obscurely.
#[cfg(not(feature = "gui"))]
#[test]
fn app_without_the_gui_feature_explains_itself() {
    assert_fails_with(&["app"], "has no UI");
    assert_fails_with(&[], "built without the `gui` feature");
}
