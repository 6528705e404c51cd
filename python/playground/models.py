"""The playground's models in PyTorch, with the engine's exact semantics and parameter names (a
checkpoint's tensors load with `load_state_dict`): the character transformer (GPT-2 style, or
Llama style: rotary positions, RMSNorm, SwiGLU, no biases) and the CIFAR-style ResNet for
1x28x28 images."""
import contextlib
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    n_layer: int
    n_head: int
    d_model: int
    d_ff: int
    seq_len: int
    vocab: int
    arch: str = "gpt"


ROPE_BASE = 10000.0
NORM_EPS = 1e-5


def rotate(x):
    """Rotary position embedding of `x` [batch, heads, seq, head_dim] in the rotate-half layout:
    channel j < head_dim / 2 pairs with j + head_dim / 2 and turns by pos * base^(-2j / head_dim)."""
    t, hd = x.shape[-2], x.shape[-1]
    half = hd // 2
    inv_freq = 1.0 / ROPE_BASE ** (torch.arange(half, device=x.device, dtype=x.dtype) * 2 / hd)
    angle = torch.arange(t, device=x.device, dtype=x.dtype)[:, None] * inv_freq[None, :]
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.n_head = c.n_head
        self.llama = c.arch == "llama"
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model, bias=not self.llama)
        self.proj = nn.Linear(c.d_model, c.d_model, bias=not self.llama)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        hd = d // self.n_head
        q, k, v = (z.view(b, t, self.n_head, hd).transpose(1, 2) for z in (q, k, v))
        if self.llama:
            q, k = rotate(q), rotate(k)
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


class SwiGLU(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.gate = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.up = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.down = nn.Linear(c.d_ff, c.d_model, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


def norm(c: GPTConfig):
    if c.arch == "llama":
        return nn.RMSNorm(c.d_model, eps=NORM_EPS)
    return nn.LayerNorm(c.d_model)


class Block(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.ln1 = norm(c)
        self.attn = Attention(c)
        self.ln2 = norm(c)
        self.mlp = SwiGLU(c) if c.arch == "llama" else MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Pre-norm transformer: token (+ position, GPT) embeddings, blocks, final norm, untied
    head."""

    def __init__(self, c: GPTConfig):
        super().__init__()
        self.config = c
        self.wte = nn.Embedding(c.vocab, c.d_model)
        if c.arch != "llama":
            self.wpe = nn.Embedding(c.seq_len, c.d_model)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = norm(c)
        self.lm_head = nn.Linear(c.d_model, c.vocab, bias=False)

    def forward(self, idx, targets=None):
        t = idx.shape[1]
        x = self.wte(idx)
        if self.config.arch != "llama":
            x = x + self.wpe(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        # Unscored targets (-1: a puzzle's question tokens) are left out of the mean.
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """He et al. (2016)'s CIFAR ResNet: 3x3 stem (16*width channels) + BN + ReLU, three stages of
    `blocks_per_stage` basic blocks (16/32/64 times width channels, stride 1/2/2), projection
    shortcuts where the shape changes, global average pooling, a linear classifier."""

    def __init__(self, blocks_per_stage=1, width=1, classes=10, in_channels=1, image_size=28):
        super().__init__()
        c = [16 * width, 32 * width, 64 * width]
        self.conv1 = nn.Conv2d(in_channels, c[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0])
        layers, cin = [], c[0]
        for i, cout in enumerate(c):
            blocks = []
            for b in range(blocks_per_stage):
                blocks.append(BasicBlock(cin, cout, 2 if (i > 0 and b == 0) else 1))
                cin = cout
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(c[2], classes)

    def forward(self, x, targets=None):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        logits = self.fc(out)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits, targets)


@contextlib.contextmanager
def running_stats_frozen(model: nn.Module):
    """Batch statistics without touching the running ones: the engine's `TrainNoUpdate` mode, used
    for IRE's Fisher refresh, SAM's second pass and the probes. The statistics are put back
    exactly as they were."""
    saved = [(m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
             for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    try:
        yield
    finally:
        with torch.no_grad():
            for m, mean, var, count in saved:
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)


def build(family: str, config: dict) -> nn.Module:
    """The model a checkpoint's `family` and `config` metadata describe."""
    if family == "transformer":
        # Checkpoints from before the Llama preset carry no `arch`: GPT.
        keys = [k for k in GPTConfig.__dataclass_fields__ if k in config]
        return GPT(GPTConfig(**{k: config[k] for k in keys}))
    if family == "resnet":
        keys = ("blocks_per_stage", "width", "classes", "in_channels", "image_size")
        return ResNet(**{k: config[k] for k in keys})
    raise ValueError(f"unknown model family '{family}'")
