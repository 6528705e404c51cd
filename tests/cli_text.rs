//! `--text-file`: a transformer trains on the user's own text (its characters are the
//! vocabulary), the checkpoint remembers which text, and evaluation, resuming and exporting
//! insist on that text; bad texts are refused with a reason before any work.

mod common;

use common::{assert_fails_with, scratch, succeed};
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A few kilobytes of text with its own small alphabet (not Shakespeare's).
fn write_text(path: &Path, extra: &str) {
    let line = "the quick brown fox jumps over the lazy dog; 0123456789\n";
    let text: String = (0..400).map(|i| format!("{i}: {line}")).collect::<String>() + extra;
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_run_on_the_users_text_resumes_evaluates_and_exports_only_with_that_text() {
    let dir = scratch("text-file");
    let (text, other) = (dir.join("mine.txt"), dir.join("other.txt"));
    write_text(&text, "");
    write_text(&other, "a different ending");
    let save = dir.join("run.safetensors");
    let out = succeed(&[
        "train",
        "--text-file",
        s(&text),
        "--steps",
        "6",
        "--batch",
        "4",
        "--eval-every",
        "0",
        "--eval-batches",
        "2",
        "--save",
        s(&save),
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("text: mine.txt"), "{said}");
    // The model's vocabulary is the text's: 40 distinct characters here, not Shakespeare's 83.
    assert!(said.contains("40 distinct characters"), "{said}");

    // The checkpoint knows its text: without it, or with another, everything refuses.
    assert_fails_with(
        &["eval", "--checkpoint", s(&save)],
        "give that text with --text-file",
    );
    assert_fails_with(
        &["eval", "--checkpoint", s(&save), "--text-file", s(&other)],
        "but was given other.txt",
    );
    assert_fails_with(
        &["train", "--resume", s(&save), "--steps", "8"],
        "give that text with --text-file",
    );
    let export = dir.join("export");
    assert_fails_with(
        &["export", "--checkpoint", s(&save), "--out", s(&export)],
        "give that text with --text-file",
    );
    // A renamed copy of the same text is the same text.
    let renamed = dir.join("renamed.txt");
    std::fs::copy(&text, &renamed).unwrap();
    let out = succeed(&[
        "eval",
        "--checkpoint",
        s(&save),
        "--text-file",
        s(&renamed),
        "--batch",
        "4",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["val_loss"].as_f64().unwrap().is_finite());
    succeed(&[
        "train",
        "--resume",
        s(&save),
        "--steps",
        "8",
        "--text-file",
        s(&text),
    ]);
    succeed(&[
        "export",
        "--checkpoint",
        s(&save),
        "--out",
        s(&export),
        "--text-file",
        s(&text),
    ]);
    let source = std::fs::read_to_string(export.join("data/SOURCE.md")).unwrap();
    assert!(source.contains("mine.txt"), "{source}");
    assert!(!export.join("data/LICENSE-shakespeare.md").exists());
}

#[test]
fn bad_texts_are_refused_with_a_reason() {
    let dir = scratch("text-file-bad");
    let binary = dir.join("binary.txt");
    std::fs::write(&binary, [0x66, 0x6f, 0xff, 0xfe, 0x00]).unwrap();
    assert_fails_with(
        &["train", "--text-file", s(&binary)],
        "binary.txt is not UTF-8 text (invalid byte at offset 2)",
    );
    let short = dir.join("short.txt");
    std::fs::write(&short, "to be or not to be ".repeat(100)).unwrap();
    assert_fails_with(
        &["train", "--text-file", s(&short), "--batch", "8"],
        "is too short for this model",
    );
    assert_fails_with(
        &["train", "--text-file", s(&dir.join("missing.txt"))],
        "missing.txt",
    );
    assert_fails_with(
        &["train", "--model", "resnet", "--text-file", s(&short)],
        "--text-file applies to transformers only",
    );
}
