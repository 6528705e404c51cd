//! Transformer hyperparameters, presets, validation and the fits-the-adapter check.

use crate::error::{Error, Result};
use crate::kernels::reduce;
use crate::nn::{ParamSet, ParamSpec};
use serde::{Deserialize, Serialize};

/// The transformer's block design.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// GPT-2: learned position embeddings, LayerNorm, GELU feed-forward, biases.
    #[default]
    Gpt,
    /// Llama: rotary position embeddings, RMSNorm, SwiGLU feed-forward, no biases (the
    /// architecture of the IRE paper's language-model experiments).
    Llama,
}

/// Shape of a character transformer (GPT-2 or Llama style).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformerConfig {
    /// Transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block.
    pub n_head: usize,
    /// Residual stream width.
    pub d_model: usize,
    /// Feed-forward hidden width.
    pub d_ff: usize,
    /// Context length.
    pub seq_len: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// Block design (checkpoints from before Llama have none: GPT).
    #[serde(default)]
    pub arch: Arch,
}

/// Names accepted by [`TransformerConfig::preset`].
pub const PRESETS: &[&str] = &["tiny", "small", "llama-tiny", "llama-small"];

impl TransformerConfig {
    /// A named preset for a vocabulary of `vocab` tokens:
    /// `tiny` (1 layer, d 64, 4 heads, d_ff 256, T 64) for tests and CPU adapters;
    /// `small` (2 layers, d 128, 8 heads, d_ff 512, T 128), the block shape of the IRE paper's small
    /// transformer (whose model is word-level, its embedding and head most of its parameters);
    /// `llama-tiny` and `llama-small`: the same sizes in Llama's design, the SwiGLU width chosen
    /// (8/3 d, rounded up to a multiple of 8) so that the parameter count matches.
    pub fn preset(name: &str, vocab: usize) -> Result<Self> {
        let (n_layer, d_model, n_head, d_ff, seq_len) = match name {
            "tiny" | "llama-tiny" => (1, 64, 4, 256, 64),
            "small" | "llama-small" => (2, 128, 8, 512, 128),
            other => {
                return Err(Error::InvalidConfig(format!(
                    "unknown preset '{other}'; choose one of: {}",
                    PRESETS.join(", ")
                )))
            }
        };
        let arch = if name.starts_with("llama") {
            Arch::Llama
        } else {
            Arch::Gpt
        };
        let d_ff = match arch {
            Arch::Gpt => d_ff,
            // Three matrices of d x d_ff match GPT's two of d x 4d.
            Arch::Llama => (8 * d_model / 3usize).div_ceil(8) * 8,
        };
        let c = Self {
            n_layer,
            n_head,
            d_model,
            d_ff,
            seq_len,
            vocab,
            arch,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks that the shape is well formed.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        for (name, v) in [
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("d_model", self.d_model),
            ("d_ff", self.d_ff),
            ("seq_len", self.seq_len),
            ("vocab", self.vocab),
        ] {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
            if v > 1 << 20 {
                return bad(format!("{name} = {v} is unreasonably large"));
            }
        }
        if !self.d_model.is_multiple_of(self.n_head) {
            return bad(format!(
                "d_model ({}) must be divisible by n_head ({})",
                self.d_model, self.n_head
            ));
        }
        if self.arch == Arch::Llama && !self.head_dim().is_multiple_of(2) {
            return bad(format!(
                "rotary embeddings turn channel pairs: head_dim ({}) must be even",
                self.head_dim()
            ));
        }
        Ok(())
    }

    /// Channels per head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_head
    }

    /// Parameter declarations in PyTorch `named_parameters()` order (python/playground/models.py),
    /// with GPT-2 initialisation: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 n_layer)).
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        use crate::nn::{CausalSelfAttention, Embedding, LayerNorm, Linear, Mlp, SwiGlu};
        let std = 0.02;
        let proj_std = 0.02 / (2.0 * self.n_layer as f32).sqrt();
        let llama = self.arch == Arch::Llama;
        let d = self.d_model;
        let norm = |prefix: &str| match self.arch {
            Arch::Gpt => LayerNorm::specs(prefix, d),
            Arch::Llama => LayerNorm::rms_specs(prefix, d),
        };
        let mut v = match self.arch {
            Arch::Gpt => Embedding::specs(self.vocab, self.seq_len, d, std),
            Arch::Llama => Embedding::token_specs(self.vocab, d, std),
        };
        for l in 0..self.n_layer {
            let p = format!("blocks.{l}");
            v.extend(norm(&format!("{p}.ln1")));
            let attn = format!("{p}.attn");
            v.extend(CausalSelfAttention::specs(&attn, d, std, proj_std, !llama));
            v.extend(norm(&format!("{p}.ln2")));
            let (mlp, f) = (format!("{p}.mlp"), self.d_ff);
            v.extend(match self.arch {
                Arch::Gpt => Mlp::specs(&mlp, d, f, std, proj_std),
                Arch::Llama => SwiGlu::specs(&mlp, d, f, std, proj_std),
            });
        }
        v.extend(norm("ln_f"));
        let head = Linear::specs("lm_head", self.d_model, self.vocab, false, std);
        v.extend(head.into_iter().map(ParamSpec::outer));
        v
    }

    /// Number of trainable scalars.
    pub fn param_count(&self) -> usize {
        self.param_specs()
            .iter()
            .map(|s| s.shape.iter().product::<usize>())
            .sum()
    }

    /// Checks, before anything is allocated, that a model of this shape at `batch` fits the
    /// adapter's buffer and dispatch limits. Returns the estimated GPU memory in bytes.
    pub fn check_fits(&self, batch: usize, limits: &wgpu::Limits) -> Result<u64> {
        if batch == 0 {
            return Err(Error::InvalidConfig("batch must be at least 1".into()));
        }
        let rows = batch as u64 * self.seq_len as u64;
        let d = self.d_model as u64;
        let f = self.d_ff as u64;
        let v = self.vocab as u64;
        let probs = batch as u64 * self.n_head as u64 * (self.seq_len as u64).pow(2);
        let params = ParamSet::planned_len(
            &self.param_specs(),
            limits.min_storage_buffer_offset_alignment,
        ) as u64;
        let largest = [
            ("flat parameter buffer", params),
            ("attention probabilities (batch x heads x seq^2)", probs),
            ("logits (batch x seq x vocab)", rows * v),
            ("MLP activations (batch x seq x d_ff)", rows * f),
            ("qkv activations (batch x seq x 3 d_model)", rows * 3 * d),
        ];
        let max_binding = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        for (what, words) in largest {
            if words * 4 > max_binding {
                return Err(Error::TooLarge(format!(
                    "the {what} needs {} MiB but this adapter binds at most {} MiB per buffer; \
                     reduce batch, seq_len or the model size",
                    (words * 4) >> 20,
                    max_binding >> 20
                )));
            }
        }
        let max_groups = limits.max_compute_workgroups_per_dimension as u64;
        for (what, groups) in [
            ("attention rows", (probs / self.seq_len as u64).div_ceil(64)),
            ("token rows", rows.div_ceil(32)),
            (
                "reduction partials",
                (params / reduce::CHUNK as u64).div_ceil(64),
            ),
        ] {
            if groups > max_groups {
                return Err(Error::TooLarge(format!(
                    "{what} need {groups} workgroups in one dimension, the adapter allows {max_groups}; \
                     reduce batch or seq_len"
                )));
            }
        }
        // Activations per block (see Transformer::new), plus parameters, gradients, two optimizer
        // states and the logits/loss buffers.
        let per_block = 9 * rows * d + 6 * rows * d + 4 * rows * f + 2 * probs + 4 * rows;
        let total_words =
            self.n_layer as u64 * per_block + 4 * params + 3 * rows * v + 4 * rows * d;
        Ok(total_words * 4)
    }
}
