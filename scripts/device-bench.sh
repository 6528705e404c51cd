#!/usr/bin/env bash
# The GPU measurements of issue 10, as one prepared script for the lent device machine (an
# NVIDIA H200 when a task is drawn for one). Build the release binary here first; the device
# machine only runs it. From a session with a device:
#   (once) fetch the Vulkan loader packages into .gl/ as /work/.library/device/README.md says
#   run(command="bash scripts/device-bench.sh", carry=[".gl", "target/release/ire-playground"],
#       timeout_s=540)
# It writes JSON under $OUT (copy them into docs/bench/ with the adapter's name): the full bench
# (matmul sizes, tiny/small/llama-small/ResNet steps, the concurrency curve 1-8), a per-kernel
# profile of a `small` step, and the time of a spectrum and a 2-D slice of `small`. Each part
# has its own time limit, so a slow part cannot starve the rest.
set -uo pipefail
out=${OUT:-/tmp/device-bench}
mkdir -p "$out"
if [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
bin=${BIN:-target/release/ire-playground}
part() { # part NAME LIMIT ARGS...: one measurement, its JSON in $out/NAME.json
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  timeout "$limit" "$bin" "$@" >"$out/$name.json" 2>"$out/$name.log"
  echo "rc=$? $(tail -c 300 "$out/$name.log" | tr '\n' ' ')"
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1 || true
part bench 240 bench --presets tiny,small,llama-small --resnet-presets resnet-tiny,resnet20 \
  --concurrency 1,2,4,8 --no-pytorch
part profile-small 90 bench --profile --presets small --no-pytorch
# Analyses on a `small` checkpoint: the wall time of a 20-step, 2-vector spectrum and a 21 x 21
# slice (the app's defaults are smaller).
"$bin" train --preset small --steps 20 --batch 32 --save "$out/small.safetensors" \
  >"$out/train.log" 2>&1 || echo "train failed: $(tail -3 "$out/train.log")"
start=$(date +%s.%N)
part spectrum-small 90 spectrum --checkpoint "$out/small.safetensors" --out "$out/spectrum.json"
echo "spectrum seconds: $(awk "BEGIN { print $(date +%s.%N) - $start }")" | tee -a "$out/timings.txt"
start=$(date +%s.%N)
part slice-small 90 landscape --checkpoint "$out/small.safetensors" --kind slice2d --grid 21 \
  --out "$out/slice.json"
echo "slice seconds: $(awk "BEGIN { print $(date +%s.%N) - $start }")" | tee -a "$out/timings.txt"
rm -f "$out/small.safetensors"
