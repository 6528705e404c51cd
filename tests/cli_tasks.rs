//! `--task`: a transformer trains on a generated puzzle (modular addition, sparse parity),
//! scored on the answers with accuracy in the log; the checkpoint names the puzzle, so resuming
//! (bit for bit) and evaluating need no data; misplaced task flags are refused with a reason.

mod common;

use common::{assert_fails_with, s, scratch, short_train, succeed};
use std::path::Path;

/// The log's lines of one kind: steps (with "loss") or evaluations (with "val_loss"), without
/// their wall-clock times.
fn lines(log: &Path, key: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(log).unwrap();
    let rows = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap());
    let mut rows: Vec<_> = rows.filter(|r| r.get(key).is_some()).collect();
    for row in &mut rows {
        row.as_object_mut().unwrap().remove("ms");
    }
    rows
}

const MODADD: [&str; 16] = [
    "train",
    "--task",
    "modadd",
    "--modulus",
    "23",
    "--train-fraction",
    "0.5",
    "--ire",
    "--mask-every",
    "3",
    "--batch",
    "4",
    "--eval-batches",
    "1",
    "--eval-every",
    "5",
];

#[test]
fn a_puzzle_run_logs_accuracy_resumes_bit_identically_and_evaluates_without_data() {
    let dir = scratch("tasks");
    let (full, first, rest) = (
        dir.join("full.jsonl"),
        dir.join("a.jsonl"),
        dir.join("b.jsonl"),
    );
    let save = dir.join("run.safetensors");
    let run = |extra: &[&str]| {
        let mut args = MODADD.to_vec();
        args.extend(["--steps", "10"]);
        args.extend(extra);
        succeed(&args)
    };
    let out = run(&["--log", s(&full)]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("task: puzzle: modadd p=23 train=0.5, 25 tokens"),
        "{said}"
    );
    // The model reads one example ("a + b =") at a time.
    assert!(said.contains("window 4"), "{said}");
    run(&[
        "--log",
        s(&first),
        "--checkpoint-every",
        "5",
        "--save",
        s(&save),
    ]);
    let step5 = dir.join("run-step5.safetensors");
    succeed(&[
        "train",
        "--resume",
        s(&step5),
        "--steps",
        "10",
        "--log",
        s(&rest),
    ]);
    let steps = lines(&full, "loss");
    assert_eq!(steps.len(), 10);
    for step in &steps {
        let acc = step["acc"]
            .as_f64()
            .expect("each step logs its batch's accuracy");
        assert!((0.0..=1.0).contains(&acc));
    }
    let resumed = lines(&rest, "loss");
    assert_eq!(
        steps[5..],
        resumed[..],
        "resumed from step 5, the same steps bit for bit"
    );
    let evals = lines(&full, "val_loss");
    assert_eq!(evals.len(), 2);
    assert!(evals.iter().all(|e| e["val_acc"].is_number()));
    assert_eq!(evals[1], lines(&rest, "val_loss")[0]);

    // Evaluation regenerates the task from the checkpoint: no text, no flags.
    let out = succeed(&["eval", "--checkpoint", s(&save), "--batch", "4"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["val_acc"].is_number(), "{report}");
    assert_fails_with(
        &["eval", "--checkpoint", s(&save), "--text-file", s(&full)],
        "drop --text-file",
    );
}

#[test]
fn parity_trains_and_task_flags_out_of_place_are_refused() {
    let dir = scratch("tasks-parity");
    let log = dir.join("parity.jsonl");
    let args = [
        "--task",
        "parity",
        "--bits",
        "8",
        "--secret",
        "2",
        "--examples",
        "512",
        "--steps",
        "4",
        "--log",
        s(&log),
    ];
    let out = succeed(&short_train(&args));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("window 9"), "{said}");
    assert!(lines(&log, "loss").iter().all(|r| r["acc"].is_number()));

    assert_fails_with(&short_train(&["--modulus", "23"]), "add --task modadd");
    assert_fails_with(
        &short_train(&["--task", "modadd", "--bits", "8"]),
        "--bits applies to --task parity only",
    );
    assert_fails_with(
        &short_train(&["--task", "modadd", "--text-file", s(&log)]),
        "not both",
    );
    assert_fails_with(
        &short_train(&["--task", "modadd", "--model", "resnet"]),
        "fresh transformer runs only",
    );
    assert_fails_with(
        &short_train(&["--task", "modadd", "--train-fraction", "1"]),
        "train fraction",
    );
    assert_fails_with(
        &short_train(&["--task", "modadd", "--modulus", "100000"]),
        "modulus must be between 2 and 1000",
    );
}
