//! Causal character transformer, GPT-2 or Llama style (python/playground/models.py is its
//! PyTorch twin): Llama's blocks swap learned positions for rotary ones, LayerNorm for RMSNorm,
//! the GELU feed-forward for SwiGLU, and drop the biases.
//!
//! Everything is allocated in [`Transformer::new`], which also records the dispatch plans: a
//! training step replays `train_plan` (forward, loss, backward, gradient norm) and the
//! optimizer's plan in one submission.

use super::{Arch, TransformerConfig};
use super::{ClassifierHead, Scoring};
use crate::data::{Batch, IGNORE};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Plan, Tensor};
use crate::kernels::attention::AttentionShape;
use crate::kernels::elementwise::residual_add;
use crate::kernels::embedding::{EmbeddingShape, TokenIndex};
use crate::nn::{CausalSelfAttention, Embedding, LayerNorm, Mlp, ParamSet, Sublayer, SwiGlu};

/// The model's normalisation layer `prefix` over `rows` rows.
fn norm(
    ctx: &GpuContext,
    params: &ParamSet,
    c: &TransformerConfig,
    prefix: &str,
    rows: usize,
) -> LayerNorm {
    match c.arch {
        Arch::Gpt => LayerNorm::new(ctx, params, prefix, rows, c.d_model),
        Arch::Llama => LayerNorm::rms(ctx, params, prefix, rows, c.d_model),
    }
}

/// One pre-norm block: `x + attn(ln1(x))`, then `+ mlp(ln2(.))`.
struct Block {
    ln1: LayerNorm,
    attn: CausalSelfAttention,
    ln2: LayerNorm,
    /// GPT's GELU feed-forward or Llama's SwiGLU.
    mlp: Box<dyn Sublayer>,
    ln1_out: Tensor,
    attn_out: Tensor,
    x_mid: Tensor,
    ln2_out: Tensor,
    mlp_out: Tensor,
    d_ln1_out: Tensor,
    d_x_mid: Tensor,
    d_ln2_out: Tensor,
}

impl Block {
    fn new(
        ctx: &GpuContext,
        params: &ParamSet,
        c: &TransformerConfig,
        l: usize,
        batch: usize,
    ) -> Self {
        let rows = batch * c.seq_len;
        let p = format!("blocks.{l}");
        let act = |name: &str| Tensor::zeros(ctx, name, rows * c.d_model);
        let shape = AttentionShape {
            batch,
            seq: c.seq_len,
            heads: c.n_head,
            head_dim: c.head_dim(),
        };
        let llama = c.arch == Arch::Llama;
        let (mlp, d, f) = (format!("{p}.mlp"), c.d_model, c.d_ff);
        Self {
            ln1: norm(ctx, params, c, &format!("{p}.ln1"), rows),
            attn: CausalSelfAttention::new(ctx, params, &format!("{p}.attn"), shape, llama),
            ln2: norm(ctx, params, c, &format!("{p}.ln2"), rows),
            mlp: match c.arch {
                Arch::Gpt => Box::new(Mlp::new(ctx, params, &mlp, [rows, d, f])),
                Arch::Llama => Box::new(SwiGlu::new(ctx, params, &mlp, [rows, d, f])),
            },
            ln1_out: act("ln1 out"),
            attn_out: act("attn out"),
            x_mid: act("residual mid"),
            ln2_out: act("ln2 out"),
            mlp_out: act("mlp out"),
            d_ln1_out: act("d ln1 out"),
            d_x_mid: act("d residual mid"),
            d_ln2_out: act("d ln2 out"),
        }
    }

    fn forward(&self, ctx: &GpuContext, x: &Tensor, out: &Tensor, plan: &mut Plan) {
        plan.push(self.ln1.forward(ctx, x, &self.ln1_out));
        for d in self.attn.forward(ctx, &self.ln1_out, &self.attn_out) {
            plan.push(d);
        }
        plan.push(residual_add(ctx, x, &self.attn_out, &self.x_mid));
        plan.push(self.ln2.forward(ctx, &self.x_mid, &self.ln2_out));
        for d in self.mlp.forward(ctx, &self.ln2_out, &self.mlp_out) {
            plan.push(d);
        }
        plan.push(residual_add(ctx, &self.x_mid, &self.mlp_out, out));
    }

    /// Given `d_out`, writes `d_x` (the residual stream's gradient at the block input).
    fn backward(
        &self,
        ctx: &GpuContext,
        x: &Tensor,
        d_out: &Tensor,
        d_x: &Tensor,
        plan: &mut Plan,
    ) {
        // The residual branch passes d_out straight through; LayerNorm backward adds it in.
        for d in self
            .mlp
            .backward(ctx, &self.ln2_out, d_out, &self.d_ln2_out)
        {
            plan.push(d);
        }
        for d in self.ln2.backward(
            ctx,
            &self.x_mid,
            &self.d_ln2_out,
            Some(d_out),
            &self.d_x_mid,
        ) {
            plan.push(d);
        }
        for d in self
            .attn
            .backward(ctx, &self.ln1_out, &self.d_x_mid, &self.d_ln1_out)
        {
            plan.push(d);
        }
        for d in self
            .ln1
            .backward(ctx, x, &self.d_ln1_out, Some(&self.d_x_mid), d_x)
        {
            plan.push(d);
        }
    }
}

/// The model, its buffers and its prebuilt plans.
pub struct Transformer {
    /// Shape.
    pub config: TransformerConfig,
    /// Sequences per batch the buffers were sized for.
    pub batch: usize,
    /// Parameters and gradients.
    pub params: ParamSet,
    /// Input token ids `[batch * seq_len]`.
    pub tokens: Tensor,
    /// Where each token occurs in the batch (for the embedding gradient), written with it.
    pub token_index: TokenIndex,
    /// Logits over the vocabulary per token position, targets, losses and scalars.
    pub head: ClassifierHead,
    /// Token rows per batch (`batch * seq_len`).
    pub rows: usize,
    train_plan: Plan,
    eval_plan: Plan,
    forward_plan: Plan,
    backward_plan: Plan,
    grad_norm_plan: Plan,
}

impl Transformer {
    /// Checks the shape against the adapter's limits, then allocates everything and records the
    /// plans. `grad_clip <= 0` disables clipping (the norm is still computed for NaN detection).
    pub fn new(
        ctx: &GpuContext,
        config: TransformerConfig,
        batch: usize,
        grad_clip: f32,
    ) -> Result<Self> {
        let every_position = Scoring {
            scored_rows: batch * config.seq_len,
            accuracy: false,
        };
        Self::scored(ctx, config, (batch, grad_clip), every_position)
    }

    /// A transformer trained on a corpus of examples (a puzzle): each sequence's last
    /// `answers` positions are scored, and accuracy is measured.
    pub fn for_examples(
        ctx: &GpuContext,
        config: TransformerConfig,
        (batch, grad_clip): (usize, f32),
        answers: usize,
    ) -> Result<Self> {
        let answers_only = Scoring {
            scored_rows: batch * answers.min(config.seq_len),
            accuracy: true,
        };
        Self::scored(ctx, config, (batch, grad_clip), answers_only)
    }

    fn scored(
        ctx: &GpuContext,
        config: TransformerConfig,
        (batch, grad_clip): (usize, f32),
        scoring: Scoring,
    ) -> Result<Self> {
        config.validate()?;
        config.check_fits(batch, &ctx.limits)?;
        let c = config;
        let rows = batch * c.seq_len;
        let params = ParamSet::new(ctx, c.param_specs());
        let shape = EmbeddingShape {
            rows,
            seq: c.seq_len,
            dim: c.d_model,
            vocab: c.vocab,
        };
        let embedding = match c.arch {
            Arch::Gpt => Embedding::new(&params, shape),
            Arch::Llama => Embedding::tokens_only(&params, shape),
        };
        let blocks: Vec<Block> = (0..c.n_layer)
            .map(|l| Block::new(ctx, &params, &c, l, batch))
            .collect();
        let ln_f = norm(ctx, &params, &c, "ln_f", rows);

        let act = |name: &str| Tensor::zeros(ctx, name, rows * c.d_model);
        let xs: Vec<Tensor> = (0..=c.n_layer).map(|_| act("residual")).collect();
        let dxs: Vec<Tensor> = (0..=c.n_layer).map(|_| act("d residual")).collect();
        let final_norm = act("ln_f out");
        let d_final_norm = act("d ln_f out");
        let tokens = Tensor::zeros(ctx, "tokens", rows);
        let token_index = TokenIndex::new(ctx, rows, c.vocab);
        let head = ClassifierHead::new(
            ctx,
            &params,
            ("lm_head", c.d_model, false),
            (rows, c.vocab),
            scoring,
        );

        let mut forward = Plan::new();
        forward.push(embedding.forward(ctx, &tokens, &xs[0]));
        for (l, block) in blocks.iter().enumerate() {
            block.forward(ctx, &xs[l], &xs[l + 1], &mut forward);
        }
        forward.push(ln_f.forward(ctx, &xs[c.n_layer], &final_norm));
        forward.extend_dispatches(head.forward(ctx, &final_norm));
        let loss = head.train_plan(ctx);

        let mut backward = Plan::new();
        backward.extend_dispatches(head.backward(ctx, &final_norm, &d_final_norm));
        backward.extend_dispatches(ln_f.backward(
            ctx,
            &xs[c.n_layer],
            &d_final_norm,
            None,
            &dxs[c.n_layer],
        ));
        for (l, block) in blocks.iter().enumerate().rev() {
            block.backward(ctx, &xs[l], &dxs[l + 1], &dxs[l], &mut backward);
        }
        backward.push(embedding.backward(ctx, &token_index, &dxs[0]));

        let grad_norm = head.grad_norm_plan(ctx, &params, grad_clip);
        let eval_loss = head.eval_plan(ctx);

        Ok(Self {
            config,
            batch,
            rows,
            tokens,
            token_index,
            head,
            train_plan: Plan::concat(&[&forward, &loss, &backward, &grad_norm]),
            eval_plan: Plan::concat(&[&forward, &eval_loss]),
            backward_plan: backward,
            grad_norm_plan: grad_norm,
            forward_plan: forward,
            params,
        })
    }

    /// Backward pass from `dlogits` to every parameter gradient (no loss, no norm).
    pub fn backward_plan(&self) -> &Plan {
        &self.backward_plan
    }

    /// Global gradient norm, clip factor and NaN flag into `scalars`.
    pub fn grad_norm_plan(&self) -> &Plan {
        &self.grad_norm_plan
    }

    /// Forward, loss, backward and gradient norm: leaves gradients in `params.grads`, the mean
    /// loss in `scalars[LOSS]`, and the clip factor / NaN flag for the optimizer.
    pub fn train_plan(&self) -> &Plan {
        &self.train_plan
    }

    /// Forward and loss without gradients; adds the batch's mean loss to `scalars[EVAL_LOSS]`.
    pub fn eval_plan(&self) -> &Plan {
        &self.eval_plan
    }

    /// Forward to logits only (sampling).
    pub fn forward_plan(&self) -> &Plan {
        &self.forward_plan
    }

    /// Uploads a batch (queued for the next submission), checking sizes and token ids (a
    /// target may also be IGNORE: a puzzle's question tokens, unscored).
    pub fn set_batch(&self, ctx: &GpuContext, batch: &Batch) -> Result<()> {
        let rows = self.batch * self.config.seq_len;
        if batch.inputs.len() != rows || batch.targets.len() != rows {
            return Err(Error::Data(format!(
                "batch has {} inputs / {} targets, the model expects {rows}",
                batch.inputs.len(),
                batch.targets.len()
            )));
        }
        let vocab = self.config.vocab as u32;
        let targets = batch.targets.iter().filter(|&&t| t != IGNORE);
        if let Some(bad) = batch.inputs.iter().chain(targets).find(|&&t| t >= vocab) {
            return Err(Error::Data(format!(
                "token id {bad} is outside the vocabulary of {vocab}"
            )));
        }
        self.tokens.write(ctx, &batch.inputs);
        self.token_index.write(ctx, &batch.inputs);
        self.head.targets.write(ctx, &batch.targets);
        Ok(())
    }

    /// Replaces all parameters with `flat` (laid out as `params.arena`).
    pub fn load_flat(&self, ctx: &GpuContext, flat: &[f32]) {
        self.params.params.write(ctx, flat);
    }
}

// No running statistics: every pass is side-effect free, so the auxiliary plan is the training one.
super::network::impl_network!(Transformer, aux: train_plan);
