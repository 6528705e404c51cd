// Backward of layernorm.wgsl; see the comment there for the formulas.

override HAS_RESIDUAL: bool = false;

struct Dims {
    rows: u32,
    cols: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> dresidual: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= dims.rows) {
        return;
    }
    let base = r * dims.cols;
    let mean = stats[2u * r];
    let rstd = stats[2u * r + 1u];
    var mean_g = 0.0;
    var mean_gx = 0.0;
    for (var c = 0u; c < dims.cols; c++) {
        let g = dy[base + c] * gamma[c];
        mean_g += g;
        mean_gx += g * (x[base + c] - mean) * rstd;
    }
    mean_g /= f32(dims.cols);
    mean_gx /= f32(dims.cols);
    for (var c = 0u; c < dims.cols; c++) {
        let xhat = (x[base + c] - mean) * rstd;
        var v = rstd * (dy[base + c] * gamma[c] - mean_g - xhat * mean_gx);
        if (HAS_RESIDUAL) {
            v += dresidual[base + c];
        }
        dx[base + c] = v;
    }
}
