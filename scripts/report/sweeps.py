"""The short learning-rate sweeps (adamw-vs-admire, sgd-vs-sgdire, sam-vs-samire, lion-vs-lionire,
muon-vs-muonire): a table per learning rate, steps to the tuned base's final loss, a figure, and
for the bases the paper did not try (Lion, Muon) a verdict row on whether IRE helps them."""
import os
from collections import defaultdict

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from .logs import fmt, mean_std, smooth

TITLES = {
    "adamw-vs-admire": "AdamW vs AdmIRE (tiny transformer, Shakespeare)",
    "sgd-vs-sgdire": "SGD vs SGD-IRE (tiny transformer, Shakespeare)",
    "sam-vs-samire": "SAM vs SAM-IRE (tiny transformer, Shakespeare)",
    "lion-vs-lionire": "Lion vs Lion-IRE (tiny transformer, Shakespeare)",
    "muon-vs-muonire": "Muon vs Muon-IRE (tiny transformer, Shakespeare)",
}
# Bases the paper did not try, whose sweep answers "does IRE help it?" in the verdict table.
NEW_BASES = {"lion-vs-lionire": "Lion", "muon-vs-muonire": "Muon"}


def sweep_stats(exp, arms):
    """(arm, lr) -> {"train": (mean, std), "val": (mean, std)} over seeds."""
    stats = {}
    for arm in arms:
        for lr in exp.lrs(arm):
            seeds = exp.setting(arm, lr).values()
            stats[(arm, lr)] = {"train": mean_std(r.final_train() for r in seeds),
                                "val": mean_std(r.final_val() for r in seeds)}
    return stats


def best_lr(stats, arm):
    return min((s["train"][0], lr) for (a, lr), s in stats.items() if a == arm)[1]


def sweep_table(stats, base, ire, lrs, b_lr, i_lr):
    lines = [f"| lr | {base} train | {ire} train | {base} val | {ire} val |", "|---|---|---|---|---|"]
    for lr in lrs:
        row = [f"{lr:g}" + (" (best base)" if lr == b_lr else "") + (" (best IRE)" if lr == i_lr else "")]
        for what in ("train", "val"):
            for arm in (base, ire):
                s = stats.get((arm, lr))
                row.append(fmt(*s[what]) if s else "-")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def mean_curve(exp, arm, lr, window):
    curves = [smooth(r.loss, window) for r in exp.setting(arm, lr).values() if r.complete()]
    return np.mean(curves, axis=0) if curves else None


def first_below(curve, target):
    if curve is None:
        return None
    hit = np.nonzero(curve <= target)[0]
    return int(hit[0]) + 1 if len(hit) else None


def verdict_row(exp, Row):
    """Each arm at its own best learning rate, final training loss over seeds: IRE helps when it
    is lower by more than both arms' spreads, hurts when higher by as much, else no difference."""
    arms = sorted(exp.arms(), key=lambda a: ("ire" in a, a))
    base, ire = arms[0], arms[-1]
    stats = sweep_stats(exp, (base, ire))
    b_lr, i_lr = best_lr(stats, base), best_lr(stats, ire)
    (bm, bs), (im, is_) = stats[(base, b_lr)]["train"], stats[(ire, i_lr)]["train"]
    spread = max(bs, is_)
    if im < bm - spread:
        verdict = "IRE helps"
    elif im > bm + spread:
        verdict = "IRE hurts"
    else:
        verdict = "does not help (within noise)"
    name = NEW_BASES[exp.name]
    seeds = len({s for _, _, s in exp.runs})
    return Row(
        f"IRE over {name} (not in the paper; it says IRE \"can be incorporated with generic base optimizers\")",
        f"`experiment {exp.name}`: 200 steps of `tiny`, each arm at its own best lr, {seeds} seeds",
        f"final train loss {name} {fmt(bm, bs)} (lr {b_lr:g}), {ire} {fmt(im, is_)} (lr {i_lr:g})",
        verdict)


def section(exp, figs):
    arms = sorted(exp.arms(), key=lambda a: ("ire" in a, a))
    if len(arms) < 2:
        return None
    base, ire = arms[0], arms[-1]
    cfg = next(iter(exp.runs.values())).config
    total = cfg["steps"]
    lrs = exp.lrs()
    stats = sweep_stats(exp, (base, ire))
    b_lr, i_lr = best_lr(stats, base), best_lr(stats, ire)
    seeds = sorted({s for _, _, s in exp.runs})
    lines = [f"## {TITLES.get(exp.name, exp.name)}", ""]
    lines.append(f"{total} steps, batch {cfg['batch']}, warm-up {cfg['warmup']}, cosine to lr/10, "
                 f"grad clip {cfg['grad_clip']}, weight decay {cfg['optimizer']['weight_decay']}"
                 + (f", rho {cfg['optimizer']['rho']}" if "sam" in exp.name else "")
                 + f"; IRE: kappa {cfg['ire']['kappa']}, gamma {cfg['ire']['gamma']}, "
                 f"mask every {cfg['ire']['mask_every']} steps, from step {cfg['warmup']}. "
                 f"Seeds {seeds} (same initial weights and data "
                 f"order in both arms). Final train loss: mean of the last {max(total // 10, 1)} steps; "
                 f"val loss: 8 fixed validation batches at the end. Mean ± std over seeds.")
    lines += [""] + sweep_table(stats, base, ire, lrs, b_lr, i_lr)

    target_curve = mean_curve(exp, base, b_lr, 10)
    target = target_curve[-1]
    lines += ["", f"Steps to reach the tuned {base}'s final smoothed training loss ({target:.3f}):", ""]
    base_steps = first_below(target_curve, target)
    for label, arm, lr in ((f"{base} at its best lr {b_lr:g}", base, b_lr),
                           (f"{ire} at {base}'s best lr {b_lr:g}", ire, b_lr),
                           (f"{ire} at its own best lr {i_lr:g}", ire, i_lr)):
        st = first_below(mean_curve(exp, arm, lr, 10), target)
        speed = f" (speed-up {base_steps / st:.2f}x)" if st and base_steps and arm == ire else ""
        lines.append(f"- {label}: {st if st else 'not reached'}{'' if not st else ' steps'}{speed}")

    fixed = 1e-3
    if exp.name == "adamw-vs-admire" and (base, fixed) in stats and (ire, fixed) in stats:
        fb, fi = mean_curve(exp, base, fixed, 10), mean_curve(exp, ire, fixed, 10)
        hit = np.nonzero(fi <= fb[-1])[0]
        lines += ["", f"At the fixed, untuned lr {fixed:g}: {base} ends at {fmt(*stats[(base, fixed)]['train'])}, "
                  f"{ire} at {fmt(*stats[(ire, fixed)]['train'])}; {ire} reaches {base}'s final loss after "
                  f"{int(hit[0]) + 1 if len(hit) else 'never'} of {total} steps"
                  + (f" ({total / (hit[0] + 1):.2f}x)." if len(hit) else ".")]

    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    for arm, color in ((base, "tab:blue"), (ire, "tab:red")):
        xs = [lr for lr in lrs if (arm, lr) in stats and np.isfinite(stats[(arm, lr)]["train"][0])]
        ax[0].errorbar(xs, [stats[(arm, lr)]["train"][0] for lr in xs],
                       yerr=[stats[(arm, lr)]["train"][1] for lr in xs], marker="o", label=arm, color=color)
    ax[0].set_xscale("log")
    ax[0].set_xticks(lrs)
    ax[0].set_xticklabels([f"{lr:g}" for lr in lrs])
    ax[0].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax[0].set_xlabel("peak learning rate")
    ax[0].set_ylabel("final training loss")
    ax[0].set_title("learning-rate sweep")
    ax[0].legend()
    picks = [(base, b_lr, "tab:blue", "-"), (ire, b_lr, "tab:red", "-"), (ire, i_lr, "tab:orange", "--")]
    if exp.name == "adamw-vs-admire":
        picks += [(base, fixed, "tab:cyan", ":"), (ire, fixed, "tab:pink", ":")]
    seen = set()
    for arm, lr, color, style in picks:
        if (arm, lr) not in stats or (arm, lr) in seen:
            continue
        seen.add((arm, lr))
        c = mean_curve(exp, arm, lr, 10)
        if c is not None:
            ax[1].plot(np.arange(1, total + 1), c, style, color=color, label=f"{arm} lr {lr:g}")
        pts = defaultdict(list)
        for r in exp.setting(arm, lr).values():
            for s, v in zip(*r.probe_series("lambda_max")):
                pts[s].append(v)
        if pts:
            xs = sorted(pts)
            ax[2].plot(xs, [np.mean(pts[x]) for x in xs], style, marker="o", color=color, label=f"{arm} lr {lr:g}")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("training loss (10-step mean, seed mean)")
    ax[1].set_ylim(top=min(3.5, ax[1].get_ylim()[1]))
    ax[1].set_title("training loss")
    ax[1].legend()
    ax[2].set_xlabel("step")
    ax[2].set_ylabel("lambda_max (probe batch)")
    ax[2].set_yscale("log")
    ax[2].set_title("sharpness")
    ax[2].legend()
    fig.tight_layout()
    png = f"{exp.name}.png"
    fig.savefig(os.path.join(figs, png), dpi=90)
    plt.close(fig)
    lines += ["", f"![{exp.name}](results/{png})", ""]
    return "\n".join(lines)
