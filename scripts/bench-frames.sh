#!/usr/bin/env bash
# Frame timing of the desktop app under Xvfb while it trains: the status JSON's frame figures
# (the last 120 frames before the window closes) for the first-visit experiment (tiny, AdamW
# beside AdmIRE) and for resnet-tiny with the ResNet recipe. A benchmark, not a test: run it on
# an otherwise idle machine and record the figures with the adapter in docs/BENCHMARKS.md.
# Usage: [INTERACT=1] [CASES="first-visit|"] scripts/bench-frames.sh [BINARY] [STEPS]
set -euo pipefail
bin=${1:-target/release/ire-playground}
steps=${2:-150}
work=$(mktemp -d)
display=:95
Xvfb $display -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1

# name, settings link (empty: the first visit)
resnet='%7B%22preset%22%3A%22resnet-tiny%22%2C%22train%22%3A%7B%22optimizer%22%3A%7B%22kind%22%3A%22sgd%22%2C%22lr%22%3A0.1%7D%7D%7D'
for case in ${CASES:-"first-visit|" "resnet-tiny|$resnet"}; do
  name=${case%%|*}
  link=${case#*|}
  args=(app --quit-after "$steps")
  [ -n "$link" ] && args+=(--settings "$link")
  # A fresh data folder: no persisted settings, so the first visit is what a newcomer gets.
  XDG_DATA_HOME="$work/$name" DISPLAY=$display timeout 900 "$bin" "${args[@]}" \
    >"$work/$name.json" 2>"$work/$name.log" &
  app=$!
  # INTERACT=1: a user moving the mouse over the plots all along (xdotool, 50 moves a second):
  # every move asks for a frame, so the figures say how fast the window answers input.
  if [ "${INTERACT:-0}" = 1 ]; then
    (i=0; while kill -0 $app 2>/dev/null; do
      i=$(((i + 7) % 400)); DISPLAY=$display xdotool mousemove $((500 + i)) $((300 + i / 2)) 2>/dev/null
      sleep 0.02; done) &
  fi
  wait $app || { echo "$name failed:"; cat "$work/$name.log"; exit 1; }
  node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const f = s.frames, n = (x) => (x == null ? "-" : x.toFixed(1));
console.log(`${process.argv[2]}: ${s.runs.length} run(s), ${s.runs[0].steps} steps; frame interval ` +
  `median ${n(f.interval_ms_median)} ms, p95 ${n(f.interval_ms_p95)} ms, mean ${n(f.interval_ms_mean)} ms; ` +
  `update ${n(f.work_ms_mean)} ms mean (max ${n(f.work_ms_max)}), frame cost ${n(f.draw_ms)} ms; ${n(f.steps_per_s)} steps/s; ` +
  `adapter ${s.adapter ?? "(not reported)"}`);
' "$work/$name.json" "$name"
done
