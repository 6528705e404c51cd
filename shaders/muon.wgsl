// Muon's Newton-Schulz orthogonalisation around the products (matmul kernels), one matrix at a
// time, in torch.optim.Muon's order. The matrix `[rows, cols]` (row-major, as the model stores
// it) is worked on in its wide orientation X `[min, max]`: transposed when rows > cols.
//   `ns_start`:   X = M / max(||M||_F, eps)      (norms[slot] holds ||M||_F^2; M transposed when
//                                                 `transpose` is set)
//   `ns_combine`: out = alpha * src + beta * out  (b A + c A A, then a X + (b A + c A A) X)
//   `ns_finish`:  out = alpha * X, back in the matrix's orientation (alpha: the shape factor)
// Bindings and uniform struct: declared once in src/kernels/muon.rs (generated into this module).

// Where element i of the row-major `[rows, cols]` matrix lives in its wide orientation.
fn wide_index(i: u32) -> u32 {
    if (params.transpose == 0u) {
        return i;
    }
    let r = i / params.cols;
    let c = i % params.cols;
    return c * params.rows + r;
}

fn ns_start_at(i: u32) {
    let norm = max(sqrt(norms[params.slot]), params.eps);
    out[wide_index(i)] = src[i] / norm;
}

fn ns_combine_at(i: u32) {
    out[i] = params.alpha * src[i] + params.beta * out[i];
}

fn ns_finish_at(i: u32) {
    out[i] = params.alpha * src[wide_index(i)];
}
