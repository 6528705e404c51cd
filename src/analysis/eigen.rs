//! Eigen-decomposition of the small symmetric matrices the analyses produce on the host (Lanczos'
//! tridiagonal matrix, at most a few hundred rows), by cyclic Jacobi rotations in f64: slower than
//! QR for large matrices, but simple, unconditionally convergent and accurate for small ones.

/// Eigenvalues (descending) and unit eigenvectors (`vectors[k]` belongs to `values[k]`) of the
/// symmetric tridiagonal matrix with diagonal `diag` and off-diagonal `off` (`off[i]` joins
/// rows `i` and `i + 1`; `off.len() + 1 == diag.len()`).
pub fn tridiagonal_eigen(diag: &[f64], off: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = diag.len();
    assert_eq!(off.len() + 1, n.max(1), "off-diagonal length");
    let mut a = vec![vec![0.0; n]; n];
    for i in 0..n {
        a[i][i] = diag[i];
        if i + 1 < n {
            a[i][i + 1] = off[i];
            a[i + 1][i] = off[i];
        }
    }
    symmetric_eigen(a)
}

/// Eigenvalues (descending) and unit eigenvectors of the symmetric matrix `a` (rows).
pub fn symmetric_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    // v's columns become the eigenvectors.
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                // The rotation that zeroes a[p][q] (the smaller of the two angles).
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A <- J^T A J: columns p and q, then rows p and q; V <- V J.
                for row in a.iter_mut().chain(v.iter_mut()) {
                    rotate(row, p, q, c, s);
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (&apk, &aqk)) in row_p.iter().zip(&row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]));
    let values = order.iter().map(|&i| a[i][i]).collect();
    let vectors = order
        .iter()
        .map(|&i| v.iter().map(|row| row[i]).collect())
        .collect();
    (values, vectors)
}

/// `(x_p, x_q) <- (c x_p - s x_q, s x_p + c x_q)`.
fn rotate(x: &mut [f64], p: usize, q: usize, c: f64, s: f64) {
    let (xp, xq) = (x[p], x[q]);
    x[p] = c * xp - s * xq;
    x[q] = s * xp + c * xq;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_tridiagonal_spectrum() {
        // The path graph's Laplacian-like matrix: 2 on the diagonal, -1 beside it, has
        // eigenvalues 2 - 2 cos(k pi / (n + 1)).
        let n = 12;
        let (values, vectors) = tridiagonal_eigen(&vec![2.0; n], &vec![-1.0; n - 1]);
        for (k, value) in values.iter().enumerate() {
            let j = (n - k) as f64;
            let expected = 2.0 - 2.0 * (j * std::f64::consts::PI / (n as f64 + 1.0)).cos();
            assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
        }
        // A v = lambda v, |v| = 1.
        for (value, v) in values.iter().zip(&vectors) {
            let norm: f64 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            for i in 0..n {
                let left = if i > 0 { -v[i - 1] } else { 0.0 };
                let right = if i + 1 < n { -v[i + 1] } else { 0.0 };
                let av = 2.0 * v[i] + left + right;
                assert!((av - value * v[i]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn a_one_by_one_matrix() {
        let (values, vectors) = tridiagonal_eigen(&[3.5], &[]);
        assert_eq!(values, vec![3.5]);
        assert_eq!(vectors, vec![vec![1.0]]);
    }
}
