//! Writing a `transformers` model directory (see the module above for what maps to what).

use super::{tensors_out, Tensor, NORM_EPS, ROPE_BASE};
use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::export::ProjectFile;
use crate::models::{Arch, TransformerConfig};
use crate::train::{Record, TrainConfig};
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The files of a `transformers` model directory for `checkpoint`'s transformer:
/// `config.json`, `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`,
/// `generation_config.json` and a model card (`README.md`).
pub fn model_directory(checkpoint: &Checkpoint) -> Result<Vec<ProjectFile>> {
    let ModelSpec::Transformer {
        config,
        vocab,
        corpus,
    } = &checkpoint.model
    else {
        return Err(Error::InvalidConfig(
            "the Hugging Face format covers the transformers (GPT-2 and Llama designs); a ResNet \
             exports to PyTorch instead"
                .into(),
        ));
    };
    let tensors = tensors_out(config, &checkpoint.tensors)?;
    let file = |path: &str, bytes: Vec<u8>| ProjectFile {
        path: path.into(),
        bytes,
    };
    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    Ok(vec![
        file("config.json", pretty(&model_config(config))),
        file("model.safetensors", safetensors_bytes(&tensors)?),
        file("tokenizer.json", pretty(&tokenizer(vocab))),
        file(
            "tokenizer_config.json",
            pretty(&json!({
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": config.seq_len,
                // Decoding must give the text back as it was, spaces included.
                "clean_up_tokenization_spaces": false,
            })),
        ),
        file(
            "generation_config.json",
            pretty(&json!({
                // GPT-2's positions end at the training context; Llama's rotary ones would go
                // on, but the model never saw more.
                "max_length": config.seq_len,
                "do_sample": true,
            })),
        ),
        file(
            "README.md",
            model_card(checkpoint, config, corpus.as_deref()).into_bytes(),
        ),
    ])
}

fn model_config(c: &TransformerConfig) -> Value {
    match c.arch {
        Arch::Gpt => json!({
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "vocab_size": c.vocab,
            "n_positions": c.seq_len,
            "n_embd": c.d_model,
            "n_layer": c.n_layer,
            "n_head": c.n_head,
            "n_inner": c.d_ff,
            "activation_function": "gelu_new",
            "layer_norm_epsilon": NORM_EPS,
            "resid_pdrop": 0.0,
            "embd_pdrop": 0.0,
            "attn_pdrop": 0.0,
            "scale_attn_weights": true,
            "tie_word_embeddings": false,
            "bos_token_id": null,
            "eos_token_id": null,
            "torch_dtype": "float32",
        }),
        Arch::Llama => json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": c.vocab,
            "hidden_size": c.d_model,
            "intermediate_size": c.d_ff,
            "num_hidden_layers": c.n_layer,
            "num_attention_heads": c.n_head,
            "num_key_value_heads": c.n_head,
            "head_dim": c.d_model / c.n_head,
            "hidden_act": "silu",
            "max_position_embeddings": c.seq_len,
            "rms_norm_eps": NORM_EPS,
            // Both spellings: transformers 5 reads the first, 4 the second.
            "rope_parameters": {"rope_type": "default", "rope_theta": ROPE_BASE},
            "rope_theta": ROPE_BASE,
            "attention_bias": false,
            "mlp_bias": false,
            "attention_dropout": 0.0,
            "tie_word_embeddings": false,
            "bos_token_id": null,
            "eos_token_id": null,
            "torch_dtype": "float32",
        }),
    }
}

fn safetensors_bytes(tensors: &[Tensor]) -> Result<Vec<u8>> {
    let bytes: Vec<&[u8]> = tensors
        .iter()
        .map(|t| bytemuck::cast_slice(&t.values))
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| TensorView::new(Dtype::F32, t.shape.clone(), b).map(|v| (t.name.clone(), v)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidConfig(e.to_string()))?;
    // transformers refuses a safetensors file whose metadata does not say "pt".
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize(views, Some(meta)).map_err(|e| Error::InvalidConfig(e.to_string()))
}

/// A `tokenizers` tokenizer whose tokens are the vocabulary's characters, with their ids.
fn tokenizer(vocab: &Vocab) -> Value {
    let ids: serde_json::Map<String, Value> = vocab
        .as_string()
        .chars()
        .enumerate()
        .map(|(i, c)| (c.to_string(), json!(i)))
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": null,
        // No pre-tokenizer: the whole text is one word, and BPE without merges splits a word
        // into its characters.
        "pre_tokenizer": null,
        "post_processor": null,
        "decoder": {"type": "Fuse"},
        "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": false,
            "vocab": ids,
            "merges": [],
        },
    })
}

/// The model card: what the model is, how it was trained, what it reached, how to load it.
fn model_card(checkpoint: &Checkpoint, c: &TransformerConfig, corpus: Option<&str>) -> String {
    let design = match c.arch {
        Arch::Gpt => "GPT-2 (`GPT2LMHeadModel`)",
        Arch::Llama => "Llama (`LlamaForCausalLM`)",
    };
    let params = c.param_count();
    let data = corpus.unwrap_or("Shakespeare's plays (the playground's embedded corpus)");
    let mut card = format!(
        "---\nlibrary_name: transformers\ntags:\n- ire-playground\n- character-level\n---\n\n\
         # A character-level {design} trained in ire-playground\n\n\
         {} layer(s), width {}, {} heads, feed-forward {}, context {} characters, vocabulary of {} \
         characters; {params} parameters. Trained on {data} for {} steps.\n\n",
        c.n_layer, c.d_model, c.n_head, c.d_ff, c.seq_len, c.vocab, checkpoint.step
    );
    if let Ok(config) = serde_json::from_str::<TrainConfig>(&checkpoint.train_config) {
        let o = &config.optimizer;
        card += &format!(
            "## Training\n\n- optimizer: {} at peak learning rate {:e}, weight decay {}, batch {} \
             sequences, {} schedule with {} warm-up steps, seed {}\n",
            o.kind.descriptor().name,
            o.lr,
            o.weight_decay,
            config.batch,
            config.schedule.name(),
            config.warmup,
            config.seed
        );
        let ire = &config.ire;
        card += &if ire.enabled || !ire.toggle_at.is_empty() {
            format!(
                "- IRE (Implicit Regularization Enhancement, arXiv 2405.20763): kappa {}, gamma \
                 {}, mask refreshed every {} steps{}\n",
                ire.kappa,
                ire.gamma,
                ire.mask_every,
                if ire.toggle_at.is_empty() {
                    String::new()
                } else {
                    format!(", switched at steps {:?}", ire.toggle_at)
                }
            )
        } else {
            "- IRE: off\n".to_string()
        };
        card += &format!(
            "- the full configuration, as the playground records it:\n\n```json\n{}\n```\n\n",
            serde_json::to_string_pretty(&config).unwrap_or_default()
        );
    }
    card += &final_losses(checkpoint);
    card += &format!(
        "## Use\n\n```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\
         tok = AutoTokenizer.from_pretrained(\"path/to/this/folder\")\n\
         model = AutoModelForCausalLM.from_pretrained(\"path/to/this/folder\")\n\
         ids = tok(\"ROMEO:\", return_tensors=\"pt\").input_ids\n\
         print(tok.decode(model.generate(ids, max_length={})[0]))\n```\n\n\
         The tokenizer maps each character of the vocabulary to the playground's own id \
         (characters outside it are dropped). The model has seen contexts of at most {} \
         characters{}.\n",
        c.seq_len,
        c.seq_len,
        match c.arch {
            Arch::Gpt => " and has no positions beyond them",
            Arch::Llama => "",
        }
    );
    card
}

/// The last training and validation losses of the run's log, when the checkpoint carries it
/// (the app's run files do; `train --save` files say where their log is).
fn final_losses(checkpoint: &Checkpoint) -> String {
    let records: Vec<Record> = checkpoint
        .log
        .as_deref()
        .unwrap_or("")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let train = records.iter().rev().find_map(|r| match r {
        Record::Step(s) => Some((s.step, s.loss)),
        _ => None,
    });
    let val = records.iter().rev().find_map(|r| match r {
        Record::Eval(e) => Some((e.step, e.val_loss)),
        _ => None,
    });
    let mut out = "## Results\n\n".to_string();
    match (train, val) {
        (None, None) => {
            out += "The checkpoint carries no log; the run's `--log` file has its losses. \
                    `ire-playground eval --checkpoint` measures the validation loss again.\n\n"
        }
        _ => {
            if let Some((step, loss)) = train {
                out += &format!("- training loss at step {step}: {loss:.4} nats per character\n");
            }
            if let Some((step, loss)) = val {
                out += &format!("- validation loss at step {step}: {loss:.4} nats per character\n");
            }
            out += "\n";
        }
    }
    out
}
