//! Dense kernels behind the Newton fits: weighted Gram matrices, Cholesky solves and the
//! row-space reduction of wide designs, on faer (sequential, so results do not depend on
//! the thread count).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use ndarray::{Array2, ArrayView2};

/// `X' diag(c) X - A' A` as a row-major `p x p` vector, for `c >= 0`.
///
/// The Newton information of a generalised linear model (`A` empty) and of the Cox
/// partial likelihood (`A` = one row per event term) both have this shape; two matrix
/// products replace `O(n p^2)` scalar updates.
///
/// # Panics
/// When `c.len() != x.nrows()` or the column counts differ (caller bugs).
pub fn weighted_gram(x: MatRef<'_, f64>, c: &[f64], a: Option<MatRef<'_, f64>>) -> Vec<f64> {
    let (n, p) = (x.nrows(), x.ncols());
    assert_eq!(c.len(), n, "one weight per row");
    let sc: Vec<f64> = c.iter().map(|v| v.max(0.0).sqrt()).collect();
    let xs = Mat::from_fn(n, p, |i, j| sc[i] * x[(i, j)]);
    let mut h = Mat::<f64>::zeros(p, p);
    matmul(
        h.as_mut(),
        Accum::Replace,
        xs.transpose(),
        xs.as_ref(),
        1.0,
        Par::Seq,
    );
    if let Some(a) = a {
        assert_eq!(a.ncols(), p, "A has the columns of X");
        matmul(h.as_mut(), Accum::Add, a.transpose(), a, -1.0, Par::Seq);
    }
    let mut out = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            // Average the two triangles so the result is exactly symmetric.
            out[i * p + j] = 0.5 * (h[(i, j)] + h[(j, i)]);
        }
    }
    out
}

/// A faer copy of an ndarray matrix.
pub fn to_faer(x: ArrayView2<f64>) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[[i, j]])
}

/// Solves `A x = b` for a symmetric positive definite `A` (row-major, `dim x dim`) by
/// Cholesky factorisation `A = L L'`; `None` when `A` is not numerically positive definite
/// (a pivot `L_jj^2 <= 1e-13 max_i A_ii`).
///
/// # Reference
/// Golub & Van Loan, *Matrix Computations* (4th ed., 2013), Algorithm 4.2.1.
pub fn cholesky_solve(a: &[f64], dim: usize, b: &[f64]) -> Option<Vec<f64>> {
    let m = Mat::from_fn(dim, dim, |i, j| a[i * dim + j]);
    let scale = (0..dim)
        .fold(0.0f64, |s, i| s.max(a[i * dim + i].abs()))
        .max(f64::MIN_POSITIVE);
    let llt = m.llt(Side::Lower).ok()?;
    let l = llt.L();
    if (0..dim).any(|j| !(l[(j, j)] * l[(j, j)] > 1e-13 * scale)) {
        return None;
    }
    let mut rhs = Mat::from_fn(dim, 1, |i, _| b[i]);
    faer::linalg::solvers::Solve::solve_in_place(&llt, rhs.as_mut());
    let x: Vec<f64> = (0..dim).map(|i| rhs[(i, 0)]).collect();
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The row-space reduction of a wide design: `X = Z Q'` with `Q` (`p x n`, orthonormal
/// columns) and `Z = R'` (`n x n`) from the thin QR factorisation `X' = Q R`.
///
/// A penalty `||beta||^2` makes the optimum of any loss of `X beta` lie in the row space
/// of `X` (the stationarity condition `beta = -C X' dL/deta`), so fitting `gamma` on `Z`
/// with penalty `||gamma||^2` and mapping back with `beta = Q gamma` gives the same
/// `beta` and objective with `n` columns instead of `p` (Hastie & Tibshirani 2004,
/// Biostatistics 5:329, "Efficient quadratic regularization for expression arrays").
pub struct RowSpace {
    /// `n x n` design for the reduced fit.
    pub z: Array2<f64>,
    q: Mat<f64>,
}

impl RowSpace {
    /// Factorises `x` (`n x p`, meant for `p > n`).
    pub fn new(x: ArrayView2<f64>) -> Self {
        let xt = Mat::from_fn(x.ncols(), x.nrows(), |i, j| x[[j, i]]);
        let qr = xt.qr();
        let q = qr.compute_thin_Q();
        let r = qr.thin_R();
        let n = r.nrows();
        let z = Array2::from_shape_fn((x.nrows(), n), |(i, j)| r[(j, i)]);
        Self { z, q }
    }

    /// `beta = Q gamma`.
    pub fn expand(&self, gamma: &[f64]) -> Vec<f64> {
        (0..self.q.nrows())
            .map(|i| (0..self.q.ncols()).map(|k| self.q[(i, k)] * gamma[k]).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_solves_spd_system_and_rejects_singular() {
        // A = [[4, 2], [2, 3]], b = [2, 1]: x = [0.5, 0] (by hand: 4x + 2y = 2, 2x + 3y = 1).
        let x = cholesky_solve(&[4.0, 2.0, 2.0, 3.0], 2, &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
        assert!(cholesky_solve(&[1.0, 1.0, 1.0, 1.0], 2, &[1.0, 0.0]).is_none());
        assert!(cholesky_solve(&[-1.0, 0.0, 0.0, 1.0], 2, &[1.0, 0.0]).is_none());
    }

    #[test]
    fn weighted_gram_matches_definition() {
        let x = array![[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]];
        let c = [2.0, 1.0, 4.0];
        let a = array![[1.0, 1.0]];
        let h = weighted_gram(
            to_faer(x.view()).as_ref(),
            &c,
            Some(to_faer(a.view()).as_ref()),
        );
        // By hand: sum_i c_i x_i x_i' - a a'.
        let want = [
            2.0 + 9.0 + 1.0 - 1.0,
            4.0 - 3.0 - 1.0,
            4.0 - 3.0 - 1.0,
            8.0 + 1.0 - 1.0,
        ];
        for (g, w) in h.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn row_space_reproduces_the_design() {
        let x = array![[1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 3.0, -1.0]];
        let rs = RowSpace::new(x.view());
        assert_eq!(rs.z.dim(), (2, 2));
        // X e_j = Z Q' e_j for every column j.
        for j in 0..4 {
            let mut e = vec![0.0; 4];
            e[j] = 1.0;
            let qt_e: Vec<f64> = (0..2).map(|k| rs.q[(j, k)]).collect();
            for i in 0..2 {
                let zq: f64 = (0..2).map(|k| rs.z[[i, k]] * qt_e[k]).sum();
                assert!((zq - x[[i, j]]).abs() < 1e-12);
            }
            let back = rs.expand(&qt_e);
            assert!((back[j] - qt_e.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12);
        }
    }
}
