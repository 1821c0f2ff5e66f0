//! Dense kernels behind the Newton fits: weighted Gram matrices, Cholesky solves and the
//! row-space reduction of wide designs, on faer (sequential, so results do not depend on
//! the thread count).

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt;
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch as apply_q_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj as apply_q,
};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::Qr;
use faer::{Accum, Conj, Mat, MatRef, Par};
use ndarray::{Array2, ArrayView2};

/// `X' diag(c) X - A' A` for `c >= 0`, with buffers for repeated calls (one per Newton
/// iteration), so that only the first call of a fit allocates.
///
/// The Newton information of a generalised linear model (`A` empty) and of the Cox
/// partial likelihood (`A` = one row per event term) both have this shape; two matrix
/// products replace `O(n p^2)` scalar updates.
#[derive(Debug)]
pub struct Gram {
    /// `sqrt(c)`, one entry per row.
    sc: Vec<f64>,
    /// The scaled design `diag(sqrt(c)) X`, `n x p`.
    xs: Mat<f64>,
    /// The result; only its lower triangle is computed.
    h: Mat<f64>,
}

impl Default for Gram {
    fn default() -> Self {
        Self {
            sc: Vec::new(),
            xs: Mat::zeros(0, 0),
            h: Mat::zeros(0, 0),
        }
    }
}

impl Gram {
    /// Writes `X' diag(c) X - A' A` into `out` (row-major `p x p`), for `c >= 0`.
    ///
    /// The result is symmetric, so only its lower triangle is computed (half the
    /// multiply-adds of the full products) and then mirrored, which makes `out` exactly
    /// symmetric. (Skipping the zero half of a triangular `X` as well, such as
    /// [`RowSpace`]'s `z`, was measured slower for `n` from 30 to 100.)
    ///
    /// # Panics
    /// When `c.len() != x.nrows()`, `out.len() != p * p` or the column counts differ
    /// (caller bugs).
    pub fn compute(
        &mut self,
        x: MatRef<'_, f64>,
        c: &[f64],
        a: Option<MatRef<'_, f64>>,
        out: &mut [f64],
    ) {
        let (n, p) = (x.nrows(), x.ncols());
        assert_eq!(c.len(), n, "one weight per row");
        assert_eq!(out.len(), p * p, "a p x p output");

        // X' diag(c) X = (diag(sqrt(c)) X)' (diag(sqrt(c)) X).
        self.sc.clear();
        self.sc.extend(c.iter().map(|v| v.max(0.0).sqrt()));
        if self.xs.nrows() != n || self.xs.ncols() != p {
            self.xs = Mat::zeros(n, p);
        }
        for j in 0..p {
            let src = x.col(j);
            let dst = col_slice_mut(self.xs.as_mut(), j);
            match src.try_as_col_major() {
                Some(s) => {
                    for ((d, v), w) in dst.iter_mut().zip(s.as_slice()).zip(&self.sc) {
                        *d = w * v;
                    }
                }
                None => {
                    for (i, (d, w)) in dst.iter_mut().zip(&self.sc).enumerate() {
                        *d = w * src[i];
                    }
                }
            }
        }
        if self.h.nrows() != p {
            self.h = Mat::zeros(p, p);
        }

        let (lower, dense) = (BlockStructure::TriangularLower, BlockStructure::Rectangular);
        let xs = self.xs.as_ref();
        triangular::matmul(
            self.h.as_mut(),
            lower,
            Accum::Replace,
            xs.transpose(),
            dense,
            xs,
            dense,
            1.0,
            Par::Seq,
        );
        if let Some(a) = a {
            assert_eq!(a.ncols(), p, "A has the columns of X");
            triangular::matmul(
                self.h.as_mut(),
                lower,
                Accum::Add,
                a.transpose(),
                dense,
                a,
                dense,
                -1.0,
                Par::Seq,
            );
        }

        // Column j of the lower triangle is row j of the upper one.
        for j in 0..p {
            let col = &col_slice(self.h.as_ref(), j)[j..];
            out[j * p + j..(j + 1) * p].copy_from_slice(col);
            for (i, &v) in (j + 1..p).zip(&col[1..]) {
                out[i * p + j] = v;
            }
        }
    }
}

/// Column `j` of a column-major matrix (an owned `Mat` or a block of one) as a slice.
fn col_slice(m: MatRef<'_, f64>, j: usize) -> &[f64] {
    m.col(j)
        .try_as_col_major()
        .expect("invariant: columns of a column-major matrix are contiguous")
        .as_slice()
}

/// Column `j` of a column-major matrix as a mutable slice.
fn col_slice_mut(m: faer::MatMut<'_, f64>, j: usize) -> &mut [f64] {
    m.col_mut(j)
        .try_as_col_major_mut()
        .expect("invariant: columns of a column-major matrix are contiguous")
        .as_slice_mut()
}

/// A faer copy of an ndarray matrix.
pub fn to_faer(x: ArrayView2<f64>) -> Mat<f64> {
    match x.as_slice() {
        Some(s) => MatRef::from_row_major_slice(s, x.nrows(), x.ncols()).to_owned(),
        None => Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[[i, j]]),
    }
}

/// Solves `A x = b` for a symmetric positive definite `A` (`dim x dim`, either storage
/// order: it must be exactly symmetric) by Cholesky factorisation `A = L L'`; `None` when
/// `A` is not numerically positive definite (a pivot `L_jj^2 <= 1e-13 max_i A_ii`).
/// One-off form of [`Cholesky::solve`].
///
/// # Reference
/// Golub & Van Loan, *Matrix Computations* (4th ed., 2013), Algorithm 4.2.1.
pub fn cholesky_solve(a: &[f64], dim: usize, b: &[f64]) -> Option<Vec<f64>> {
    Cholesky::default().solve(a, dim, b)
}

/// Buffers for repeated Cholesky solves of one size (one per Newton iteration).
pub struct Cholesky {
    /// The factor `L`; only its lower triangle is used.
    l: Mat<f64>,
    /// Scratch memory of the factorisation.
    mem: MemBuffer,
}

impl Default for Cholesky {
    fn default() -> Self {
        Self {
            l: Mat::zeros(0, 0),
            mem: MemBuffer::new(StackReq::EMPTY),
        }
    }
}

impl Cholesky {
    /// Solves `A x = b` as [`cholesky_solve`] does, reusing the buffers of the last call.
    ///
    /// # Panics
    /// When `a.len() != dim * dim` or `b.len() != dim` (caller bugs).
    pub fn solve(&mut self, a: &[f64], dim: usize, b: &[f64]) -> Option<Vec<f64>> {
        assert_eq!(a.len(), dim * dim, "a dim x dim matrix");
        assert_eq!(b.len(), dim, "one right-hand side entry per row");
        let scale = (0..dim)
            .fold(0.0f64, |s, i| s.max(a[i * dim + i].abs()))
            .max(f64::MIN_POSITIVE);

        // A symmetric matrix reads the same in either order; column-major is the
        // factor's own layout, so the copy is contiguous.
        if self.l.nrows() != dim {
            self.l = Mat::zeros(dim, dim);
            let req =
                llt::factor::cholesky_in_place_scratch::<f64>(dim, Par::Seq, Default::default())
                    .or(llt::solve::solve_in_place_scratch::<f64>(dim, 1, Par::Seq));
            self.mem = MemBuffer::new(req);
        }
        self.l
            .copy_from_triangular_lower(MatRef::from_column_major_slice(a, dim, dim));
        let stack = MemStack::new(&mut self.mem);
        llt::factor::cholesky_in_place(
            self.l.as_mut(),
            Default::default(),
            Par::Seq,
            stack,
            Default::default(),
        )
        .ok()?;
        let l = self.l.as_ref();
        if (0..dim).any(|j| !(l[(j, j)] * l[(j, j)] > 1e-13 * scale)) {
            return None;
        }

        let mut x = b.to_vec();
        let rhs = faer::MatMut::from_column_major_slice_mut(&mut x, dim, 1);
        llt::solve::solve_in_place_with_conj(l, Conj::No, rhs, Par::Seq, stack);
        x.iter().all(|v| v.is_finite()).then_some(x)
    }
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
    /// The factorisation of `X'`; `Q` is applied from its Householder reflectors, never
    /// formed.
    qr: Qr<f64>,
}

impl RowSpace {
    /// Factorises `x` (`n x p`, meant for `p > n`).
    pub fn new(x: ArrayView2<f64>) -> Self {
        // A contiguous row-major `x` is a column-major `x'` as it stands.
        let qr = match x.as_slice() {
            Some(s) => MatRef::from_row_major_slice(s, x.nrows(), x.ncols())
                .transpose()
                .qr(),
            None => Mat::from_fn(x.ncols(), x.nrows(), |i, j| x[[j, i]]).qr(),
        };
        let r = qr.thin_R();
        let n = r.nrows();

        // Z = R', filled row by row from the columns of R.
        let mut z = Vec::with_capacity(x.nrows() * n);
        for i in 0..x.nrows() {
            z.extend(col_slice(r, i).iter().take(n));
        }
        let z = Array2::from_shape_vec((x.nrows(), n), z).expect("invariant: n x n values");
        Self { z, qr }
    }

    /// `beta = Q gamma`, as the reflectors `H_1 ... H_n` applied to `(gamma, 0)`.
    ///
    /// # Panics
    /// When `gamma` does not have one entry per row of the design (a caller bug).
    pub fn expand(&self, gamma: &[f64]) -> Vec<f64> {
        let (basis, factor) = (self.qr.Q_basis(), self.qr.Q_coeff());
        let (p, n) = (basis.nrows(), basis.ncols());
        assert_eq!(gamma.len(), n, "one coefficient per basis column");
        let mut beta = gamma.to_vec();
        beta.resize(p, 0.0);
        let mut mem = MemBuffer::new(apply_q_scratch::<f64>(p, factor.nrows(), 1));
        apply_q(
            basis,
            factor,
            Conj::No,
            faer::MatMut::from_column_major_slice_mut(&mut beta, p, 1),
            Par::Seq,
            MemStack::new(&mut mem),
        );
        beta
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
    fn reused_cholesky_solves_exactly_as_faer_llt() {
        // A = B'B + I for a fixed 6 x 6 B; the workspace path must give faer's Llt solve
        // bit for bit, also on its second use.
        let b = Mat::from_fn(6, 6, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.3);
        let mut a = b.transpose() * &b;
        for i in 0..6 {
            a[(i, i)] += 1.0;
        }
        let rhs = [1.0, -2.0, 0.5, 3.0, 0.0, -1.0];
        let llt = a.llt(faer::Side::Lower).unwrap();
        let mut want = Mat::from_fn(6, 1, |i, _| rhs[i]);
        faer::linalg::solvers::Solve::solve_in_place(&llt, want.as_mut());
        let flat: Vec<f64> = (0..36).map(|k| a[(k / 6, k % 6)]).collect();
        let mut chol = Cholesky::default();
        for _ in 0..2 {
            let x = chol.solve(&flat, 6, &rhs).unwrap();
            assert!((0..6).all(|i| x[i] == want[(i, 0)]), "{x:?}");
        }
    }

    #[test]
    fn gram_matches_definition() {
        let x = array![[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]];
        let c = [2.0, 1.0, 4.0];
        let a = array![[1.0, 1.0]];
        let mut h = vec![0.0; 4];
        Gram::default().compute(
            to_faer(x.view()).as_ref(),
            &c,
            Some(to_faer(a.view()).as_ref()),
            &mut h,
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
    fn gram_of_a_3x3_design_matches_definition_and_is_exactly_symmetric() {
        // By hand, sum_i c_i z_i z_i' - a a' with
        // z_1 = (2, 0, 0), z_2 = (1, 3, 0), z_3 = (-1, 0.5, 4), c = (1, 2, 0.5), a = (1, 0, 1):
        // [[4 + 2 + 0.5 - 1, 6 - 0.25, -2 - 1], [., 18 + 0.125, 1], [., ., 8 - 1]].
        let z = array![[2.0, 0.0, 0.0], [1.0, 3.0, 0.0], [-1.0, 0.5, 4.0]];
        let c = [1.0, 2.0, 0.5];
        let a = array![[1.0, 0.0, 1.0]];
        let (zf, af) = (to_faer(z.view()), to_faer(a.view()));
        let want = [5.5, 5.75, -3.0, 5.75, 18.125, 1.0, -3.0, 1.0, 7.0];
        let mut gram = Gram::default();
        // Twice: the second call reuses the buffers of the first.
        for _ in 0..2 {
            let mut h = vec![f64::NAN; 9];
            gram.compute(zf.as_ref(), &c, Some(af.as_ref()), &mut h);
            for (g, w) in h.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "{g} vs {w}");
            }
            // Mirrored, so exactly symmetric.
            assert!((0..3).all(|i| (0..3).all(|j| h[i * 3 + j] == h[j * 3 + i])));
        }
    }

    #[test]
    fn row_space_reproduces_the_design() {
        let x = array![[1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 3.0, -1.0]];
        let rs = RowSpace::new(x.view());
        assert_eq!(rs.z.dim(), (2, 2));
        // Column k of Q is Q e_k; the columns are orthonormal.
        let q: Vec<Vec<f64>> = (0..2)
            .map(|k| rs.expand(if k == 0 { &[1.0, 0.0] } else { &[0.0, 1.0] }))
            .collect();
        for a in 0..2 {
            for b in 0..2 {
                let dot: f64 = (0..4).map(|j| q[a][j] * q[b][j]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "Q'Q[{a},{b}]");
            }
        }
        // X e_j = Z Q' e_j for every column j.
        for j in 0..4 {
            let qt_e: Vec<f64> = (0..2).map(|k| q[k][j]).collect();
            for i in 0..2 {
                let zq: f64 = (0..2).map(|k| rs.z[[i, k]] * qt_e[k]).sum();
                assert!((zq - x[[i, j]]).abs() < 1e-12);
            }
            let back = rs.expand(&qt_e);
            assert!((back[j] - qt_e.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12);
        }
    }
}
