//! `experiment --backend pytorch`: runs train in the exported script, every run is marked done
//! with its configuration, and an experiment killed mid-run resumes from the run's checkpoint
//! into the same log it would have written uninterrupted.
//! Needs a Python with torch (skipped otherwise, unless IRE_REQUIRE_TORCH=1 as in CI).

mod common;

use common::{python, scratch};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn experiment(out: &Path, py: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ire-playground"));
    c.args(["experiment", "adamw-vs-admire", "--backend", "pytorch"])
        .args(["--steps", "200", "--seeds", "1", "--jobs", "2"])
        .args(["--grid", "0.004,0.008,0.016"])
        .arg("--out")
        .arg(out)
        .arg("--python")
        .arg(py);
    c
}

/// Step -> loss of a log; panics on a step logged twice.
fn losses(path: &Path) -> BTreeMap<u64, f64> {
    let mut out = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(loss) = row.get("loss") {
            let step = row["step"].as_u64().unwrap();
            let fresh = out.insert(step, loss.as_f64().unwrap()).is_none();
            assert!(fresh, "{}: step {step} logged twice", path.display());
        }
    }
    out
}

#[test]
fn a_killed_pytorch_experiment_resumes_into_the_same_logs() {
    let Some(py) = python() else { return };
    let whole = scratch("experiment-whole");
    let status = experiment(&whole, &py).status().unwrap();
    assert!(status.success());
    let dir = whole.join("adamw-vs-admire");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let grid = summary["grid"].as_array().unwrap().len();
    let done: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "done"))
        .collect();
    assert_eq!(done.len(), 2 * grid, "one run per arm and lr");
    let run = "adamw-ire_lr8e-3_s0";
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{run}.done"))).unwrap()).unwrap();
    assert_eq!(config["ire"]["enabled"], true);
    assert_eq!(config["steps"], 200);
    let reference = losses(&dir.join(format!("{run}.jsonl")));
    assert_eq!(
        reference.keys().copied().collect::<Vec<_>>(),
        (1..=200).collect::<Vec<_>>()
    );

    // Kill the runner and its processes once a checkpoint exists, then start it again.
    let killed = scratch("experiment-killed");
    let mut child = experiment(&killed, &py)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = killed.join("adamw-vs-admire/state");
    let deadline = Instant::now() + Duration::from_secs(300);
    let checkpointed = |name: &str| name.contains("-step") && name.ends_with(".safetensors");
    loop {
        let any = std::fs::read_dir(&state).is_ok_and(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| checkpointed(&e.file_name().to_string_lossy()))
        });
        if any {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before a checkpoint"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let group = format!("-{}", child.id());
    Command::new("kill")
        .args(["-KILL", "--", &group])
        .status()
        .unwrap();
    let _ = child.wait();
    let rerun = experiment(&killed, &py).output().unwrap();
    let said = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{said}");
    assert!(said.contains("resuming at step"), "{said}");
    let dir = killed.join("adamw-vs-admire");
    // Finished runs keep their final state only, not the checkpoints they resumed from.
    let left: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| checkpointed(n))
        .collect();
    assert!(left.is_empty(), "periodic checkpoints left: {left:?}");
    for entry in std::fs::read_dir(whole.join("adamw-vs-admire")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        let name = path.file_name().unwrap();
        let (want, got) = (losses(&path), losses(&dir.join(name)));
        assert_eq!(want.len(), got.len(), "{name:?}");
        for (step, w) in &want {
            let g = got[step];
            assert!(
                (w - g).abs() <= 1e-6 * w.abs(),
                "{name:?} step {step}: {g} after resuming, {w} uninterrupted"
            );
        }
    }
}
