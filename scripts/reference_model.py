"""PyTorch reference of ire-playground's GPT-style character model: the one definition in
python/playground/models.py (which `ire-playground export` ships), re-exported for the fixture
and benchmark scripts.

A checkpoint written by `ire-playground train --save f.safetensors` loads with

    model = GPT(GPTConfig.from_metadata(safetensors.safe_open(f, "pt").metadata()))
    model.load_state_dict(load_weights(f))

(`load_weights` leaves out the training state the file also carries, under `train_state.`).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from playground.checkpoint import STATE_PREFIX  # noqa: E402,F401
from playground.models import GPT, GPTConfig as _GPTConfig, rotate  # noqa: E402,F401


class GPTConfig(_GPTConfig):
    @staticmethod
    def from_metadata(meta: dict) -> "_GPTConfig":
        cfg = json.loads(meta["config"])
        return _GPTConfig(**{k: cfg[k] for k in _GPTConfig.__dataclass_fields__ if k in cfg})


def load_weights(path):
    """The model's state dict from an ire-playground checkpoint: every tensor except the
    training state (optimizer moments, IRE's Fisher estimate, ...) stored under `train_state.`."""
    import safetensors.torch

    tensors = safetensors.torch.load_file(path)
    return {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)}
