"""Checkpoints in the playground's format (src/checkpoint/): the model's tensors under PyTorch
names, BatchNorm buffers, and the training state (optimizer moments, IRE's Fisher estimate and
mask, the probe vector, under `train_state.`; counters and generator states in the metadata).
A checkpoint written here resumes in the playground and the other way round."""
import json
import os
import tempfile
from dataclasses import dataclass, field

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT = "ire-playground/checkpoint-v3"
OLDER_FORMATS = ("ire-playground/checkpoint-v2", "ire-playground/transformer-v1")
STATE_PREFIX = "train_state."


@dataclass
class Checkpoint:
    family: str
    config: dict
    config_json: str
    vocab: str | None
    step: int
    train_config: dict
    parameters: list  # [(name, decayed, outer)] in declaration order (outer: input/output layer)
    tensors: dict  # the model's state dict (parameters and buffers)
    host: dict | None = None  # the `train_state` metadata: counters and generator states
    state: dict = field(default_factory=dict)  # flat training-state tensors by name
    corpus: str | None = None  # a user's text or a generated puzzle it trained on (None: Shakespeare)


def load(path: str) -> Checkpoint:
    """Reads a checkpoint; an older file without the parameter order is refused with a reason."""
    try:
        with safe_open(path, "pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises several types for a bad file
        raise ValueError(f"{path} is not a readable safetensors checkpoint: {e}") from e
    fmt = meta.get("format")
    if fmt in OLDER_FORMATS:
        raise ValueError(
            f"{path} is in the older format {fmt}; continue it for one step in the playground "
            "(`ire-playground train --resume ... --steps N+1 --save new.safetensors`) to rewrite it"
        )
    if fmt != FORMAT:
        raise ValueError(f"{path}: format is {fmt!r}, expected {FORMAT!r}")
    missing = [k for k in ("family", "config", "step", "train_config", "parameters") if k not in meta]
    if missing:
        raise ValueError(f"{path} lacks the metadata {missing}; not an ire-playground checkpoint")
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{path}: tensor {bad[0]} holds a non-finite value")
    state = {k[len(STATE_PREFIX):]: v for k, v in tensors.items() if k.startswith(STATE_PREFIX)}
    model_tensors = {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)}
    host = json.loads(meta["train_state"]) if "train_state" in meta else None
    return Checkpoint(
        family=meta["family"],
        config=json.loads(meta["config"]),
        config_json=meta["config"],
        vocab=meta.get("vocab"),
        step=int(meta["step"]),
        train_config=json.loads(meta["train_config"]),
        # A file from before the outer flag (two fields) predates Muon, which alone reads it.
        parameters=[(p[0], bool(p[1]), len(p) > 2 and bool(p[2])) for p in json.loads(meta["parameters"])],
        tensors=model_tensors,
        host=host,
        state=state,
        corpus=meta.get("corpus"),
    )


def save(path: str, ckpt: Checkpoint) -> None:
    """Writes `ckpt` atomically (a temporary file beside `path`, then a rename)."""
    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in ckpt.tensors.items()}
    for k in list(tensors):
        if k.endswith(".num_batches_tracked"):
            tensors[k] = torch.tensor(ckpt.step, dtype=torch.int64)
    for name, v in ckpt.state.items():
        tensors[STATE_PREFIX + name] = v.detach().to("cpu", torch.float32, copy=True).contiguous()
    meta = {
        "format": FORMAT,
        "family": ckpt.family,
        "config": ckpt.config_json,
        "step": str(ckpt.step),
        "train_config": json.dumps(ckpt.train_config),
        "parameters": json.dumps([list(p) for p in ckpt.parameters]),
    }
    if ckpt.vocab is not None:
        meta["vocab"] = ckpt.vocab
    if ckpt.corpus is not None:
        meta["corpus"] = ckpt.corpus
    if ckpt.host is not None:
        meta["train_state"] = json.dumps(ckpt.host)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
