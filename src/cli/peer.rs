//! The peer measurement for `bench`: the same model's training step in PyTorch eager on this
//! machine (scripts/bench_torch.py), run in the same process tree right after our own figure so
//! that both see the same machine load. Skipped, with the reason in the JSON, when Python or
//! torch is not there.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

/// The reference script, found in the checkout the binary was built from.
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_torch.py")
}

/// The Python interpreter to use: `IRE_BENCH_PYTHON`, or `python3`.
fn python() -> String {
    std::env::var("IRE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// One PyTorch step measurement of `model`/`preset` at `batch`, as the script's JSON, or
/// `{"unavailable": why}`.
pub fn pytorch_step(model: &str, preset: &str, batch: usize, steps: usize, vocab: usize) -> Value {
    let script = script();
    if !script.exists() {
        return json!({"unavailable": format!("{} not found", script.display())});
    }
    let output = Command::new(python())
        .arg(&script)
        .args(["--model", model, "--preset", preset])
        .args(["--batch", &batch.to_string(), "--steps", &steps.to_string()])
        .args(["--vocab", &vocab.to_string()])
        .output();
    match output {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout).unwrap_or_else(
            |e| json!({"unavailable": format!("unreadable output from bench_torch.py: {e}")}),
        ),
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("no message").to_string();
            json!({"unavailable": format!("bench_torch.py failed: {last}")})
        }
        Err(e) => json!({"unavailable": format!("could not run {}: {e}", python())}),
    }
}

/// Adds the peer's step time and our time's ratio to it into `entry` (which holds our
/// `step_ms_mean`).
pub fn compare(entry: &mut Value, peer: Value) {
    let ours = entry["step_ms_mean"].as_f64();
    let theirs = peer["step_ms_mean"].as_f64();
    if let (Some(ours), Some(theirs)) = (ours, theirs) {
        entry["pytorch_step_ms_mean"] = json!(theirs);
        entry["times_slower_than_pytorch"] = json!(ours / theirs);
    }
    entry["pytorch"] = peer;
}
