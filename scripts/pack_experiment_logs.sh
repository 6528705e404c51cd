#!/usr/bin/env bash
# Packs the raw logs of finished experiments for the repository:
#   scripts/pack_experiment_logs.sh admire-long resnet-ire     (from runs/, into docs/results/logs/)
# Each archive holds <experiment>/*.jsonl, the .done markers (every run's configuration),
# summary.json and, where one was written by hand, COMMANDS.txt (how the runs came about);
# scripts/report_experiments.py reads the archives as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-runs}
mkdir -p docs/results/logs
for exp in "$@"; do
  [ -f "$runs/$exp/summary.json" ] || { echo "$runs/$exp has no summary.json: not finished" >&2; exit 1; }
  (cd "$runs" && find "$exp" -maxdepth 1 \( -name '*.jsonl' -o -name '*.done' -o -name summary.json -o -name COMMANDS.txt \) \
      | LC_ALL=C sort | tar --owner=0 --group=0 --mtime=2026-01-01 -cf - -T - ) \
    | xz -9e > "docs/results/logs/$exp.tar.xz.tmp"
  mv "docs/results/logs/$exp.tar.xz.tmp" "docs/results/logs/$exp.tar.xz"
  echo "docs/results/logs/$exp.tar.xz: $(du -h "docs/results/logs/$exp.tar.xz" | cut -f1)"
done
