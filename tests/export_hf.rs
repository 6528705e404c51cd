//! The Hugging Face export against `transformers` itself (PyPI, on the CPU): a GPT and a Llama
//! checkpoint exported with `export --format hf` load with `AutoModelForCausalLM` and
//! `AutoTokenizer`; the tokenizer round-trips the validation text to the playground's ids; on
//! the validation batches `eval` uses, the logits agree with the playground's PyTorch model
//! within 1e-5 and the loss with the engine's `eval` within 1e-5 relative; `generate` runs
//! (scripts/check_hf_export.py). A ResNet is refused with a reason.

mod common;

use common::{python, scratch, succeed};
use std::path::Path;

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

#[test]
fn gpt_and_llama_exports_load_in_transformers_with_the_engines_logits_and_loss() {
    let Some(py) = python_with_transformers() else {
        return;
    };
    let dir = scratch("export-hf");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for preset in ["tiny", "llama-tiny"] {
        let ck = dir.join(format!("{preset}.safetensors"));
        let out = dir.join(format!("{preset}-hf"));
        succeed(&[
            "train",
            "--preset",
            preset,
            "--steps",
            "12",
            "--batch",
            "8",
            "--save",
            s(&ck),
        ]);
        succeed(&[
            "export",
            "--format",
            "hf",
            "--checkpoint",
            s(&ck),
            "--out",
            s(&out),
        ]);
        let eval = succeed(&[
            "eval",
            "--checkpoint",
            s(&ck),
            "--batches",
            "2",
            "--batch",
            "8",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
        let engine = report["val_loss"].as_f64().unwrap().to_string();
        let checked = std::process::Command::new(&py)
            .arg(root.join("scripts/check_hf_export.py"))
            .args([s(&out), s(&ck)])
            .arg(root.join("data/shakespeare.txt.zlib"))
            .args(["8", "2", &engine])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&checked.stdout);
        assert!(
            checked.status.success(),
            "{preset}: {said}\n{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        eprintln!("{preset}: {said}");
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
    let out = common::cli(&[
        "export",
        "--format",
        "hf",
        "--checkpoint",
        s(&ck),
        "--out",
        s(&dir.join("hf")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("a ResNet exports to PyTorch"),
        "{err}"
    );
    let tiny = dir.join("tiny.safetensors");
    succeed(&["train", "--steps", "1", "--save", s(&tiny)]);
    let out = common::cli(&[
        "export",
        "--format",
        "hf",
        "--checkpoint",
        s(&tiny),
        "--out",
        s(&dir.join("hf2")),
        "--text-file",
        s(&tiny),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("--text-file and --data-dir are for the PyTorch export"),
        "{err}"
    );
    assert!(!dir.join("hf").exists() && !dir.join("hf2").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
