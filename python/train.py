#!/usr/bin/env python3
"""Continues an ire-playground run in PyTorch, on one process or under torchrun.

    python3 train.py --steps 2000 --log run.jsonl --save run.safetensors
    torchrun --nproc_per_node 8 train.py --steps 2000 --log run.jsonl --save run.safetensors

Flags follow `ire-playground train`: --steps is the run's total (the cosine schedule ends there),
--log is appended to, --save gets the final state and --checkpoint-every K keeps the newest three
`<stem>-step<N>.safetensors` beside it. Checkpoints are in the playground's format:
`ire-playground train --resume F` and `ire-playground eval --checkpoint F` read them, and the app
opens the log."""
import argparse
import glob
import json
import math
import os
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _require(modules):
    """Stops with the one command that installs what is missing, instead of a bare traceback."""
    import importlib.util
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f"train.py needs {', '.join(missing)}, which this Python ({sys.executable}) "
                 f"lacks. Install them with:\n  {sys.executable} -m pip install -r "
                 f"{os.path.join(HERE, 'requirements.txt')}")


_require(["torch", "numpy", "safetensors"])

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from playground import checkpoint as ckpt_io  # noqa: E402
from playground.run import Diverged, Run  # noqa: E402

F64_KEYS = {"ms"}


def to_json(value, key=None) -> str:
    """JSON like the playground's logs: f32 values in their shortest form, NaN/Inf as null."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v, k)}" for k, v in value.items()) + "}"
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "null"
        return repr(value) if key in F64_KEYS else str(np.float32(value))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    raise TypeError(f"cannot log {type(value)}")


def check_output(path: str, flag: str) -> None:
    """Refuses, before any work, an output path that cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        sys.exit(f"{flag} {path} is a folder")
    if not os.path.isdir(folder):
        sys.exit(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        sys.exit(f"{flag} {path}: the folder {folder} is not writable")


def periodic_path(save: str, step: int) -> str:
    stem, _ = os.path.splitext(save)
    return f"{stem}-step{step}.safetensors"


def prune_periodic(save: str, keep: int) -> None:
    stem, _ = os.path.splitext(save)
    found = []
    for path in glob.glob(glob.escape(stem) + "-step*.safetensors"):
        m = re.fullmatch(re.escape(stem) + r"-step(\d+)\.safetensors", path)
        if m:
            found.append((int(m.group(1)), path))
    for _, path in sorted(found)[:-keep]:
        os.remove(path)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoint.safetensors"),
                   help="the run to continue (default: the exported checkpoint)")
    p.add_argument("--steps", type=int, help="the run's total steps (default: the checkpoint's)")
    p.add_argument("--log", help="append one JSON object per step / evaluation / probe here")
    p.add_argument("--save", help="save the final state here (the playground's format)")
    p.add_argument("--checkpoint-every", type=int, metavar="K", help="also save every K steps")
    p.add_argument("--eval-every", type=int, help="evaluate every E steps (0: only at the end)")
    p.add_argument("--data", help="the corpus file, or the folder of IDX image files "
                                  "(default: the exported copy under data/)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="cpu or cuda (default: cuda when available)")
    p.add_argument("--threads", type=int, help="CPU threads per process")
    args = p.parse_args()
    if args.checkpoint_every is not None and (args.checkpoint_every < 1 or not args.save):
        p.error("--checkpoint-every needs a value >= 1 and --save")
    if args.steps is not None and not 1 <= args.steps <= 1 << 30:
        p.error("--steps must be between 1 and 2^30")
    if args.eval_every is not None and args.eval_every < 0:
        p.error("--eval-every must be >= 0")
    for path, flag in ((args.log, "--log"), (args.save, "--save")):
        if path:
            check_output(path, flag)
    if args.log and args.save and os.path.abspath(args.log) == os.path.abspath(args.save):
        p.error("--log and --save must be different files")
    return args


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = args.device
    if world > 1:
        backend = "nccl" if device == "cuda" else "gloo"
        dist.init_process_group(backend)
        if device == "cuda":
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
            torch.cuda.set_device(device)
    rank = dist.get_rank() if world > 1 else 0

    try:
        ckpt = ckpt_io.load(args.checkpoint)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"cannot load {args.checkpoint}: {e}")
    data = args.data or os.path.join(
        HERE, "data", "fashion-mnist" if ckpt.family == "resnet" else "corpus.txt.zlib")
    try:
        run = Run(ckpt, data, device, steps=args.steps, eval_every=args.eval_every)
    except (OSError, ValueError) as e:
        sys.exit(f"cannot continue the run: {e}")

    stop = {"now": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    log = open(args.log, "a", encoding="utf-8") if (args.log and rank == 0) else None
    if rank == 0:
        print(f"continuing a {ckpt.family} run at step {run.next_step} to {run.cfg['steps']} "
              f"on {world} process(es), device {device}", file=sys.stderr)

    def save(path, checkpoint):
        if rank == 0:
            ckpt_io.save(path, checkpoint)

    status = 0
    try:
        while run.next_step < run.cfg["steps"]:
            try:
                rows = run.train_step()
            except Diverged as e:
                if log:
                    log.write(to_json({"step": e.step, "event": "diverged"}) + "\n")
                    log.flush()
                msg = f"{e}; the update was skipped"
                if args.save:
                    path = os.path.splitext(args.save)[0] + "-diverged.safetensors"
                    weights = run.checkpoint()
                    weights.host, weights.state = None, {}
                    save(path, weights)
                    msg += f"; the last weights (no training state) are in {path}"
                print(msg, file=sys.stderr)
                status = 1
                break
            if log:
                log.write("".join(to_json(r) + "\n" for r in rows))
                log.flush()
            if rank == 0:
                for r in rows:
                    if "val_loss" in r:
                        print(f"step {r['step']:>6}  val_loss {r['val_loss']:.4f}", file=sys.stderr)
            if args.checkpoint_every and run.next_step % args.checkpoint_every == 0:
                save(periodic_path(args.save, run.next_step), run.checkpoint())
                if rank == 0:
                    prune_periodic(args.save, 3)
            flag = torch.tensor(1.0 if stop["now"] else 0.0, device=run.device)
            if world > 1:
                dist.all_reduce(flag)
            if float(flag) > 0:
                status = 130
                break
        if status != 1 and args.save:
            save(args.save, run.checkpoint())
            if rank == 0:
                print(f"saved {args.save} (step {run.next_step})", file=sys.stderr)
        if status == 130 and rank == 0:
            where = f"the run's state is in {args.save}" if args.save else "nothing was saved (no --save)"
            print(f"interrupted at step {run.next_step}; {where}", file=sys.stderr)
    finally:
        if log:
            log.close()
        if world > 1:
            # Every rank waits for the others (rank 0 may still be writing the checkpoint):
            # tearing gloo down while a peer is busy can abort that peer at exit.
            try:
                dist.barrier()
            except RuntimeError:
                pass
            dist.destroy_process_group()
    sys.exit(status)


if __name__ == "__main__":
    main()
