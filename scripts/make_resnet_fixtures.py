"""PyTorch reference fixtures for the ResNet kernels and model (tests/resnet_*.rs).

    python3 scripts/make_resnet_fixtures.py   # writes tests/fixtures/resnet_*.safetensors

Activations are stored twice where the engine's layout differs from PyTorch's: NCHW as PyTorch
has them, and `.cnhw` (channels outermost, then batch) as the engine keeps them.
"""
import copy
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import flat_loss  # noqa: E402
from reference_resnet import ResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
g = torch.Generator().manual_seed(4321)


def rand(*shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=torch.float64) * scale


def cnhw(t):
    return t.permute(1, 0, 2, 3).contiguous()


def f32(d):
    return {k: (v.detach().to(torch.float32).contiguous() if v.is_floating_point() else v.contiguous())
            for k, v in d.items()}


def kernels():
    t = {}
    # Convolutions: odd sizes; 3x3 stride 1 and 2 with padding 1, 1x1 stride 2 without padding.
    n, ci, h, w, co = 2, 3, 9, 7, 5
    x = rand(n, ci, h, w)
    t["conv.x"] = cnhw(x)
    for tag, k, stride, pad in (("c3s1", 3, 1, 1), ("c3s2", 3, 2, 1), ("c1s2", 1, 2, 0)):
        xx = x.clone().requires_grad_()
        wt = rand(co, ci, k, k, scale=0.3).requires_grad_()
        y = F.conv2d(xx, wt, stride=stride, padding=pad)
        dy = rand(*y.shape)
        y.backward(dy)
        t.update({f"{tag}.w": wt, f"{tag}.y": cnhw(y), f"{tag}.dy": cnhw(dy),
                  f"{tag}.dx": cnhw(xx.grad), f"{tag}.dw": wt.grad})

    # BatchNorm2d, training mode (batch statistics, running-stat update) and evaluation mode.
    n, c, h, w = 3, 4, 5, 6
    x = (rand(n, c, h, w) * 2 + 0.5).requires_grad_()
    gam = (1 + rand(c, scale=0.3)).requires_grad_()
    bet = rand(c, scale=0.3).requires_grad_()
    rm, rv = rand(c, scale=0.1), 1 + rand(c, scale=0.1).abs()
    rm_out, rv_out = rm.clone(), rv.clone()
    y = F.batch_norm(x, rm_out, rv_out, gam, bet, training=True, momentum=0.1, eps=1e-5)
    dy = rand(n, c, h, w)
    y.backward(dy)
    y_eval = F.batch_norm(x.detach(), rm, rv, gam.detach(), bet.detach(), training=False, eps=1e-5)
    t.update({"bn.x": cnhw(x), "bn.gamma": gam, "bn.beta": bet, "bn.y": cnhw(y), "bn.dy": cnhw(dy),
              "bn.dx": cnhw(x.grad), "bn.dgamma": gam.grad, "bn.dbeta": bet.grad,
              "bn.running_mean": rm, "bn.running_var": rv,
              "bn.running_mean_after": rm_out, "bn.running_var_after": rv_out, "bn.y_eval": cnhw(y_eval)})

    # ReLU, and global average pooling to [n, c].
    x = rand(3, 4, 5, 6).requires_grad_()
    y = F.relu(x)
    dy = rand(*y.shape)
    y.backward(dy)
    t.update({"relu.x": cnhw(x), "relu.y": cnhw(y), "relu.dy": cnhw(dy), "relu.dx": cnhw(x.grad)})
    x = rand(3, 4, 5, 6).requires_grad_()
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    dy = rand(*y.shape)
    y.backward(dy)
    t.update({"pool.x": cnhw(x), "pool.y": y, "pool.dy": dy, "pool.dx": cnhw(x.grad)})

    # Convolutions the texel matmul runs (CPU adapters): patch lengths that are multiples of 4.
    # With a batch of 4 the product assembles the patches itself; the "same" convolutions at
    # stride 1 (3x3, 5x5) also take dx as a convolution of dy, while 1x1 with 6 filters (a
    # turned patch of 6) and stride 2 go through the patch gradient. With a batch of 2 the
    # patches are written out (e3s1). Their own generator, so the values above stay as they were.
    g2 = torch.Generator().manual_seed(8765)
    for prefix, n, cases in (("aligned", 4, (("a3s1", 8, 3, 1, 1), ("a5s1", 8, 5, 1, 2),
                                             ("a1s1", 6, 1, 1, 0), ("a3s2", 8, 3, 2, 1))),
                             ("explicit", 2, (("e3s1", 8, 3, 1, 1),)),
                             ("stem", 4, (("s3s1", 8, 3, 1, 1),))):
        # The stem's case: one input channel, a patch of 9 (the weight is padded to 12).
        ci = 1 if prefix == "stem" else 4
        x = torch.randn(n, ci, 6, 8, generator=g2, dtype=torch.float64)
        t[f"{prefix}.x"] = cnhw(x)
        for tag, co, k, stride, pad in cases:
            xx = x.clone().requires_grad_()
            wt = (torch.randn(co, ci, k, k, generator=g2, dtype=torch.float64) * 0.3).requires_grad_()
            y = F.conv2d(xx, wt, stride=stride, padding=pad)
            dy = torch.randn(*y.shape, generator=g2, dtype=torch.float64)
            y.backward(dy)
            t.update({f"{tag}.w": wt, f"{tag}.y": cnhw(y), f"{tag}.dy": cnhw(dy),
                      f"{tag}.dx": cnhw(xx.grad), f"{tag}.dw": wt.grad})
    save_file(f32(t), os.path.join(OUT, "resnet_kernels.safetensors"))


def batch_stats_only(net):
    """A copy of `net` whose BatchNorms normalise with batch statistics and never touch running
    statistics: the engine's auxiliary pass (SAM's second gradient, the probes)."""
    aux = copy.deepcopy(net)
    for m in aux.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
    return aux


def model():
    torch.manual_seed(7)
    net = ResNet(blocks_per_stage=1, width=1).double()
    x = rand(4, 1, 28, 28)
    start = copy.deepcopy(net.state_dict())

    # Labels: two of the four images labelled with the class evaluation mode (after the training
    # step's running-statistics update) predicts, two with another class, so that the engine's
    # evaluation accuracy must come out exactly 0.5. Running statistics depend only on x.
    probe = copy.deepcopy(net)
    probe.train()
    with torch.no_grad():
        probe(x)
        probe.eval()
        pred = probe(x).argmax(1)
    y = torch.stack([pred[0], pred[1], (pred[2] + 1) % 10, (pred[3] + 3) % 10])

    net.train()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    t = {"x": x[:, 0].contiguous(), "y": y.to(torch.int32), "loss": loss.reshape(1)}
    for name, p in net.named_parameters():
        t[f"param.{name}"] = p
        t[f"grad.{name}"] = p.grad
    for name, b in net.named_buffers():
        if "running" in name:
            t[f"buffer.{name}"] = b
    net.eval()
    with torch.no_grad():
        logits = net(x)
    t["eval.loss"] = F.cross_entropy(logits, y).reshape(1)
    t["eval.acc"] = (logits.argmax(1) == y).double().mean().reshape(1)
    save_file(f32(t), os.path.join(OUT, "resnet_model.safetensors"))

    s = {"x": x[:, 0].contiguous(), "y": y.to(torch.int32)}
    s.update(sam_step(start, x, y))
    s.update(probes(start, x, y))
    save_file(f32(s), os.path.join(OUT, "resnet_sam_probes.safetensors"))


def sam_step(start, x, y, rho=0.05, lr=0.1, weight_decay=0.05):
    """One SAM step (SGD + momentum base, weight decay on every ResNet parameter as the engine
    applies it; large, so that a difference in what is decayed shows) from `start`: the second
    gradient is taken with batch statistics only, as the engine's auxiliary pass."""
    net = ResNet(blocks_per_stage=1, width=1).double()
    net.load_state_dict(start)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    gnorm = torch.sqrt(sum((p.grad ** 2).sum() for p in net.parameters()))
    eps = {p: rho * p.grad / gnorm for p in net.parameters()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(eps[p])
    net.zero_grad()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 0.0  # the second pass leaves running statistics alone
    F.cross_entropy(net(x), y).backward()
    with torch.no_grad():
        for p in net.parameters():
            p.sub_(eps[p])
    opt.step()
    t = {"sam.loss": loss.reshape(1)}
    for name, p in net.named_parameters():
        t[f"sam.param.{name}"] = p.detach()
    for name, b in net.named_buffers():
        if "running" in name:
            t[f"sam.buffer.{name}"] = b
    return t


def probes(start, x, y, samples=4000):
    """Exact (double-backprop, float64) top Hessian eigenvalue of the loss with batch-statistics
    BatchNorm, and a 4000-sample Hutchinson estimate of its trace with the per-sample spread."""
    from torch.func import functional_call, grad, jvp
    net = ResNet(blocks_per_stage=1, width=1).double()
    net.load_state_dict(start)
    net = batch_stats_only(net).train()
    loss, flat = flat_loss(net, lambda ps: F.cross_entropy(functional_call(net, ps, (x,)), y))
    gfn = grad(loss)

    def hvp(v):
        return jvp(gfn, (flat,), (v,))[1]

    v = torch.randn(flat.numel(), generator=g, dtype=torch.float64)
    v /= v.norm()
    for _ in range(200):
        hv = hvp(v)
        lam = float(v @ hv)
        v = hv / hv.norm()
    quads = []
    for _ in range(samples):
        z = torch.randint(0, 2, (flat.numel(),), generator=g).double() * 2 - 1
        quads.append(float(z @ hvp(z)))
    quads = torch.tensor(quads)
    return {"lambda_max": torch.tensor([lam]), "trace": quads.mean().reshape(1),
            "hutchinson_sample_std": quads.std().reshape(1)}


if __name__ == "__main__":
    kernels()
    model()
    print("wrote tests/fixtures/resnet_kernels.safetensors, resnet_model.safetensors, "
          "resnet_sam_probes.safetensors")
