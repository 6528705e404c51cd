"""Regenerates docs/RESULTS.md and its figures from the experiments' logs.

    python3 scripts/report_experiments.py [SOURCE ...]

A SOURCE is a `runs` folder written by `ire-playground experiment` (runs/<experiment>/*.jsonl
with their .done markers and summary.json) or an archive of such folders; by default the
committed archives docs/results/logs/*.tar.xz and docs/results/experiment-logs.tar.gz are read
as they are. Needs numpy and matplotlib. Hand-written text comes from docs/results/header.md
(after the verdict table) and docs/results/discussion.md (at the end); every number in the
tables and the verdict is computed here from the logs."""
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from report import grokking, logs, long, resnet, sweeps, verdict  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DOCS = os.path.join(ROOT, "docs")
FIGS = os.path.join(DOCS, "results")
SHORT = ("adamw-vs-admire", "sgd-vs-sgdire", "sam-vs-samire", "lion-vs-lionire", "muon-vs-muonire")


def default_sources():
    found = sorted(glob.glob(os.path.join(FIGS, "logs", "*.tar.xz")))
    old = os.path.join(FIGS, "experiment-logs.tar.gz")
    return found + ([old] if os.path.exists(old) else [])


def read(name):
    path = os.path.join(FIGS, name)
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def main():
    sources = sys.argv[1:] or default_sources()
    experiments = logs.load(sources)
    os.makedirs(FIGS, exist_ok=True)
    sections, rows = [], []
    for name, builder in (("admire-long", long.section), ("resnet-ire", resnet.section)):
        if name in experiments:
            text, verdicts = builder(experiments[name], FIGS)
            if text:
                sections.append(text)
                rows += verdicts
    rows.append(verdict.Row(
        "the 5.4x claim at a larger scale (`small`: the paper's block shape, 2 layers, d 128, 8 heads, on characters; 20,000+ steps)",
        "`experiment admire-long --preset small --steps 20000` (defined, resumable)",
        "not run: it needs a GPU, and none was available to these sessions", "not tested at this scale"))
    text, verdicts = (None, [])
    if "grokking" in experiments:
        text, verdicts = grokking.experiment_section(experiments["grokking"], FIGS, verdict.Row,
                                                     experiments.get("grokking-rerun"))
    if not text:
        text, verdicts = grokking.section(sources, FIGS, verdict.Row)
    if text:
        sections.append(text)
        rows += verdicts
    for name in SHORT:
        if name in experiments:
            text = sweeps.section(experiments[name], FIGS)
            if text:
                sections.append(text)
            if name in sweeps.NEW_BASES:
                rows.append(sweeps.verdict_row(experiments[name], verdict.Row))
    out = ["# Results: does IRE keep its promise?", "",
           "Each of the paper's claims (Wang et al., NeurIPS 2024, arXiv 2405.20763), the closest "
           "experiment these machines could run, what it measured, and the verdict. Every number on "
           "this page is computed by `python3 scripts/report_experiments.py` from the raw logs "
           "committed under [results/logs/](results/logs/) and "
           "[results/experiment-logs.tar.gz](results/experiment-logs.tar.gz).", ""]
    out += verdict.table(rows)
    out += ["", "How a verdict is decided (mechanically, from the measured numbers):", "", verdict.RULES.strip(), ""]
    out.append(read("header.md"))
    out.append("\n\n".join(sections))
    out.append(read("discussion.md"))
    with open(os.path.join(DOCS, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip() + "\n")
    print("wrote docs/RESULTS.md")


if __name__ == "__main__":
    main()
