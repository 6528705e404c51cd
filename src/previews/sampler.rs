//! Text sampled from a transformer while it trains. A batch-1 copy of the model receives the
//! trainer's current weights by a GPU-side buffer copy, runs one forward pass per character, and
//! its logits come back through a readback ring: nothing waits on the GPU, so the UI can ask for
//! a character every frame.

use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, ReadbackRing};
use crate::models::{Transformer, TransformerConfig};
use crate::nn::ParamSet;
use crate::rng::Rng;

/// Generates text one character per submission from the latest weights of a training model.
pub struct TextSampler {
    ctx: GpuContext,
    model: Transformer,
    ring: ReadbackRing,
    vocab: Vocab,
    rng: Rng,
    tokens: Vec<u32>,
    prompt_len: usize,
    /// Row of the logits that holds the prediction for the pending submission.
    pending_row: Option<usize>,
    /// Softmax temperature; 0 picks the most likely character.
    pub temperature: f32,
    /// Characters kept after the prompt; older ones scroll away.
    pub max_chars: usize,
}

impl TextSampler {
    /// Builds the batch-1 model for `config` (the trainer's model shape).
    pub fn new(
        ctx: &GpuContext,
        config: TransformerConfig,
        vocab: Vocab,
        seed: u64,
    ) -> Result<Self> {
        if vocab.len() != config.vocab {
            return Err(Error::InvalidConfig(format!(
                "sampler vocabulary {} != model vocabulary {}",
                vocab.len(),
                config.vocab
            )));
        }
        let model = Transformer::new(ctx, config, 1, 0.0)?;
        let ring = ReadbackRing::new(ctx, 1, model.head.logits.len);
        let mut sampler = Self {
            ctx: ctx.clone(),
            model,
            ring,
            vocab,
            rng: Rng::new(seed).fork(7),
            tokens: Vec::new(),
            prompt_len: 0,
            pending_row: None,
            temperature: 0.8,
            max_chars: 600,
        };
        sampler.restart("\n")?;
        Ok(sampler)
    }

    /// Starts a new text from `prompt` (characters outside the vocabulary are an error).
    pub fn restart(&mut self, prompt: &str) -> Result<()> {
        let mut tokens = self.vocab.encode(prompt)?;
        if tokens.is_empty() {
            tokens.push(0);
        }
        self.prompt_len = tokens.len();
        self.tokens = tokens;
        Ok(())
    }

    /// Whether a character is being computed.
    pub fn is_pending(&self) -> bool {
        self.pending_row.is_some()
    }

    /// Queues the next character: copies `weights` (which must have this model's shape) and runs
    /// the forward pass on the last `seq_len` characters. Does nothing while one is pending.
    pub fn submit(&mut self, weights: &ParamSet) -> Result<()> {
        if self.is_pending() {
            return Ok(());
        }
        let own = &self.model.params.params;
        if weights.params.len != own.len {
            return Err(Error::InvalidConfig(
                "the sampler and the trained model differ in shape".into(),
            ));
        }
        let seq = self.model.config.seq_len;
        let window = &self.tokens[self.tokens.len().saturating_sub(seq)..];
        let mut input = window.to_vec();
        // Causal attention: positions after the window do not affect its last row.
        input.resize(seq, 0);
        self.model.tokens.write(&self.ctx, &input);

        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        weights.params.record_copy_to(&mut encoder, own);
        self.model.forward_plan().record(&mut encoder);
        let slot = self.ring.record_copy(&mut encoder, &self.model.head.logits);
        self.ctx.submit(encoder.finish());
        self.ring.submitted(&self.ctx, slot, 0);
        self.pending_row = Some(window.len() - 1);
        Ok(())
    }

    /// Collects the pending character if it has arrived (never blocks); returns it.
    pub fn poll(&mut self) -> Result<Option<char>> {
        let Some(row) = self.pending_row else {
            return Ok(None);
        };
        let Some((_, logits)) = self.ring.drain(&self.ctx)?.pop() else {
            return Ok(None);
        };
        self.pending_row = None;
        let vocab = self.model.config.vocab;
        let token = self.pick(&logits[row * vocab..(row + 1) * vocab]);
        self.tokens.push(token);
        let excess = self
            .tokens
            .len()
            .saturating_sub(self.prompt_len + self.max_chars);
        if excess > 0 {
            self.tokens.drain(self.prompt_len..self.prompt_len + excess);
        }
        Ok(self.vocab.decode(&[token]).chars().next())
    }

    /// The prompt and everything generated since (most recent `max_chars`).
    pub fn text(&self) -> String {
        self.vocab.decode(&self.tokens)
    }

    fn pick(&mut self, logits: &[f32]) -> u32 {
        let argmax = super::argmax(logits);
        if self.temperature <= 0.0 || logits.iter().any(|v| !v.is_finite()) {
            return argmax as u32;
        }
        let max = logits[argmax];
        let weights: Vec<f32> = logits
            .iter()
            .map(|&v| ((v - max) / self.temperature).exp())
            .collect();
        let mut target = self.rng.uniform() * weights.iter().sum::<f32>();
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i as u32;
            }
            target -= w;
        }
        argmax as u32
    }
}
