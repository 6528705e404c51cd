//! Hostile and careless input to the command line: no panic, no hang, no lost or overwritten
//! file, no silent success. Full-state checkpoints through the CLI: periodic saves, resume with
//! the same losses to the last digit, an appended log, ResNet checkpoints that `eval` scores.

mod common;

use common::{assert_fails_with, cli, s, scratch, short_train as train, succeed};
use std::path::Path;

/// The `loss` values of a JSONL log's step records, as written (exact decimal text).
fn logged_losses(log: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("loss").is_some())
        .map(|v| (v["step"].as_u64().unwrap(), v["loss"].to_string()))
        .collect()
}

#[test]
fn outputs_are_checked_before_any_work_and_never_clobbered() {
    let dir = scratch("outputs");
    let missing = dir.join("no/such/folder/run.safetensors");
    assert_fails_with(
        &train(&["--steps", "100000", "--save", s(&missing)]),
        "does not exist",
    );
    // The checkpoint named as the log too: refused, the checkpoint intact.
    let ckpt = dir.join("keep.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&ckpt)]));
    let before = std::fs::read(&ckpt).unwrap();
    assert_fails_with(
        &["train", "--resume", s(&ckpt), "--log", s(&ckpt)],
        "--log and --resume name the same file",
    );
    assert_fails_with(
        &train(&["--steps", "2", "--log", s(&ckpt), "--save", s(&ckpt)]),
        "--log and --save name the same file",
    );
    assert_eq!(std::fs::read(&ckpt).unwrap(), before);
    // A read-only file is not replaced.
    let readonly = dir.join("readonly.safetensors");
    std::fs::write(&readonly, b"precious").unwrap();
    let mut perms = std::fs::metadata(&readonly).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&readonly, perms).unwrap();
    assert_fails_with(
        &train(&["--steps", "2", "--save", s(&readonly)]),
        "read-only",
    );
    assert_eq!(std::fs::read(&readonly).unwrap(), b"precious");
    assert_fails_with(&train(&["--steps", "2", "--save", s(&dir)]), "is a folder");
    // No temporary files left behind by any of this.
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sizes_and_flags_that_cannot_apply_are_errors() {
    for model in ["transformer", "resnet"] {
        assert_fails_with(
            &["train", "--model", model, "--batch", "288230376151711744"],
            "batch must be between 1 and 65536",
        );
    }
    assert_fails_with(
        &["train", "--width", "2"],
        "--width applies to --model resnet only",
    );
    assert_fails_with(
        &["train", "--augment"],
        "--augment applies to --model resnet only",
    );
    assert_fails_with(
        &["experiment", "adamw-vs-admire", "--seeds", "0"],
        "--seeds must be at least 1",
    );
    assert_fails_with(
        &[
            "train",
            "--checkpoint-every",
            "0",
            "--save",
            "x.safetensors",
        ],
        "--checkpoint-every must be at least 1",
    );
    #[cfg(unix)]
    assert_fails_with(&["eval", "--checkpoint", "/dev/zero"], "not a regular file");
}

#[test]
fn hostile_data_files_get_short_clear_errors() {
    let dir = scratch("data");
    let names = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];
    let write_all = |bytes: &[u8]| {
        for name in names {
            std::fs::write(dir.join(format!("{name}.gz")), bytes).unwrap();
        }
    };
    let d = dir.to_str().unwrap();
    let resnet = |dir: &str| -> Vec<String> {
        ["train", "--model", "resnet", "--data-dir", dir]
            .map(String::from)
            .to_vec()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args)
    };
    // A gzip member whose FEXTRA length points far past its end.
    let mut fextra = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 0xff, 0xff];
    fextra.extend([0u8; 16]);
    write_all(&fextra);
    let out = run(resnet(d));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !err.contains("panicked"), "{err}");
    assert!(err.contains("truncated gzip header"), "{err}");
    // Corrupt deflate data: the message names the file and stays short.
    let mut corrupt = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    corrupt.extend([0xffu8; 4096]);
    corrupt.extend(1_000_000u32.to_le_bytes());
    corrupt.extend(1_000_000u32.to_le_bytes());
    write_all(&corrupt);
    let out = run(resnet(d));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt gzip data"), "{err}");
    assert!(err.len() < 2000, "the error is {} bytes long", err.len());
    // IDX dimensions whose product overflows.
    for name in names {
        let _ = std::fs::remove_file(dir.join(format!("{name}.gz")));
        let mut idx = vec![0, 0, 8, 4];
        for _ in 0..4 {
            idx.extend(0xffff_ffffu32.to_be_bytes());
        }
        std::fs::write(dir.join(name), idx).unwrap();
    }
    assert_fails_with(&["train", "--model", "resnet", "--data-dir", d], "overflow");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn periodic_checkpoints_resume_exactly_and_the_log_continues() {
    let dir = scratch("resume");
    let save = dir.join("run.safetensors");
    let straight_log = dir.join("straight.jsonl");
    succeed(&train(&[
        "--steps",
        "6",
        "--optimizer",
        "adamw",
        "--ire",
        "--ire-toggle-at",
        "4",
        "--checkpoint-every",
        "1",
        "--save",
        s(&save),
        "--log",
        s(&straight_log),
    ]));
    // The newest three periodic checkpoints are kept (steps 3, 4 and 5), and the final one.
    for step in 1..=5 {
        let file = dir.join(format!("run-step{step}.safetensors"));
        assert_eq!(file.exists(), step >= 3, "{}", file.display());
    }
    assert!(save.exists());
    let straight = logged_losses(&straight_log);
    assert_eq!(straight.len(), 6);

    // Resume from step 3 with a copy of the first three lines of the log: the log continues
    // and steps 4-6 are the straight run's, digit for digit.
    let log = dir.join("resumed.jsonl");
    let head: Vec<String> = std::fs::read_to_string(&straight_log)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, head.concat()).unwrap();
    let step3 = dir.join("run-step3.safetensors");
    let resumed_save = dir.join("resumed.safetensors");
    succeed(&[
        "train",
        "--resume",
        s(&step3),
        "--log",
        s(&log),
        "--save",
        s(&resumed_save),
    ]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"event\":\"ire_off\""), "{text}");
    assert_eq!(logged_losses(&log), straight);

    // Resuming past the end, or changing the run, is refused.
    assert_fails_with(
        &["train", "--resume", s(&save)],
        "nothing to train (raise --steps)",
    );
    // The command that started the run, with --resume appended, continues it: flags that
    // repeat the checkpoint's values are accepted.
    let again = dir.join("again.safetensors");
    succeed(
        &[
            &train(&[
                "--steps",
                "6",
                "--optimizer",
                "adamw",
                "--ire",
                "--ire-toggle-at",
                "4",
                "--save",
                s(&again),
            ])[..],
            &["--resume", s(&step3)],
        ]
        .concat(),
    );
    // A contradiction is refused, naming the flag and both values.
    assert_fails_with(
        &["train", "--resume", s(&step3), "--lr", "0.1"],
        "--lr is 0.1 here but 0.003 in the checkpoint",
    );
    assert_fails_with(
        &["train", "--resume", s(&step3), "--preset", "small"],
        "--preset is small here but a model of another shape",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resnet_checkpoints_save_resume_and_evaluate() {
    let dir = scratch("resnet");
    let save = dir.join("resnet.safetensors");
    let resnet = |extra: &[&str]| -> Vec<String> {
        let base = [
            "train",
            "--model",
            "resnet",
            "--batch",
            "8",
            "--eval-every",
            "0",
            "--eval-batches",
            "1",
            "--warmup",
            "0",
        ];
        base.iter().chain(extra).map(|a| a.to_string()).collect()
    };
    let args = resnet(&["--steps", "4", "--save", s(&save)]);
    succeed(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let out = succeed(&[
        "eval",
        "--checkpoint",
        s(&save),
        "--batch",
        "16",
        "--batches",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["family"], "resnet");
    let acc = v["val_acc"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc), "{v}");
    assert!(v["val_loss"].as_f64().unwrap().is_finite(), "{v}");
    succeed(&["train", "--resume", s(&save), "--steps", "6"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn divergence_is_logged_and_keeps_the_last_good_checkpoint() {
    let dir = scratch("diverge");
    let save = dir.join("run.safetensors");
    std::fs::write(&save, b"last good state").unwrap();
    let log = dir.join("run.jsonl");
    let out = cli(&train(&[
        "--steps",
        "30",
        "--optimizer",
        "sgd",
        "--lr",
        "10",
        "--min-lr",
        "0",
        "--momentum",
        "0.99",
        "--grad-clip",
        "0",
        "--save",
        s(&save),
        "--log",
        s(&log),
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("diverged at step"), "{err}");
    assert_eq!(std::fs::read(&save).unwrap(), b"last good state");
    assert!(dir.join("run-diverged.safetensors").exists());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"event\":\"diverged\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ctrl-C with --save: the steps in flight finish, the log is complete, a final checkpoint at
/// the last logged step is written, and the exit status says the run was interrupted.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_a_final_checkpoint_and_a_complete_log() {
    a_signal_saves_a_final_checkpoint_and_a_complete_log("INT");
}

/// SIGTERM (what `kill` and a shutdown send) and SIGHUP (a closed terminal) save as Ctrl-C does.
#[cfg(unix)]
#[test]
fn sigterm_and_sighup_save_as_ctrl_c_does() {
    a_signal_saves_a_final_checkpoint_and_a_complete_log("TERM");
    a_signal_saves_a_final_checkpoint_and_a_complete_log("HUP");
}

#[cfg(unix)]
fn a_signal_saves_a_final_checkpoint_and_a_complete_log(signal: &str) {
    let dir = scratch(&format!("interrupt-{signal}"));
    let save = dir.join("run.safetensors");
    let log = dir.join("run.jsonl");
    let args = train(&["--steps", "1000000", "--save", s(&save), "--log", s(&log)]);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ire-playground"))
        .args(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 3 {
        assert!(start.elapsed().as_secs() < 120, "the run never logged");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("interrupted at step"), "{err}");
    assert!(err.contains("--resume it to continue"), "{err}");
    let logged = logged_losses(&log);
    let last = logged.last().unwrap().0;
    assert_eq!(
        logged.len() as u64,
        last,
        "every step up to the last is logged"
    );
    let out = succeed(&[
        "eval",
        "--checkpoint",
        s(&save),
        "--batches",
        "1",
        "--batch",
        "4",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["step"].as_u64(), Some(last), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_checks_its_output_and_data_before_writing() {
    let dir = scratch("export");
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&save)]));
    let busy = dir.join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    assert_fails_with(
        &["export", "--checkpoint", s(&save), "--out", s(&busy)],
        "is not empty",
    );
    assert_eq!(
        std::fs::read_to_string(busy.join("keep.txt")).unwrap(),
        "mine"
    );
    let fresh = dir.join("fresh");
    assert_fails_with(
        &[
            "export",
            "--checkpoint",
            s(&save),
            "--out",
            s(&fresh),
            "--data-dir",
            s(&dir),
        ],
        "--data-dir applies to ResNet checkpoints only",
    );
    let zip = dir.join("run.zip");
    succeed(&["export", "--checkpoint", s(&save), "--out", s(&zip)]);
    let bytes = std::fs::read(&zip).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a ZIP");
    for name in ["train.py", "checkpoint.safetensors", "data/corpus.txt.zlib"] {
        assert!(
            bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} missing"
        );
    }
}
