"""The peer a user would pick instead: one training step of the same model in PyTorch eager on
this machine's CPU, with the same shapes, batch, optimizer and clipping as `ire-playground bench`.

    python3 scripts/bench_torch.py --model transformer --preset tiny --batch 32 --steps 10

Prints one JSON object: the mean step time over `--steps` timed steps after warm-up. `bench`
runs this itself (when `import torch` works) and reports the ratio beside its own figure.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from reference_model import GPT, GPTConfig  # noqa: E402
from reference_resnet import ResNet  # noqa: E402

# (n_layer, d_model, n_head, d_ff, seq_len): src/models/config.rs
TRANSFORMERS = {"tiny": (1, 64, 4, 256, 64), "small": (2, 128, 8, 512, 128)}
# blocks per stage: src/models/resnet.rs
RESNETS = {"resnet-tiny": 1, "resnet20": 3, "resnet56": 9}


def transformer_step(preset, batch, vocab):
    n_layer, d, h, ff, t = TRANSFORMERS[preset]
    net = GPT(GPTConfig(n_layer, h, d, ff, t, vocab))
    decayed = [p for p in net.parameters() if p.dim() >= 2]
    others = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.1},
                             {"params": others, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    tokens = torch.randint(0, vocab, (batch, t + 1))
    idx, targets = tokens[:, :-1], tokens[:, 1:]

    def step():
        opt.zero_grad(set_to_none=True)
        _, loss = net(idx, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        return loss
    return step


def resnet_step(preset, batch):
    net = ResNet(blocks_per_stage=RESNETS[preset], width=1).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["transformer", "resnet"], default="transformer")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--vocab", type=int, default=83)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    step = (transformer_step(a.preset, a.batch, a.vocab) if a.model == "transformer"
            else resnet_step(a.preset, a.batch))
    for _ in range(3):
        step()
    times = []
    for _ in range(a.steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"model": a.model, "preset": a.preset, "batch": a.batch,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "step_ms_mean": sum(times) / len(times), "step_ms_min": min(times)}))


if __name__ == "__main__":
    main()
