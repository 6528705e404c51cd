"""A playground run continued in PyTorch: the engine's step (src/train/trainer/submit.rs) with the
same schedule, IRE switch and refresh timing, SAM, clipping, NaN handling, evaluations and probes,
on one process or sharded over torch.distributed ranks (the global batch split evenly, gradients
averaged by DistributedDataParallel, so that it stays the same run)."""
import contextlib
import math
import time

import numpy as np
import torch
import torch.distributed as dist

from . import checkpoint as ckpt_io
from .data import PUZZLE_PREFIX, Corpus, ExampleBatches, ImageBatches, ImageData, Puzzle, TextBatches
from .ire import PROBE_STREAM, IreState, sampled_label_loss
from .models import build, running_stats_frozen
from .optim import BaseOptimizer, clip_scale, ire_enabled_at, kappa_at, lr_at
from .probes import sharpness
from .rng import Rng

f32 = np.float32


def correct_share(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The share of scored predictions (targets not -1) whose arg-max is the target."""
    flat, targets = logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
    scored = targets >= 0
    right = (flat.argmax(-1) == targets) & scored
    return right.float().sum() / scored.sum().clamp(min=1)


class Diverged(Exception):
    """A NaN/Inf loss or gradient norm: the update was skipped and the run stops."""

    def __init__(self, step):
        super().__init__(f"the run diverged at step {step}")
        self.step = step


class Run:
    def __init__(self, ckpt: ckpt_io.Checkpoint, data_path: str, device: str = "cpu",
                 steps: int | None = None, eval_every: int | None = None):
        self.ckpt, self.device = ckpt, torch.device(device)
        self.cfg = dict(ckpt.train_config)
        if steps is not None:
            self.cfg["steps"] = steps
        if eval_every is not None:
            self.cfg["eval_every"] = eval_every
        if ckpt.step >= self.cfg["steps"]:
            raise ValueError(f"the checkpoint is at step {ckpt.step} and the run ends at step "
                             f"{self.cfg['steps']}: nothing to train (raise --steps)")
        self.rank, self.world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
        batch = self.cfg["batch"]
        if batch % self.world:
            raise ValueError(f"batch {batch} does not split evenly over {self.world} processes")
        self.local = batch // self.world

        self.model = build(ckpt.family, ckpt.config).to(self.device)
        self.model.load_state_dict({k: v for k, v in ckpt.tensors.items()}, strict=True)
        named = dict(self.model.named_parameters())
        order = [n for n, *_ in ckpt.parameters]
        if sorted(order) != sorted(named):
            raise ValueError("the checkpoint's parameter list does not match the model")
        self.names = order
        self.params = [named[n] for n in order]
        self.sizes = [p.numel() for p in self.params]
        decay = torch.cat([torch.full((p.numel(),), float(d)) for p, (_, d, _) in zip(self.params, ckpt.parameters)])
        self.ddp = self.model
        if self.world > 1:
            if ckpt.family == "resnet":
                if self.device.type != "cuda":
                    raise ValueError("ResNets need synchronised BatchNorm across processes, which "
                                     "PyTorch runs on GPUs only; train them in one process on a CPU")
                self.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

        # Muon's matrices: the hidden layers' weights (2-D or more, not an input or output
        # layer's), a convolution's filters as [out, in*k*k]; offsets in the flat vector.
        matrices, offset = [], 0
        for p, (_, _, outer) in zip(self.params, ckpt.parameters):
            if p.dim() >= 2 and not outer:
                matrices.append((offset, p.shape[0], p.numel() // p.shape[0]))
            offset += p.numel()
        self.opt = BaseOptimizer(self.cfg["optimizer"], sum(self.sizes), decay.to(self.device), self.device,
                                 matrices)
        self.seed = self.cfg["seed"]
        self.ire = IreState(self.cfg["ire"], self.sizes, self.device, self.seed)
        # Scored predictions per example: every position of text, a puzzle's answer, an image.
        self.scored_per_sample = 1
        self.accuracy = ckpt.family == "resnet"
        if ckpt.family == "transformer" and (ckpt.corpus or "").startswith(PUZZLE_PREFIX):
            puzzle = Puzzle(ckpt.corpus[len(PUZZLE_PREFIX):])
            if puzzle.vocab_size != len(ckpt.vocab):
                raise ValueError("the task's vocabulary differs from the checkpoint's")
            self.data = ExampleBatches(puzzle, batch, ckpt.config["seq_len"])
            self.rows_per_sample = ckpt.config["seq_len"]
            self.accuracy = True
        elif ckpt.family == "transformer":
            corpus = Corpus.from_file(data_path, ckpt.vocab)
            if corpus.vocab != ckpt.vocab:
                raise ValueError("the corpus's vocabulary differs from the checkpoint's")
            self.data = TextBatches(corpus, batch, ckpt.config["seq_len"])
            self.rows_per_sample = ckpt.config["seq_len"]
            self.scored_per_sample = self.rows_per_sample
        else:
            augment = bool(ckpt.host and ckpt.host.get("augment"))
            self.data = ImageBatches(ImageData(data_path), batch, augment)
            self.rows_per_sample = 1
        if self.data.eval_batches_available() < self.cfg["eval_batches"]:
            raise ValueError("the held-out split holds fewer evaluation batches than the run asks")
        self.probe_batch = self.data.train_batch(Rng(self.seed).fork(3))
        self.power_vector = None
        self.next_step = ckpt.step
        self.ire_on = ire_enabled_at(self.cfg["ire"], max(ckpt.step - 1, 0))
        self.last_refresh = None
        self.refreshes = [0, 0]
        self.data_rng = Rng(self.seed).fork(2 + ckpt.step)
        self.queued_events = []
        if ckpt.host is not None:
            self._restore(ckpt)

    def _restore(self, ckpt):
        h = ckpt.host
        if h["next_step"] != ckpt.step:
            raise ValueError("the checkpoint's state and step disagree")
        s = {k: v.to(self.device) for k, v in ckpt.state.items()}
        self.opt.state1 = s["optimizer.state1"]
        if self.opt.state2 is not None:
            self.opt.state2 = s["optimizer.state2"]
        self.ire.fisher, self.ire.mask = s["ire.fisher"], s["ire.mask"]
        self.power_vector = s.get("probe.power_vector")
        n = sum(self.sizes)
        for name, v in s.items():
            if v.numel() != n:
                raise ValueError(f"the checkpoint's {name} has {v.numel()} values, the model {n}")
        self.ire_on, self.last_refresh = h["ire_on"], h["last_ire_refresh"]
        self.data_rng = Rng.from_state(h["data_rng"])
        self.opt.steps_taken = h["optimizer_steps"]
        self.refreshes = list(h["ire_refreshes"])

    # ---- flat views of the parameters and gradients (declaration order) ----

    def flat_params(self):
        return torch.cat([p.detach().reshape(-1) for p in self.params])

    def flat_grads(self):
        return torch.cat([p.grad.reshape(-1) if p.grad is not None else torch.zeros_like(p).reshape(-1)
                          for p in self.params])

    def set_params(self, flat):
        with torch.no_grad():
            for p, chunk in zip(self.params, flat.split(self.sizes)):
                p.copy_(chunk.view_as(p))

    # ---- pieces of a step ----

    def _shard(self, batch):
        x, y = batch
        sl = slice(self.rank * self.local, (self.rank + 1) * self.local)
        return (torch.as_tensor(np.ascontiguousarray(x[sl])).to(self.device),
                torch.as_tensor(np.ascontiguousarray(y[sl])).to(self.device))

    def _mean_over_ranks(self, value: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            value = value.detach().clone()
            dist.all_reduce(value)
            value /= self.world
        return value

    def loss_and_grads(self, x, y, update_running: bool):
        """Mean loss over the global batch, its gradient (flat), the gradient's norm, and the
        share of scored predictions that were right (a tensor)."""
        for p in self.params:
            p.grad = None
        with contextlib.nullcontext() if update_running else running_stats_frozen(self.model):
            logits, loss = self.ddp(x, y)
            loss.backward()
        grads = self.flat_grads()
        acc = self._mean_over_ranks(correct_share(logits.detach(), y))
        return self._mean_over_ranks(loss.detach()), grads, torch.linalg.vector_norm(grads), acc

    def refresh(self, x, y, counter, model, first_row, rows):
        """IRE's Fisher refresh on (x) with sampled labels from stream `counter`, on the rows
        `y` scores (`rows` of them in the global batch)."""
        for p in self.params:
            p.grad = None
        with running_stats_frozen(self.model):
            logits, _ = model(x)
            sampled_label_loss(logits, self.seed, counter, first_row, y).backward()
        self.ire.update(self.flat_grads(), rows, counter)

    def set_ire(self, on: bool):
        if on != self.ire_on:
            self.ire_on = on
            self.queued_events.append({"step": self.next_step, "event": "ire_on" if on else "ire_off"})
            if on:
                self.last_refresh = None

    def ire_start(self):
        start = self.cfg["ire"].get("start")
        return self.cfg["warmup"] if start is None else start

    def train_step(self) -> list:
        """One step; returns the log rows it produced (events, the step, an evaluation, probes)."""
        started = time.perf_counter()
        step, cfg = self.next_step, self.cfg
        if step > 0 and step in cfg["ire"].get("toggle_at", []):
            self.set_ire(not self.ire_on)
        rows, self.queued_events = self.queued_events, []
        x, y = self._shard(self.data.train_batch(self.data_rng))
        lr = lr_at(cfg, step)
        active = self.ire_on and step >= self.ire_start()
        refresh = active and (self.last_refresh is None or step - self.last_refresh >= cfg["ire"]["mask_every"])
        kappa = kappa_at(cfg["ire"], lr, cfg["optimizer"]["lr"]) if active else 0.0
        self.opt.steps_taken += 1
        if refresh:
            self.refreshes[0] += 1
            self.last_refresh = step
            rows_local = self.local * self.rows_per_sample
            scored = self.local * self.scored_per_sample * self.world
            self.refresh(x, y, self.refreshes[0], self.ddp, self.rank * rows_local, scored)
        loss, grads, norm, acc = self.loss_and_grads(x, y, update_running=True)
        reported = loss
        if cfg["optimizer"]["kind"] == "sam":
            theta = self.flat_params()
            if float(norm) > 0 and math.isfinite(float(norm)):
                self.set_params(theta + float(f32(cfg["optimizer"]["rho"])) * grads / norm)
            loss, grads, norm, acc = self.loss_and_grads(x, y, update_running=False)
            self.set_params(theta)
        bad = not (math.isfinite(float(norm)) and math.isfinite(float(loss)))
        if not bad:
            scale = clip_scale(norm, cfg["grad_clip"])
            new = self.opt.step(self.flat_params(), grads, scale, lr, kappa, self.ire.mask)
            self.set_params(new)
        self.next_step += 1
        rows.append({"step": step + 1, "loss": float(reported), "lr": lr,
                     "ms": (time.perf_counter() - started) * 1e3, "grad_norm": float(norm),
                     "ire_kappa": kappa})
        if self.accuracy:
            rows[-1]["acc"] = float(acc)
        if bad:
            raise Diverged(step + 1)
        done, every = self.next_step, cfg["eval_every"]
        if done == cfg["steps"] or (every > 0 and done % every == 0):
            rows.append(self.evaluate())
        if cfg["probe_every"] > 0 and done % cfg["probe_every"] == 0:
            rows.append(self.probe())
        return rows

    def evaluate(self) -> dict:
        """Mean loss (and accuracy, for images) on the fixed held-out batches, in eval mode."""
        self.model.eval()
        losses, correct = [], []
        with torch.no_grad():
            for j in range(self.cfg["eval_batches"]):
                x, y = (torch.as_tensor(a).to(self.device) for a in self.data.eval_batch(j))
                logits, loss = self.model(x, y)
                losses.append(float(loss))
                correct.append(float(correct_share(logits, y)))
        self.model.train()
        row = {"step": self.next_step, "val_loss": float(np.mean(np.float32(losses)))}
        if self.accuracy:
            row["val_acc"] = float(np.mean(np.float32(correct)))
        return row

    def probe(self) -> dict:
        """Fisher statistics and flat counts (a refresh on the fixed probe batch when IRE is not
        acting, from the probes' own label stream), then lambda_max, the Hessian trace and the weights'
        L2 norm. Every rank computes it on the whole probe batch, so that their states stay equal."""
        step = self.next_step
        ire_active = self.ire_on and (step - 1) >= self.ire_start()
        x, y = (torch.as_tensor(a).to(self.device) for a in self.probe_batch)
        if not ire_active:
            self.refreshes[1] += 1
            self.refresh(x, y, PROBE_STREAM | self.refreshes[1], self.model, 0, int((y >= 0).sum()))
        elif self.ire.stats is None:
            self.ire.compute_stats()  # resumed: those of the latest refresh, before the save
        s, sh = self.ire.stats, self.cfg["sharpness"]
        lam, trace, self.power_vector = sharpness(self, x, y, sh, self.power_vector)
        row = {"step": step}
        if sh["power_iters"] > 0:
            row["lambda_max"] = lam
        if sh["hutchinson_samples"] > 0:
            row["trace"] = trace
        row.update({
            "weight_norm": float(torch.linalg.vector_norm(self.flat_params())),
            "fisher_trace": s["fisher_trace"],
            "flat_count": int(sum(s["mask_counts"])),
            "flat_fraction_by_tensor": {n: c / z for n, c, z in zip(self.names, s["mask_counts"], self.sizes)},
            "below_eps_count": int(sum(s["below_counts"])),
            "ire_active": ire_active,
        })
        return row

    def checkpoint(self) -> ckpt_io.Checkpoint:
        """The run's full state in the playground's format."""
        state = {**self.opt.state_tensors(), **self.ire.state_tensors()}
        if self.power_vector is not None:
            state["probe.power_vector"] = self.power_vector
        host = {
            "next_step": self.next_step,
            "ire_on": self.ire_on,
            "last_ire_refresh": self.last_refresh,
            "data_rng": self.data_rng.state,
            "optimizer_steps": self.opt.steps_taken,
            "ire_refreshes": list(self.refreshes),
            "augment": bool(self.ckpt.family == "resnet" and self.data.augment),
        }
        c = self.ckpt
        return ckpt_io.Checkpoint(
            family=c.family, config=c.config, config_json=c.config_json, vocab=c.vocab,
            step=self.next_step, train_config=self.cfg, parameters=c.parameters,
            tensors=self.model.state_dict(), host=host, state=state, corpus=c.corpus)
