"""The playground's models in PyTorch, with the engine's exact semantics and parameter names (a
checkpoint's tensors load with `load_state_dict`): the GPT-style character transformer and the
CIFAR-style ResNet for 1x28x28 images."""
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
    """Pre-LayerNorm GPT: token + position embeddings, blocks, final LayerNorm, untied head."""

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
        return GPT(GPTConfig(**{k: config[k] for k in GPTConfig.__dataclass_fields__}))
    if family == "resnet":
        keys = ("blocks_per_stage", "width", "classes", "in_channels", "image_size")
        return ResNet(**{k: config[k] for k in keys})
    raise ValueError(f"unknown model family '{family}'")
