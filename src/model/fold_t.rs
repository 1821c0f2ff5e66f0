//! The pooled-variance t statistics of every cross-validation training set at once, from
//! summaries of the (fold, class) cells: two passes over the data instead of two per
//! fold.
//!
//! # Formula
//! Each cell `g` (rows of one fold and one class) holds its size `n_g`, mean `m_g` and sum
//! of squared deviations `SS_g` for every column. The rows of a class over all folds
//! combine by Chan, Golub & LeVeque (1983, Am Stat 37:242, eq. 2.1):
//! ```text
//! n = n_a + n_b,  m = (n_a m_a + n_b m_b) / n,
//! SS = SS_a + SS_b + (n_a n_b / n) (m_a - m_b)^2
//! ```
//! and the training rows of fold `f` (all cells but fold `f`'s) follow by solving the same
//! relation for `b` with `a` = fold `f`'s cell:
//! `n_b = n - n_a`, `m_b = (n m - n_a m_a) / n_b`,
//! `SS_b = SS - SS_a - (n_a n_b / n) (m_a - m_b)^2`.
//! The t statistic of the training rows is then [`crate::model::select::t_statistics`]'s
//! (pooled variance, same degenerate cases). The subtraction keeps about the precision of
//! the direct two-pass sums because a fold's cell holds a small share of its class
//! (`SS_b` is most of `SS`); the tests compare with the direct computation.

use ndarray::ArrayView2;

use crate::model::select::{pooled_t, SelectError};

/// Per-class totals and per-cell summaries of every column.
#[derive(Debug, Clone)]
pub struct FoldT {
    p: usize,
    /// `n[class]` over all rows, `cell_n[fold * 2 + class]`.
    n: [usize; 2],
    cell_n: Vec<usize>,
    /// Means and sums of squared deviations, `p` per class or cell, row-major.
    mean: [Vec<f64>; 2],
    ss: [Vec<f64>; 2],
    cell_mean: Vec<f64>,
    cell_ss: Vec<f64>,
}

impl FoldT {
    /// Summarises `x` by fold (`folds[i]` in `0..n_folds`) and class (`y`).
    ///
    /// # Errors
    /// [`SelectError::Shape`] when `y` or `folds` do not have a row each;
    /// [`SelectError::RowOutOfRange`] for a fold label `>= n_folds` (reported as the row).
    pub fn new(
        x: ArrayView2<f64>,
        y: &[bool],
        folds: &[usize],
        n_folds: usize,
    ) -> Result<Self, SelectError> {
        let (n, p) = x.dim();
        if y.len() != n || folds.len() != n {
            return Err(SelectError::Shape {
                rows: n,
                len: y.len().min(folds.len()),
            });
        }
        if let Some(row) = folds.iter().position(|&f| f >= n_folds) {
            return Err(SelectError::RowOutOfRange { row, n });
        }
        let cell = |i: usize| folds[i] * 2 + usize::from(y[i]);
        let cells = 2 * n_folds;

        // Pass 1: cell sums, then means.
        let mut cell_n = vec![0usize; cells];
        let mut cell_mean = vec![0.0; cells * p];
        for (i, row) in x.rows().into_iter().enumerate() {
            let g = cell(i);
            cell_n[g] += 1;
            for (acc, v) in cell_mean[g * p..(g + 1) * p].iter_mut().zip(row.iter()) {
                *acc += v;
            }
        }
        for g in 0..cells {
            if cell_n[g] > 0 {
                let inv = 1.0 / cell_n[g] as f64;
                cell_mean[g * p..(g + 1) * p]
                    .iter_mut()
                    .for_each(|v| *v *= inv);
            }
        }

        // Pass 2: sums of squared deviations from the cell means.
        let mut cell_ss = vec![0.0; cells * p];
        for (i, row) in x.rows().into_iter().enumerate() {
            let g = cell(i);
            let m = &cell_mean[g * p..(g + 1) * p];
            for ((acc, v), mj) in cell_ss[g * p..(g + 1) * p]
                .iter_mut()
                .zip(row.iter())
                .zip(m)
            {
                let d = v - mj;
                *acc += d * d;
            }
        }

        Ok(Self::from_cells(p, n_folds, cell_n, cell_mean, cell_ss))
    }

    /// From the summaries of the cells alone: `cell_n[g]`, and `cell_mean` and `cell_ss`
    /// holding `p` values per cell, cell `g = fold * 2 + class` (class 1 = `true`).
    ///
    /// # Panics
    /// When the lengths do not match `n_folds` and `p` (a caller bug).
    pub fn from_cells(
        p: usize,
        n_folds: usize,
        cell_n: Vec<usize>,
        cell_mean: Vec<f64>,
        cell_ss: Vec<f64>,
    ) -> Self {
        let cells = 2 * n_folds;
        assert!(cell_n.len() == cells && cell_mean.len() == cells * p);
        assert_eq!(cell_ss.len(), cells * p);

        // Class totals: Chan et al. combination of the cells, fold by fold.
        let mut tot_n = [0usize; 2];
        let mut mean = [vec![0.0; p], vec![0.0; p]];
        let mut ss = [vec![0.0; p], vec![0.0; p]];
        for f in 0..n_folds {
            for c in 0..2 {
                let g = f * 2 + c;
                let na = cell_n[g];
                if na == 0 {
                    continue;
                }
                let nb = tot_n[c];
                let nt = (na + nb) as f64;
                let w = na as f64 * nb as f64 / nt;
                let (ma, sa) = (&cell_mean[g * p..(g + 1) * p], &cell_ss[g * p..(g + 1) * p]);
                for j in 0..p {
                    let d = ma[j] - mean[c][j];
                    ss[c][j] += sa[j] + w * d * d;
                    mean[c][j] += d * na as f64 / nt;
                }
                tot_n[c] += na;
            }
        }
        Self {
            p,
            n: tot_n,
            cell_n,
            mean,
            ss,
            cell_mean,
            cell_ss,
        }
    }

    /// The t statistic of every column on all rows.
    ///
    /// # Errors
    /// As [`FoldT::training`].
    pub fn all(&self) -> Result<Vec<f64>, SelectError> {
        let [n0, n1] = self.n;
        if n1 == 0 || n0 == 0 || n1 + n0 < 3 {
            return Err(SelectError::TooFew { n0, n1, need: 1 });
        }
        Ok((0..self.p)
            .map(|j| {
                let diff = self.mean[1][j] - self.mean[0][j];
                pooled_t(diff, self.ss[0][j] + self.ss[1][j], n1, n0)
            })
            .collect())
    }

    /// The t statistic of every column on the rows outside fold `f` (module docs).
    ///
    /// # Errors
    /// [`SelectError::TooFew`] as [`crate::model::select::t_statistics`]: a class without
    /// rows or fewer than 3 rows in all.
    ///
    /// # Panics
    /// When `f` is not a fold of [`FoldT::new`] (a caller bug).
    pub fn training(&self, f: usize) -> Result<Vec<f64>, SelectError> {
        let p = self.p;
        let mut out_n = [0usize; 2];
        let mut means = [vec![0.0; p], vec![0.0; p]];
        let mut sss = [vec![0.0; p], vec![0.0; p]];
        for c in 0..2 {
            let g = f * 2 + c;
            let (nt, na) = (self.n[c], self.cell_n[g]);
            let nb = nt - na;
            out_n[c] = nb;
            if na == 0 {
                means[c].copy_from_slice(&self.mean[c]);
                sss[c].copy_from_slice(&self.ss[c]);
                continue;
            }
            if nb == 0 {
                continue;
            }
            let w = na as f64 * nb as f64 / nt as f64;
            let (ma, sa) = (
                &self.cell_mean[g * p..(g + 1) * p],
                &self.cell_ss[g * p..(g + 1) * p],
            );
            for j in 0..p {
                let mb = (nt as f64 * self.mean[c][j] - na as f64 * ma[j]) / nb as f64;
                let d = ma[j] - mb;
                means[c][j] = mb;
                // Rounding can leave a tiny negative remainder for a constant column.
                sss[c][j] = (self.ss[c][j] - sa[j] - w * d * d).max(0.0);
            }
        }
        let (n0, n1) = (out_n[0], out_n[1]);
        if n1 == 0 || n0 == 0 || n1 + n0 < 3 {
            return Err(SelectError::TooFew { n0, n1, need: 1 });
        }
        Ok((0..p)
            .map(|j| pooled_t(means[1][j] - means[0][j], sss[0][j] + sss[1][j], n1, n0))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::select::t_statistics;
    use crate::stats::rng::stream;
    use ndarray::Array2;
    use rand::RngExt;
    use rand_distr::StandardNormal;

    /// Relative difference, with an absolute floor for values near 0.
    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn fold_t_equals_direct_t_on_training_rows() {
        // Normal columns, one with a large offset and small spread (the cancellation
        // case), one constant, one constant within classes; unbalanced classes, 5 folds.
        let mut rng = stream(3, "fold_t");
        let (n, p, k) = (47, 6, 5);
        let mut x = Array2::<f64>::zeros((n, p));
        for v in x.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        let y: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        for i in 0..n {
            x[[i, 1]] = 1.0e4 + 1.0e-2 * x[[i, 1]];
            x[[i, 2]] = 7.5;
            x[[i, 3]] = if y[i] { 2.0 } else { -1.0 };
        }
        let folds: Vec<usize> = (0..n).map(|_| rng.random_range(0..k)).collect();
        let ft = FoldT::new(x.view(), &y, &folds, k).unwrap();
        for f in 0..k {
            let train: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
            let direct = t_statistics(x.view(), &y, &train).unwrap();
            let fast = ft.training(f).unwrap();
            // Standard normal columns (the null engine's data): to 1e-12. The offset
            // column loses log10(1e4 / 1e-2) = 6 digits in either computation.
            for j in [0, 1, 4, 5] {
                let tol = if j == 1 { 1e-6 } else { 1e-12 };
                assert!(
                    close(direct[j], fast[j], tol),
                    "fold {f} column {j}: {} vs {}",
                    direct[j],
                    fast[j]
                );
            }
            // Constant column: t = 0 both ways; class-constant: +inf both ways.
            assert_eq!(fast[2], 0.0);
            assert_eq!(fast[3], f64::INFINITY);
        }
    }

    #[test]
    fn fold_t_all_rows_equals_direct_t() {
        let mut rng = stream(5, "fold_t_all");
        let (n, p) = (31, 4);
        let x = Array2::from_shape_fn((n, p), |_| rng.sample::<f64, _>(StandardNormal));
        let y: Vec<bool> = (0..n).map(|i| i % 4 == 1).collect();
        let folds: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let all: Vec<usize> = (0..n).collect();
        let direct = t_statistics(x.view(), &y, &all).unwrap();
        let fast = FoldT::new(x.view(), &y, &folds, 3).unwrap().all().unwrap();
        for j in 0..p {
            assert!(
                close(direct[j], fast[j], 1e-12),
                "{j}: {} vs {}",
                direct[j],
                fast[j]
            );
        }
    }

    #[test]
    fn empty_class_in_training_rows_is_too_few() {
        // Every case sits in fold 0: its training rows have no case.
        let x = Array2::from_shape_fn((6, 2), |(i, j)| (i * 2 + j) as f64);
        let y = [true, true, false, false, false, false];
        let folds = [0, 0, 1, 1, 0, 1];
        let ft = FoldT::new(x.view(), &y, &folds, 2).unwrap();
        assert!(matches!(
            ft.training(0),
            Err(SelectError::TooFew { n1: 0, .. })
        ));
        assert!(ft.training(1).is_ok());
    }
}
