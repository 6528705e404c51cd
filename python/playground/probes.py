"""The sharpness probes (src/probe/): the top Hessian eigenvalue by power iteration, warm-started
from the previous probe's vector, and Hutchinson's trace estimate with Rademacher vectors from the
engine's hash (the same vectors at every probe). Hessian-vector products here are exact (double
backward); the engine takes central differences with a step of `eps`, which agree to well under
1% at playground scale. BatchNorm uses batch statistics without updating the running ones."""
import numpy as np
import torch

from .models import running_stats_frozen
from .rng import Rng, uniform_at


def _start_vector(run) -> torch.Tensor:
    rng = Rng(run.seed).fork(4)
    v = torch.tensor([rng.normal() for _ in range(sum(run.sizes))], dtype=torch.float32)
    return (v / torch.linalg.vector_norm(v)).to(run.device)


def sharpness(run, x, y, cfg: dict, power_vector):
    """(lambda_max, trace, the power vector to keep) on the batch (x, y)."""
    if cfg["power_iters"] == 0 and cfg["hutchinson_samples"] == 0:
        return None, None, power_vector
    with running_stats_frozen(run.model):
        _, loss = run.model(x, y)
        grads = torch.autograd.grad(loss, run.params, create_graph=True)
        flat_grad = torch.cat([g.reshape(-1) for g in grads])

        def hvp(v):
            hv = torch.autograd.grad(flat_grad @ v, run.params, retain_graph=True)
            return torch.cat([h.reshape(-1) for h in hv]).detach()

        lam = None
        v = power_vector if power_vector is not None else _start_vector(run)
        for _ in range(cfg["power_iters"]):
            hv = hvp(v)
            lam = float(v @ hv)
            norm = torch.linalg.vector_norm(hv)
            if float(norm) > 0 and torch.isfinite(norm):
                v = hv / norm
        trace = None
        samples = cfg["hutchinson_samples"]
        if samples:
            index = np.arange(sum(run.sizes), dtype=np.uint32)
            total = 0.0
            for s in range(samples):
                u = uniform_at(run.seed, s, index)
                z = torch.from_numpy(np.where(u < 0.5, 1.0, -1.0).astype(np.float32)).to(run.device)
                total += float(z @ hvp(z))
            trace = total / samples
    return lam, trace, v
