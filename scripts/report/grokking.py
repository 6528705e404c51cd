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


ARMS_ORDER = ("adamw", "adamw-ire", "muon", "muon-ire")
COLORS = {"adamw": "tab:blue", "adamw-ire": "tab:red", "muon": "tab:green", "muon-ire": "tab:orange"}
PAIRS = (("adamw", "adamw-ire"), ("muon", "muon-ire"))


def _norms(runs):
    """Weight norm over seeds: the mean peak, the mean at the probe nearest 99% validation
    accuracy, and the mean final value ("not logged" for runs that predate the probe)."""
    peaks, peak_steps, at99, finals = [], [], [], []
    for r in runs:
        ps, norms = r.probe_series("weight_norm")
        if not ps:
            return "not logged"
        peaks.append(max(norms))
        peak_steps.append(ps[int(np.argmax(norms))])
        finals.append(norms[-1])
        hit = _steps_to(r)
        if hit is not None:
            at99.append(norms[int(np.argmin([abs(p - hit) for p in ps]))])
    at = f"{np.mean(at99):.1f}" if at99 else "-"
    return f"{np.mean(peaks):.1f} (step {np.mean(peak_steps):.0f}), {at}, {np.mean(finals):.1f}"


def _table(exp, best, with_norms):
    """Table rows per arm at its best lr, and (reached, runs, mean, std) of steps to 99%."""
    lines, measured = [], {}
    for arm in ARMS_ORDER:
        runs = list(exp.setting(arm, best[arm]).values()) if arm in best else []
        if not runs:
            continue
        steps = [s for s in (_steps_to(r) for r in runs) if s is not None]
        finals = [r.final_acc() for r in runs]
        mean = float(np.mean(steps)) if steps else None
        std = float(np.std(steps)) if steps else None
        measured[arm] = (len(steps), len(runs), mean, std)
        lines.append(f"| {arm} | {best[arm]:g} | {len(steps)}/{len(runs)} seeds | "
                     + (f"{mean:.0f} ± {std:.0f}" if steps else "never") + " | "
                     f"{100 * np.mean(finals):.1f} ± {100 * np.std(finals):.1f}% |"
                     + (f" {_norms(runs)} |" if with_norms else ""))
    return lines, measured


def _verdict(base, ire):
    """The verdict rule on (reached, runs, mean, std) of a base and its IRE twin."""
    (bn, bt, bm, bs), (in_, it, im, is_) = base, ire
    if in_ == it and (bn < bt or im + is_ < bm - bs):
        return "IRE groks sooner"
    if bn == bt and (in_ < it or im - is_ > bm + bs):
        return "IRE groks later"
    return "no difference beyond the seeds' spread"


def _fmt(n, t, m, s):
    return f"{n}/{t} seeds, " + (f"{m:.0f} ± {s:.0f} steps" if m is not None else "never")


def _figure(exp, best, rerun, figs):
    """Validation accuracy and lambda_max per seed (the sweep's runs), and the weight norm
    (the second training, which logged it)."""
    fig, ax = plt.subplots(1, 3, figsize=(16, 4))
    for arm in ARMS_ORDER:
        if arm not in best:
            continue
        color = COLORS[arm]
        for i, r in enumerate(exp.setting(arm, best[arm]).values()):
            label = f"{arm} lr {best[arm]:g}" if i == 0 else None
            xs = [s for s, _, a in r.evals]
            ax[0].plot(xs, [100 * a for _, _, a in r.evals], color=color, alpha=0.6, label=label)
            ps, lam = r.probe_series("lambda_max")
            if ps:
                ax[1].plot(ps, lam, color=color, alpha=0.6, label=label)
        for i, r in enumerate((rerun.setting(arm, best[arm]) if rerun else {}).values()):
            ps, norms = r.probe_series("weight_norm")
            if ps:
                ax[2].plot(ps, norms, color=color, alpha=0.6, label=arm if i == 0 else None)
    for a, (ylabel, title) in zip(ax, (("validation accuracy (%)", "generalisation, each seed"),
                                       ("lambda_max (probe batch)", "sharpness"),
                                       ("L2 norm of all weights", "weight norm (second training)"))):
        a.set_xlabel("step")
        a.set_ylabel(ylabel)
        a.set_title(title)
        if a.get_legend_handles_labels()[0]:
            a.legend()
    # Late probes near zero loss can estimate lambda_max <= 0: shown, not dropped.
    ax[1].set_yscale("symlog", linthresh=1e-2)
    fig.tight_layout()
    fig.savefig(os.path.join(figs, "grokking.png"), dpi=110)
    plt.close(fig)


def experiment_section(exp, figs, Row, rerun=None):
    """The `experiment grokking` study: each arm at its own best lr (summary.json), over seeds:
    steps to 99% validation accuracy, final validation accuracy, lambda_max over time; and,
    from `rerun` (the best-lr runs trained a second time, `grokking-rerun`), the weight norm
    over time and how far steps to 99% move between two trainings of the same seeds."""
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
    table, measured = _table(exp, best, with_norms=False)
    lines += table
    _figure(exp, best, rerun, figs)
    lines += ["", "![grokking](results/grokking.png)", "",
              "The sharpness panel's axis is linear near zero: power iteration estimates the "
              "Hessian's eigenvalue of largest magnitude, and near zero training loss a negative "
              "one can dominate (the dips below zero)."]
    again = {}
    if rerun is not None:
        table, again = _table(rerun, best, with_norms=True)
        lines += ["", "**The same runs trained a second time** (`grokking-rerun`: the 20 best-lr "
                  "runs, same seeds and configurations, on another machine of the same kind, to "
                  "log the weight norm, probed every 100 steps; its COMMANDS.txt says how). The "
                  "losses agree with the first training's to the last bits at first, but grokking "
                  "amplifies last-bit differences: steps to 99% move by up to 200 per run. Weight "
                  "norm: mean over seeds of its peak (and the step of the peak), its value at the "
                  "probe nearest the step the seed reached 99%, and its final value.", "",
                  "| arm | lr | reached 99% validation accuracy | steps to 99% | final validation accuracy | weight norm: peak (mean step), at 99%, final |",
                  "|---|---|---|---|---|---|"] + table
        verdicts = [f"{ire} over {base}: {_verdict(again[base], again[ire])}"
                    for base, ire in PAIRS if base in again and ire in again]
        if verdicts:
            lines += ["", "The verdict rule on the second training: " + "; ".join(verdicts) + "."]
    rows = []
    for base, ire in PAIRS:
        if base not in measured or ire not in measured:
            continue
        b, i = measured[base], measured[ire]
        seen = _fmt(*b) + " vs " + _fmt(*i)
        if base in again and ire in again:
            seen = (f"first training: {base} {_fmt(*b)}; {ire} {_fmt(*i)}. Second training: "
                    f"{base} {_fmt(*again[base])}; {ire} {_fmt(*again[ire])} "
                    f"({_verdict(again[base], again[ire])})")
        else:
            seen = f"99% validation accuracy: {base} {_fmt(*b)}; {ire} {_fmt(*i)}"
        rows.append(Row(f"IRE makes a transformer grok sooner over {base} (not in the paper)",
                        f"`experiment grokking`: modular addition, each arm at its own best lr, {b[1]} seeds",
                        seen, _verdict(b, i)))
    return "\n".join(lines), rows
