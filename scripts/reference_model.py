"""PyTorch reference of ire-playground's GPT-style character model.

Tensor names and layouts here are the checkpoint format: a checkpoint written by
`ire-playground train --save f.safetensors` loads with

    model = GPT(GPTConfig.from_metadata(safetensors.safe_open(f, "pt").metadata()))
    model.load_state_dict(load_weights(f))

(`load_weights` leaves out the training state the file also carries, under `train_state.`).
"""
import json
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


STATE_PREFIX = "train_state."


def load_weights(path):
    """The model's state dict from an ire-playground checkpoint: every tensor except the
    training state (optimizer moments, IRE's Fisher estimate, ...) stored under `train_state.`."""
    import safetensors.torch

    tensors = safetensors.torch.load_file(path)
    return {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)}


@dataclass
class GPTConfig:
    n_layer: int
    n_head: int
    d_model: int
    d_ff: int
    seq_len: int
    vocab: int

    @staticmethod
    def from_metadata(meta: dict) -> "GPTConfig":
        cfg = json.loads(meta["config"])
        return GPTConfig(**{k: cfg[k] for k in ("n_layer", "n_head", "d_model", "d_ff", "seq_len", "vocab")})


class Attention(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.n_head = c.n_head
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        hd = d // self.n_head
        q, k, v = (z.view(b, t, self.n_head, hd).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(c.d_model, c.d_ff)
        self.proj = nn.Linear(c.d_ff, c.d_model)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(c.d_model)
        self.attn = Attention(c)
        self.ln2 = nn.LayerNorm(c.d_model)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.config = c
        self.wte = nn.Embedding(c.vocab, c.d_model)
        self.wpe = nn.Embedding(c.seq_len, c.d_model)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.d_model)
        self.lm_head = nn.Linear(c.d_model, c.vocab, bias=False)

    def forward(self, idx, targets=None):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss
