//! The Hugging Face format, out and in. The playground's transformers are GPT-2 (`gpt`) and
//! Llama (`llama`) exactly (pre-norm blocks, tanh-GELU or SwiGLU, rotary positions in the
//! rotate-half layout, norms with epsilon 1e-5, an untied head, no dropout), so a model moves
//! between the two by renaming its tensors: `GPT2LMHeadModel`'s `Conv1D` layers keep their
//! weights transposed, and Llama's attention keeps the fused `qkv` weight as three. The table
//! of what maps to what is here, once ([`pairs`]); `export.rs` writes a model directory that
//! `transformers` loads, `import.rs` reads one back as a checkpoint to train on. The character
//! vocabulary travels as a `tokenizers` model that maps each character to its id.

mod export;
mod import;

pub use export::model_directory;
#[cfg(not(target_arch = "wasm32"))]
pub use import::import;
pub use import::{from_files, FILES};

use crate::error::{Error, Result};
use crate::models::{Arch, TransformerConfig};
use std::collections::HashMap;

/// The epsilon of every LayerNorm and RMSNorm (`kernels::layernorm::EPS`).
const NORM_EPS: f64 = crate::kernels::layernorm::EPS as f64;
/// The rotary embedding's base (`kernels::rope`).
const ROPE_BASE: f64 = 10_000.0;

/// Whether safetensors `bytes` are `transformers`' weights (their metadata says "pt"), not a
/// playground checkpoint or run file.
pub fn is_weights(bytes: &[u8]) -> bool {
    safetensors::SafeTensors::read_metadata(bytes).is_ok_and(|(_, meta)| {
        meta.metadata()
            .as_ref()
            .and_then(|m| m.get("format"))
            .is_some_and(|f| f == "pt")
    })
}

/// A tensor under its `transformers` name: its shape and values (row-major).
struct Tensor {
    name: String,
    shape: Vec<usize>,
    values: Vec<f32>,
}

/// One of the playground's tensors and where `transformers` keeps it.
struct Pair {
    /// The playground's (and its PyTorch port's) name.
    ours: String,
    /// Its shape here.
    shape: Vec<usize>,
    /// Its name there; three names: the rows split in three equal parts (q, k, v).
    theirs: Vec<String>,
    /// Kept transposed there (GPT-2's `Conv1D`: [in, out]).
    transposed: bool,
}

/// Every tensor of a transformer of shape `c`, in model order.
fn pairs(c: &TransformerConfig) -> Vec<Pair> {
    let (d, ff, v) = (c.d_model, c.d_ff, c.vocab);
    let mut out = Vec::new();
    let mut add = |(ours, shape, theirs, transposed): (String, Vec<usize>, Vec<String>, bool)| {
        out.push(Pair {
            ours,
            shape,
            theirs,
            transposed,
        })
    };
    // Kept as it is, under another name.
    let same = |ours: &str, shape: Vec<usize>, theirs: &str| {
        (ours.to_string(), shape, vec![theirs.to_string()], false)
    };
    match c.arch {
        Arch::Gpt => {
            add(same("wte.weight", vec![v, d], "transformer.wte.weight"));
            add(same(
                "wpe.weight",
                vec![c.seq_len, d],
                "transformer.wpe.weight",
            ));
            for i in 0..c.n_layer {
                let (b, h) = (format!("blocks.{i}."), format!("transformer.h.{i}."));
                for (ours, theirs, rows, cols) in [
                    ("ln1", "ln_1", 0, d),
                    ("attn.qkv", "attn.c_attn", 3 * d, d),
                    ("attn.proj", "attn.c_proj", d, d),
                    ("ln2", "ln_2", 0, d),
                    ("mlp.fc", "mlp.c_fc", ff, d),
                    ("mlp.proj", "mlp.c_proj", d, ff),
                ] {
                    // A norm (no rows) has a weight and a bias of the width; a Conv1D a
                    // transposed weight and a bias of its outputs.
                    let (weight, bias) = if rows == 0 {
                        (vec![cols], cols)
                    } else {
                        (vec![rows, cols], rows)
                    };
                    add((
                        format!("{b}{ours}.weight"),
                        weight,
                        vec![format!("{h}{theirs}.weight")],
                        rows != 0,
                    ));
                    add(same(
                        &format!("{b}{ours}.bias"),
                        vec![bias],
                        &format!("{h}{theirs}.bias"),
                    ));
                }
            }
            add(same("ln_f.weight", vec![d], "transformer.ln_f.weight"));
            add(same("ln_f.bias", vec![d], "transformer.ln_f.bias"));
        }
        Arch::Llama => {
            add(same("wte.weight", vec![v, d], "model.embed_tokens.weight"));
            for i in 0..c.n_layer {
                let (b, m) = (format!("blocks.{i}."), format!("model.layers.{i}."));
                add(same(
                    &format!("{b}ln1.weight"),
                    vec![d],
                    &format!("{m}input_layernorm.weight"),
                ));
                // The fused projection's rows are q, then k, then v, already in the rotate-half
                // layout transformers' rotary embedding expects: no permutation.
                add((
                    format!("{b}attn.qkv.weight"),
                    vec![3 * d, d],
                    ["q_proj", "k_proj", "v_proj"]
                        .map(|p| format!("{m}self_attn.{p}.weight"))
                        .to_vec(),
                    false,
                ));
                add(same(
                    &format!("{b}attn.proj.weight"),
                    vec![d, d],
                    &format!("{m}self_attn.o_proj.weight"),
                ));
                add(same(
                    &format!("{b}ln2.weight"),
                    vec![d],
                    &format!("{m}post_attention_layernorm.weight"),
                ));
                for (ours, theirs, shape) in [
                    ("gate", "gate_proj", [ff, d]),
                    ("up", "up_proj", [ff, d]),
                    ("down", "down_proj", [d, ff]),
                ] {
                    add(same(
                        &format!("{b}mlp.{ours}.weight"),
                        shape.to_vec(),
                        &format!("{m}mlp.{theirs}.weight"),
                    ));
                }
            }
            add(same("ln_f.weight", vec![d], "model.norm.weight"));
        }
    }
    add(same("lm_head.weight", vec![v, d], "lm_head.weight"));
    out
}

/// The playground's tensors `ours` under `transformers`' names and layouts, in model order.
fn tensors_out(c: &TransformerConfig, ours: &HashMap<String, Vec<f32>>) -> Result<Vec<Tensor>> {
    let mut out = Vec::new();
    for p in pairs(c) {
        let values = ours.get(&p.ours).ok_or_else(|| {
            Error::InvalidConfig(format!("the checkpoint has no tensor {}", p.ours))
        })?;
        if values.len() != p.shape.iter().product::<usize>() {
            return Err(Error::InvalidConfig(format!(
                "the checkpoint's {} has {} values, not {:?}",
                p.ours,
                values.len(),
                p.shape
            )));
        }
        let parts = p.theirs.len();
        let rows = p.shape[0] / parts;
        let per_part = values.len() / parts;
        for (k, name) in p.theirs.iter().enumerate() {
            let part = &values[k * per_part..(k + 1) * per_part];
            let mut shape = p.shape.clone();
            shape[0] = rows;
            let (shape, values) = if p.transposed {
                (
                    vec![shape[1], shape[0]],
                    transpose(part, shape[0], shape[1]),
                )
            } else {
                (shape, part.to_vec())
            };
            out.push(Tensor {
                name: name.clone(),
                shape,
                values,
            });
        }
    }
    Ok(out)
}

/// `m` ([rows, cols], row-major) as [cols, rows].
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = m[r * cols + c];
        }
    }
    out
}
