//! Features shared by the GLRLM, GLSZM, GLDZM and NGLDM (IBSI-1 sections 3.7-3.11).
//!
//! These four matrices have grey levels `i` as rows and a count-like quantity `j` as
//! columns (run length, zone size, zone distance, dependence count), and IBSI defines
//! the same sixteen statistics on each of them. Symbols, as in the manual:
//! `m_ij` the count of (grey level `i`, column value `j`); `N_s = sum_ij m_ij`;
//! `m_i. = sum_j m_ij`; `m_.j = sum_i m_ij`; `p_ij = m_ij / N_s`.

/// The epsilon PyRadiomics adds inside entropy logarithms (machine epsilon of f64; its
/// documentation: "an arbitrarily small positive number").
pub(crate) const PYRADIOMICS_EPS: f64 = f64::EPSILON;

/// A count matrix `m_ij`: `n_rows` compact grey levels by `n_cols` column values
/// `j = 1..=n_cols`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CountMatrix {
    /// Number of rows (compact grey levels).
    pub n_rows: usize,
    /// Number of columns (largest column value).
    pub n_cols: usize,
    /// Counts, `counts[row * n_cols + (j - 1)]`.
    pub counts: Vec<f64>,
}

impl CountMatrix {
    /// An all-zero matrix.
    pub fn new(n_rows: usize, n_cols: usize) -> Self {
        Self {
            n_rows,
            n_cols,
            counts: vec![0.0; n_rows * n_cols],
        }
    }

    /// Adds one count at compact row `row` (0-based) and column value `j >= 1`, widening
    /// the matrix when `j > n_cols`.
    pub fn add(&mut self, row: usize, j: usize) {
        if j > self.n_cols {
            self.widen(j);
        }
        self.counts[row * self.n_cols + j - 1] += 1.0;
    }

    /// Adds `other` element-wise (merging, IBSI "merged" aggregation).
    pub fn merge(&mut self, other: &CountMatrix) {
        if other.n_cols > self.n_cols {
            self.widen(other.n_cols);
        }
        for r in 0..other.n_rows {
            for c in 0..other.n_cols {
                self.counts[r * self.n_cols + c] += other.counts[r * other.n_cols + c];
            }
        }
    }

    /// Total count `N_s`.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    fn widen(&mut self, n_cols: usize) {
        let mut counts = vec![0.0; self.n_rows * n_cols];
        for r in 0..self.n_rows {
            counts[r * n_cols..r * n_cols + self.n_cols]
                .copy_from_slice(&self.counts[r * self.n_cols..(r + 1) * self.n_cols]);
        }
        self.counts = counts;
        self.n_cols = n_cols;
    }
}

/// The statistics IBSI defines on every row/column count matrix; all emphases are
/// already divided by `N_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Emphases {
    /// `N_s`.
    pub n_s: f64,
    /// `1/N_s sum_j m_.j / j^2` (short runs, small zones, small distances, low dependence).
    pub low_col: f64,
    /// `1/N_s sum_j j^2 m_.j`.
    pub high_col: f64,
    /// `1/N_s sum_i m_i. / i^2`.
    pub low_gl: f64,
    /// `1/N_s sum_i i^2 m_i.`.
    pub high_gl: f64,
    /// `1/N_s sum_ij m_ij / (i^2 j^2)`.
    pub low_col_low_gl: f64,
    /// `1/N_s sum_ij i^2 m_ij / j^2`.
    pub low_col_high_gl: f64,
    /// `1/N_s sum_ij j^2 m_ij / i^2`.
    pub high_col_low_gl: f64,
    /// `1/N_s sum_ij i^2 j^2 m_ij`.
    pub high_col_high_gl: f64,
    /// Grey level non-uniformity `1/N_s sum_i m_i.^2`.
    pub glnu: f64,
    /// Normalised grey level non-uniformity `1/N_s^2 sum_i m_i.^2`.
    pub glnu_norm: f64,
    /// Column non-uniformity `1/N_s sum_j m_.j^2`.
    pub col_nu: f64,
    /// Normalised column non-uniformity `1/N_s^2 sum_j m_.j^2`.
    pub col_nu_norm: f64,
    /// Grey level variance `sum_ij (i - mu)^2 p_ij`, `mu = sum_ij i p_ij`.
    pub gl_var: f64,
    /// Column variance `sum_ij (j - mu)^2 p_ij`, `mu = sum_ij j p_ij`.
    pub col_var: f64,
    /// Entropy `-sum_ij p_ij log2 p_ij`.
    pub entropy: f64,
    /// Energy `sum_ij p_ij^2` (NGLDM dependence count energy, IBSI CAS9).
    pub energy: f64,
}

/// Computes [`Emphases`] of `m` with grey level `values[row]`; `None` when the matrix is
/// empty (`N_s = 0`), where every statistic is undefined.
///
/// `eps` is added inside the entropy's logarithm: 0 for IBSI, [`PYRADIOMICS_EPS`] for
/// PyRadiomics, whose entropies are `-sum p log2(p + eps)` (so one-cell matrices give
/// `-log2(1 + eps) = -3.2e-16`, not 0).
pub(crate) fn emphases(m: &CountMatrix, values: &[f64], eps: f64) -> Option<Emphases> {
    let n_s = m.total();
    if n_s <= 0.0 {
        return None;
    }

    // Marginals m_i. and m_.j in one pass.
    let mut row_sum = vec![0.0; m.n_rows];
    let mut col_sum = vec![0.0; m.n_cols];
    let mut e = Emphases {
        n_s,
        low_col: 0.0,
        high_col: 0.0,
        low_gl: 0.0,
        high_gl: 0.0,
        low_col_low_gl: 0.0,
        low_col_high_gl: 0.0,
        high_col_low_gl: 0.0,
        high_col_high_gl: 0.0,
        glnu: 0.0,
        glnu_norm: 0.0,
        col_nu: 0.0,
        col_nu_norm: 0.0,
        gl_var: 0.0,
        col_var: 0.0,
        entropy: 0.0,
        energy: 0.0,
    };
    let mut mu_i = 0.0;
    let mut mu_j = 0.0;
    for r in 0..m.n_rows {
        let i2 = values[r] * values[r];
        for c in 0..m.n_cols {
            let v = m.counts[r * m.n_cols + c];
            if v == 0.0 {
                continue;
            }
            let j = (c + 1) as f64;
            let j2 = j * j;
            row_sum[r] += v;
            col_sum[c] += v;
            e.low_col_low_gl += v / (i2 * j2);
            e.low_col_high_gl += v * i2 / j2;
            e.high_col_low_gl += v * j2 / i2;
            e.high_col_high_gl += v * i2 * j2;
            let p = v / n_s;
            mu_i += values[r] * p;
            mu_j += j * p;
            e.entropy -= p * (p + eps).log2();
            e.energy += p * p;
        }
    }

    for (r, &s) in row_sum.iter().enumerate() {
        let i2 = values[r] * values[r];
        e.low_gl += s / i2;
        e.high_gl += s * i2;
        e.glnu += s * s;
        e.gl_var += (values[r] - mu_i).powi(2) * s / n_s;
    }
    for (c, &s) in col_sum.iter().enumerate() {
        let j = (c + 1) as f64;
        e.low_col += s / (j * j);
        e.high_col += s * j * j;
        e.col_nu += s * s;
        e.col_var += (j - mu_j).powi(2) * s / n_s;
    }

    for x in [
        &mut e.low_col,
        &mut e.high_col,
        &mut e.low_gl,
        &mut e.high_gl,
        &mut e.low_col_low_gl,
        &mut e.low_col_high_gl,
        &mut e.high_col_low_gl,
        &mut e.high_col_high_gl,
        &mut e.glnu,
        &mut e.col_nu,
    ] {
        *x /= n_s;
    }
    e.glnu_norm = e.glnu / n_s;
    e.col_nu_norm = e.col_nu / n_s;
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IBSI-1 manual, GLSZM example table (section 3.8): a 4x4 2D image, 8-connected.
    /// Matrix rows are grey levels 1..4, columns zone sizes 1..4.
    fn example() -> CountMatrix {
        let mut m = CountMatrix::new(4, 1);
        for (row, j) in [
            (0, 1),
            (0, 1),
            (0, 1),
            (1, 1),
            (1, 4),
            (2, 1),
            (2, 3),
            (3, 1),
            (3, 1),
        ] {
            m.add(row, j);
        }
        m
    }

    #[test]
    fn marginal_statistics_by_hand() {
        let m = example();
        let e = emphases(&m, &[1.0, 2.0, 3.0, 4.0], 0.0).unwrap();
        // N_s = 9; m_.j = (7, 0, 1, 1); m_i. = (3, 2, 2, 2).
        assert_eq!(e.n_s, 9.0);
        let sze = (7.0 + 1.0 / 9.0 + 1.0 / 16.0) / 9.0;
        assert!((e.low_col - sze).abs() < 1e-15);
        assert!((e.glnu - (9.0 + 4.0 + 4.0 + 4.0) / 9.0).abs() < 1e-15);
        assert!((e.col_nu_norm - (49.0 + 1.0 + 1.0) / 81.0).abs() < 1e-15);
    }

    #[test]
    fn empty_matrix_has_no_statistics() {
        assert!(emphases(&CountMatrix::new(2, 3), &[1.0, 2.0], 0.0).is_none());
    }

    #[test]
    fn merge_widens() {
        let mut a = CountMatrix::new(1, 1);
        a.add(0, 1);
        let mut b = CountMatrix::new(1, 1);
        b.add(0, 3);
        a.merge(&b);
        assert_eq!(a.counts, vec![1.0, 0.0, 1.0]);
    }
}
