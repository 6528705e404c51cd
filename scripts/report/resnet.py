"""SGD vs SGD-IRE and SAM vs SAM-IRE on a ResNet (`experiment resnet-ire`): each base's lr swept
by final test accuracy, its IRE twin at the base's best lr, paired by seed."""
import os

import matplotlib.pyplot as plt
import numpy as np

from .logs import fmt, mean_std
from .verdict import Row, accuracy_verdict

NAMES = {"sgd": "SGD", "sam": "SAM"}
CLAIMS = {"sgd": ("SGD-IRE: +0.3 to +1.0 points of test accuracy over SGD (CIFAR ResNets)", 0.3),
          "sam": ("SAM-IRE: +0.1 to +0.5 points of test accuracy over SAM (CIFAR ResNets)", 0.1)}


def acc_points(runs):
    return mean_std(100 * r.final_acc() for r in runs)


def section(exp, figs):
    s = exp.summary
    if not s or not all(k in s for k in NAMES):
        return None, []
    any_run = next(iter(exp.runs.values()))
    cfg = any_run.config
    seeds = sorted({sd for _, _, sd in exp.runs})
    steps = s["steps"]
    lines = ["## ResNets: SGD vs SGD-IRE and SAM vs SAM-IRE (Fashion-MNIST)", ""]
    lines.append(
        f"`ire-playground experiment resnet-ire --backend pytorch --jobs 2`: ResNet-8 (resnet-tiny) on "
        f"the embedded Fashion-MNIST subset (10,000 training, 2,000 test images), {steps} steps of batch "
        f"{s['batch']} (about {round(steps * s['batch'] / 10_000)} epochs) with the paper's augmentation "
        f"(random crop from a 4-pixel padded image, horizontal flip), momentum {cfg['optimizer']['momentum']}, "
        f"weight decay {cfg['optimizer']['weight_decay']}, cosine to lr/10 after {cfg['warmup']} warm-up steps; "
        f"SAM rho {cfg['optimizer']['rho']}. Each base's peak lr is chosen by mean final test accuracy (there "
        f"is no separate validation split in the subset, so the tuned numbers are slightly optimistic for "
        f"both arms alike); its IRE twin (kappa {s['sgd']['kappa']:g}, gamma {s['sgd']['gamma']:g}, mask every "
        f"{cfg['ire']['mask_every']} steps) runs at that lr. Seeds {seeds}, paired. This is the largest honest "
        f"version a 2-core machine without a GPU runs in a session: the paper trains ResNets on CIFAR for "
        f"200 epochs.")
    rows = []
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for k, (key, name) in enumerate(NAMES.items()):
        plan = s[key]
        b_lr, twin = plan["best_lr"], plan["ire"]
        lines += ["", f"### {name}", "", f"| lr | {name} test accuracy (%) | {name} final train loss |", "|---|---|---|"]
        for lr in exp.lrs(key):
            runs = exp.setting(key, lr).values()
            mark = " (best)" if abs(lr - b_lr) < 1e-9 else ""
            lines.append(f"| {lr:g}{mark} | {fmt(*acc_points(runs), digits=2)} | "
                         f"{fmt(*mean_std(r.final_train() for r in runs))} |")
        base_runs, ire_runs = exp.setting(key, b_lr), exp.setting(twin, b_lr)
        gains = [100 * (ire_runs[sd].final_acc() - base_runs[sd].final_acc())
                 for sd in base_runs if sd in ire_runs]
        lam_b = mean_std(r.probe_series("lambda_max")[1][-1] for r in base_runs.values() if r.probes)
        lam_i = mean_std(r.probe_series("lambda_max")[1][-1] for r in ire_runs.values() if r.probes)
        lines += ["", f"At {name}'s best lr {b_lr:g}: {name} {fmt(*acc_points(base_runs.values()), digits=2)}%, "
                  f"{name}-IRE {fmt(*acc_points(ire_runs.values()), digits=2)}%; paired gain "
                  f"{fmt(*mean_std(gains), digits=2)} points; final training loss "
                  f"{fmt(*mean_std(r.final_train() for r in base_runs.values()))} vs "
                  f"{fmt(*mean_std(r.final_train() for r in ire_runs.values()))}; final lambda_max "
                  f"{fmt(*lam_b, digits=1)} vs {fmt(*lam_i, digits=1)}."]
        claim, low = CLAIMS[key]
        g = mean_std(gains)
        rows.append(Row(claim, f"resnet-ire: ResNet-8, Fashion-MNIST subset, {steps} steps",
                        f"{g[0]:+.2f} ± {g[1]:.2f} points ({name}-IRE {fmt(*acc_points(ire_runs.values()), digits=2)}% "
                        f"vs {name} {fmt(*acc_points(base_runs.values()), digits=2)}%)",
                        accuracy_verdict(g[0], g[1], low)))
        for arm, runs, color in ((name, base_runs, "tab:blue"), (f"{name}-IRE", ire_runs, "tab:red")):
            done = [r for r in runs.values() if r.evals]
            if done:
                xs = [e[0] for e in done[0].evals]
                ys = np.mean([[100 * (e[2] or 0) for e in r.evals] for r in done], axis=0)
                ax[k].plot(xs, ys, marker="o", color=color, label=f"{arm} lr {b_lr:g}")
        ax[k].set_title(f"{name} vs {name}-IRE: test accuracy")
        ax[k].set_xlabel("step")
        ax[k].set_ylabel("test accuracy (%), seed mean")
        ax[k].legend()
    fig.tight_layout()
    png = f"{exp.name}.png"
    fig.savefig(os.path.join(figs, png), dpi=90)
    plt.close(fig)
    lines += ["", f"![{exp.name}](results/{png})", ""]
    return "\n".join(lines), rows
