#!/usr/bin/env bash
# Native smoke test: opens the desktop app under Xvfb on whatever Vulkan adapter is present
# (lavapipe in CI), trains a few steps, switches IRE on, takes a screenshot while it runs, and
# checks the status the app prints when it closes. A second, shorter run opens a link that
# carries a recorded IRE switch and checks that the run replays it; a third trains a ResNet.
# Scripted launches that cannot reach --quit-after (a bad link, a run shorter than that) end at
# once with an error instead of waiting forever.
# Usage: scripts/ci/native-smoke.sh BINARY OUT_DIR
set -euo pipefail
bin=${1:-target/release/ire-playground}
out=${2:-ci-artifacts}
mkdir -p "$out"
# Absolute: eframe ignores a relative XDG_DATA_HOME (and would use the user's own storage).
out=$(cd "$out" && pwd)

display=:97
Xvfb $display -screen 0 1280x800x24 -nolisten tcp >"$out/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1

# check_run FILE LABEL CHECKS: reads a status the app printed, fails if its run failed, then runs
# the JavaScript CHECKS with `s` (the status), `r` (its first run) and `fail(message)` in scope.
check_run() {
  node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const r = s.runs[0];
const fail = (m) => { console.error(process.argv[2] + " FAILED: " + m + "\n" + JSON.stringify(s)); process.exit(1); };
if (r.error) fail(r.error);
eval(process.argv[3]);
' "$1" "$2" "$3"
}

# run_app NAME SETTINGS QUIT_AFTER [APP FLAGS...]: a scripted launch; its status goes to
# $out/NAME.json.
run_app() {
  DISPLAY=$display timeout 300 "$bin" app --settings "$2" --quit-after "$3" "${@:4}" \
    >"$out/$1.json" 2>"$out/$1.log" || { echo "the app failed:"; cat "$out/$1.log"; exit 1; }
}

# The app's settings format (src/app/settings.rs), percent-encoded like the web app's URL hash.
settings='%7B%22preset%22%3A%22tiny%22%2C%22train%22%3A%7B%22steps%22%3A200%2C%22batch%22%3A8%2C%22warmup%22%3A2%2C%22eval_every%22%3A10%2C%22eval_batches%22%3A1%2C%22probe_every%22%3A5%2C%22sharpness%22%3A%7B%22power_iters%22%3A2%2C%22hutchinson_samples%22%3A1%7D%7D%7D'
DISPLAY=$display timeout 300 "$bin" app --settings "$settings" --ire-on-at 6 --quit-after 16 \
  >"$out/native-status.json" 2>"$out/native.log" &
app=$!
# Screenshots while it trains; the last one taken before the window closes is kept.
while kill -0 $app 2>/dev/null; do
  sleep 1
  if kill -0 $app 2>/dev/null; then
    DISPLAY=$display import -window root "$out/desktop-tmp.png" 2>/dev/null \
      && mv "$out/desktop-tmp.png" "$out/desktop.png" || true
  fi
done
wait $app || { echo "the app failed:"; cat "$out/native.log"; exit 1; }

check_run "$out/native-status.json" "native smoke" '
if (r.steps < 16) fail("only " + r.steps + " steps");
if (!r.events.some((e) => e.startsWith("ire_on@"))) fail("IRE switch not recorded");
if (!(r.last_loss < r.first_loss)) fail("loss did not go down");
console.log(`native smoke ok: ${r.steps} steps, loss ${r.first_loss.toFixed(3)} -> ${r.last_loss.toFixed(3)}, events ${r.events}; frame interval median ${s.frames.interval_ms_median.toFixed(1)} ms, 95th percentile ${s.frames.interval_ms_p95.toFixed(1)} ms (${s.adapter})`);
'
test -s "$out/desktop.png" || { echo "no screenshot taken"; exit 1; }

# A shared link with a recorded switch ("ire":{"toggle_at":[8]}) replays it without any flag.
replay='%7B%22preset%22%3A%22tiny%22%2C%22train%22%3A%7B%22steps%22%3A40%2C%22batch%22%3A4%2C%22warmup%22%3A2%2C%22eval_every%22%3A0%2C%22eval_batches%22%3A1%2C%22probe_every%22%3A0%2C%22ire%22%3A%7B%22toggle_at%22%3A%5B8%5D%7D%7D%7D'
run_app native-replay "$replay" 12
check_run "$out/native-replay.json" "native replay" '
if (!r.events.includes("ire_on@8")) fail("the recorded switch at step 8 was not replayed");
console.log(`native replay ok: events ${r.events}`);
'

# The first visit (fresh storage, no link) is the guide's experiment: AdamW beside AdmIRE, IRE
# armed until step 30, and from about step 60 AdmIRE's lambda_max below AdamW's at every probe,
# at a quarter to four fifths of it (the numbers the guide promises).
mkdir -p "$out/first-visit-data"
XDG_DATA_HOME="$out/first-visit-data" DISPLAY=$display timeout 300 "$bin" app --quit-after 100 \
  >"$out/first-visit.json" 2>"$out/first-visit.log" || { echo "the first visit failed:"; cat "$out/first-visit.log"; exit 1; }
check_run "$out/first-visit.json" "first visit" '
const [base, ire] = s.runs;
if (s.runs.length !== 2 || base.label !== "AdamW" || ire.label !== "AdmIRE") fail("not AdamW beside AdmIRE");
if (s.ire_state.state !== "acting") fail("IRE is not acting after step 30");
const at = new Map(base.lambda_max.map(([step, v]) => [step, v]));
const pairs = ire.lambda_max.filter(([step]) => step >= 60 && at.has(step)).map(([step, v]) => [step, v / at.get(step)]);
if (pairs.length < 2) fail("too few probes after step 60: " + JSON.stringify(pairs));
for (const [step, ratio] of pairs) {
  if (!(ratio >= 0.2 && ratio <= 0.85)) fail(`at step ${step} AdmIRE/AdamW lambda_max is ${ratio.toFixed(2)}`);
}
if (Math.abs(base.last_loss - ire.last_loss) > 0.2) fail("the losses are not close");
console.log(`first visit ok: AdmIRE/AdamW lambda_max ${pairs.map(([st, q]) => `${q.toFixed(2)}@${st}`).join(", ")}; losses ${base.last_loss.toFixed(3)} vs ${ire.last_loss.toFixed(3)}`);
'

# Paused with nothing in flight, the window draws no frames until input: three idle seconds.
run_app native-idle "$settings" 10 --idle-check 3
check_run "$out/native-idle.json" "native idle" '
if (s.mode !== "Paused") fail("the window did not pause");
if (s.idle_frames !== 0) fail(s.idle_frames + " frames drawn in 3 idle seconds");
console.log(`native idle ok: paused at ${r.steps} steps, ${s.idle_frames} frames in 3 idle seconds`);
'

# A ResNet on the embedded Fashion-MNIST subset: trains, evaluates and reports accuracy.
resnet='%7B%22preset%22%3A%22resnet-tiny%22%2C%22train%22%3A%7B%22steps%22%3A40%2C%22batch%22%3A8%2C%22warmup%22%3A2%2C%22eval_every%22%3A5%2C%22eval_batches%22%3A1%2C%22probe_every%22%3A0%2C%22optimizer%22%3A%7B%22kind%22%3A%22sgd%22%2C%22lr%22%3A0.05%7D%7D%7D'
run_app native-resnet "$resnet" 10
check_run "$out/native-resnet.json" "native ResNet" '
if (r.steps < 10) fail("only " + r.steps + " steps");
if (r.last_val_acc == null) fail("no test accuracy reported");
console.log(`native ResNet ok: ${r.steps} steps, test accuracy ${r.last_val_acc.toFixed(1)}%`);
'

# A log from the CLI opened next to a live run: every record and the IRE switch arrive.
"$bin" train --steps 30 --batch 4 --warmup 2 --eval-every 10 --eval-batches 1 --probe-every 10 \
  --probe-iters 1 --probe-samples 1 --ire-toggle-at 15 --log "$out/cli-run.jsonl" \
  2>"$out/cli-run.log" || { echo "the CLI run failed:"; cat "$out/cli-run.log"; exit 1; }
run_app native-log "$replay" 4 --open-log "$out/cli-run.jsonl"
check_run "$out/native-log.json" "native log view" '
const l = s.logs[0];
if (!l) fail("the log was not opened");
if (l.steps !== 30 || l.probes !== 3 || l.last_val_loss == null) fail("records missing: " + JSON.stringify(l));
if (!l.events.includes("ire_on@15")) fail("the logged IRE switch is missing");
if (r.steps < 4) fail("the live run did not train next to the log");
console.log(`native log view ok: ${l.label}, ${l.steps} steps, ${l.probes} probes, events ${l.events}`);
'

# Kept runs survive a kill: a compare run saved every 10 s is killed (-9) mid-run; the next launch
# continues the newest kept session and ends exactly where a run that never stopped ends.
kept='%7B%22preset%22%3A%22tiny%22%2C%22compare%22%3Atrue%2C%22train%22%3A%7B%22steps%22%3A300%2C%22batch%22%3A4%2C%22warmup%22%3A2%2C%22eval_every%22%3A50%2C%22eval_batches%22%3A1%2C%22probe_every%22%3A25%2C%22sharpness%22%3A%7B%22power_iters%22%3A2%2C%22hutchinson_samples%22%3A1%7D%2C%22ire%22%3A%7B%22mask_every%22%3A5%7D%7D%7D'
state="$out/kept-state"
rm -rf "$state"
DISPLAY=$display timeout 300 "$bin" app --settings "$kept" --state-dir "$state" --run \
  >/dev/null 2>"$out/kept-killed.log" &
app=$!
kept_step() {
  python3 -c 'import glob, json, sys
steps = [min(r["step"] for r in json.load(open(m))["runs"]) for m in glob.glob(sys.argv[1] + "/*/manifest.json")]
print(max(steps, default=0))' "$state" 2>/dev/null || echo 0
}
for _ in $(seq 1 120); do
  sleep 1
  [ "$(kept_step)" -ge 20 ] && break
done
kill -9 $app 2>/dev/null || true
wait $app 2>/dev/null || true
killed_at=$(kept_step)
[ "$killed_at" -ge 20 ] && [ "$killed_at" -lt 300 ] \
  || { echo "no save mid-run before the kill (kept step $killed_at):"; cat "$out/kept-killed.log"; exit 1; }
DISPLAY=$display timeout 300 "$bin" app --state-dir "$state" --resume --quit-after 300 \
  >"$out/kept-resumed.json" 2>"$out/kept-resumed.log" || { echo "the resumed launch failed:"; cat "$out/kept-resumed.log"; exit 1; }
run_app kept-straight "$kept" 300
python3 - "$out/kept-resumed.json" "$out/kept-straight.json" "$killed_at" <<'PY'
import json, sys
resumed, straight = (json.load(open(f))["runs"] for f in sys.argv[1:3])
assert [r["label"] for r in resumed] == ["AdamW", "AdmIRE"], resumed
for a, b in zip(resumed, straight):
    for key in ("steps", "last_loss", "last_val_loss", "lambda_max", "events"):
        assert a[key] == b[key], f"{a['label']}: {key} {a[key]} after the kill, {b[key]} without"
print(f"kept runs ok: killed (-9) after a save at step {sys.argv[3]}, continued to 300 with the "
      f"same losses and sharpness as a run that never stopped (AdamW {resumed[0]['last_loss']:.4f}, "
      f"AdmIRE {resumed[1]['last_loss']:.4f})")
PY

# Run files: "Save run files" (--save-runs-at) writes each run's checkpoint with its log; opened in
# a new window the AdmIRE run continues to the end with its plots (its first losses come from the
# file's log) and the same end state as an uninterrupted run. A checkpoint from `train
# --checkpoint-every` opens the same way and ends where the command line's own run ended.
abs_bin=$(realpath "$bin")
rm -rf "$out/run-files" && mkdir -p "$out/run-files"
(cd "$out/run-files" && DISPLAY=$display timeout 300 "$abs_bin" app --settings "$kept" --save-runs-at 10 \
  --quit-after 10 >saved.json 2>saved.log) || { echo "saving run files failed:"; cat "$out/run-files/saved.log"; exit 1; }
run_file=$(ls "$out"/run-files/ire-playground-admire-step*.safetensors 2>/dev/null | head -1)
test -n "$run_file" || { echo "no run file saved:"; ls "$out/run-files"; exit 1; }
run_app run-file-opened "$kept" 300 --open-log "$run_file"
"$bin" train --steps 40 --batch 4 --warmup 2 --eval-every 10 --eval-batches 1 --probe-every 10 \
  --probe-iters 2 --probe-samples 1 --ire --checkpoint-every 20 --save "$out/run-files/cli.safetensors" \
  --log "$out/run-files/cli.jsonl" 2>"$out/run-files/cli.log" || { echo "the CLI run failed:"; cat "$out/run-files/cli.log"; exit 1; }
run_app cli-checkpoint-opened "$kept" 40 --open-log "$out/run-files/cli-step20.safetensors"
python3 - "$out/run-files/saved.json" "$out/run-file-opened.json" "$out/kept-straight.json" \
  "$out/cli-checkpoint-opened.json" "$out/run-files/cli.jsonl" <<'PY'
import json, sys
saved, opened, straight, cli_opened = (json.load(open(f))["runs"] for f in sys.argv[1:5])
o, s = opened[0], straight[1]
assert o["first_loss"] == saved[1]["first_loss"], "the run file's log did not come back"
for key in ("steps", "last_loss", "last_val_loss", "lambda_max"):
    assert o[key] == s[key], f"run file: {key} {o[key]}, uninterrupted {s[key]}"
records = [json.loads(l) for l in open(sys.argv[5])]
losses = [r["loss"] for r in records if "loss" in r]
c = cli_opened[0]
# The log prints f32 values in their shortest form: equal to the app's to 1e-6 relative.
near = lambda a, b: abs(a - b) <= 1e-6 * abs(b)
assert c["steps"] == 40 and near(c["last_loss"], sum(losses[-5:]) / 5), (c, losses[-5:])
assert near(c["last_val_loss"], [r for r in records if "val_loss" in r][-1]["val_loss"])
logged = [r["lambda_max"] for r in records if "lambda_max" in r and r["step"] > 20]
assert len(logged) == len(c["lambda_max"]) and all(near(p[1], l) for p, l in zip(c["lambda_max"], logged))
print(f"run files ok: {o['label']} reopened from its run file and continued to 300 as if never stopped; "
      f"a CLI checkpoint at step 20 continued in the app to the CLI's own end (loss {c['last_loss']:.4f})")
PY

# Export to PyTorch from the app: a ZIP per run in the working folder, whose train.py continues
# the run to its end, step 40 (when a Python with torch is at hand: IRE_PYTHON, as .ci/run
# provides; the export lands a few steps after --export-at, as the steps in flight finish).
rm -rf "$out/export" && mkdir -p "$out/export"
abs_bin=$(realpath "$bin")
(cd "$out/export" && DISPLAY=$display timeout 300 "$abs_bin" app --settings "$replay" --export-at 6 \
  --quit-after 6 >status.json 2>app.log) || { echo "the export launch failed:"; cat "$out/export/app.log"; exit 1; }
zip=$(ls "$out"/export/*-pytorch.zip 2>/dev/null | head -1)
test -n "$zip" || { echo "no ZIP exported:"; cat "$out/export/app.log"; exit 1; }
(cd "$out/export" && python3 -m zipfile -e "$(basename "$zip")" unpacked)
project="$out/export/unpacked/ire-playground-export"
for f in train.py README.md checkpoint.safetensors data/corpus.txt.zlib playground/run.py; do
  test -s "$project/$f" || { echo "the exported ZIP lacks $f"; exit 1; }
done
if [ -n "${IRE_PYTHON:-}" ]; then
  "$IRE_PYTHON" "$project/train.py" --steps 40 --log "$out/export/continued.jsonl" --threads 2 \
    2>"$out/export/python.log" || { echo "the exported train.py failed:"; cat "$out/export/python.log"; exit 1; }
  rows=$(grep -c '"loss"' "$out/export/continued.jsonl")
  [ "$rows" -ge 6 ] || { echo "the exported run logged $rows steps"; exit 1; }
  echo "app export ok: $(basename "$zip") continued in PyTorch for $rows steps"
else
  echo "app export ok: $(basename "$zip") (no IRE_PYTHON: not run)"
fi

# Export to Hugging Face from the app: one ZIP, a transformers model folder per run, that
# transformers loads and generates from (when IRE_PYTHON has it, as .ci/run provides).
rm -rf "$out/export-hf" && mkdir -p "$out/export-hf"
(cd "$out/export-hf" && DISPLAY=$display timeout 300 "$abs_bin" app --settings "$replay" --export-hf-at 6 \
  --quit-after 6 >status.json 2>app.log) || { echo "the Hugging Face export failed:"; cat "$out/export-hf/app.log"; exit 1; }
hf_zip=$(ls "$out"/export-hf/*-hf.zip 2>/dev/null | head -1)
test -n "$hf_zip" || { echo "no Hugging Face ZIP exported:"; cat "$out/export-hf/app.log"; exit 1; }
(cd "$out/export-hf" && python3 -m zipfile -e "$(basename "$hf_zip")" unpacked)
model=$(dirname "$(ls "$out"/export-hf/unpacked/*/config.json | head -1)")
for f in config.json model.safetensors tokenizer.json tokenizer_config.json generation_config.json README.md; do
  test -s "$model/$f" || { echo "the Hugging Face ZIP lacks $f"; exit 1; }
done
if [ -n "${IRE_PYTHON:-}" ] && "$IRE_PYTHON" -c "import transformers" 2>/dev/null; then
  "$IRE_PYTHON" - "$model" <<'PY' 2>"$out/export-hf/python.log" || { echo "transformers could not use the app's export:"; cat "$out/export-hf/python.log"; exit 1; }
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
tok, model = AutoTokenizer.from_pretrained(sys.argv[1]), AutoModelForCausalLM.from_pretrained(sys.argv[1])
ids = tok("ROMEO:", return_tensors="pt").input_ids
text = tok.decode(model.generate(ids, max_length=32, do_sample=True)[0])
assert text.startswith("ROMEO:") and len(text) == 32, text
print(f"app Hugging Face export ok: {type(model).__name__} generated {text!r}")
PY
else
  echo "app Hugging Face export ok: $(basename "$hf_zip") (no transformers: not loaded)"
fi

# In compare mode: one ZIP for both runs (the data once, the IRE twin's checkpoint beside the base's).
rm -rf "$out/export-compare" && mkdir -p "$out/export-compare"
(cd "$out/export-compare" && DISPLAY=$display timeout 300 "$abs_bin" app --settings 'finding=untuned-lr' \
  --export-at 2 --quit-after 20 >status.json 2>app.log) || { echo "the compare export failed:"; cat "$out/export-compare/app.log"; exit 1; }
# The export paused the runs; they go on training after it (the launch used to hang here).
python3 - "$out/export-compare/status.json" <<'PY'
import json, sys
steps = [r["steps"] for r in json.load(open(sys.argv[1]))["runs"]]
assert min(steps) >= 20, f"the runs stopped after the export: {steps}"
print(f"training went on after the export: {steps} steps")
PY
zips=$(ls "$out"/export-compare/*.zip | wc -l)
[ "$zips" -eq 1 ] || { echo "compare mode exported $zips ZIPs, not one"; ls "$out/export-compare"; exit 1; }
python3 - "$out"/export-compare/*.zip <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
p = "ire-playground-export/"
for want in ["checkpoint.safetensors", "checkpoint-admire.safetensors", "data/corpus.txt.zlib"]:
    assert p + want in names, f"{want} missing from {names}"
assert sum(n.endswith("corpus.txt.zlib") for n in names) == 1, "the corpus is in the ZIP more than once"
print(f"compare export ok: one ZIP, {len(names)} files, both checkpoints, the corpus once")
PY

# A finding of docs/RESULTS.md by name: the comparison it describes, both runs training.
DISPLAY=$display timeout 300 "$bin" app --settings 'finding=untuned-lr' --quit-after 2 \
  >"$out/native-finding.json" 2>"$out/native-finding.log" \
  || { echo "the finding link failed:"; cat "$out/native-finding.log"; exit 1; }
grep -q '"label":"AdamW".*"label":"AdmIRE"' "$out/native-finding.json" \
  || { echo "the finding did not open AdamW vs AdmIRE:"; cat "$out/native-finding.json"; exit 1; }
echo "finding link ok: finding=untuned-lr opened AdamW vs AdmIRE"

# The user's own text: the transformer trains on it, and the status names it.
python3 - "$out/own-text.txt" <<'PY'
import sys
line = "the quick brown fox jumps over the lazy dog; 0123456789\n"
open(sys.argv[1], "w").write("".join(f"{i}: {line}" for i in range(600)))
PY
DISPLAY=$display timeout 300 "$bin" app --settings "$settings" --text-file "$out/own-text.txt" --quit-after 3 \
  >"$out/native-text.json" 2>"$out/native-text.log" \
  || { echo "training on a text file failed:"; cat "$out/native-text.log"; exit 1; }
grep -q '"text":"own-text.txt (' "$out/native-text.json" \
  || { echo "the app did not train on the text file:"; cat "$out/native-text.json"; exit 1; }
echo "own text ok: $(grep -o '"text":"[^"]*"' "$out/native-text.json")"
# Kept runs keep the text they trained on: closed, then continued without --text-file.
rm -rf "$out/kept-text"
DISPLAY=$display timeout 300 "$bin" app --settings "$settings" --text-file "$out/own-text.txt" \
  --state-dir "$out/kept-text" --quit-after 3 >/dev/null 2>"$out/kept-text.log" \
  || { echo "the kept text run failed:"; cat "$out/kept-text.log"; exit 1; }
DISPLAY=$display timeout 300 "$bin" app --state-dir "$out/kept-text" --resume --quit-after 6 \
  >"$out/kept-text.json" 2>>"$out/kept-text.log" \
  || { echo "continuing the kept text run failed:"; cat "$out/kept-text.log"; exit 1; }
grep -q '"text":"own-text.txt (' "$out/kept-text.json" \
  || { echo "the continued run is not on the kept text:"; cat "$out/kept-text.json"; exit 1; }
echo "kept text ok: continued on $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["text"])' "$out/kept-text.json") without --text-file"

# An image set of the user's (four IDX files in a folder, MNIST-style names): the ResNet trains on
# it instead of Fashion-MNIST.
python3 - "$out/idx" <<'PY'
import os, struct, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
def write(name, dims, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", n) for n in dims) + bytes(data))
for split, n in (("train", 96), ("t10k", 32)):
    labels = [i % 10 for i in range(n)]
    # Class c: a bright horizontal bar at row 2c + 4 (learnable in a few steps).
    pixels = [255 if r // 2 == labels[i] + 2 else 0 for i in range(n) for r in range(28) for _ in range(28)]
    write(f"{split}-images-idx3-ubyte", (n, 28, 28), pixels)
    write(f"{split}-labels-idx1-ubyte", (n,), labels)
PY
resnet_own='{"preset":"resnet-tiny","train":{"steps":40,"batch":8,"warmup":1,"eval_every":2,"eval_batches":1,"probe_every":0,"optimizer":{"kind":"sgd","lr":0.05}}}'
run_app native-idx "$resnet_own" 3 --data-dir "$out/idx"
check_run "$out/native-idx.json" "native own images" '
if (!s.images || !s.images.includes("96 training, 32 test images")) fail("the IDX folder was not taken: " + s.images);
if (r.steps < 3 || r.last_val_acc == null) fail("the ResNet did not train on it");
console.log(`own images ok: ${s.images}, ${r.steps} steps, test accuracy ${r.last_val_acc.toFixed(1)}%`);
'
# The Llama-style preset (rotary embeddings, RMSNorm, SwiGLU) with AdmIRE in compare mode.
llama='{"preset":"llama-tiny","compare":true,"train":{"steps":100,"batch":4,"warmup":2,"eval_every":4,"eval_batches":1,"probe_every":4,"sharpness":{"power_iters":1,"hutchinson_samples":1}}}'
run_app native-llama "$llama" 8
check_run "$out/native-llama.json" "native llama-tiny" '
if (s.runs.length !== 2 || s.runs.some((x) => x.steps < 8 || x.error || x.last_val_loss == null || x.probes < 1)) fail("both llama-tiny runs should train, evaluate and probe");
console.log(`native llama-tiny ok: ${s.runs.map((x) => `${x.label} ${x.steps} steps, val ${x.last_val_loss.toFixed(3)}`).join("; ")}`);
'
# Loss-landscape slices and Hessian spectra of both compare-mode runs (what the L and H keys
# request), taken at the same step: a 7 x 7 plane along random directions (same seed for both
# runs) and a 6-step Lanczos spectrum; then a 1-D slice along the top Hessian eigenvector.
analysis='{"preset":"tiny","compare":true,"train":{"steps":100,"batch":4,"warmup":2,"eval_every":0,"eval_batches":1,"probe_every":0},"analysis":{"slice":{"kind":"slice2d","grid":7,"span":0.5},"spectrum":{"lanczos_steps":6,"vectors":1,"top_k":3}}}'
run_app native-analysis "$analysis" 4 --analyse-at 4
check_run "$out/native-analysis.json" "native analyses" '
for (const run of s.runs) {
  const a = run.analysis, l = a && a.landscape, sp = a && a.spectrum;
  if (!l || l.points !== 49 || l.kind !== "slice2d" || !(l.min_loss <= l.center_loss)) fail(run.label + ": no 7 x 7 slice");
  if (!sp || sp.top.length !== 3 || !(sp.top[0] >= sp.top[2]) || !(sp.density_points > 0)) fail(run.label + ": no spectrum");
  if (l.step !== sp.step) fail(run.label + ": slice and spectrum at different steps");
}
console.log(`native analyses ok: ${s.runs.map((x) => `${x.label} step ${x.analysis.landscape.step}, centre ${x.analysis.landscape.center_loss.toFixed(3)}, top ${x.analysis.spectrum.top[0].toFixed(2)}`).join("; ")}`);
'
hessian='{"preset":"tiny","train":{"steps":100,"batch":4,"warmup":2,"eval_every":0,"eval_batches":1,"probe_every":0},"analysis":{"slice":{"kind":"slice1d","directions":"hessian","grid":9,"span":0.2,"lanczos_steps":6},"spectrum":{"lanczos_steps":4,"vectors":1,"top_k":2}}}'
run_app native-hessian-slice "$hessian" 3 --analyse-at 3
check_run "$out/native-hessian-slice.json" "native Hessian slice" '
const l = r.analysis.landscape;
if (!l || l.points !== 9 || l.directions !== "hessian" || l.eigenvalues.length !== 1) fail("no 1-D Hessian slice");
console.log(`native Hessian slice ok: lambda ${l.eigenvalues[0].toFixed(2)}, loss ${l.min_loss.toFixed(3)}..${l.max_loss.toFixed(3)}`);
'
# "Tune both": three learning rates per arm for a tenth of the run, then the best of each.
tune='%7B%22preset%22%3A%22tiny%22%2C%22compare%22%3Atrue%2C%22tune%22%3Atrue%2C%22train%22%3A%7B%22steps%22%3A60%2C%22batch%22%3A4%2C%22warmup%22%3A2%2C%22eval_every%22%3A0%2C%22eval_batches%22%3A1%2C%22probe_every%22%3A0%7D%7D'
DISPLAY=$display timeout 300 "$bin" app --settings "$tune" --quit-after 8 \
  >"$out/native-tune.json" 2>"$out/native-tune.log" \
  || { echo "tune both failed:"; cat "$out/native-tune.log"; exit 1; }
grep -q '"decided":true' "$out/native-tune.json" && grep -q '(tuned)' "$out/native-tune.json" \
  || { echo "tune both did not pick the best of each arm:"; cat "$out/native-tune.json"; exit 1; }
echo "tune both ok: $(grep -o '"speed_up":{[^}]*}' "$out/native-tune.json")"

# A link that does not parse: the window shows why, nothing trains, and --quit-after still ends.
if DISPLAY=$display timeout 60 "$bin" app --settings 'not-json{' --quit-after 5 \
  >"$out/native-bad-link.json" 2>"$out/native-bad-link.log"; then
  echo "a bad settings link exited 0"; exit 1
fi
grep -q "no run started: the link's settings could not be read" "$out/native-bad-link.log" \
  || { echo "a bad settings link did not say why:"; cat "$out/native-bad-link.log"; exit 1; }
grep -q '"runs":\[\]' "$out/native-bad-link.json" || { echo "a bad link trained something"; exit 1; }
# A run of 4 steps with --quit-after 10 ends (with an error) instead of waiting forever.
short='%7B%22preset%22%3A%22tiny%22%2C%22train%22%3A%7B%22steps%22%3A4%2C%22batch%22%3A4%2C%22warmup%22%3A1%2C%22eval_every%22%3A0%2C%22probe_every%22%3A0%7D%7D'
if DISPLAY=$display timeout 60 "$bin" app --settings "$short" --quit-after 10 \
  >"$out/native-short.json" 2>"$out/native-short.log"; then
  echo "a run shorter than --quit-after exited 0"; exit 1
fi
grep -q "finished after 4 steps, before --quit-after 10" "$out/native-short.log" \
  || { echo "a short run did not end as expected:"; cat "$out/native-short.log"; exit 1; }
# A --text-file that cannot be read: the launch fails, instead of training on the embedded text.
if DISPLAY=$display timeout 60 "$bin" app --text-file "$out/no-such-text.txt" --quit-after 3 \
  >"$out/native-no-text.json" 2>"$out/native-no-text.log"; then
  echo "a refused --text-file exited 0"; exit 1
fi
grep -q "the window reported an error" "$out/native-no-text.log" \
  || { echo "a refused --text-file did not say why:"; cat "$out/native-no-text.log"; exit 1; }
echo "native scripted launches ok: a bad link, a short run and a missing text end with an error"
