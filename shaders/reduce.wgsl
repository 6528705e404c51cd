// Deterministic two-stage reductions into the `scalars` buffer (layout in common.wgsl).
//  `partial`: invocation t reduces elements [t*chunk, (t+1)*chunk) of `input` (sum, or sum of squares).
//  `finish`:  one 256-wide workgroup reduces the partials in a fixed tree order, then
//     MODE_MEAN:      scalars[out_slot] = total * scale                          (mean training loss)
//     MODE_ACCUM:     scalars[out_slot] += total * scale                         (evaluation sums)
//     MODE_GRAD_NORM: scalars[S_GRAD_NORM] = sqrt(total); scalars[S_CLIP_SCALE] = min(1, clip / norm);
//                     scalars[S_NONFINITE] = 1 when the norm or the loss is NaN/Inf.
// Barrier-free first stage keeps software adapters fast; the tree has only 8 barrier levels.
// Bindings and uniform struct: declared once in src/kernels/reduce.rs (generated into this module).

const MODE_MEAN: u32 = 0u;
const MODE_ACCUM: u32 = 1u;
const MODE_GRAD_NORM: u32 = 2u;

@compute @workgroup_size(64)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>) {
    let num_partials = (params.n + params.chunk - 1u) / params.chunk;
    let t = gid.x;
    if (t >= num_partials) {
        return;
    }
    let start = t * params.chunk;
    let end = min(start + params.chunk, params.n);
    var acc = 0.0;
    if (params.mode == MODE_GRAD_NORM) {
        for (var i = start; i < end; i++) {
            acc += input[i] * input[i];
        }
    } else {
        for (var i = start; i < end; i++) {
            acc += input[i];
        }
    }
    partials[t] = acc;
}

@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_index) lidx: u32) {
    let num_partials = (params.n + params.chunk - 1u) / params.chunk;
    var acc = 0.0;
    for (var i = lidx; i < num_partials; i += 256u) {
        acc += partials[i];
    }
    let total = workgroup_sum(acc, lidx);
    if (lidx != 0u) {
        return;
    }
    if (params.mode == MODE_MEAN) {
        scalars[params.out_slot] = total * params.scale;
    } else if (params.mode == MODE_ACCUM) {
        scalars[params.out_slot] += total * params.scale;
    } else {
        let norm = sqrt(total);
        scalars[S_GRAD_NORM] = norm;
        var clip_scale = 1.0;
        if (params.clip > 0.0 && norm > params.clip) {
            clip_scale = params.clip / norm;
        }
        let bad = !is_finite(norm) || !is_finite(scalars[S_LOSS]);
        scalars[S_CLIP_SCALE] = select(clip_scale, 0.0, bad);
        scalars[S_NONFINITE] = select(0.0, 1.0, bad);
    }
}
