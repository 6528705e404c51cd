// BatchNorm2d backward (training mode), one workgroup per channel of the CNHW layout:
//   dbeta = sum(dy), dgamma = sum(dy * xhat),
//   dx = gamma * inv_std * (dy - dbeta / len - xhat * dgamma / len).
// Bindings and uniform struct: declared once in src/kernels/batchnorm.rs (generated into this module).

const WG: u32 = 256u;
var<workgroup> partial: array<vec2<f32>, 256>;

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
    let c = wid.x;
    let lid = lid3.x;
    let base = c * d.len;
    let mean = stats[2u * c];
    let inv_std = stats[2u * c + 1u];
    var acc = vec2<f32>(0.0);
    for (var i = lid; i < d.len; i += WG) {
        let g = dy[base + i];
        acc += vec2<f32>(g, g * (x[base + i] - mean) * inv_std);
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            partial[lid] += partial[lid + s];
        }
        workgroupBarrier();
    }
    let sums = partial[0];
    let n = f32(d.len);
    let scale = gamma[c] * inv_std;
    for (var i = lid; i < d.len; i += WG) {
        let xhat = (x[base + i] - mean) * inv_std;
        dx[base + i] = scale * (dy[base + i] - sums.x / n - xhat * sums.y / n);
    }
    if (lid == 0u) {
        dbeta[c] = sums.x;
        dgamma[c] = sums.y;
    }
}
