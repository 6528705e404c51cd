//! The Hugging Face export against `transformers` itself (PyPI, on the CPU): a GPT and a Llama
//! checkpoint exported with `export --format hf` load with `AutoModelForCausalLM` and
//! `AutoTokenizer`; the tokenizer round-trips the whole corpus to the playground's ids; on
//! the validation batches `eval` uses, the logits agree with the playground's PyTorch model
//! within 1e-5 and the loss with the engine's `eval` within 1e-5 relative; `generate` runs
//! (scripts/check_hf_export.py). A ResNet is refused with a reason. And back: an exported model
//! returns with `train --init-from` with its weights, and models made with `transformers` itself
//! (a tied head, shuffled token ids) train here from the loss `transformers` computes.

mod common;

use common::{assert_fails_with, python, scratch, succeed};
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A Python with `transformers` (required where `IRE_REQUIRE_TORCH=1`, as in CI).
fn python_with_transformers() -> Option<std::path::PathBuf> {
    let py = python()?;
    let ok = std::process::Command::new(&py)
        .args(["-c", "import transformers, tokenizers"])
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("IRE_REQUIRE_TORCH").is_ok_and(|v| v == "1");
    assert!(
        ok || !required,
        "IRE_REQUIRE_TORCH=1 but transformers is not installed"
    );
    if !ok {
        eprintln!("SKIPPED: no transformers in {}", py.display());
    }
    ok.then_some(py)
}

/// A checkpoint of `preset` after 12 steps in `dir`, and its Hugging Face export beside it.
fn trained_and_exported(dir: &Path, preset: &str) -> (PathBuf, PathBuf) {
    let ck = dir.join(format!("{preset}.safetensors"));
    let out = dir.join(format!("{preset}-hf"));
    let (steps, batch) = ("12", "8");
    succeed(&[
        "train",
        "--preset",
        preset,
        "--steps",
        steps,
        "--batch",
        batch,
        "--save",
        s(&ck),
    ]);
    let format = ["--format", "hf"];
    succeed(
        &[
            &["export"],
            &format[..],
            &["--checkpoint", s(&ck), "--out", s(&out)],
        ]
        .concat(),
    );
    (ck, out)
}

/// Runs the Python `script` with `args`, asserting it succeeded; its standard output.
fn run_python(py: &Path, script: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn gpt_and_llama_exports_load_in_transformers_with_the_engines_logits_and_loss() {
    let Some(py) = python_with_transformers() else {
        return;
    };
    let dir = scratch("export-hf");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for preset in ["tiny", "llama-tiny"] {
        let (ck, out) = trained_and_exported(&dir, preset);
        let engine = eval_loss(&ck).to_string();
        let corpus = root.join("data/shakespeare.txt.zlib");
        let said = run_python(
            &py,
            &root.join("scripts/check_hf_export.py"),
            &[s(&out), s(&ck), s(&corpus), "8", "2", &engine],
        );
        eprintln!("{preset}: {}", String::from_utf8_lossy(&said));
        let card = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(
            card.contains("AdamW") && card.contains("IRE: off"),
            "{card}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_resnet_or_a_data_flag_is_refused_with_the_reason() {
    let dir = scratch("export-hf-refused");
    let ck = dir.join("resnet.safetensors");
    succeed(&[
        "train",
        "--model",
        "resnet",
        "--steps",
        "1",
        "--batch",
        "8",
        "--save",
        s(&ck),
    ]);
    let hf = ["export", "--format", "hf", "--checkpoint"];
    let (out, out2) = (dir.join("hf"), dir.join("hf2"));
    let to = ["--out", s(&out)];
    assert_fails_with(
        &[&hf[..], &[s(&ck)], &to].concat(),
        "a ResNet exports to PyTorch",
    );
    let tiny = dir.join("tiny.safetensors");
    succeed(&["train", "--steps", "1", "--save", s(&tiny)]);
    let to = ["--out", s(&out2), "--text-file", s(&tiny)];
    assert_fails_with(
        &[&hf[..], &[s(&tiny)], &to].concat(),
        "--text-file and --data-dir are for the PyTorch export",
    );
    assert!(!out.exists() && !out2.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The validation loss `eval` reports for `checkpoint` (2 batches of 8).
fn eval_loss(checkpoint: &Path) -> f64 {
    let out = succeed(&[
        "eval",
        "--checkpoint",
        s(checkpoint),
        "--batches",
        "2",
        "--batch",
        "8",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["val_loss"].as_f64().unwrap()
}

#[test]
fn an_exported_model_comes_back_with_init_from_with_the_same_weights() {
    let dir = scratch("hf-round-trip");
    for preset in ["tiny", "llama-tiny"] {
        let (ck, hf) = trained_and_exported(&dir, preset);
        let back = dir.join(format!("{preset}-back.safetensors"));
        // One step at a learning rate far below the weights' last bit: the weights as imported.
        succeed(&[
            "train",
            "--init-from",
            s(&hf),
            "--steps",
            "1",
            "--lr",
            "1e-30",
            "--min-lr",
            "0",
            "--save",
            s(&back),
        ]);
        let (before, after) = (eval_loss(&ck), eval_loss(&back));
        assert!(
            ((before - after) / before).abs() < 1e-7,
            "{preset}: {before} exported, {after} imported"
        );
    }
    // A config that describes a huge model (here 3 x 2^40 attention weights) is refused before
    // anything is sized from it.
    let huge = dir.join("huge");
    std::fs::create_dir_all(&huge).unwrap();
    let hf = dir.join("tiny-hf");
    for name in ["tokenizer.json", "model.safetensors"] {
        std::fs::copy(hf.join(name), huge.join(name)).unwrap();
    }
    let config = std::fs::read_to_string(hf.join("config.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&config).unwrap();
    config["n_embd"] = (1u64 << 20).into();
    config["n_head"] = 1.into();
    std::fs::write(huge.join("config.json"), config.to_string()).unwrap();
    assert_fails_with(
        &["train", "--init-from", s(&huge), "--steps", "1"],
        "at most 2^30 parameters",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn models_made_with_transformers_train_here_from_their_first_step() {
    let Some(py) = python_with_transformers() else {
        return;
    };
    let dir = scratch("hf-foreign");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/foreign_hf_model.py");
    let corpus = root.join("data/shakespeare.txt.zlib");
    for arch in ["gpt2", "llama"] {
        // A head tied to the embedding (GPT-2's default), a default n_inner, shuffled ids.
        let model = dir.join(arch);
        run_python(&py, &script, &[s(&model), arch]);
        let log = dir.join(format!("{arch}.jsonl"));
        succeed(&[
            "train",
            "--init-from",
            s(&model),
            "--steps",
            "1",
            "--batch",
            "8",
            "--seed",
            "3",
            "--log",
            s(&log),
        ]);
        let first: serde_json::Value = serde_json::from_str(
            std::fs::read_to_string(&log)
                .unwrap()
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        let ours = first["loss"].as_f64().unwrap();
        let theirs = run_python(&py, &script, &[s(&model), "--loss", "3", "8", s(&corpus)]);
        let theirs: serde_json::Value = serde_json::from_slice(&theirs).unwrap();
        let theirs = theirs["loss"].as_f64().unwrap();
        eprintln!("{arch}: first-step loss {ours} here, {theirs} in transformers");
        assert!(
            ((ours - theirs) / theirs).abs() < 1e-5,
            "{arch}: {ours} here, {theirs} in transformers"
        );
    }
    // What the kernels cannot compute is refused, naming the field.
    let config = dir.join("llama/config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    let gqa = text.replace("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 2");
    assert_ne!(gqa, text, "the test's edit did not apply");
    std::fs::write(&config, gqa).unwrap();
    assert_fails_with(
        &[
            "train",
            "--init-from",
            s(&dir.join("llama")),
            "--steps",
            "1",
        ],
        "num_key_value_heads = 2; the playground's kernels need as many key/value heads as \
         heads (no grouped-query attention)",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
