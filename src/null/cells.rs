//! Iid standard normal null features drawn through their cell summaries, so that only the
//! columns a univariate filter selects are ever drawn in full.
//!
//! # Method
//! Split the rows into cells (one resampling group, such as a fold, crossed with the
//! class). For an iid `N(0, 1)` column and a cell of `n_g` rows, the cell mean `m_g`, the
//! sum of squared deviations `SS_g` and the direction `u_g` of the deviations are
//! independent, with
//! ```text
//! m_g ~ N(0, 1 / n_g),   SS_g ~ chi^2(n_g - 1),
//! u_g uniform on the unit sphere of {v in R^{n_g} : sum v = 0}
//! ```
//! (Cochran's theorem; e.g. Casella & Berger, *Statistical Inference*, 2nd ed., Theorem
//! 5.3.1, and the rotation invariance of the standard normal). The pooled t statistics of
//! any union of cells depend only on `(n_g, m_g, SS_g)` ([`FoldT`]), so the filter runs on
//! those draws, and a selected column is then completed conditionally: per cell,
//! `x = m_g + sqrt(SS_g) u_g` with `u_g = (z - mean(z)) / ||z - mean(z)||`, `z ~ N(0, I)`.
//! The completed columns have exactly the joint distribution of the selected columns of a
//! full `n x p` draw, at the cost of `O(cells)` draws per unselected column instead of `n`.

use ndarray::Array2;
use rand::RngExt;
use rand_distr::{ChiSquared, StandardNormal};

use crate::model::fold_t::FoldT;
use crate::stats::rng::Stream;

/// The cell summaries of `p` iid standard normal columns.
pub(crate) struct CellDraw {
    p: usize,
    groups: usize,
    /// Rows of each cell `g = group * 2 + class`, ascending.
    cell_rows: Vec<Vec<usize>>,
    /// `p` values per cell, cell-major.
    cell_mean: Vec<f64>,
    cell_ss: Vec<f64>,
    n: usize,
}

impl CellDraw {
    /// Draws the summaries of `p` columns for the cells of `group_of` (labels
    /// `0..groups`) by class `y`: column by column, cell by cell, the mean then `SS`.
    pub(crate) fn draw(
        rng: &mut Stream,
        group_of: &[usize],
        groups: usize,
        y: &[bool],
        p: usize,
    ) -> Self {
        let cells = 2 * groups;
        let mut cell_rows = vec![Vec::new(); cells];
        for (i, (&g, &c)) in group_of.iter().zip(y).enumerate() {
            cell_rows[g * 2 + usize::from(c)].push(i);
        }
        // chi^2(n_g - 1) for cells of 2 or more rows.
        let chi: Vec<Option<ChiSquared<f64>>> = cell_rows
            .iter()
            .map(|r| (r.len() >= 2).then(|| ChiSquared::new((r.len() - 1) as f64)))
            .map(|d| d.and_then(Result::ok))
            .collect();
        let mut cell_mean = vec![0.0; cells * p];
        let mut cell_ss = vec![0.0; cells * p];
        for j in 0..p {
            for g in 0..cells {
                let ng = cell_rows[g].len();
                if ng == 0 {
                    continue;
                }
                let z: f64 = rng.sample(StandardNormal);
                cell_mean[g * p + j] = z / (ng as f64).sqrt();
                if let Some(d) = &chi[g] {
                    cell_ss[g * p + j] = rng.sample(d);
                }
            }
        }
        Self {
            p,
            groups,
            cell_rows,
            cell_mean,
            cell_ss,
            n: y.len(),
        }
    }

    /// The pooled t statistics of the draws ([`FoldT`], groups as folds).
    pub(crate) fn fold_t(&self) -> FoldT {
        FoldT::from_cells(
            self.p,
            self.groups,
            self.cell_rows.iter().map(Vec::len).collect(),
            self.cell_mean.clone(),
            self.cell_ss.clone(),
        )
    }

    /// The full values of columns `cols` (in that order), drawn conditionally on their
    /// summaries (module docs): an `n x cols.len()` matrix.
    pub(crate) fn complete(&self, rng: &mut Stream, cols: &[usize]) -> Array2<f64> {
        let p = self.p;
        let mut x = Array2::<f64>::zeros((self.n, cols.len()));
        for (c, &j) in cols.iter().enumerate() {
            for (g, rows) in self.cell_rows.iter().enumerate() {
                let (m, ss) = (self.cell_mean[g * p + j], self.cell_ss[g * p + j]);
                if rows.len() < 2 {
                    for &r in rows {
                        x[[r, c]] = m;
                    }
                    continue;
                }
                let z: Vec<f64> = rows.iter().map(|_| rng.sample(StandardNormal)).collect();
                let zbar = z.iter().sum::<f64>() / z.len() as f64;
                let norm2: f64 = z.iter().map(|v| (v - zbar) * (v - zbar)).sum();
                let scale = if norm2 > 0.0 {
                    (ss / norm2).sqrt()
                } else {
                    0.0
                };
                for (&r, zi) in rows.iter().zip(&z) {
                    x[[r, c]] = m + (zi - zbar) * scale;
                }
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::stream;

    #[test]
    fn completed_columns_have_the_drawn_summaries() {
        // The t statistics of the completed columns, computed directly from the data,
        // equal those of the drawn summaries (to rounding): selection on the summaries is
        // selection on the completed data.
        let mut rng = stream(21, "cells");
        let n = 41;
        let y: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let group_of: Vec<usize> = (0..n).map(|i| (i * 7) % 4).collect();
        let draw = CellDraw::draw(&mut rng, &group_of, 4, &y, 9);
        let cols: Vec<usize> = (0..9).collect();
        let x = draw.complete(&mut rng, &cols);
        let from_data = FoldT::new(x.view(), &y, &group_of, 4).unwrap();
        let from_draw = draw.fold_t();
        for f in 0..4 {
            let (a, b) = (
                from_data.training(f).unwrap(),
                from_draw.training(f).unwrap(),
            );
            for j in 0..9 {
                assert!((a[j] - b[j]).abs() < 1e-10 * a[j].abs().max(1.0), "{f} {j}");
            }
        }
    }

    #[test]
    fn completed_columns_are_standard_normal() {
        // 300 rows in 10 cells, 200 columns: mean 0 (SE 0.0041), variance 1 (SE 0.0058),
        // and rows of one column uncorrelated with the next column's (SE 0.0041).
        let mut rng = stream(22, "cells");
        let n = 300;
        let y: Vec<bool> = (0..n).map(|i| i < 90).collect();
        let group_of: Vec<usize> = (0..n).map(|i| i % 5).collect();
        let draw = CellDraw::draw(&mut rng, &group_of, 5, &y, 200);
        let cols: Vec<usize> = (0..200).collect();
        let x = draw.complete(&mut rng, &cols);
        let m = x.mean().unwrap();
        let v = x.mapv(|a| (a - m) * (a - m)).mean().unwrap();
        assert!(m.abs() < 0.02, "mean {m}");
        assert!((v - 1.0).abs() < 0.03, "variance {v}");
        let cross: f64 = (0..199)
            .map(|j| x.column(j).dot(&x.column(j + 1)) / n as f64)
            .sum::<f64>()
            / 199.0;
        assert!(cross.abs() < 0.02, "cross {cross}");
    }
}
