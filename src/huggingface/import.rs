//! Reading a `transformers` model directory back as a checkpoint to train on: a GPT-2 or a
//! Llama whose configuration the playground's kernels compute exactly (anything else is
//! refused, naming the field and what it would need), with a character tokenizer.

use super::{pairs, transpose, NORM_EPS, ROPE_BASE};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::models::{Arch, TransformerConfig};
use safetensors::{Dtype, SafeTensors};
use serde_json::Value;
use std::collections::HashMap;

/// The files an import reads, and the most bytes each may hold.
pub const FILES: [(&str, u64); 3] = [
    ("config.json", 1 << 20),
    ("tokenizer.json", 64 << 20),
    ("model.safetensors", 8 << 30),
];

fn refuse(why: impl Into<String>) -> Error {
    Error::InvalidConfig(why.into())
}

/// The model in the `transformers` directory `dir` (its `config.json`, `tokenizer.json` and
/// `model.safetensors`) as a weights-only checkpoint at step 0.
#[cfg(not(target_arch = "wasm32"))]
pub fn import(dir: &std::path::Path) -> Result<Checkpoint> {
    let mut read = FILES
        .iter()
        .map(|(name, limit)| crate::files::read_bounded(&dir.join(name), *limit));
    let (config, tokenizer, weights) = (
        read.next().expect("three files")?,
        read.next().expect("three files")?,
        read.next().expect("three files")?,
    );
    from_files(&config, &tokenizer, &weights)
}

/// The model in a `transformers` directory's `config.json`, `tokenizer.json` and
/// `model.safetensors` as a weights-only checkpoint at step 0.
pub fn from_files(config: &[u8], tokenizer: &[u8], weights: &[u8]) -> Result<Checkpoint> {
    let json = |bytes: &[u8], name: &str| {
        serde_json::from_slice::<Value>(bytes)
            .map_err(|e| refuse(format!("{name} is not JSON: {e}")))
    };
    let config_json = json(config, "config.json")?;
    let config = model_config(&config_json)?;
    // Before anything is sized from it (the config is the user's, or anyone's).
    let params = param_count(&config);
    if params > MAX_PARAMS || config.n_layer > MAX_LAYERS {
        return Err(refuse(format!(
            "config.json describes {params} parameters in {} layers; at most 2^30 parameters \
             and {MAX_LAYERS} layers fit here",
            config.n_layer
        )));
    }
    // Tied: the head is the embedding (GPT-2's default); here it becomes a copy of its own.
    let tied = config_json
        .get("tie_word_embeddings")
        .and_then(Value::as_bool)
        .unwrap_or(config.arch == Arch::Gpt);
    let (vocab, order) = vocabulary(&json(tokenizer, "tokenizer.json")?, config.vocab)?;
    let weights = SafeTensors::deserialize(weights)
        .map_err(|e| refuse(format!("model.safetensors cannot be read: {e}")))?;
    let mut tensors = HashMap::new();
    for p in pairs(&config) {
        let rows = p.shape[0] / p.theirs.len();
        let mut values = Vec::with_capacity(p.shape.iter().product());
        for name in &p.theirs {
            let their_shape = if p.transposed {
                vec![p.shape[1], rows]
            } else {
                [vec![rows], p.shape[1..].to_vec()].concat()
            };
            // A tied head is the embedding (transformers ties it whatever the file holds).
            let part = if tied && p.ours == "lm_head.weight" {
                tensors
                    .get("wte.weight")
                    .cloned()
                    .ok_or_else(|| refuse("the tied head has no embedding to copy"))?
            } else {
                tensor(&weights, name, &their_shape, &p.ours)?
            };
            values.extend(if p.transposed {
                transpose(&part, p.shape[1], rows)
            } else {
                part
            });
        }
        tensors.insert(p.ours, values);
    }
    // Rows of the embedding and the head follow the vocabulary's sorted order.
    let d = config.d_model;
    for name in ["wte.weight", "lm_head.weight"] {
        if let Some(m) = tensors.get_mut(name) {
            *m = order
                .iter()
                .flat_map(|&id| m[id * d..(id + 1) * d].to_vec())
                .collect();
        }
    }
    Ok(Checkpoint {
        model: ModelSpec::Transformer {
            config,
            vocab,
            corpus: None,
        },
        step: 0,
        train_config: "{}".into(),
        tensors,
        buffers: Vec::new(),
        state: None,
        run_id: None,
        log: None,
    })
}

/// The most parameters, and layers, an imported model may have.
const MAX_PARAMS: u128 = 1 << 30;
const MAX_LAYERS: usize = 256;

/// Parameters of a transformer of shape `c`, in arithmetic that cannot overflow.
fn param_count(c: &TransformerConfig) -> u128 {
    let [v, t, d, ff, l] = [c.vocab, c.seq_len, c.d_model, c.d_ff, c.n_layer].map(|x| x as u128);
    let per_layer = match c.arch {
        // Two norms (weight, bias), qkv and proj with biases, the MLP with biases.
        Arch::Gpt => 4 * d + 3 * d * d + 3 * d + d * d + d + 2 * ff * d + ff + d,
        // Two norms, qkv and proj, gate, up and down.
        Arch::Llama => 2 * d + 4 * d * d + 3 * ff * d,
    };
    // GPT-2's positions and final LayerNorm (weight, bias); Llama's final RMSNorm (weight).
    let (positions, final_norm) = match c.arch {
        Arch::Gpt => (t * d, 2 * d),
        Arch::Llama => (0, d),
    };
    2 * v * d + positions + l * per_layer + final_norm
}

/// A whole number field of the configuration.
fn count(c: &Value, key: &str) -> Result<usize> {
    c.get(key)
        .and_then(Value::as_u64)
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| refuse(format!("config.json has no usable whole number {key}")))
}

/// Refuses a field whose value the kernels do not compute (absent: the library's default,
/// which must be `default` for the check to pass).
fn expect(
    c: &Value,
    key: &str,
    default: Value,
    ok: impl Fn(&Value) -> bool,
    need: &str,
) -> Result<()> {
    let (v, said) = match c.get(key) {
        Some(v) => (v.clone(), format!("config.json has {key} = {v}")),
        None => (
            default.clone(),
            format!("config.json leaves {key} to its default, {default}"),
        ),
    };
    if ok(&v) {
        Ok(())
    } else {
        Err(refuse(format!(
            "{said}; the playground's kernels need {need}"
        )))
    }
}

fn model_config(c: &Value) -> Result<TransformerConfig> {
    let is = |x: f64| {
        move |v: &Value| {
            v.as_f64()
                .is_some_and(|v| (v - x).abs() <= 1e-12 * x.abs().max(1.0))
        }
    };
    let no = |v: &Value| v.is_null() || v == &Value::Bool(false);
    let model_type = c.get("model_type").and_then(Value::as_str).unwrap_or("");
    let config = match model_type {
        "gpt2" => {
            let d = count(c, "n_embd")?;
            expect(c, "activation_function", "gelu_new".into(), |v| {
                matches!(v.as_str(), Some("gelu_new" | "gelu_pytorch_tanh"))
            }, "the tanh GELU (gelu_new)")?;
            expect(c, "layer_norm_epsilon", 1e-5.into(), is(NORM_EPS), "1e-5")?;
            expect(c, "scale_attn_weights", true.into(), |v| v == &Value::Bool(true), "true")?;
            expect(c, "scale_attn_by_inverse_layer_idx", false.into(), no, "false")?;
            TransformerConfig {
                n_layer: count(c, "n_layer")?,
                n_head: count(c, "n_head")?,
                d_model: d,
                d_ff: match c.get("n_inner") {
                    None | Some(Value::Null) => 4 * d,
                    Some(_) => count(c, "n_inner")?,
                },
                seq_len: count(c, "n_positions")?,
                vocab: count(c, "vocab_size")?,
                arch: Arch::Gpt,
            }
        }
        "llama" => {
            let (d, heads) = (count(c, "hidden_size")?, count(c, "num_attention_heads")?);
            expect(c, "num_key_value_heads", heads.into(), |v| v.as_u64() == Some(heads as u64),
                   "as many key/value heads as heads (no grouped-query attention)")?;
            if d % heads == 0 {
                expect(c, "head_dim", (d / heads).into(), |v| v.is_null() || v.as_u64() == Some((d / heads) as u64),
                       "hidden_size / num_attention_heads")?;
            }
            expect(c, "hidden_act", "silu".into(), |v| v.as_str() == Some("silu"), "silu")?;
            expect(c, "rms_norm_eps", 1e-6.into(), is(NORM_EPS), "1e-5")?;
            expect(c, "attention_bias", false.into(), no, "false")?;
            expect(c, "mlp_bias", false.into(), no, "false")?;
            let rope = c.get("rope_parameters").or(c.get("rope_scaling")).cloned().unwrap_or(Value::Null);
            let theta = rope.get("rope_theta").or(c.get("rope_theta")).cloned().unwrap_or(ROPE_BASE.into());
            if !is(ROPE_BASE)(&theta) {
                return Err(refuse(format!("config.json has a rotary base of {theta}; the playground's kernels need 10000")));
            }
            let kind = rope.get("rope_type").or(rope.get("type")).and_then(Value::as_str).unwrap_or("default");
            if kind != "default" {
                return Err(refuse(format!("config.json scales its rotary embedding ({kind}); the playground's kernels need the default")));
            }
            TransformerConfig {
                n_layer: count(c, "num_hidden_layers")?,
                n_head: heads,
                d_model: d,
                d_ff: count(c, "intermediate_size")?,
                seq_len: count(c, "max_position_embeddings")?,
                vocab: count(c, "vocab_size")?,
                arch: Arch::Llama,
            }
        }
        other => {
            return Err(refuse(format!(
                "config.json's model_type is {other:?}; the playground's transformers are GPT-2 (gpt2) and Llama (llama)"
            )))
        }
    };
    config.validate()?;
    Ok(config)
}

/// The tokenizer's characters, sorted (the playground's vocabulary), and for each the id it has
/// in the model (the rows to take from the embedding and the head, in order).
fn vocabulary(t: &Value, size: usize) -> Result<(Vocab, Vec<usize>)> {
    let Some(ids) = t.pointer("/model/vocab").and_then(Value::as_object) else {
        return Err(refuse("tokenizer.json has no model.vocab"));
    };
    // A tokenizer that rewrites text before it looks tokens up (lowercasing, byte-level
    // mapping) would not map characters to these ids.
    for part in ["normalizer", "pre_tokenizer"] {
        if let Some(kind) = t.get(part).filter(|v| !v.is_null()) {
            let kind = kind.get("type").and_then(Value::as_str).unwrap_or("?");
            return Err(refuse(format!(
                "tokenizer.json has a {part} ({kind}); the playground's models read the text's \
                 own characters"
            )));
        }
    }
    if let Some(added) = t
        .get("added_tokens")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        let names: Vec<&str> = added
            .iter()
            .filter_map(|a| a.get("content")?.as_str())
            .take(3)
            .collect();
        return Err(refuse(format!(
            "tokenizer.json adds special tokens ({names:?}); the playground's models read characters only"
        )));
    }
    let mut chars = Vec::with_capacity(ids.len());
    for (token, id) in ids {
        let mut it = token.chars();
        let (Some(c), None) = (it.next(), it.next()) else {
            return Err(refuse(format!(
                "tokenizer.json has the token {token:?}, more than one character; the playground's models read characters (a word or BPE vocabulary is not supported yet)"
            )));
        };
        let id = id
            .as_u64()
            .map(|i| i as usize)
            .filter(|&i| i < size)
            .ok_or_else(|| {
                refuse(format!(
                    "tokenizer.json gives {token:?} the id {id}, outside the model's {size} tokens"
                ))
            })?;
        chars.push((c, id));
    }
    chars.sort_unstable();
    let mut seen = vec![false; size];
    for &(_, id) in &chars {
        if std::mem::replace(&mut seen[id], true) {
            return Err(refuse(format!(
                "tokenizer.json gives two characters the id {id}"
            )));
        }
    }
    if chars.len() != size {
        return Err(refuse(format!(
            "tokenizer.json has {} characters for the model's {size} tokens",
            chars.len()
        )));
    }
    let vocab = Vocab::from_string(&chars.iter().map(|(c, _)| c).collect::<String>())?;
    Ok((vocab, chars.into_iter().map(|(_, id)| id).collect()))
}

/// Tensor `name` of `weights` as float32 values of `shape` (float16 and bfloat16 widened).
fn tensor(weights: &SafeTensors, name: &str, shape: &[usize], ours: &str) -> Result<Vec<f32>> {
    // The original GPT-2 files name their tensors without the `transformer.` prefix.
    let view = weights
        .tensor(name)
        .or_else(|e| match name.strip_prefix("transformer.") {
            Some(bare) => weights.tensor(bare),
            None => Err(e),
        })
        .map_err(|_| {
            refuse(format!(
                "model.safetensors has no {name} (the playground's {ours})"
            ))
        })?;
    if view.shape() != shape {
        return Err(refuse(format!(
            "model.safetensors' {name} has shape {:?}; config.json implies {shape:?}",
            view.shape()
        )));
    }
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
            .collect(),
        other => {
            return Err(refuse(format!(
                "model.safetensors' {name} is {other:?}; float32, float16 or bfloat16 are read"
            )))
        }
    };
    if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
        return Err(refuse(format!(
            "model.safetensors' {name} holds a non-finite value at {bad}"
        )));
    }
    Ok(values)
}

/// An IEEE half-precision number as f32 (exact: every half is a float).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mantissa = (h & 0x3ff) as f32;
    sign * match exp {
        0 => mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        _ => (1.0 + mantissa / 1024.0) * 2f32.powi(exp - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::{f16_to_f32, param_count};
    use crate::models::TransformerConfig;

    #[test]
    fn the_size_check_counts_what_the_models_hold() {
        for preset in ["tiny", "small", "llama-tiny", "llama-small"] {
            let c = TransformerConfig::preset(preset, 65).unwrap();
            assert_eq!(param_count(&c), c.param_count() as u128, "{preset}");
        }
    }

    #[test]
    fn halves_widen_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }
}
