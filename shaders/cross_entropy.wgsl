// Fused softmax + cross-entropy over rows of logits [N, V], mean over the scored rows.
//   losses[r]  = logsumexp(logits[r]) - logits[r, target[r]]
//   dlogits[r] = (softmax(logits[r]) - onehot(target[r])) * grad_scale   (grad_scale = 1/scored)
// A row whose target is not a class (IGNORE, u32::MAX: a puzzle's question tokens) is not
// scored: its loss and gradient are 0.
// The mean itself is taken by reduce.wgsl so that this kernel stays one invocation per row.
// Bindings and uniform struct: declared once in src/kernels/cross_entropy.rs (generated into this module).

override WRITE_GRAD: bool = true;

@compute @workgroup_size(64)
fn forward_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.vocab;
    if (targets[r] >= dims.vocab) {
        losses[r] = 0.0;
        if (WRITE_GRAD) {
            for (var v = 0u; v < dims.vocab; v++) {
                dlogits[base + v] = 0.0;
            }
        }
        return;
    }
    var m = -3.0e38;
    for (var v = 0u; v < dims.vocab; v++) {
        m = max(m, logits[base + v]);
    }
    var denom = 0.0;
    for (var v = 0u; v < dims.vocab; v++) {
        denom += exp(logits[base + v] - m);
    }
    let lse = m + log(denom);
    let target_id = targets[r];
    losses[r] = lse - logits[base + target_id];
    if (WRITE_GRAD) {
        for (var v = 0u; v < dims.vocab; v++) {
            var g = exp(logits[base + v] - lse);
            if (v == target_id) {
                g -= 1.0;
            }
            dlogits[base + v] = g * dims.grad_scale;
        }
    }
}
