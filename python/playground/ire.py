"""IRE's Fisher refresh and mask (src/optim/ire.rs, shaders/fisher.wgsl, select.wgsl,
ire_mask.wgsl): labels sampled from the model's own softmax with the engine's hashed uniforms,
the gradient of the mean loss on them, `h = beta * h + (1 - beta) * rows * g^2`, and the mask of
the `floor(gamma * n)` smallest values of h over all parameters together, ties included."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .rng import uniform_at

f32 = np.float32
PROBE_STREAM = 0x8000_0000
# Added to the run's seed for the random mask rule's stream (RANDOM_MASK_SALT in src/optim/ire.rs).
RANDOM_MASK_SALT = 0x9E37_79B9


def sample_labels(logits: torch.Tensor, seed: int, counter: int, first_row: int) -> torch.Tensor:
    """One label per row of `logits` [rows, classes] by inverse CDF on `uniform_at(seed, counter,
    first_row + r)`, accumulated in the engine's order."""
    rows, classes = logits.shape
    with torch.no_grad():
        e = torch.exp(logits.float() - logits.float().max(dim=1, keepdim=True).values)
        cumulative = torch.cumsum(e, dim=1)
        index = np.arange(first_row, first_row + rows, dtype=np.uint32)
        u = torch.from_numpy(uniform_at(seed, counter, index)).to(logits.device)
        u = u * cumulative[:, -1]
        above = cumulative > u[:, None]
        chosen = torch.where(above.any(dim=1), above.int().argmax(dim=1), classes - 1)
    return chosen


class IreState:
    """The Fisher estimate and mask over the flat parameters, and the statistics of the latest
    refresh (what the probes report)."""

    def __init__(self, cfg: dict, sizes: list, device, seed: int):
        n = sum(sizes)
        self.cfg = cfg
        self.seed = seed
        self.sizes = sizes
        self.fisher = torch.zeros(n, device=device)
        self.mask = torch.zeros(n, device=device)
        self.stats = None

    def state_tensors(self) -> dict:
        return {"ire.fisher": self.fisher, "ire.mask": self.mask}

    def update(self, grads: torch.Tensor, rows: int, counter: int) -> None:
        """Folds a sampled-label gradient into the estimate and recomputes the mask (refresh
        `counter` draws the random rule's mask)."""
        beta = f32(self.cfg["fisher_beta"])
        coef = float((f32(1) - beta) * f32(rows))
        self.fisher = float(beta) * self.fisher + coef * grads * grads
        n = self.fisher.numel()
        k = math.floor(float(f32(self.cfg["gamma"])) * n)
        if self.cfg.get("mask_rule", "fisher") == "random":
            seed = (self.seed + RANDOM_MASK_SALT) & 0xFFFFFFFF
            u = uniform_at(seed, counter, np.arange(n, dtype=np.uint32))
            drawn = torch.from_numpy(u < f32(self.cfg["gamma"]))
            self.mask = drawn.to(self.fisher.device, torch.float32)
        elif k == 0:
            self.mask = torch.zeros_like(self.fisher)
        else:
            threshold = torch.kthvalue(self.fisher, k).values
            self.mask = (self.fisher <= threshold).float()
        self.compute_stats()

    def compute_stats(self) -> None:
        """The statistics the probes report: Fisher trace, mask and below-eps counts per tensor."""
        n = self.fisher.numel()
        total = self.fisher.sum()
        cutoff = float(f32(self.cfg["eps_rel"])) * total / float(f32(n))
        below = (self.fisher < cutoff).float()
        self.stats = {
            "fisher_trace": float(total),
            "mask_counts": [float(c.sum()) for c in self.mask.split(self.sizes)],
            "below_counts": [float(c.sum()) for c in below.split(self.sizes)],
        }


def sampled_label_loss(logits: torch.Tensor, seed: int, counter: int, first_row: int, targets=None):
    """The mean cross-entropy on labels drawn from the model's own predictions, over the rows
    the batch scores (those whose target is not -1)."""
    flat = logits.reshape(-1, logits.shape[-1])
    labels = sample_labels(flat.detach(), seed, counter, first_row)
    if targets is not None:
        labels = torch.where(targets.reshape(-1) < 0, torch.full_like(labels, -1), labels)
    return F.cross_entropy(flat, labels, ignore_index=-1)
