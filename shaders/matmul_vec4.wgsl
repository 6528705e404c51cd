// C[M,N] = op(A) * op(B) (+ bias), same contract as matmul.wgsl, for operands whose contiguous
// dimension is a multiple of 4: every load is a vec4, each invocation computes a 4x4 block of C,
// and there are no barriers. This is the shape software adapters (lavapipe, SwiftShader) run
// fastest; the Rust side falls back to matmul.wgsl when the alignment conditions do not hold.
//   `nn`: A [M,K], B [K,N]   needs K % 4 == 0 and N % 4 == 0
//   `nt`: A [M,K], B [N,K]   needs K % 4 == 0
//   `tn`: A [K,M], B [K,N]   needs M % 4 == 0 and N % 4 == 0
// Bindings and uniform struct: declared once in src/kernels/matmul/mod.rs (generated into this module).

override HAS_BIAS: bool = false;

fn store_row(row: u32, col0: u32, v: vec4<f32>) {
    if (row >= dims.m) {
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col < dims.n) {
            var x = v[j];
            if (HAS_BIAS) {
                x += bias[col];
            }
            c[row * dims.n + col] = x;
        }
    }
}

fn clamped_rows(row0: u32) -> vec4<u32> {
    let last = dims.m - 1u;
    return vec4<u32>(row0, min(row0 + 1u, last), min(row0 + 2u, last), min(row0 + 3u, last));
}

@compute @workgroup_size(8, 8)
fn nn(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 4u;
    let col4 = gid.x;
    if (row0 >= dims.m || col4 * 4u >= dims.n) {
        return;
    }
    let r = clamped_rows(row0);
    let k4 = dims.k / 4u;
    let n4 = dims.n / 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < k4; kk++) {
        let bk = kk * 4u * n4 + col4;
        let b0 = b[bk];
        let b1 = b[bk + n4];
        let b2 = b[bk + 2u * n4];
        let b3 = b[bk + 3u * n4];
        let a0 = a[r.x * k4 + kk];
        let a1 = a[r.y * k4 + kk];
        let a2 = a[r.z * k4 + kk];
        let a3 = a[r.w * k4 + kk];
        acc0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
        acc1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
        acc2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
        acc3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
    }
    store_row(row0, col4 * 4u, acc0);
    store_row(row0 + 1u, col4 * 4u, acc1);
    store_row(row0 + 2u, col4 * 4u, acc2);
    store_row(row0 + 3u, col4 * 4u, acc3);
}

@compute @workgroup_size(8, 8)
fn nt(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 4u;
    let col0 = gid.x * 4u;
    if (row0 >= dims.m || col0 >= dims.n) {
        return;
    }
    let r = clamped_rows(row0);
    let last = dims.n - 1u;
    let cc = vec4<u32>(col0, min(col0 + 1u, last), min(col0 + 2u, last), min(col0 + 3u, last));
    let k4 = dims.k / 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < k4; kk++) {
        let b0 = b[cc.x * k4 + kk];
        let b1 = b[cc.y * k4 + kk];
        let b2 = b[cc.z * k4 + kk];
        let b3 = b[cc.w * k4 + kk];
        let a0 = a[r.x * k4 + kk];
        let a1 = a[r.y * k4 + kk];
        let a2 = a[r.z * k4 + kk];
        let a3 = a[r.w * k4 + kk];
        acc0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
        acc1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
        acc2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
        acc3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    }
    store_row(row0, col0, acc0);
    store_row(row0 + 1u, col0, acc1);
    store_row(row0 + 2u, col0, acc2);
    store_row(row0 + 3u, col0, acc3);
}

@compute @workgroup_size(8, 8)
fn tn(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row4 = gid.y;
    let col4 = gid.x;
    if (row4 * 4u >= dims.m || col4 * 4u >= dims.n) {
        return;
    }
    let m4 = dims.m / 4u;
    let n4 = dims.n / 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < dims.k; kk++) {
        let av = a[kk * m4 + row4];
        let bv = b[kk * n4 + col4];
        acc0 += av.x * bv;
        acc1 += av.y * bv;
        acc2 += av.z * bv;
        acc3 += av.w * bv;
    }
    store_row(row4 * 4u, col4 * 4u, acc0);
    store_row(row4 * 4u + 1u, col4 * 4u, acc1);
    store_row(row4 * 4u + 2u, col4 * 4u, acc2);
    store_row(row4 * 4u + 3u, col4 * 4u, acc3);
}
