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
              "much of it holds over seeds: `experiment grokking` (each arm at its own best "
              "learning rate, over seeds) answers both once its logs are in."]
    (a_step, a_final), (i_step, i_final) = measured["AdamW"], measured["AdmIRE"]
    row = Row("IRE makes a transformer grok sooner (not in the paper; flatness is a usual suspect for when grokking happens)",
              "modular addition, AdamW vs AdmIRE at one untuned lr, 1 seed (a first look)",
              f"validation accuracy 99% at step {i_step or 'never'} with AdmIRE, "
              f"{a_step or 'never'} with AdamW (final {100 * i_final:.1f}% vs {100 * a_final:.1f}%)",
              "not tested yet (one seed, base not tuned)")
    return "\n".join(lines), [row]


def _steps_to(run, level=0.99):
    hit = [s for s, _, acc in run.evals if acc is not None and acc >= level]
    return hit[0] if hit else None


def experiment_section(exp, figs, Row):
    """The `experiment grokking` study: each arm at its own best lr (summary.json), over seeds:
    steps to 99% validation accuracy, final validation accuracy, and lambda_max over time."""
    best = {arm: v["best_lr"] for arm, v in (exp.summary or {}).items()}
    if not best:
        return None, []
    cfg = next(iter(exp.runs.values())).config
    lines = ["## Does IRE make a transformer grok sooner? (`experiment grokking`)", "",
             f"Modular addition (a + b mod 97, 30% of the pairs trained on), `tiny` at batch {cfg['batch']} "
             f"for {cfg['steps']} steps, validation accuracy on 8 fixed batches every {cfg['eval_every']} steps; "
             "each arm swept over its own learning-rate grid and taken at its best by steps to 99% "
             "validation accuracy (a run that never gets there counts as the whole run plus its "
             "shortfall). Weight decay 1 for AdamW, 0.1 for Muon; IRE kappa 2, gamma 0.9. "
             "Mean ± std over the seeds that reached 99%.", "",
             "| arm | best lr | reached 99% validation accuracy | steps to 99% | final validation accuracy |",
             "|---|---|---|---|---|"]
    measured = {}
    fig, ax = plt.subplots(1, 2, figsize=(13, 4))
    colors = {"adamw": "tab:blue", "adamw-ire": "tab:red", "muon": "tab:green", "muon-ire": "tab:orange"}
    for arm in ("adamw", "adamw-ire", "muon", "muon-ire"):
        if arm not in best:
            continue
        runs = list(exp.setting(arm, best[arm]).values())
        steps = [s for s in (_steps_to(r) for r in runs) if s is not None]
        finals = [r.final_acc() for r in runs]
        mean = float(np.mean(steps)) if steps else None
        std = float(np.std(steps)) if steps else None
        measured[arm] = (len(steps), len(runs), mean, std)
        lines.append(f"| {arm} | {best[arm]:g} | {len(steps)}/{len(runs)} seeds | "
                     + (f"{mean:.0f} ± {std:.0f}" if steps else "never") + " | "
                     f"{100 * np.mean(finals):.1f} ± {100 * np.std(finals):.1f}% |")
        color = colors[arm]
        for i, r in enumerate(runs):
            xs = [s for s, _, a in r.evals]
            ax[0].plot(xs, [100 * a for _, _, a in r.evals], color=color, alpha=0.6,
                       label=f"{arm} lr {best[arm]:g}" if i == 0 else None)
            ps, lam = r.probe_series("lambda_max")
            if ps:
                ax[1].plot(ps, lam, color=color, alpha=0.6, label=f"{arm}" if i == 0 else None)
    ax[0].set_xlabel("step")
    ax[0].set_ylabel("validation accuracy (%)")
    ax[0].set_title("generalisation, each seed")
    ax[0].legend()
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("lambda_max (probe batch)")
    ax[1].set_yscale("log")
    ax[1].set_title("sharpness")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(figs, "grokking.png"), dpi=110)
    plt.close(fig)
    lines += ["", "![grokking](results/grokking.png)", "",
              "The weight norm, the other usual suspect, is not logged yet."]
    rows = []
    for base, ire in (("adamw", "adamw-ire"), ("muon", "muon-ire")):
        if base not in measured or ire not in measured:
            continue
        (bn, bt, bm, bs), (in_, it, im, is_) = measured[base], measured[ire]
        if in_ == it and (bn < bt or im + is_ < bm - bs):
            verdict = "IRE groks sooner"
        elif bn == bt and (in_ < it or im - is_ > bm + bs):
            verdict = "IRE groks later"
        else:
            verdict = "no difference beyond the seeds' spread"
        fmt = lambda n, t, m, s: f"{n}/{t} seeds, " + (f"{m:.0f} ± {s:.0f} steps" if m is not None else "never")
        rows.append(Row(f"IRE makes a transformer grok sooner over {base} (not in the paper)",
                        f"`experiment grokking`: modular addition, each arm at its own best lr, {bt} seeds",
                        f"99% validation accuracy: {base} {fmt(bn, bt, bm, bs)}; {ire} {fmt(in_, it, im, is_)}",
                        verdict))
    return "\n".join(lines), rows
