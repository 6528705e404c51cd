// correct[r] = 1 when the largest logit of row r is its target (ties: the first index wins,
// as torch.argmax does), else 0. Summed by reduce.wgsl into the evaluation's accuracy slot.

struct Dims {
    rows: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> correct: array<f32>;

@compute @workgroup_size(64)
fn correct_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.classes;
    var best = 0u;
    for (var c = 1u; c < dims.classes; c++) {
        if (logits[base + c] > logits[base + best]) {
            best = c;
        }
    }
    correct[r] = select(0.0, 1.0, best == targets[r]);
}
