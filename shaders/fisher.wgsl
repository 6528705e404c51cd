// Diagonal Fisher estimate for IRE (arXiv 2405.20763, and its authors' reference code):
//  `sample_labels`: labels drawn from the model's own predictive distribution softmax(logits[r]),
//                   by inverse CDF on a hashed uniform (deterministic for a seed and counter);
//                   the gradient of the mean loss on these labels is then g. Rows the batch
//                   does not score (target IGNORE: a puzzle's question tokens) stay unscored.
//  `accumulate`:    h = beta * h + (1 - beta) * scale * g^2. With model-sampled labels E[g] = 0,
//                   so scale = scored tokens in the batch makes scale * g^2 an unbiased estimate of the
//                   per-token Fisher diagonal (only its ranking matters for the mask).
// Bindings and uniform struct: declared once in src/kernels/ire.rs (generated into this module).

@compute @workgroup_size(64)
fn sample_labels(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= sp.rows) {
        return;
    }
    if (targets[r] >= sp.vocab) {
        labels[r] = targets[r];
        return;
    }
    let base = r * sp.vocab;
    var m = -3.0e38;
    for (var v = 0u; v < sp.vocab; v++) {
        m = max(m, logits[base + v]);
    }
    var denom = 0.0;
    for (var v = 0u; v < sp.vocab; v++) {
        denom += exp(logits[base + v] - m);
    }
    let u = uniform_at(sp.seed, sp.counter, r) * denom;
    var acc = 0.0;
    var chosen = sp.vocab - 1u;
    for (var v = 0u; v < sp.vocab; v++) {
        acc += exp(logits[base + v] - m);
        if (acc > u) {
            chosen = v;
            break;
        }
    }
    labels[r] = chosen;
}
