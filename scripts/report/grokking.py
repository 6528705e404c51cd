"""A first look at grokking (modular addition, a + b mod 97, 30% of the pairs trained on): AdamW
and AdmIRE at one learning rate, one seed (docs/results/logs/grokking-first-look.tar.xz, with the
commands in COMMANDS.txt). Not the experiment with a tuned base over seeds: a section saying what
one pair of runs shows, and a verdict row that says so."""
import json
import os

import matplotlib.pyplot as plt
import numpy as np

from .logs import _members, smooth

NAME = "grokking-first-look"
ARMS = (("adamw_lr3e-3_s0.jsonl", "AdamW"), ("admire_lr3e-3_s0.jsonl", "AdmIRE"))


def _curves(text):
    train, val = [], []
    for line in text.splitlines():
        r = json.loads(line)
        if "acc" in r:
            train.append((r["step"], r["acc"]))
        if "val_acc" in r:
            val.append((r["step"], r["val_acc"]))
    return np.array(train), np.array(val)


def _first(points, level):
    hit = [s for s, v in points if v >= level]
    return int(hit[0]) if hit else None


def section(sources, figs, Row):
    """(markdown, verdict rows), or (None, []) when the archive is not among `sources`."""
    files = {}
    for source in sources:
        if source.endswith(f"{NAME}.tar.xz"):
            files = {name: data for exp, name, data in _members(source) if exp == NAME}
    if not files:
        return None, []
    lines = [f"## A first look at grokking (modular addition, one seed)", "",
             "`tiny` on a + b mod 97 with 30% of the 9,409 pairs trained on, batch 512, 1,000 steps, "
             "lr 3e-3 (cosine after 100 warm-up steps), weight decay 1; AdmIRE with kappa 2, gamma "
             "0.9, mask every 10 steps. One seed, one learning rate, on lavapipe (commands in the "
             "archive's COMMANDS.txt). Train accuracy: 10-step mean of each batch's; validation: 4 "
             "fixed batches of 512 held-out pairs.", "",
             "| run | train accuracy reaches 99% at step | validation accuracy reaches 99% at step | final validation accuracy |",
             "|---|---|---|---|"]
    fig, ax = plt.subplots(1, 1, figsize=(8, 4))
    measured = {}
    for (file, arm), color in zip(ARMS, ("tab:blue", "tab:red")):
        train, val = _curves(files[file].decode())
        smoothed = list(zip(train[:, 0], smooth(train[:, 1], 10)))
        t99, v99 = _first(smoothed, 0.99), _first(val, 0.99)
        measured[arm] = (v99, val[-1, 1])
        lines.append(f"| {arm} | {t99 or 'not reached'} | {v99 or 'not reached'} | {100 * val[-1, 1]:.1f}% |")
        ax.plot(train[:, 0], 100 * smooth(train[:, 1], 10), color=color, label=f"{arm} train")
        ax.plot(val[:, 0], 100 * val[:, 1], "--", marker="o", ms=3, color=color, label=f"{arm} validation")
    ax.set_xlabel("step")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("modular addition: memorising vs generalising")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(figs, f"{NAME}.png"), dpi=110)
    plt.close(fig)
    lines += ["", f"![{NAME}](results/{NAME}.png)", "",
              "What it does not say yet: whether AdamW at another learning rate or weight decay "
              "groks as soon (IRE's amplified steps act in part as a larger step size), and how "
              "much of it holds over seeds. `experiment` has no plan for this yet."]
    (a_step, a_final), (i_step, i_final) = measured["AdamW"], measured["AdmIRE"]
    row = Row("IRE makes a transformer grok sooner (not in the paper; flatness is a usual suspect for when grokking happens)",
              "modular addition, AdamW vs AdmIRE at one untuned lr, 1 seed (a first look)",
              f"validation accuracy 99% at step {i_step or 'never'} with AdmIRE, "
              f"{a_step or 'never'} with AdamW (final {100 * i_final:.1f}% vs {100 * a_final:.1f}%)",
              "not tested yet (one seed, base not tuned)")
    return "\n".join(lines), [row]
