//! Nothing the user made is replaced: every output of a command is checked against its inputs
//! (the text, the IDX files of the data folder, the checkpoint) and against the files the run
//! names after `--save`, before any work starts; sizes from flags never wrap; a flag that would
//! be ignored is refused.

mod common;

use common::{assert_fails_with, scratch, succeed};
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SHORT: [&str; 9] = [
    "train",
    "--batch",
    "4",
    "--eval-every",
    "0",
    "--eval-batches",
    "1",
    "--warmup",
    "1",
];

fn train<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    [&SHORT[..], extra].concat()
}

#[test]
fn an_output_that_is_the_text_or_an_idx_file_is_refused_and_left_alone() {
    let dir = scratch("outputs-inputs");
    let text = dir.join("mine.txt");
    let words = "To be, or not to be, that is the question. ".repeat(200);
    std::fs::write(&text, &words).unwrap();
    for flag in ["--save", "--log"] {
        assert_fails_with(
            &train(&["--steps", "2", "--text-file", s(&text), flag, s(&text)]),
            &format!("{flag} and --text-file name the same file"),
        );
    }
    assert_eq!(std::fs::read_to_string(&text).unwrap(), words);
    let data = dir.join("fashion");
    std::fs::create_dir(&data).unwrap();
    let idx = data.join("train-images-idx3-ubyte.gz");
    std::fs::write(&idx, b"the user's images").unwrap();
    assert_fails_with(
        &[
            "train",
            "--model",
            "resnet",
            "--data-dir",
            s(&data),
            "--log",
            s(&idx),
        ],
        "--log and --data-dir's train-images-idx3-ubyte.gz name the same file",
    );
    assert_eq!(std::fs::read(&idx).unwrap(), b"the user's images");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_log_cannot_take_a_name_the_run_gives_its_checkpoints() {
    let dir = scratch("outputs-siblings");
    let save = dir.join("run.safetensors");
    for name in ["run-step5.safetensors", "run-diverged.safetensors"] {
        let log = dir.join(name);
        assert_fails_with(
            &train(&["--steps", "2", "--save", s(&save), "--log", s(&log)]),
            "a name the run gives to the checkpoints it writes beside --save",
        );
        assert!(!log.exists());
    }
    // A name that only looks alike is fine.
    let log = dir.join("run-steps.jsonl");
    succeed(&train(&[
        "--steps",
        "2",
        "--save",
        s(&save),
        "--log",
        s(&log),
    ]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn analyses_and_exports_never_write_over_their_checkpoint() {
    let dir = scratch("outputs-checkpoint");
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&save)]));
    let before = std::fs::read(&save).unwrap();
    for command in ["landscape", "spectrum"] {
        assert_fails_with(
            &[command, "--checkpoint", s(&save), "--out", s(&save)],
            "--out and --checkpoint name the same file",
        );
    }
    let zip = dir.join("run.zip");
    std::fs::copy(&save, &zip).unwrap();
    assert_fails_with(
        &["export", "--checkpoint", s(&zip), "--out", s(&zip)],
        "--out and --checkpoint name the same file",
    );
    assert_eq!(std::fs::read(&save).unwrap(), before);
    assert_eq!(std::fs::read(&zip).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A batch so large that batch x context length wraps around: a clear error, not a division by
/// zero.
#[test]
fn a_batch_whose_size_overflows_is_refused_without_a_panic() {
    let dir = scratch("outputs-batch");
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&save)]));
    let huge = "288230376151711744";
    let out = dir.join("out.json");
    assert_fails_with(
        &["eval", "--checkpoint", s(&save), "--batch", huge],
        "batch",
    );
    for command in ["landscape", "spectrum"] {
        assert_fails_with(
            &[
                command,
                "--checkpoint",
                s(&save),
                "--batch",
                huge,
                "--out",
                s(&out),
            ],
            "batch",
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two runs given one log: the second is refused before it writes (or empties) anything, and
/// the first goes on logging; an experiment's grid may not name a learning rate twice.
#[cfg(unix)]
#[test]
fn one_log_has_one_writer() {
    let dir = scratch("outputs-lock");
    let log = dir.join("shared.jsonl");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_ire-playground"))
        .args(train(&["--steps", "1000000", "--log", s(&log)]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = || std::fs::read_to_string(&log).map_or(0, |t| t.lines().count());
    let start = std::time::Instant::now();
    while lines() < 3 {
        assert!(
            start.elapsed().as_secs() < 120,
            "the first run never logged"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let before = lines();
    assert_fails_with(
        &train(&["--steps", "2", "--log", s(&log)]),
        "another run is writing this log",
    );
    assert!(
        lines() >= before,
        "the refused run emptied the first run's log"
    );
    std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(!out.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "garbled lines"
    );
    assert_fails_with(
        &[
            "experiment",
            "adamw-vs-admire",
            "--out",
            s(&dir.join("exp")),
            "--grid",
            "4e-3,4e-3",
        ],
        "--grid names the learning rate 0.004 more than once",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    for (args, needle) in [
        (&["--kappa", "3"][..], "--kappa sets IRE, which is off"),
        (
            &["--mask-every", "5"][..],
            "--mask-every sets IRE, which is off",
        ),
        (&["--prog-decay"][..], "--prog-decay sets IRE, which is off"),
        (&["--rho", "0.1"][..], "--rho does not apply to AdamW"),
        (
            &["--momentum", "0.8"][..],
            "--momentum does not apply to AdamW",
        ),
        (
            &["--optimizer", "sgd", "--rho", "0.1"][..],
            "--rho does not apply to SGD",
        ),
    ] {
        assert_fails_with(&train(&[&["--steps", "1"][..], args].concat()), needle);
    }
    // IRE switched on during the run takes its settings.
    succeed(&train(&[
        "--steps",
        "2",
        "--ire-toggle-at",
        "1",
        "--kappa",
        "2",
    ]));
}
