"""The CIFAR-style ResNet of He et al. (2016) for 1x28x28 inputs, as the Rust engine builds it:
the one definition in python/playground/models.py (which `ire-playground export` ships),
re-exported for the fixture and benchmark scripts. `ResNet(...)(x)` returns the logits."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from playground.models import ResNet as _ResNet  # noqa: E402


class ResNet(_ResNet):
    def forward(self, x, targets=None):
        logits, loss = super().forward(x, targets)
        return logits if targets is None else (logits, loss)
