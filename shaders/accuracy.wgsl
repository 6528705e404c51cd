// correct[r] = 1 when the largest logit of row r is its target (ties: the first index wins,
// as torch.argmax does), else 0 (also for an unscored row, whose target is IGNORE). Summed by reduce.wgsl into the evaluation's accuracy slot.
// Bindings and uniform struct: declared once in src/kernels/cross_entropy.rs (generated into this module).

@compute @workgroup_size(64)
fn correct_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.vocab;
    var best = 0u;
    for (var c = 1u; c < dims.vocab; c++) {
        if (logits[base + c] > logits[base + best]) {
            best = c;
        }
    }
    correct[r] = select(0.0, 1.0, best == targets[r]);
}
