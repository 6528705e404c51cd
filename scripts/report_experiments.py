"""Turns the logs of `ire-playground experiment NAME` into docs/RESULTS.md and its plots.

    python3 scripts/report_experiments.py [RUNS_DIR]   (default: runs)

Needs matplotlib and numpy. Each run log is `RUNS_DIR/<experiment>/<arm>_lr<lr>_s<seed>.jsonl`.
Hand-written discussion is read from docs/results/discussion.md and placed after the tables.
"""
import json
import os
import re
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
DOCS = os.path.join(ROOT, "docs")
FIGS = os.path.join(DOCS, "results")
RUN_RE = re.compile(r"^(?P<arm>[a-z-]+)_lr(?P<lr>[0-9.e+-]+)_s(?P<seed>\d+)\.jsonl$")
TITLES = {
    "adamw-vs-admire": "AdamW vs AdmIRE (tiny transformer, Shakespeare)",
    "sgd-vs-sgdire": "SGD vs SGD-IRE (tiny transformer, Shakespeare)",
    "sam-vs-samire": "SAM vs SAM-IRE (tiny transformer, Shakespeare)",
}


def load_run(path):
    steps, losses, evals, probes, config = [], [], [], [], None
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if "loss" in r:
                steps.append(r["step"])
                losses.append(r["loss"])
            elif "val_loss" in r:
                evals.append((r["step"], r["val_loss"]))
            elif "fisher_trace" in r:
                probes.append(r)
    done = path[:-len(".jsonl")] + ".done"
    if os.path.exists(done):
        config = json.load(open(done))
    return {"steps": np.array(steps), "loss": np.array(losses, dtype=float), "evals": evals,
            "probes": probes, "config": config}


def smooth(x, k=10):
    if len(x) < k:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = np.empty_like(x)
    out[k - 1:] = (c[k:] - c[:-k]) / k
    out[:k - 1] = c[1:k] / np.arange(1, k)
    return out


def final_train(run, total):
    loss = run["loss"]
    if len(loss) < total or not np.all(np.isfinite(loss)):
        return np.inf
    tail = max(total // 10, 1)
    return float(loss[-tail:].mean())


def final_val(run):
    return run["evals"][-1][1] if run["evals"] else np.nan


def fmt(mean, std):
    if not np.isfinite(mean):
        return "diverged"
    return f"{mean:.3f} ± {std:.3f}"


def report(exp, runs_dir):
    d = os.path.join(runs_dir, exp)
    runs = defaultdict(dict)  # (arm, lr) -> seed -> run
    for name in sorted(os.listdir(d)):
        m = RUN_RE.match(name)
        if m and os.path.exists(os.path.join(d, name[:-len(".jsonl")] + ".done")):
            runs[(m["arm"], float(m["lr"]))][int(m["seed"])] = load_run(os.path.join(d, name))
    if not runs:
        return None
    any_run = next(iter(next(iter(runs.values())).values()))
    cfg = any_run["config"]
    total = cfg["steps"]
    arms = sorted({a for a, _ in runs}, key=lambda a: ("ire" in a, a))
    if len(arms) < 2:
        return f"## {TITLES.get(exp, exp)}\n\nIn progress: only the {arms[0]} arm has finished runs so far."
    base, ire = arms[0], arms[-1]
    lrs = sorted({lr for _, lr in runs})
    stats = {}
    for key, seeds in runs.items():
        ft = np.array([final_train(r, total) for r in seeds.values()])
        fv = np.array([final_val(r) for r in seeds.values()])
        stats[key] = {"train": (ft.mean(), ft.std()), "val": (fv.mean(), fv.std()), "n": len(seeds)}

    def best(arm):
        cands = [(stats[(arm, lr)]["train"][0], lr) for lr in lrs if (arm, lr) in stats]
        return min(cands)[1]

    b_lr, i_lr = best(base), best(ire)
    lines = [f"## {TITLES.get(exp, exp)}", ""]
    lines.append(f"{total} steps, batch {cfg['batch']}, warm-up {cfg['warmup']}, cosine to lr/10, "
                 f"grad clip {cfg['grad_clip']}, weight decay {cfg['optimizer']['weight_decay']}"
                 + (f", rho {cfg['optimizer']['rho']}" if "sam" in exp else "")
                 + f"; IRE: kappa {cfg['ire']['kappa']}, gamma {cfg['ire']['gamma']}, "
                 f"mask every {cfg['ire']['mask_every']} steps, from step {cfg['warmup']}. "
                 f"Seeds {sorted(next(iter(runs.values())).keys())} (same initial weights and data "
                 f"order in both arms). Final train loss: mean of the last {max(total // 10, 1)} steps; "
                 f"val loss: 8 fixed validation batches at the end. Mean ± std over seeds.")
    lines += ["", f"| lr | {base} train | {ire} train | {base} val | {ire} val |", "|---|---|---|---|---|"]
    for lr in lrs:
        row = [f"{lr:g}" + (" (best base)" if lr == b_lr else "") + (" (best IRE)" if lr == i_lr else "")]
        for what in ("train", "val"):
            for arm in (base, ire):
                s = stats.get((arm, lr))
                row.append(fmt(*s[what]) if s else "-")
        lines.append("| " + " | ".join([row[0], row[1], row[2], row[3], row[4]]) + " |")

    # Steps needed to reach the tuned base's final training loss (seed-averaged smoothed curves).
    def mean_curve(arm, lr):
        curves = [smooth(r["loss"]) for r in runs[(arm, lr)].values() if len(r["loss"]) == total]
        return np.mean(curves, axis=0) if curves else None

    target_curve = mean_curve(base, b_lr)
    target = target_curve[-1]

    def steps_to(curve):
        if curve is None:
            return None
        hit = np.nonzero(curve <= target)[0]
        return int(hit[0]) + 1 if len(hit) else None

    lines += ["", f"Steps to reach the tuned {base}'s final smoothed training loss ({target:.3f}):", ""]
    base_steps = steps_to(target_curve)
    for label, arm, lr in ((f"{base} at its best lr {b_lr:g}", base, b_lr),
                           (f"{ire} at {base}'s best lr {b_lr:g}", ire, b_lr),
                           (f"{ire} at its own best lr {i_lr:g}", ire, i_lr)):
        st = steps_to(mean_curve(arm, lr)) if (arm, lr) in runs else None
        speed = f" (speed-up {base_steps / st:.2f}x)" if st and base_steps and arm == ire else ""
        lines.append(f"- {label}: {st if st else 'not reached'}{'' if not st else ' steps'}{speed}")

    fixed = 1e-3
    if exp == "adamw-vs-admire" and (base, fixed) in stats and (ire, fixed) in stats:
        fb, fi = mean_curve(base, fixed), mean_curve(ire, fixed)
        hit = np.nonzero(fi <= fb[-1])[0]
        lines += ["", f"At the fixed, untuned lr {fixed:g}: {base} ends at {fmt(*stats[(base, fixed)]['train'])}, "
                  f"{ire} at {fmt(*stats[(ire, fixed)]['train'])}; {ire} reaches {base}'s final loss after "
                  f"{int(hit[0]) + 1 if len(hit) else 'never'} of {total} steps"
                  + (f" ({total / (hit[0] + 1):.2f}x)." if len(hit) else ".")]

    # Plots: sweep, curves, sharpness.
    os.makedirs(FIGS, exist_ok=True)
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
    if exp == "adamw-vs-admire":
        picks += [(base, fixed, "tab:cyan", ":"), (ire, fixed, "tab:pink", ":")]
    seen = set()
    for arm, lr, color, style in picks:
        if (arm, lr) not in runs or (arm, lr) in seen:
            continue
        seen.add((arm, lr))
        c = mean_curve(arm, lr)
        if c is not None:
            ax[1].plot(np.arange(1, total + 1), c, style, color=color, label=f"{arm} lr {lr:g}")
        pts = defaultdict(list)
        for r in runs[(arm, lr)].values():
            for p in r["probes"]:
                if p.get("lambda_max") is not None:
                    pts[p["step"]].append(p["lambda_max"])
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
    png = f"{exp}.png"
    fig.savefig(os.path.join(FIGS, png), dpi=90)
    plt.close(fig)
    lines += ["", f"![{exp}](results/{png})", ""]
    return "\n".join(lines)


def main():
    runs_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "runs")
    sections = []
    for exp in ("adamw-vs-admire", "sgd-vs-sgdire", "sam-vs-samire"):
        if os.path.isdir(os.path.join(runs_dir, exp)):
            s = report(exp, runs_dir)
            if s:
                sections.append(s)
    head = open(os.path.join(FIGS, "header.md")).read() if os.path.exists(os.path.join(FIGS, "header.md")) else ""
    disc_path = os.path.join(FIGS, "discussion.md")
    disc = open(disc_path).read() if os.path.exists(disc_path) else ""
    with open(os.path.join(DOCS, "RESULTS.md"), "w") as f:
        f.write(head + "\n" + "\n\n".join(sections) + "\n\n" + disc)
    print("wrote docs/RESULTS.md")


if __name__ == "__main__":
    main()
