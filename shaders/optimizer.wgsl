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

fn adamw_at(i: u32) {
    let g = grads[i] * scalars[S_CLIP_SCALE];
    let m = hyper.beta1 * state1[i] + (1.0 - hyper.beta1) * g;
    let v = hyper.beta2 * state2[i] + (1.0 - hyper.beta2) * g * g;
    state1[i] = m;
    state2[i] = v;
    let old = params[i];
    var p = old * (1.0 - hyper.lr * decay_for(i));
    let denom = sqrt(v) / hyper.bias_correction2_sqrt + hyper.eps;
    p -= (hyper.lr / hyper.bias_correction1) * m / denom;
    apply(i, old, p);
}

fn sgd_at(i: u32) {
    let p = params[i];
    let g = grads[i] * scalars[S_CLIP_SCALE] + decay_for(i) * p;
    let buf = hyper.momentum * state1[i] + g;
    state1[i] = buf;
    apply(i, p, p - hyper.lr * buf);
}
