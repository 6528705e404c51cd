"""The engine's update rules on flat float32 vectors (shaders/optimizer.wgsl, src/optim/):
the learning-rate schedule, global-norm clipping, AdamW, SGD with momentum, and IRE's
amplification `theta += delta * (1 + kappa * mask)` of the base step `delta`."""
import math

import numpy as np
import torch

f32 = np.float32


def lr_at(cfg: dict, step: int) -> float:
    """Learning rate of 0-based `step` (src/optim/schedule.rs, in f32 like the engine)."""
    lr, min_lr = f32(cfg["optimizer"]["lr"]), f32(cfg["min_lr"])
    warmup, total, kind = cfg["warmup"], cfg["steps"], cfg.get("schedule", "cosine")
    if step < warmup:
        return float(lr * f32(step + 1) / f32(warmup))
    if kind == "constant":
        return float(lr)
    if kind == "step":
        drops = sum(step >= m for m in (total // 2, total * 3 // 4))
        return float(lr * f32(0.1) ** drops)
    if step >= total:
        return float(min_lr)
    span = f32(max(total - warmup, 1))
    progress = f32(step - warmup) / span
    cosine = f32(0.5) * (f32(1.0) + np.cos(f32(math.pi) * progress, dtype=f32))
    return float(min_lr + cosine * (lr - min_lr))


def ire_enabled_at(ire: dict, step: int) -> bool:
    """Whether IRE's switch is on at `step` after the scheduled toggles."""
    flips = sum(1 for t in ire.get("toggle_at", []) if t <= step)
    return bool(ire["enabled"]) ^ (flips % 2 == 1)


def kappa_at(ire: dict, lr: float, lr_max: float) -> float:
    if ire.get("prog_decay") and lr_max > 0:
        return float(f32(ire["kappa"]) * f32(lr) / f32(lr_max))
    return float(f32(ire["kappa"]))


def clip_scale(norm: torch.Tensor, clip: float) -> torch.Tensor:
    """min(1, clip / norm) when clipping is on and the norm exceeds it (reduce.wgsl)."""
    if clip > 0 and float(norm) > clip:
        return float(f32(clip)) / norm
    return torch.ones((), device=norm.device)


class BaseOptimizer:
    """AdamW (decoupled decay, bias-corrected) or SGD with momentum and coupled L2 decay, on the
    flat parameter vector; weight decay only where `decay_mask` is 1."""

    def __init__(self, cfg: dict, n: int, decay_mask: torch.Tensor, device):
        self.cfg = cfg
        self.kind = cfg["kind"]
        self.steps_taken = 0
        self.decay = decay_mask * float(f32(cfg["weight_decay"]))
        self.state1 = torch.zeros(n, device=device)
        self.state2 = torch.zeros(n, device=device) if self.kind == "adamw" else None

    def state_tensors(self) -> dict:
        out = {"optimizer.state1": self.state1}
        if self.state2 is not None:
            out["optimizer.state2"] = self.state2
        return out

    def step(self, p, grads, clip, lr, kappa, mask):
        """The new flat parameters; also advances the moments. `p` is not modified. Scalars are
        rounded to f32 first, as the engine holds them."""
        c = self.cfg
        lr32 = f32(lr)
        g = grads * clip
        if self.kind == "adamw":
            b1, b2 = f32(c["beta1"]), f32(c["beta2"])
            self.state1 = float(b1) * self.state1 + float(f32(1) - b1) * g
            self.state2 = float(b2) * self.state2 + float(f32(1) - b2) * g * g
            t = min(self.steps_taken, 2**31 - 1)
            bc1 = f32(1) - b1**t
            bc2_sqrt = np.sqrt(f32(1) - b2**t, dtype=f32)
            new = p * (1 - float(lr32) * self.decay)
            denom = torch.sqrt(self.state2) / float(bc2_sqrt) + float(f32(c["eps"]))
            new = new - float(f32(lr32 / bc1)) * self.state1 / denom
        else:
            g = g + self.decay * p
            self.state1 = float(f32(c["momentum"])) * self.state1 + g
            new = p - float(lr32) * self.state1
        if kappa != 0:
            new = p + (new - p) * (1 + float(f32(kappa)) * mask)
        return new
