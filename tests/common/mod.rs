//! Shared test helpers: a GPU context per test, fixture loading, tolerant comparison.
#![allow(dead_code)]

pub mod update;

use ire_playground::gpu::{GpuContext, Tensor};
use safetensors::SafeTensors;
use std::collections::HashMap;

/// A device on whatever adapter is present (lavapipe in CI).
pub fn ctx() -> GpuContext {
    pollster::block_on(GpuContext::new()).expect("a GPU adapter (install mesa-vulkan-drivers)")
}

/// Tensors of a fixture file, converted to f32 (floats) or u32 (integers, via `ints`).
pub struct Fixture {
    floats: HashMap<String, (Vec<usize>, Vec<f32>)>,
    ints: HashMap<String, Vec<u32>>,
    pub metadata: HashMap<String, String>,
}

impl Fixture {
    pub fn load(name: &str) -> Self {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut floats = HashMap::new();
        let mut ints = HashMap::new();
        for (k, v) in st.tensors() {
            match v.dtype() {
                safetensors::Dtype::F32 => {
                    let data: Vec<f32> = v
                        .data()
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                        .collect();
                    floats.insert(k.to_string(), (v.shape().to_vec(), data));
                }
                safetensors::Dtype::I32 => {
                    let data: Vec<u32> = v
                        .data()
                        .chunks_exact(4)
                        .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as u32)
                        .collect();
                    ints.insert(k.to_string(), data);
                }
                d => panic!("unexpected dtype {d:?} for {k}"),
            }
        }
        Self {
            floats,
            ints,
            metadata: meta.metadata().clone().unwrap_or_default(),
        }
    }

    pub fn f(&self, name: &str) -> &[f32] {
        &self
            .floats
            .get(name)
            .unwrap_or_else(|| panic!("fixture has no {name}"))
            .1
    }

    pub fn shape(&self, name: &str) -> &[usize] {
        &self
            .floats
            .get(name)
            .unwrap_or_else(|| panic!("fixture has no {name}"))
            .0
    }

    pub fn u(&self, name: &str) -> &[u32] {
        self.ints
            .get(name)
            .unwrap_or_else(|| panic!("fixture has no {name}"))
    }

    pub fn float_names(&self) -> Vec<String> {
        self.floats.keys().cloned().collect()
    }

    pub fn tensor(&self, ctx: &GpuContext, name: &str) -> Tensor {
        Tensor::from_slice(ctx, name, self.f(name))
    }

    pub fn int_tensor(&self, ctx: &GpuContext, name: &str) -> Tensor {
        Tensor::from_slice(ctx, name, self.u(name))
    }
}

/// Asserts |got - want| <= atol + rtol * |want| elementwise, reporting the worst element.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = (0usize, 0f32);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.is_finite(), "{what}[{i}] is {g}");
        let excess = (g - w).abs() - (atol + rtol * w.abs());
        if excess > worst.1 {
            worst = (i, excess);
        }
    }
    let i = worst.0;
    assert!(
        worst.1 <= 0.0,
        "{what}: element {i} is {} but PyTorch says {} (atol {atol}, rtol {rtol})",
        got[i],
        want[i]
    );
}

/// Reads a tensor back, after checking that nothing the device ran failed validation (an
/// invalid shader or binding is recorded, not raised, and would leave the tensor unchanged).
pub fn read(ctx: &GpuContext, t: &Tensor) -> Vec<f32> {
    let values = t.read_blocking(ctx).unwrap();
    if let Some(fault) = ctx.fault() {
        panic!("the device reported an error: {fault}");
    }
    values
}

/// Runs a trainer to the end the way the CLI does, collecting every record.
pub fn run_to_end(
    trainer: &mut ire_playground::train::Trainer,
) -> Result<Vec<ire_playground::train::Record>, ire_playground::Error> {
    let mut out = Vec::new();
    while !trainer.is_finished() {
        while trainer.can_submit() {
            trainer.submit_step()?;
        }
        trainer.wait_for_oldest();
        out.extend(trainer.poll()?);
    }
    Ok(out)
}

use ire_playground::train::{EvalRecord, ProbeRecord, Record, StepRecord};

/// The step records among `records`.
pub fn steps(records: &[Record]) -> Vec<&StepRecord> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Step(s) = r {
                Some(s)
            } else {
                None
            }
        })
        .collect()
}

/// The evaluation records among `records`.
pub fn evals(records: &[Record]) -> Vec<&EvalRecord> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Eval(e) = r {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}

/// The probe records among `records`.
pub fn probes(records: &[Record]) -> Vec<&ProbeRecord> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Probe(p) = r {
                Some(p)
            } else {
                None
            }
        })
        .collect()
}

/// The events among `records`, as (step, event).
pub fn events(records: &[Record]) -> Vec<(usize, String)> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Event(e) = r {
                Some((e.step, e.event.clone()))
            } else {
                None
            }
        })
        .collect()
}

/// Loads every parameter of `params` from the fixture tensor `{prefix}{name}` (checking shapes
/// and that the fixture holds no other parameters) into the model's flat buffer.
pub fn load_fixture_params(
    ctx: &GpuContext,
    f: &Fixture,
    params: &ire_playground::nn::ParamSet,
    prefix: &str,
    is_param: impl Fn(&str) -> bool,
) {
    let mut named = HashMap::new();
    for spec in &params.specs {
        let key = format!("{prefix}{}", spec.name);
        assert_eq!(
            f.shape(&key),
            spec.shape.as_slice(),
            "shape of {}",
            spec.name
        );
        named.insert(spec.name.clone(), f.f(&key).to_vec());
    }
    let in_fixture = f.float_names().into_iter().filter(|n| is_param(n)).count();
    assert_eq!(in_fixture, params.specs.len(), "parameter count");
    params.params.write(ctx, &params.flatten(&named).unwrap());
}

/// Every parameter's gradient against the fixture's `grad.{name}`, within 1e-4 of the tensor's
/// largest gradient (plus 1e-4 relative).
pub fn assert_grads_match(
    ctx: &GpuContext,
    f: &Fixture,
    params: &ire_playground::nn::ParamSet,
) -> Vec<f32> {
    assert_grads_match_at(ctx, f, params, "grad.")
}

/// [`assert_grads_match`] with the fixture's gradients under `{key_prefix}{name}`.
pub fn assert_grads_match_at(
    ctx: &GpuContext,
    f: &Fixture,
    params: &ire_playground::nn::ParamSet,
    key_prefix: &str,
) -> Vec<f32> {
    let grads = read(ctx, &params.grads);
    for (spec, got) in params.unflatten(&grads) {
        let want = f.f(&format!("{key_prefix}{}", spec.name));
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert_close(
            &format!("grad of {}", spec.name),
            got,
            want,
            1e-4 * scale,
            1e-4,
        );
    }
    grads
}

/// Asserts that `after` is `before` to the bit (e.g. weights a probe must restore).
pub fn assert_bits_equal(what: &str, before: &[f32], after: &[f32]) {
    assert_eq!(before.len(), after.len(), "{what}: length");
    assert!(
        before
            .iter()
            .zip(after)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "{what} changed"
    );
}

/// Runs the release binary with `args`.
pub fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ire-playground"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs the binary and asserts a clean failure (non-zero exit, no panic) mentioning `needle`.
pub fn assert_fails_with(args: &[&str], needle: &str) {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: expected '{needle}' in: {stderr}"
    );
}

/// A fresh, empty scratch folder for test `name` of this process.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ire-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary and asserts success, showing its stderr otherwise.
pub fn succeed(args: &[&str]) -> std::process::Output {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A Python with torch, safetensors and numpy ($IRE_PYTHON, the repository's .venv, or
/// python3); None (the test skips, saying so) unless IRE_REQUIRE_TORCH=1, which makes its
/// absence a failure, as in CI.
pub fn python() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let candidates = [
        std::env::var_os("IRE_PYTHON").map(PathBuf::from),
        venv.exists().then_some(venv),
        Some(PathBuf::from("python3")),
    ];
    for py in candidates.into_iter().flatten() {
        let ok = std::process::Command::new(&py)
            .args(["-c", "import torch, safetensors, numpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    let required = std::env::var("IRE_REQUIRE_TORCH").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "IRE_REQUIRE_TORCH=1 but no Python with torch, safetensors and numpy was found"
    );
    eprintln!("SKIPPED: no Python with torch (set IRE_PYTHON or create .venv)");
    None
}

/// A transformer of a fixture whose metadata holds `{tag}_n_layer` ... `{tag}_batch`, with the
/// weights `{tag}.param.{name}` loaded and the batch `{tag}.idx` / `{tag}.targets` uploaded.
#[allow(dead_code)]
pub fn fixture_transformer(
    ctx: &GpuContext,
    f: &Fixture,
    tag: &str,
) -> ire_playground::models::Transformer {
    use ire_playground::models::Transformer;
    let (config, batch) = fixture_config(f, &format!("{tag}_"));
    let model = Transformer::new(ctx, config, batch, 0.0).unwrap();
    let named: HashMap<String, Vec<f32>> = model
        .params
        .specs
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                f.f(&format!("{tag}.param.{}", s.name)).to_vec(),
            )
        })
        .collect();
    model.load_flat(ctx, &model.params.flatten(&named).unwrap());
    let batch = ire_playground::data::Batch {
        inputs: f.u(&format!("{tag}.idx")).to_vec(),
        targets: f.u(&format!("{tag}.targets")).to_vec(),
    };
    model.set_batch(ctx, &batch).unwrap();
    model
}

/// The transformer shape and batch a fixture's metadata gives under `{prefix}n_layer`, ...,
/// `{prefix}batch` (and `{prefix}arch`, GPT when absent).
#[allow(dead_code)]
pub fn fixture_config(
    f: &Fixture,
    prefix: &str,
) -> (ire_playground::models::TransformerConfig, usize) {
    use ire_playground::models::{Arch, TransformerConfig};
    let m = |k: &str| {
        f.metadata[&format!("{prefix}{k}")]
            .parse::<usize>()
            .unwrap()
    };
    let arch = match f.metadata.get(&format!("{prefix}arch")).map(String::as_str) {
        Some("llama") => Arch::Llama,
        _ => Arch::Gpt,
    };
    let config = TransformerConfig {
        n_layer: m("n_layer"),
        n_head: m("n_head"),
        d_model: m("d_model"),
        d_ff: m("d_ff"),
        seq_len: m("seq_len"),
        vocab: m("vocab"),
        arch,
    };
    (config, m("batch"))
}

/// A path as a command-line argument.
pub fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// The CLI's `train` on a small batch (4), evaluating only at the end on one batch, with one
/// warm-up step; then `extra`.
pub fn short_train<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let short = [
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
    [&short[..], extra].concat()
}

/// A fresh run of a transformer of `model`'s shape on `corpus`, built as every run is
/// ([`Trainer::build`](ire_playground::train::Trainer::build)).
pub fn text_trainer(
    ctx: &GpuContext,
    model: ire_playground::models::TransformerConfig,
    config: ire_playground::train::TrainConfig,
    corpus: std::sync::Arc<ire_playground::data::Corpus>,
) -> ire_playground::Result<ire_playground::train::Trainer> {
    let spec = ire_playground::checkpoint::ModelSpec::transformer(model, &corpus);
    let data = ire_playground::train::TaskData::Text(corpus);
    ire_playground::train::Trainer::build(ctx, &spec, config, data)
}

/// A fresh run of a ResNet of `model`'s shape on `images` (`augment`: random crops and flips).
pub fn image_trainer(
    ctx: &GpuContext,
    model: ire_playground::models::ResNetConfig,
    config: ire_playground::train::TrainConfig,
    images: std::sync::Arc<ire_playground::data::ImageDataset>,
    augment: bool,
) -> ire_playground::Result<ire_playground::train::Trainer> {
    let spec = ire_playground::checkpoint::ModelSpec::ResNet(model);
    let data = ire_playground::train::TaskData::Images { images, augment };
    ire_playground::train::Trainer::build(ctx, &spec, config, data)
}
