"""Reads experiment logs, from `runs/<experiment>/` folders or straight from the committed
archives (docs/results/logs/*.tar.xz, docs/results/experiment-logs.tar.gz), without extracting."""
import json
import math
import os
import re
import tarfile
from collections import defaultdict

import numpy as np

RUN_RE = re.compile(r"^(?P<arm>[a-z0-9.-]+?)_lr(?P<lr>[0-9.e+-]+)_s(?P<seed>\d+)\.jsonl$")


class Run:
    """One run's log: step losses, evaluations, probes, and its configuration (from `.done`)."""

    def __init__(self, text, config):
        steps, losses, evals, probes = [], [], [], []
        for line in text.splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a half-written last line
            if "loss" in r:
                steps.append(r["step"])
                losses.append(math.nan if r["loss"] is None else r["loss"])
            elif "val_loss" in r:
                evals.append((r["step"], r["val_loss"], r.get("val_acc")))
            elif "fisher_trace" in r:
                probes.append(r)
        self.steps = np.array(steps)
        self.loss = np.array(losses, dtype=float)
        self.evals = evals
        self.probes = probes
        self.config = config

    @property
    def total(self):
        return self.config["steps"]

    def complete(self):
        return len(self.loss) >= self.total and bool(np.all(np.isfinite(self.loss)))

    def final_train(self):
        """Mean training loss of the last 10% of steps (inf if diverged or short)."""
        if not self.complete():
            return np.inf
        return float(self.loss[-max(self.total // 10, 1):].mean())

    def final_val(self):
        return self.evals[-1][1] if self.evals else np.nan

    def final_acc(self):
        acc = self.evals[-1][2] if self.evals else None
        return np.nan if acc is None else acc

    def probe_series(self, key):
        """(steps, values) of a probe quantity (lambda_max, trace, ...)."""
        pts = [(p["step"], p[key]) for p in self.probes if p.get(key) is not None]
        return [s for s, _ in pts], [v for _, v in pts]


class Experiment:
    """The runs of one experiment by (arm, lr, seed), and its plan's summary.json if any."""

    def __init__(self, name):
        self.name = name
        self.runs = {}
        self.summary = None

    def setting(self, arm, lr):
        """seed -> run of one (arm, lr)."""
        return {s: r for (a, l, s), r in self.runs.items() if a == arm and same_lr(l, lr)}

    def arms(self):
        return sorted({a for a, _, _ in self.runs})

    def lrs(self, arm=None):
        return sorted({l for a, l, _ in self.runs if arm is None or a == arm})


def same_lr(a, b):
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def _members(source):
    """(experiment, file name, bytes) of every file in a runs folder or a tar archive."""
    if os.path.isdir(source):
        for exp in sorted(os.listdir(source)):
            d = os.path.join(source, exp)
            if os.path.isdir(d):
                for name in sorted(os.listdir(d)):
                    path = os.path.join(d, name)
                    if os.path.isfile(path):
                        with open(path, "rb") as f:
                            yield exp, name, f.read()
    else:
        with tarfile.open(source) as tar:
            for m in tar.getmembers():
                parts = m.name.split("/")
                if m.isfile() and len(parts) >= 2:
                    yield parts[-2], parts[-1], tar.extractfile(m).read()


def load(sources):
    """Every experiment found in `sources` (folders or archives), by name."""
    files = defaultdict(dict)
    for source in sources:
        for exp, name, data in _members(source):
            files[exp][name] = data
    out = {}
    for exp, named in files.items():
        e = Experiment(exp)
        if "summary.json" in named:
            e.summary = json.loads(named["summary.json"])
        for name, data in named.items():
            m = RUN_RE.match(name)
            done = name[:-len(".jsonl")] + ".done"
            if m and done in named:
                e.runs[(m["arm"], float(m["lr"]), int(m["seed"]))] = Run(
                    data.decode(), json.loads(named[done]))
        if e.runs:
            out[exp] = e
    return out


def smooth(x, k):
    """Trailing moving average over k steps (shorter at the start)."""
    if len(x) == 0 or k <= 1:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = np.empty_like(x)
    k = min(k, len(x))
    out[k - 1:] = (c[k:] - c[:-k]) / k
    out[:k - 1] = c[1:k] / np.arange(1, k)
    return out


def mean_std(values):
    v = np.array([x for x in values], dtype=float)
    if len(v) == 0:
        return np.nan, np.nan
    return float(v.mean()), float(v.std())


def fmt(mean, std, digits=3):
    if mean is None or not np.isfinite(mean):
        return "diverged"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
