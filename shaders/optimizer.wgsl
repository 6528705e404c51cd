// Parameter updates over the whole flat parameter buffer in one dispatch each.
// Gradients are scaled by scalars[S_CLIP_SCALE] (global-norm clipping, reduce.wgsl), and nothing is
// written when scalars[S_NONFINITE] is set: a NaN/Inf step leaves the weights as they were.
// Weight decay applies to coordinates [0, decay_end): the model puts matrices and embeddings first
// and biases / LayerNorm parameters after them (the usual GPT-2 practice).
//
//  `adamw`: PyTorch torch.optim.AdamW (decoupled decay): p *= 1 - lr*wd; m, v EMAs;
//           p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
//  `sgd`:   PyTorch torch.optim.SGD (coupled L2, dampening 0, no Nesterov): g += wd * p;
//           buf = momentum * buf + g; p -= lr * buf.
//  `lion`:  Lion (Chen et al. 2023, Algorithm 2): c = beta1 * m + (1 - beta1) * g;
//           p = p * (1 - lr * wd) - lr * sign(c); m = beta2 * m + (1 - beta2) * g.
//  Muon (torch.optim.Muon, Nesterov) over the coordinates `roles` marks, AdamW (at
//  lr * aux_lr_scale) over the others, in two passes around the orthogonalisation (muon.wgsl):
//  `muon_momentum`: buf = lerp(buf, g, 1 - momentum); state2 = lerp(g, buf, momentum), the
//           update to orthogonalise (state2 is scratch on these coordinates);
//  `muon`:  p = p * (1 - lr * wd) - lr * state2, state2 now holding the orthogonalised update
//           times its shape factor; AdamW's step elsewhere.
//
// IRE (arXiv 2405.20763): with delta = p_new - p the base optimizer's full step (weight decay
// included), p = p + delta * (1 + kappa * mask). `ire_kappa` is 0 when IRE is off, and then p_new is
// written unchanged, so the step is bit-identical to the base optimizer's.
// Bindings, uniform struct and the elementwise entry points (each runs `fn <entry>_at(i)`
// for its elements): declared once in src/kernels/optimizer.rs, generated into this module.

fn apply(i: u32, old: f32, new_value: f32) {
    if (hyper.ire_kappa != 0.0) {
        let amp = hyper.ire_kappa * ire_mask[i];
        params[i] = old + (new_value - old) * (1.0 + amp);
    } else {
        params[i] = new_value;
    }
}

fn decay_for(i: u32) -> f32 {
    return select(0.0, hyper.weight_decay, i < hyper.decay_end);
}

// AdamW's new value of coordinate i at learning rate `lr`; advances its moments.
fn adamw_value(i: u32, lr: f32) -> f32 {
    let g = grads[i] * scalars[S_CLIP_SCALE];
    let m = hyper.beta1 * state1[i] + (1.0 - hyper.beta1) * g;
    let v = hyper.beta2 * state2[i] + (1.0 - hyper.beta2) * g * g;
    state1[i] = m;
    state2[i] = v;
    let p = params[i] * (1.0 - lr * decay_for(i));
    let denom = sqrt(v) / hyper.bias_correction2_sqrt + hyper.eps;
    return p - (lr / hyper.bias_correction1) * m / denom;
}

fn adamw_at(i: u32) {
    apply(i, params[i], adamw_value(i, hyper.lr));
}

fn sgd_at(i: u32) {
    let p = params[i];
    let g = grads[i] * scalars[S_CLIP_SCALE] + decay_for(i) * p;
    let buf = hyper.momentum * state1[i] + g;
    state1[i] = buf;
    apply(i, p, p - hyper.lr * buf);
}

fn lion_at(i: u32) {
    let g = grads[i] * scalars[S_CLIP_SCALE];
    let m = state1[i];
    let c = hyper.beta1 * m + (1.0 - hyper.beta1) * g;
    state1[i] = hyper.beta2 * m + (1.0 - hyper.beta2) * g;
    let old = params[i];
    apply(i, old, old * (1.0 - hyper.lr * decay_for(i)) - hyper.lr * sign(c));
}

// torch.lerp's formula (ATen's lerp: from the nearer end), so that the momentum agrees with
// torch.optim.Muon's to the last bit.
fn torch_lerp(start: f32, end: f32, weight: f32) -> f32 {
    if (abs(weight) < 0.5) {
        return start + weight * (end - start);
    }
    return end - (end - start) * (1.0 - weight);
}

fn muon_momentum_at(i: u32) {
    if (roles[i] == 0.0) {
        return;
    }
    let g = grads[i] * scalars[S_CLIP_SCALE];
    let buf = torch_lerp(state1[i], g, 1.0 - hyper.momentum);
    state1[i] = buf;
    state2[i] = torch_lerp(g, buf, hyper.momentum);
}

fn muon_at(i: u32) {
    let old = params[i];
    if (roles[i] == 0.0) {
        apply(i, old, adamw_value(i, hyper.lr * hyper.aux_lr_scale));
        return;
    }
    apply(i, old, old * (1.0 - hyper.lr * decay_for(i)) - hyper.lr * state2[i]);
}
