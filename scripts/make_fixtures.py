"""Generates the PyTorch reference fixtures the Rust tests compare against.

    python3 scripts/make_fixtures.py      # writes tests/fixtures/*.safetensors

Every number in the fixtures comes from PyTorch (float64 where noted, then stored as float32),
never from this project's own kernels. Requires torch and safetensors (pip install torch safetensors).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from reference_model import GPT, GPTConfig  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
g = torch.Generator().manual_seed(1234)


def rand(*shape, scale=1.0):
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale)


def f32(d):
    return {k: (v.detach().to(torch.float32).contiguous() if v.is_floating_point() else v.contiguous())
            for k, v in d.items()}


def kernels():
    t = {}
    # matmul: odd sizes so every bounds check is exercised; all three transposes.
    m, k, n = 37, 29, 45
    a, b, bias = rand(m, k), rand(k, n), rand(n)
    t["mm.a"], t["mm.b"], t["mm.bias"] = a, b, bias
    t["mm.nn"] = a @ b
    t["mm.nn_bias"] = a @ b + bias
    t["mm.a_t"] = a.t().contiguous()          # [k, m]
    t["mm.b_t"] = b.t().contiguous()          # [n, k]
    t["mm.tn"] = a @ b                        # from a_t stored transposed
    t["mm.nt"] = a @ b                        # from b_t stored transposed

    # linear layer forward/backward (nn.Linear layout: weight [out, in]).
    rows, fin, fout = 19, 24, 33
    x = rand(rows, fin).requires_grad_()
    w = rand(fout, fin, scale=0.2).requires_grad_()
    bb = rand(fout).requires_grad_()
    y = F.linear(x, w, bb)
    dy = rand(rows, fout)
    y.backward(dy)
    t.update({"lin.x": x, "lin.w": w, "lin.b": bb, "lin.y": y, "lin.dy": dy,
              "lin.dx": x.grad, "lin.dw": w.grad, "lin.db": bb.grad})

    # LayerNorm with a residual gradient added to dx.
    rows, cols = 21, 40
    x = (rand(rows, cols) * 3 + 1).requires_grad_()
    gam = (1 + rand(cols, scale=0.3)).requires_grad_()
    bet = rand(cols, scale=0.3).requires_grad_()
    y = F.layer_norm(x, (cols,), gam, bet, eps=1e-5)
    dy, dres = rand(rows, cols), rand(rows, cols)
    y.backward(dy)
    t.update({"ln.x": x, "ln.gamma": gam, "ln.beta": bet, "ln.y": y, "ln.dy": dy, "ln.dres": dres,
              "ln.dx": x.grad + dres, "ln.dx_nores": x.grad, "ln.dgamma": gam.grad, "ln.dbeta": bet.grad})

    # GELU (tanh), including large magnitudes.
    x = torch.cat([rand(997, scale=3.0), torch.tensor([-30.0, -8.0, 0.0, 8.0, 30.0], dtype=torch.float64)])
    x.requires_grad_()
    y = F.gelu(x, approximate="tanh")
    dy = rand(x.numel())
    y.backward(dy)
    t.update({"gelu.x": x, "gelu.y": y, "gelu.dy": dy, "gelu.dx": x.grad})

    # Residual add.
    a, b = rand(1031), rand(1031)
    t.update({"res.a": a, "res.b": b, "res.out": a + b})

    # Causal attention on packed qkv: head_dim 5 (scalar kernels) and 8 (vec4 kernels).
    for tag, shape in (("att", (2, 7, 3, 5)), ("att8", (2, 9, 2, 8))):
        t.update(attention_case(tag, shape, rand))

    # Embedding (token ids repeat, so gathers sum several rows).
    B, T, D, V = 3, 6, 8, 11
    tokens = torch.randint(0, V, (B, T), generator=g)
    wte = rand(V, D).requires_grad_()
    wpe = rand(T, D).requires_grad_()
    x = wte[tokens] + wpe[torch.arange(T)]
    dx = rand(B, T, D)
    x.backward(dx)
    t.update({"emb.tokens": tokens.to(torch.int32).reshape(-1), "emb.wte": wte, "emb.wpe": wpe,
              "emb.x": x.reshape(B * T, D), "emb.dx": dx.reshape(B * T, D),
              "emb.dwte": wte.grad, "emb.dwpe": wpe.grad})

    # Softmax + cross-entropy, mean reduction, with large logits.
    R, V = 23, 17
    logits = (rand(R, V) * 4).requires_grad_()
    targets = torch.randint(0, V, (R,), generator=g)
    losses = F.cross_entropy(logits, targets, reduction="none")
    loss = losses.mean()
    loss.backward()
    t.update({"ce.logits": logits, "ce.targets": targets.to(torch.int32), "ce.losses": losses,
              "ce.loss": loss.reshape(1), "ce.dlogits": logits.grad})
    # The same logits with every third row unscored (ignore_index -1, stored as int32 -1: the
    # engine's IGNORE, u32::MAX): losses, the mean over scored rows, its gradient, accuracy.
    masked = targets.clone()
    masked[::3] = -1
    scored_logits = logits.detach().clone().requires_grad_()
    masked_losses = F.cross_entropy(scored_logits, masked, ignore_index=-1, reduction="none")
    masked_loss = F.cross_entropy(scored_logits, masked, ignore_index=-1)
    masked_loss.backward()
    right = (scored_logits.argmax(-1) == masked) & (masked >= 0)
    t.update({"ce_masked.targets": masked.to(torch.int32), "ce_masked.losses": masked_losses,
              "ce_masked.loss": masked_loss.reshape(1), "ce_masked.dlogits": scored_logits.grad,
              "ce_masked.accuracy": (right.double().sum() / (masked >= 0).sum()).reshape(1)})

    # Global-norm clipping (torch.nn.utils.clip_grad_norm_ semantics, eps-free form).
    grads = rand(70001, scale=0.01)
    norm = grads.norm()
    t.update({"clip.grads": grads, "clip.norm": norm.reshape(1)})

    # Optimizers: three steps from the same start, gradients fixed per step.
    n = 3001
    p0 = rand(n)
    gs = [rand(n) for _ in range(3)]
    t["opt.p0"] = p0
    for i, gi in enumerate(gs):
        t[f"opt.g{i}"] = gi
    lrs = [1e-2, 7e-3, 3e-3]
    decay_end = 2000
    for name in ("adamw", "sgd"):
        pd = p0.clone()[:decay_end].requires_grad_()
        pn = p0.clone()[decay_end:].requires_grad_()
        if name == "adamw":
            opt = torch.optim.AdamW([{"params": [pd], "weight_decay": 0.1},
                                     {"params": [pn], "weight_decay": 0.0}],
                                    lr=lrs[0], betas=(0.9, 0.95), eps=1e-8)
        else:
            opt = torch.optim.SGD([{"params": [pd], "weight_decay": 5e-4},
                                   {"params": [pn], "weight_decay": 0.0}],
                                  lr=lrs[0], momentum=0.9)
        for i, gi in enumerate(gs):
            for group in opt.param_groups:
                group["lr"] = lrs[i]
            pd.grad, pn.grad = gi[:decay_end].clone(), gi[decay_end:].clone()
            opt.step()
        t[f"opt.{name}"] = torch.cat([pd.detach(), pn.detach()])
    # Lion (no torch.optim.Lion): the paper's Algorithm 2 in float64, weight decay 1.0 below
    # decay_end, betas (0.9, 0.99).
    lion = Lion(p0.clone(), decay_end, weight_decay=1.0)
    for i, gi in enumerate(gs):
        lion.step(gi, lrs[i])
    t["opt.lion"] = lion.p
    t.update(aligned_matmul())
    t.update(padded_matmul())
    save_file(f32(t), os.path.join(OUT, "kernels.safetensors"))


class Lion:
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2) on a
    flat vector: c = b1 m + (1 - b1) g; p = p (1 - lr wd) - lr sign(c); m = b2 m + (1 - b2) g,
    weight decay on the first `decay_end` coordinates."""

    def __init__(self, p, decay_end, weight_decay, betas=(0.9, 0.99)):
        self.p, self.m, self.betas = p, torch.zeros_like(p), betas
        self.wd = torch.zeros_like(p)
        self.wd[:decay_end] = weight_decay

    def step(self, g, lr):
        b1, b2 = self.betas
        c = b1 * self.m + (1 - b1) * g
        self.p = self.p * (1 - lr * self.wd) - lr * torch.sign(c)
        self.m = b2 * self.m + (1 - b2) * g


def attention_case(tag, shape, rnd):
    """Causal attention on packed qkv [B*T, 3*D] with inputs drawn from `rnd`: output,
    probabilities and the qkv gradient for a random output gradient."""
    B, T, H, hd = shape
    D = H * hd
    qkv = rnd(B * T, 3 * D).requires_grad_()
    q, kk, v = qkv.view(B, T, 3 * D).split(D, dim=2)
    q, kk, v = (z.reshape(B, T, H, hd).transpose(1, 2) for z in (q, kk, v))
    att = (q @ kk.transpose(-2, -1)) / math.sqrt(hd)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    probs = att.masked_fill(~mask, float("-inf")).softmax(-1)
    out = (probs @ v).transpose(1, 2).reshape(B * T, D)
    dout = rnd(B * T, D)
    out.backward(dout)
    return {f"{tag}.qkv": qkv.detach(), f"{tag}.out": out.detach(), f"{tag}.probs": probs.detach(),
            f"{tag}.dout": dout, f"{tag}.dqkv": qkv.grad}


def aligned_matmul():
    """Shapes the vec4 and texel matmuls take (contiguous dimensions multiples of 4), with
    ragged row/column blocks and, for `tn`, an inner dimension that is not. Its own generator,
    so that adding it left every other fixture's numbers unchanged."""
    g4 = torch.Generator().manual_seed(4321)

    def r(*shape):
        return torch.randn(*shape, generator=g4, dtype=torch.float64)

    m, k, n = 36, 28, 76
    a, b, bias, b_t = r(m, k), r(k, n), r(n), r(n + 1, k)
    k_tail = 29
    a_tail, b_tail = r(k_tail, m), r(k_tail, n)
    t = {"mm4.a": a, "mm4.b": b, "mm4.bias": bias, "mm4.nn": a @ b, "mm4.nn_bias": a @ b + bias,
         "mm4.b_t": b_t, "mm4.nt": a @ b_t.t(),
         "mm4.a_tail": a_tail, "mm4.b_tail": b_tail, "mm4.tn": a_tail.t() @ b_tail}

    # Causal attention whose sequence length is a multiple of 4 (the texel products' shapes),
    # with two row blocks of 16, the second partial.
    t.update(attention_case("att20", (2, 20, 2, 8), r))

    # Enough rows for the texel kernel's 32-row blocks (72: two full blocks and a partial one).
    m, k, n = 72, 28, 44
    a, b, b_t = r(m, k), r(k, n), r(n + 1, k)
    a_tail, b_tail = r(k_tail, m), r(k_tail, n)
    t.update({"mm72.a": a, "mm72.b": b, "mm72.nn": a @ b, "mm72.b_t": b_t, "mm72.nt": a @ b_t.t(),
              "mm72.a_tail": a_tail, "mm72.b_tail": b_tail, "mm72.tn": a_tail.t() @ b_tail})
    return t


def padded_matmul():
    """Products whose A rows are not whole texels (the texel matmul pads them): `nn` with an
    inner dimension of 29 and `tn` with 37 rows (the head's 83-symbol vocabulary in small).
    Its own generator, so every other fixture's numbers stay unchanged."""
    g5 = torch.Generator().manual_seed(5678)

    def r(*shape):
        return torch.randn(*shape, generator=g5, dtype=torch.float64)

    m, k, n = 40, 29, 44
    a, b = r(m, k), r(k, n)
    m_t = 37
    a_t = r(k, m_t)
    return {"mmpad.a": a, "mmpad.b": b, "mmpad.nn": a @ b,
            "mmpad.a_t": a_t, "mmpad.tn": a_t.t() @ b}


def model():
    cfg = GPTConfig(n_layer=2, n_head=4, d_model=32, d_ff=64, seq_len=16, vocab=23)
    torch.manual_seed(7)
    net = GPT(cfg).double()
    # Non-trivial LayerNorm and bias values so their gradients are tested for real.
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.3 if p.dim() > 1 else 0.1)
                    + (1.0 if name.endswith(("ln1.weight", "ln2.weight", "ln_f.weight")) else 0.0))
    batch = 3
    tokens = torch.randint(0, cfg.vocab, (batch, cfg.seq_len + 1), generator=g)
    idx, targets = tokens[:, :-1], tokens[:, 1:]
    _, loss = net(idx, targets)
    loss.backward()
    t = {}
    for name, p in net.named_parameters():
        t[name] = p
        t["grad." + name] = p.grad
    t["input.idx"] = idx.to(torch.int32).contiguous()
    t["input.targets"] = targets.to(torch.int32).contiguous()
    t["output.loss"] = loss.reshape(1)
    meta = {"n_layer": "2", "n_head": "4", "d_model": "32", "d_ff": "64", "seq_len": "16", "vocab": "23",
            "batch": str(batch)}
    save_file(f32(t), os.path.join(OUT, "model_small.safetensors"), metadata=meta)


def select_values(n):
    """The radix-select test data, generated identically in tests/ire.rs: integer hashes mapped
    to floats so that half the entries take one of 4096 values (many ties, about 1/4096 exact
    zeros) and half are nearly all distinct."""
    import numpy as np
    i = np.arange(n, dtype=np.uint64)
    h = ((i * np.uint64(2654435761)) % np.uint64(2**32)).astype(np.uint32)
    h = h ^ (h >> np.uint32(15))
    h = (h.astype(np.uint64) * np.uint64(2246822519) % np.uint64(2**32)).astype(np.uint32)
    tied = (h >> np.uint32(20)).astype(np.float32) / np.float32(37.0)
    distinct = (h >> np.uint32(8)).astype(np.float32) / np.float32(1e5)
    return np.where(i % 2 == 0, tied, distinct).astype(np.float32)


def ire():
    import numpy as np
    t = {}
    # Exact k-th smallest (1-based) of 4,194,319 entries, by numpy.
    n = 4 * 1024 * 1024 + 15
    v = select_values(n)
    ks = np.array([1, 2, n // 2, int(0.9 * n), int(0.99 * n), n - 1, n], dtype=np.int64)
    kth = np.array([np.partition(v, k - 1)[k - 1] for k in ks], dtype=np.float32)
    t["select.k"] = torch.from_numpy(ks.astype(np.int32))
    t["select.kth"] = torch.from_numpy(kth)
    t["select.count_le"] = torch.from_numpy(np.array([(v <= x).sum() for x in kth], dtype=np.float32))
    t["select.zeros"] = torch.tensor([float((v == 0).sum())])
    t["select.head"] = torch.from_numpy(v[:64].copy())

    # One AdmIRE step and one SGD-IRE step after a plain first step, re-implementing the authors'
    # update in PyTorch: delta = theta_after_base_step - theta; theta += delta * (1 + kappa * mask),
    # where mask marks the gamma-fraction of coordinates with the smallest Fisher value h.
    n = 2049
    p0, g0, g1 = rand(n), rand(n), rand(n)
    h = rand(n).abs()
    gamma, kappa = 0.7, 3.0
    k = int(gamma * n)
    threshold = torch.kthvalue(h, k).values
    mask = (h <= threshold).double()
    t.update({"ire.p0": p0, "ire.g0": g0, "ire.g1": g1, "ire.h": h, "ire.mask": mask,
              "ire.threshold": threshold.reshape(1)})
    decay_end = 1500
    for name in ("adamw", "sgd"):
        pd = p0.clone()[:decay_end].requires_grad_()
        pn = p0.clone()[decay_end:].requires_grad_()
        if name == "adamw":
            opt = torch.optim.AdamW([{"params": [pd], "weight_decay": 0.1}, {"params": [pn], "weight_decay": 0.0}],
                                    lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
        else:
            opt = torch.optim.SGD([{"params": [pd], "weight_decay": 5e-4}, {"params": [pn], "weight_decay": 0.0}],
                                  lr=1e-2, momentum=0.9)
        for gi, use_ire in ((g0, False), (g1, True)):
            pd.grad, pn.grad = gi[:decay_end].clone(), gi[decay_end:].clone()
            before = torch.cat([pd.detach(), pn.detach()]).clone()
            opt.step()
            if use_ire:
                after = torch.cat([pd.detach(), pn.detach()])
                new = before + (after - before) * (1 + kappa * mask)
                with torch.no_grad():
                    pd.copy_(new[:decay_end])
                    pn.copy_(new[decay_end:])
        t[f"ire.{name}"] = torch.cat([pd.detach(), pn.detach()])
    lion = Lion(p0.clone(), decay_end, weight_decay=1.0)
    lion.step(g0, 1e-2)
    before = lion.p.clone()
    lion.step(g1, 1e-2)
    t["ire.lion"] = before + (lion.p - before) * (1 + kappa * mask)
    save_file(f32(t), os.path.join(OUT, "ire.safetensors"))


def flat_loss(net, loss_of):
    """`loss_of(params)` (params: a name -> tensor dict for `functional_call`) as a function of
    one flat parameter vector in named_parameters order, and the current flat vector."""
    names = [n for n, _ in net.named_parameters()]
    shapes = {n: p.shape for n, p in net.named_parameters()}

    def loss(flat):
        ps, o = {}, 0
        for n in names:
            k = math.prod(shapes[n])
            ps[n] = flat[o:o + k].view(shapes[n])
            o += k
        return loss_of(ps)

    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    return loss, flat


def sharpness():
    """Exact (double-backprop, float64) top Hessian eigenvalue of the `tiny` transformer's loss,
    and the exact Hessian trace of a micro model (small enough for the full Hessian)."""
    from torch.func import functional_call, grad, jvp, vmap
    t = {}
    meta = {}
    for tag, cfg, batch in (("tiny", GPTConfig(1, 4, 64, 256, 64, 83), 4),
                            ("micro", GPTConfig(1, 2, 16, 32, 16, 23), 4)):
        torch.manual_seed(11)
        net = GPT(cfg).double()   # PyTorch default init: larger weights than GPT-2's, sharper
        tokens = torch.randint(0, cfg.vocab, (batch, cfg.seq_len + 1), generator=g)
        idx, targets = tokens[:, :-1], tokens[:, 1:]
        loss, flat = flat_loss(net, lambda ps: functional_call(net, ps, (idx, targets))[1])
        gfn = grad(loss)

        def hvp(v):
            return jvp(gfn, (flat,), (v,))[1]

        v = torch.randn(flat.numel(), generator=g, dtype=torch.float64)
        v /= v.norm()
        for _ in range(300):
            hv = hvp(v)
            lam = float(v @ hv)
            v = hv / hv.norm()
        t[f"{tag}.idx"] = idx.to(torch.int32).contiguous()
        t[f"{tag}.targets"] = targets.to(torch.int32).contiguous()
        for name, p in net.named_parameters():
            t[f"{tag}.param.{name}"] = p.detach()
        t[f"{tag}.lambda_max"] = torch.tensor([lam])
        t[f"{tag}.loss"] = loss(flat).reshape(1)
        if tag == "micro":
            n = flat.numel()
            hess = torch.cat([vmap(hvp)(torch.eye(n, dtype=torch.float64)[i:i + 512]) for i in range(0, n, 512)])
            trace = float(hess.diagonal().sum())
            # Standard deviation of one Rademacher sample z^T H z: sqrt(2 (||H||_F^2 - sum H_ii^2)).
            off = float((hess ** 2).sum() - (hess.diagonal() ** 2).sum())
            t["micro.trace"] = torch.tensor([trace])
            # The exact spectrum's ends, for Lanczos: the 6 largest eigenvalues (descending) and
            # the 3 smallest (ascending).
            eig = torch.linalg.eigvalsh(hess)
            t["micro.eigenvalues_top"] = eig.flip(0)[:6].contiguous()
            t["micro.eigenvalues_bottom"] = eig[:3].contiguous()
            # One SAM step (SGD + momentum base, decay on matrices/embeddings), PyTorch reference.
            rho, lr = 0.05, 0.1
            sam_net = GPT(cfg).double()
            sam_net.load_state_dict(net.state_dict())
            decayed = [p for p in sam_net.parameters() if p.dim() >= 2]
            others = [p for p in sam_net.parameters() if p.dim() < 2]
            opt = torch.optim.SGD([{"params": decayed, "weight_decay": 5e-4},
                                   {"params": others, "weight_decay": 0.0}], lr=lr, momentum=0.9)
            sam_net(idx, targets)[1].backward()
            gnorm = torch.sqrt(sum((p.grad ** 2).sum() for p in sam_net.parameters()))
            eps = {p: rho * p.grad / gnorm for p in sam_net.parameters()}
            with torch.no_grad():
                for p in sam_net.parameters():
                    p.add_(eps[p])
            sam_net.zero_grad()
            sam_net(idx, targets)[1].backward()
            with torch.no_grad():
                for p in sam_net.parameters():
                    p.sub_(eps[p])
            opt.step()
            for name, p in sam_net.named_parameters():
                t[f"micro.sam.{name}"] = p.detach()
            t["micro.hutchinson_sample_std"] = torch.tensor([math.sqrt(2 * off)])
            meta.update({"micro_params": str(n)})
        meta.update({f"{tag}_{k}": str(v) for k, v in cfg.__dict__.items()})
        meta[f"{tag}_batch"] = str(batch)
    save_file(f32(t), os.path.join(OUT, "sharpness.safetensors"), metadata=meta)


def llama():
    """The Llama-style pieces: RMSNorm, rotary embeddings on a packed qkv buffer and SwiGLU, each
    forward and backward by autograd in float64; and a whole 2-block Llama-style model's loss and
    every gradient."""
    from reference_model import rotate
    t = {}
    rows, cols = 21, 40
    x = rand(rows, cols).requires_grad_()
    gam = (1.0 + rand(cols, scale=0.1)).requires_grad_()
    y = F.rms_norm(x, (cols,), gam, eps=1e-5)
    dy = rand(rows, cols)
    y.backward(dy)
    t.update({"rms.x": x, "rms.gamma": gam, "rms.y": y, "rms.dy": dy, "rms.dx": x.grad,
              "rms.dgamma": gam.grad})
    # Rotary embeddings on q and k of a packed [batch * seq, 3 * heads * head_dim] buffer.
    batch, seq, heads, hd = 2, 7, 3, 6
    dim = heads * hd
    qkv = rand(batch * seq, 3 * dim).requires_grad_()
    q, k, v = qkv.view(batch, seq, 3 * dim).split(dim, dim=2)
    q, k = (rotate(z.view(batch, seq, heads, hd).transpose(1, 2)).transpose(1, 2).reshape(batch, seq, dim)
            for z in (q, k))
    out = torch.cat([q, k, v], dim=2).reshape(batch * seq, 3 * dim)
    dout = rand(batch * seq, 3 * dim)
    out.backward(dout)
    t.update({"rope.qkv": qkv, "rope.out": out, "rope.dout": dout, "rope.dqkv": qkv.grad})
    # SwiGLU.
    n = 37 * 5
    a = rand(n, scale=3.0).requires_grad_()
    b = rand(n).requires_grad_()
    h = F.silu(a) * b
    dh = rand(n)
    h.backward(dh)
    t.update({"swiglu.a": a, "swiglu.b": b, "swiglu.h": h, "swiglu.dh": dh, "swiglu.da": a.grad,
              "swiglu.db": b.grad})
    # The whole model.
    cfg = GPTConfig(n_layer=2, n_head=4, d_model=32, d_ff=48, seq_len=16, vocab=23, arch="llama")
    torch.manual_seed(7)
    net = GPT(cfg).double()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.3 if p.dim() > 1 else 0.1)
                    + (1.0 if name.endswith(("ln1.weight", "ln2.weight", "ln_f.weight")) else 0.0))
    tokens = torch.randint(0, cfg.vocab, (3, cfg.seq_len + 1), generator=g)
    idx, targets = tokens[:, :-1], tokens[:, 1:]
    _, loss = net(idx, targets)
    loss.backward()
    for name, p in net.named_parameters():
        t["model." + name] = p
        t["model.grad." + name] = p.grad
    t["model.idx"] = idx.to(torch.int32).contiguous()
    t["model.targets"] = targets.to(torch.int32).contiguous()
    t["model.loss"] = loss.reshape(1)
    meta = {k: str(v) for k, v in cfg.__dict__.items()}
    meta["batch"] = "3"
    save_file(f32({k: v.detach() for k, v in t.items()}), os.path.join(OUT, "llama.safetensors"), metadata=meta)


def newton_schulz(u, steps=5, coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7):
    """Muon's orthogonalisation of the 2-D update `u` (Jordan et al. 2024, as published), in
    float64: normalise by the Frobenius norm, then `X <- a X + (b A + c A^2) X`, `A = X X^T`,
    in the wide orientation."""
    a, b, c = coefficients
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon():
    """Three Muon steps on a small parameter set: hidden matrices (one wide, one tall, and a
    convolution's filters as the matrix [out, in*k*k]) by Muon, an outer embedding and a bias by
    AdamW at Muon's aux learning rate. Two references: the algorithm written out in float64
    (momentum 0.95 with Nesterov, the shape factor sqrt(max(1, rows/cols)), decoupled decay),
    and torch.optim.Muon (which orthogonalises in bfloat16) with torch.optim.AdamW."""
    gen = torch.Generator().manual_seed(97)
    shapes = {"emb.weight": (30, 8), "h1.weight": (24, 40), "h1.bias": (24,), "h2.weight": (48, 16),
              "conv.weight": (6, 4, 3, 3)}
    hidden = ["h1.weight", "h2.weight", "conv.weight"]
    decayed = {"emb.weight", "h1.weight", "h2.weight", "conv.weight"}
    lrs, aux_ratio, wd, mu = [2e-2, 1.5e-2, 1e-2], 3e-3 / 2e-2, 0.01, 0.95
    t = {}
    for name, shape in shapes.items():
        t[f"muon.{name}.p0"] = torch.randn(*shape, generator=gen, dtype=torch.float64)
        for i in range(3):
            t[f"muon.{name}.g{i}"] = torch.randn(*shape, generator=gen, dtype=torch.float64)

    def adamw_part(params, dtype):
        groups = [{"params": [p], "weight_decay": wd if n in decayed else 0.0} for n, p in params.items()]
        return torch.optim.AdamW(groups, lr=lrs[0] * aux_ratio, betas=(0.9, 0.95), eps=1e-8)

    # The algorithm in float64.
    p = {n: t[f"muon.{n}.p0"].clone() for n in shapes}
    buf = {n: torch.zeros_like(p[n]) for n in hidden}
    others = {n: p[n].clone().requires_grad_() for n in shapes if n not in hidden}
    adam = adamw_part(others, torch.float64)
    for i, lr in enumerate(lrs):
        for n in hidden:
            g = t[f"muon.{n}.g{i}"]
            buf[n] = mu * buf[n] + (1 - mu) * g
            u = (1 - mu) * g + mu * buf[n]
            rows = p[n].shape[0]
            cols = p[n].numel() // rows
            o = newton_schulz(u.reshape(rows, cols)).reshape(p[n].shape)
            p[n] = p[n] * (1 - lr * wd) - lr * math.sqrt(max(1.0, rows / cols)) * o
        for group in adam.param_groups:
            group["lr"] = lr * aux_ratio
        for n, q in others.items():
            q.grad = t[f"muon.{n}.g{i}"].clone()
        adam.step()
    for n in shapes:
        t[f"muon.{n}.want"] = (others[n].detach() if n in others else p[n]).clone()

    # torch.optim.Muon (float32, bfloat16 inside) on the matrices as 2-D tensors.
    mats = {n: t[f"muon.{n}.p0"].float().reshape(shapes[n][0], -1).clone().requires_grad_() for n in hidden}
    others = {n: t[f"muon.{n}.p0"].float().clone().requires_grad_() for n in shapes if n not in hidden}
    opt = torch.optim.Muon(list(mats.values()), lr=lrs[0], weight_decay=wd, momentum=mu, nesterov=True)
    adam = adamw_part(others, torch.float32)
    for i, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        for group in adam.param_groups:
            group["lr"] = lr * aux_ratio
        for n, q in {**mats, **others}.items():
            q.grad = t[f"muon.{n}.g{i}"].float().reshape(q.shape).clone()
        opt.step()
        adam.step()
    for n in shapes:
        q = mats[n] if n in mats else others[n]
        t[f"muon.{n}.torch"] = q.detach().reshape(shapes[n]).clone()
    save_file(f32(t), os.path.join(OUT, "muon.safetensors"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    kernels()
    model()
    ire()
    sharpness()
    llama()
    muon()
    print("fixtures written to", os.path.normpath(OUT))
