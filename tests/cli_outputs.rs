//! Nothing the user made is replaced: every output of a command is checked against its inputs
//! (the text, the IDX files of the data folder, the checkpoint) and against the files the run
//! names after `--save`, before any work starts; sizes from flags never wrap; a flag that would
//! be ignored is refused.

mod common;

use common::{assert_fails_with, s, scratch, short_train as train, succeed};

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
    // A name that only looks alike is fine, as is a step spelled as the run never writes it.
    for name in ["run-steps.jsonl", "run-step007.safetensors"] {
        let log = dir.join(name);
        succeed(&train(&[
            "--steps",
            "2",
            "--save",
            s(&save),
            "--log",
            s(&log),
        ]));
    }
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

/// Two runs given one log, or one `--save`: the second is refused before it writes (or
/// empties) anything, and the first goes on logging and saves at its end; an experiment's grid
/// may not name a learning rate twice.
#[cfg(unix)]
#[test]
fn one_log_has_one_writer() {
    let dir = scratch("outputs-lock");
    let log = dir.join("shared.jsonl");
    let save = dir.join("shared.safetensors");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_ire-playground"))
        .args(train(&[
            "--steps",
            "1000000",
            "--log",
            s(&log),
            "--save",
            s(&save),
        ]))
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
    let other_log = dir.join("other.jsonl");
    assert_fails_with(
        &train(&["--steps", "2", "--log", s(&other_log), "--save", s(&save)]),
        "another run is saving to this name",
    );
    assert!(
        !save.exists(),
        "the refused run saved over the first run's name"
    );
    std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(!out.status.success());
    // Ctrl-C saved the first run's state under its name, and its claim on the name is gone.
    assert!(save.exists(), "the first run did not save");
    assert!(!dir.join(".shared.safetensors.lock").exists());
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

/// Rotation keeps this run's newest three and knows them by the run id in their metadata:
/// another run's periodic files in the folder stay, and a file of the same name that this run
/// did not write (the user's own) is refused before any work, never overwritten or pruned.
#[test]
fn rotation_touches_only_this_runs_files() {
    let dir = scratch("outputs-rotation");
    let save = dir.join("run.safetensors");
    let every = ["--checkpoint-every", "1"];
    succeed(&train(
        &[&every[..], &["--steps", "8", "--save", s(&save)]].concat(),
    ));
    let step = |n: usize| dir.join(format!("run-step{n}.safetensors"));
    let earlier: Vec<Vec<u8>> = (5..=7).map(|n| std::fs::read(step(n)).unwrap()).collect();
    assert!(!step(4).exists(), "the first run keeps its newest three");
    // A second run beside it: its own newest three, the first run's untouched.
    succeed(&train(
        &[&every[..], &["--steps", "4", "--save", s(&save)]].concat(),
    ));
    for n in 1..=3 {
        assert!(step(n).exists(), "step {n} of the second run");
    }
    for (n, bytes) in (5..=7).zip(&earlier) {
        assert_eq!(
            &std::fs::read(step(n)).unwrap(),
            bytes,
            "step {n} of the first run"
        );
    }
    // The user's own file under a name the run would write: refused, kept.
    let mine = dir.join("model-step1.safetensors");
    std::fs::write(&mine, b"mine").unwrap();
    let model = dir.join("model.safetensors");
    assert_fails_with(
        &train(&[&every[..], &["--steps", "3", "--save", s(&model)]].concat()),
        "exists and was not written by this run",
    );
    assert_eq!(std::fs::read(&mine).unwrap(), b"mine");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a killed run or export left (temporary files and folders of a process that is gone) is
/// removed at the next start; a live process's temporary file is left alone; an export writes
/// its folder whole or not at all.
#[cfg(target_os = "linux")]
#[test]
fn temporary_files_of_killed_processes_are_cleaned_and_exports_are_whole() {
    let dir = scratch("outputs-temps");
    // No process has this id (Linux's pid_max is at most 2^22).
    let dead = 999_999_999u32;
    let stale = [
        dir.join(format!(".run.safetensors.{dead}.0.tmp")),
        dir.join(format!(".run-step2.safetensors.{dead}.7.tmp")),
    ];
    for path in &stale {
        std::fs::write(path, b"complete but orphaned").unwrap();
    }
    let live = dir.join(format!(".run.safetensors.{}.0.tmp", std::process::id()));
    std::fs::write(&live, b"being written").unwrap();
    let unrelated = dir.join(format!(".notes.txt.{dead}.0.tmp"));
    std::fs::write(&unrelated, b"not the run's").unwrap();
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&save)]));
    for path in &stale {
        assert!(!path.exists(), "{} stayed", path.display());
    }
    assert!(live.exists() && unrelated.exists());

    let project = dir.join("project");
    let half = dir.join(format!(".project.{dead}.0.tmp"));
    std::fs::create_dir_all(half.join("playground")).unwrap();
    std::fs::write(half.join("train.py"), b"half").unwrap();
    succeed(&["export", "--checkpoint", s(&save), "--out", s(&project)]);
    assert!(!half.exists(), "the killed export's folder stayed");
    assert!(project.join("train.py").is_file() && project.join("README.md").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".project"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An empty folder the user made (a mount point, say) is written into.
    let made = dir.join("made");
    std::fs::create_dir(&made).unwrap();
    succeed(&["export", "--checkpoint", s(&save), "--out", s(&made)]);
    assert!(made.join("train.py").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Silent nonsense becomes an error: a binary file as the text, weights that overflow in
/// `eval`, a benchmark over no steps.
#[test]
fn nonsense_inputs_are_errors_not_results() {
    let dir = scratch("outputs-nonsense");
    let zeros = dir.join("zeros.txt");
    std::fs::write(&zeros, vec![0u8; 100_000]).unwrap();
    assert_fails_with(
        &train(&["--steps", "1", "--text-file", s(&zeros)]),
        "holds a NUL byte (at offset 0): a binary file, not text",
    );
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "1", "--save", s(&save)]));
    // Every stored value 3e38: finite, but the forward pass overflows.
    let mut bytes = std::fs::read(&save).unwrap();
    let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for value in bytes[header..].chunks_exact_mut(4) {
        value.copy_from_slice(&3e38f32.to_le_bytes());
    }
    let huge = dir.join("huge.safetensors");
    std::fs::write(&huge, &bytes).unwrap();
    assert_fails_with(
        &[
            "eval",
            "--checkpoint",
            s(&huge),
            "--batches",
            "1",
            "--batch",
            "4",
        ],
        "weights overflow in the forward pass",
    );
    assert_fails_with(
        &["train", "--resume", s(&save), "--data-dir", s(&dir)],
        "--data-dir applies to ResNet runs; the checkpoint holds a transformer",
    );
    assert_fails_with(
        &["bench", "--steps", "0", "--no-pytorch"],
        "--steps must be at least 1",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An experiment rerun with other settings does not count the earlier runs as its own.
#[test]
fn an_experiment_rerun_with_other_steps_is_refused() {
    let dir = scratch("outputs-experiment");
    let out = dir.join("exp");
    let run = |steps: &str| {
        [
            "experiment",
            "adamw-vs-admire",
            "--out",
            s(&out),
            "--steps",
            steps,
            "--seeds",
            "1",
            "--batch",
            "2",
            "--grid",
            "3e-3",
        ]
        .map(String::from)
    };
    let first = run("3");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    succeed(&first);
    let second = run("5");
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    assert_fails_with(&second, "finished with other settings (steps 3 then, 5 now");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A checkpoint whose metadata was edited to say SGD while it holds AdamW's two moments is
/// refused on resume, instead of loading the first moment as SGD's momentum.
#[test]
fn optimizer_state_is_checked_against_the_tensors_it_holds() {
    let dir = scratch("outputs-state");
    let save = dir.join("run.safetensors");
    succeed(&train(&["--steps", "2", "--save", s(&save)]));
    let mut bytes = std::fs::read(&save).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + len].to_vec()).unwrap();
    let from = r#"\"kind\":\"adamw\""#;
    assert!(header.contains(from), "{header}");
    // Same length (the header may end in spaces), so the tensors' offsets stay valid.
    let edited = header.replacen(from, r#"\"kind\":\"sgd\""#, 1) + "  ";
    assert_eq!(edited.len(), len);
    bytes[8..8 + len].copy_from_slice(edited.as_bytes());
    let lying = dir.join("lying.safetensors");
    std::fs::write(&lying, &bytes).unwrap();
    assert_fails_with(
        &["train", "--resume", s(&lying), "--steps", "4"],
        "holds the state optimizer.state2, which Sgd does not have",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
