"""The engine's update rules on flat float32 vectors (shaders/optimizer.wgsl, shaders/muon.wgsl,
src/optim/): the learning-rate schedule, global-norm clipping, AdamW, SGD with momentum, Lion,
Muon, and IRE's amplification `theta += delta * (1 + kappa * mask)` of the base step `delta`."""
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


NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # src/optim/muon.rs
NS_STEPS = 5
NS_EPS = 1e-7


def newton_schulz(u: torch.Tensor) -> torch.Tensor:
    """Muon's orthogonalisation of the matrix `u` in float32, as shaders/muon.wgsl: divide by
    max(||u||_F, eps), then X <- a X + (b A + c A A) X with A = X X^T, in the wide orientation."""
    a, b, c = (float(f32(v)) for v in NS_COEFFICIENTS)
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u
    x = x / torch.clamp(torch.sqrt((x * x).sum()), min=float(f32(NS_EPS)))
    for _ in range(NS_STEPS):
        gram = x @ x.T
        poly = b * gram + c * (gram @ gram)
        x = a * x + poly @ x
    return x.T if tall else x


class BaseOptimizer:
    """The base optimizers on the flat parameter vector (declaration order), weight decay only
    where `decay_mask` is 1: AdamW (decoupled decay, bias-corrected), SGD with momentum and
    coupled L2 decay, Lion, and Muon on `matrices` (each `(offset, rows, cols)`: the hidden
    layers' weights) with AdamW at `aux_lr` elsewhere."""

    def __init__(self, cfg: dict, n: int, decay_mask: torch.Tensor, device, matrices=()):
        self.cfg = cfg
        self.kind = cfg["kind"]
        self.steps_taken = 0
        self.decay = decay_mask * float(f32(cfg["weight_decay"]))
        self.matrices = list(matrices)
        self.roles = torch.zeros(n, device=device)
        for offset, rows, cols in self.matrices:
            self.roles[offset:offset + rows * cols] = 1.0
        self.state1 = torch.zeros(n, device=device)
        two = self.kind in ("adamw", "muon")
        self.state2 = torch.zeros(n, device=device) if two else None

    def state_tensors(self) -> dict:
        out = {"optimizer.state1": self.state1}
        if self.state2 is not None:
            out["optimizer.state2"] = self.state2
        return out

    def _adamw(self, p, g, lr32):
        """AdamW's new parameters at learning rate `lr32`; advances both moments."""
        c = self.cfg
        b1, b2 = f32(c["beta1"]), f32(c["beta2"])
        self.state1 = float(b1) * self.state1 + float(f32(1) - b1) * g
        self.state2 = float(b2) * self.state2 + float(f32(1) - b2) * g * g
        t = min(self.steps_taken, 2**31 - 1)
        bc1 = f32(1) - b1**t
        bc2_sqrt = np.sqrt(f32(1) - b2**t, dtype=f32)
        new = p * (1 - float(lr32) * self.decay)
        denom = torch.sqrt(self.state2) / float(bc2_sqrt) + float(f32(c["eps"]))
        return new - float(f32(lr32 / bc1)) * self.state1 / denom

    def _sgd(self, p, g, lr32):
        g = g + self.decay * p
        self.state1 = float(f32(self.cfg["momentum"])) * self.state1 + g
        return p - float(lr32) * self.state1

    def _lion(self, p, g, lr32):
        b1, b2 = f32(self.cfg["beta1"]), f32(self.cfg["beta2"])
        interpolated = float(b1) * self.state1 + float(f32(1) - b1) * g
        self.state1 = float(b2) * self.state1 + float(f32(1) - b2) * g
        return p * (1 - float(lr32) * self.decay) - float(lr32) * torch.sign(interpolated)

    def _muon(self, p, g, lr32):
        mu = f32(self.cfg["momentum"])
        on = self.roles != 0
        buf = torch.lerp(self.state1, g, float(f32(1) - mu))
        update = torch.lerp(g, buf, float(mu))
        for offset, rows, cols in self.matrices:
            end = offset + rows * cols
            scale = float(np.sqrt(max(f32(1), f32(rows) / f32(cols)), dtype=f32))
            update[offset:end] = scale * newton_schulz(update[offset:end].view(rows, cols)).reshape(-1)
        muon_new = p * (1 - float(lr32) * self.decay) - float(lr32) * update
        aux_scale = f32(self.cfg["aux_lr"]) / f32(self.cfg["lr"])
        adam_new = self._adamw(p, g, f32(lr32 * aux_scale))
        self.state1 = torch.where(on, buf, self.state1)
        # On Muon's coordinates the second state holds the scaled orthogonal update (scratch).
        self.state2 = torch.where(on, update, self.state2)
        return torch.where(on, muon_new, adam_new)

    def step(self, p, grads, clip, lr, kappa, mask):
        """The new flat parameters; also advances the optimizer's state. `p` is not modified.
        Scalars are rounded to f32 first, as the engine holds them."""
        g = grads * clip
        rule = {"adamw": self._adamw, "sgd": self._sgd, "sam": self._sgd, "lion": self._lion,
                "muon": self._muon}[self.kind]
        new = rule(p, g, f32(lr))
        if kappa != 0:
            new = p + (new - p) * (1 + float(f32(kappa)) * mask)
        return new
