//! Univariate feature filters fitted on given rows only (the training rows of a split or
//! fold), so that selection can sit inside the validation loop.
//!
//! Implemented: the pooled-variance two-sample |t| filter and the Wilcoxon rank-sum filter
//! (binary outcomes), the Cox score test (survival outcomes), correlation-redundancy
//! pruning of a ranking, and mRMR ordering. LASSO-path ordering lives with the penalised
//! fits ([`crate::model::pipeline`]).
//!
//! # Limitations
//! In the null engine, [`Selection::Lasso`] and [`Selection::Mrmr`] are still simulated by
//! the univariate filter of the outcome type (the stand-in AUDIT.md allows, "else by
//! univariate top-k, stated in the report"); `radaudit cv` runs them as themselves.
// TODO(null): simulate LASSO and mRMR selection as themselves in the null engine.

use ndarray::ArrayView2;

/// The selection step of a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Univariate filter: |t| for binary, Cox score for survival outcomes.
    Univariate,
    /// LASSO path selection (today simulated by the univariate filter; see module docs).
    Lasso,
    /// mRMR (today simulated by the univariate filter; see module docs).
    Mrmr,
    /// No selection: every candidate enters the model.
    None,
}

impl Selection {
    /// Whether this method is simulated by the univariate filter rather than as itself.
    pub fn is_stand_in(self) -> bool {
        matches!(self, Selection::Lasso | Selection::Mrmr)
    }
}

/// Errors from the filters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectError {
    /// `k` is zero or exceeds the number of columns.
    #[error("cannot keep {k} of {p} columns; expected 1 <= k <= p")]
    BadK { k: usize, p: usize },
    /// A row index is out of range.
    #[error("row {row} out of range for {n} rows")]
    RowOutOfRange { row: usize, n: usize },
    /// Outcome vectors do not match `x`.
    #[error("x has {rows} rows but the outcome has {len} entries; expected equal")]
    Shape { rows: usize, len: usize },
    /// Fewer than two rows in a class (t) or no events (Cox score) among the given rows.
    #[error(
        "the given rows hold {n0} controls/censored and {n1} cases/events; \
             expected at least {need} of each"
    )]
    TooFew { n0: usize, n1: usize, need: usize },
}

/// Pooled-variance two-sample t statistic of every column, on `rows` only.
///
/// # Formula
/// ```text
/// t_j = (m1_j - m0_j) / sqrt( s2_j (1/n1 + 1/n0) ),
/// s2_j = (SS1_j + SS0_j) / (n1 + n0 - 2)
/// ```
/// with class means `m`, within-class sums of squared deviations `SS` and class sizes `n`
/// (`y = true` is class 1).
///
/// # Reference
/// Student's two-sample t test with pooled variance (e.g. Armitage, Berry & Matthews,
/// *Statistical Methods in Medical Research*, 4th ed., sec. 4.3).
///
/// # Errors
/// [`SelectError::Shape`], [`SelectError::RowOutOfRange`], or [`SelectError::TooFew`]
/// when either class has fewer than 1 row or `n1 + n0 < 3`.
///
/// # Degenerate cases
/// A column constant within both classes has `s2 = 0`: `t = 0` when the means are equal,
/// else `+-inf`.
pub fn t_statistics(
    x: ArrayView2<f64>,
    y: &[bool],
    rows: &[usize],
) -> Result<Vec<f64>, SelectError> {
    let p = x.ncols();
    let (n1, n0) = class_counts(x, y, rows)?;
    if n1 == 0 || n0 == 0 || n1 + n0 < 3 {
        return Err(SelectError::TooFew { n0, n1, need: 1 });
    }

    // Pass 1: class means.
    let mut m = [vec![0.0; p], vec![0.0; p]];
    for &r in rows {
        let c = usize::from(y[r]);
        for (acc, v) in m[c].iter_mut().zip(x.row(r).iter()) {
            *acc += v;
        }
    }
    m[0].iter_mut().for_each(|v| *v /= n0 as f64);
    m[1].iter_mut().for_each(|v| *v /= n1 as f64);

    // Pass 2: pooled within-class sum of squares.
    let mut ss = vec![0.0; p];
    for &r in rows {
        let c = usize::from(y[r]);
        for ((acc, v), mj) in ss.iter_mut().zip(x.row(r).iter()).zip(&m[c]) {
            let d = v - mj;
            *acc += d * d;
        }
    }
    Ok((0..p)
        .map(|j| pooled_t(m[1][j] - m[0][j], ss[j], n1, n0))
        .collect())
}

/// The pooled-variance t statistic from the difference of class means `diff`, the pooled
/// within-class sum of squares `ss` and the class sizes (formula and degenerate cases of
/// [`t_statistics`]).
pub(crate) fn pooled_t(diff: f64, ss: f64, n1: usize, n0: usize) -> f64 {
    let df = (n1 + n0 - 2) as f64;
    let f = 1.0 / n1 as f64 + 1.0 / n0 as f64;
    let se = (ss / df * f).sqrt();
    if se > 0.0 {
        diff / se
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    }
}

/// Cox score (log-rank) chi-square statistic of every column, on `rows` only.
///
/// # Formula
/// At `beta = 0` with Breslow risk sets `R(t)` (size `n_R`) and `d_t` events at `t`:
/// ```text
/// U_j = sum_t [ sum_{i in D(t)} x_ij - d_t xbar_j(R) ]
/// I_j = sum_t d_t [ mean_R(x_j^2) - xbar_j(R)^2 ]
/// score_j = U_j^2 / I_j
/// ```
///
/// # Reference
/// Cox (1972); Therneau & Grambsch (2000), sec. 3.4 (the score test at beta = 0 with
/// Breslow ties is the log-rank test without the hypergeometric ties correction).
///
/// # Errors
/// [`SelectError::Shape`], [`SelectError::RowOutOfRange`], or [`SelectError::TooFew`]
/// when the rows hold no event.
///
/// # Degenerate cases
/// `I_j = 0` (a column constant within every risk set with events) gives score 0.
pub fn cox_score_statistics(
    x: ArrayView2<f64>,
    time: &[f64],
    event: &[bool],
    rows: &[usize],
) -> Result<Vec<f64>, SelectError> {
    let (n, p) = x.dim();
    if time.len() != n || event.len() != n {
        return Err(SelectError::Shape {
            rows: n,
            len: time.len().min(event.len()),
        });
    }
    check_rows(rows, n)?;
    let n1 = rows.iter().filter(|&&r| event[r]).count();
    if n1 == 0 {
        return Err(SelectError::TooFew {
            n0: rows.len(),
            n1,
            need: 1,
        });
    }

    let mut order = rows.to_vec();
    order.sort_by(|&a, &b| time[b].total_cmp(&time[a]).then(a.cmp(&b)));
    let mut s1 = vec![0.0; p];
    let mut s2 = vec![0.0; p];
    let mut u = vec![0.0; p];
    let mut info = vec![0.0; p];
    let mut dsum = vec![0.0; p];
    let mut n_r = 0.0;
    let mut start = 0;
    while start < order.len() {
        let t = time[order[start]];
        let mut end = start;
        while end < order.len() && time[order[end]] == t {
            end += 1;
        }
        dsum.iter_mut().for_each(|v| *v = 0.0);
        let mut d = 0.0;
        for &i in &order[start..end] {
            n_r += 1.0;
            for ((a, b), v) in s1.iter_mut().zip(s2.iter_mut()).zip(x.row(i).iter()) {
                *a += v;
                *b += v * v;
            }
            if event[i] {
                d += 1.0;
                for (a, v) in dsum.iter_mut().zip(x.row(i).iter()) {
                    *a += v;
                }
            }
        }
        if d > 0.0 {
            for j in 0..p {
                let mean = s1[j] / n_r;
                u[j] += dsum[j] - d * mean;
                info[j] += d * (s2[j] / n_r - mean * mean).max(0.0);
            }
        }
        start = end;
    }
    Ok(u.iter()
        .zip(&info)
        .map(|(u, i)| if *i > 0.0 { u * u / i } else { 0.0 })
        .collect())
}

/// Indices of the `k` largest `|stat|`, largest first; ties keep the lower index first.
///
/// # Errors
/// [`SelectError::BadK`] when `k = 0` or `k > stat.len()`.
pub fn top_k(stat: &[f64], k: usize) -> Result<Vec<usize>, SelectError> {
    if k == 0 || k > stat.len() {
        return Err(SelectError::BadK { k, p: stat.len() });
    }
    let mut idx: Vec<usize> = (0..stat.len()).collect();
    let key = |j: usize| {
        let a = stat[j].abs();
        if a.is_nan() {
            f64::NEG_INFINITY
        } else {
            a
        }
    };
    let cmp = |a: &usize, b: &usize| key(*b).total_cmp(&key(*a)).then(a.cmp(b));
    if k < idx.len() {
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_by(cmp);
    Ok(idx)
}

/// Top-`k` columns by pooled-variance |t| on `rows` (see [`t_statistics`]).
///
/// # Errors
/// As [`t_statistics`] and [`top_k`].
pub fn top_k_t(
    x: ArrayView2<f64>,
    y: &[bool],
    rows: &[usize],
    k: usize,
) -> Result<Vec<usize>, SelectError> {
    top_k(&t_statistics(x, y, rows)?, k)
}

/// Top-`k` columns by Cox score statistic on `rows` (see [`cox_score_statistics`]).
///
/// # Errors
/// As [`cox_score_statistics`] and [`top_k`].
pub fn top_k_cox_score(
    x: ArrayView2<f64>,
    time: &[f64],
    event: &[bool],
    rows: &[usize],
    k: usize,
) -> Result<Vec<usize>, SelectError> {
    top_k(&cox_score_statistics(x, time, event, rows)?, k)
}

/// Standardised Wilcoxon rank-sum (Mann-Whitney) statistic of every column, on `rows`.
///
/// # Formula
/// With midranks `R` of the pooled rows, `W_1` the rank sum of class 1 (`n1` rows) and
/// tie groups of sizes `t_g` among `N = n0 + n1`:
/// ```text
/// U = W_1 - n1 (n1 + 1) / 2,   E[U] = n1 n0 / 2,
/// Var[U] = n1 n0 / 12 [ (N + 1) - sum_g (t_g^3 - t_g) / (N (N - 1)) ],
/// z = (U - E[U]) / sqrt(Var[U])
/// ```
///
/// # Reference
/// Mann & Whitney (1947); tie correction as in Hollander, Wolfe & Chicken, *Nonparametric
/// Statistical Methods* (3rd ed., 2014), sec. 4.1.
///
/// # Errors
/// As [`t_statistics`].
///
/// # Degenerate cases
/// A column constant on `rows` has `Var = 0`: `z = 0`.
pub fn wilcoxon_statistics(
    x: ArrayView2<f64>,
    y: &[bool],
    rows: &[usize],
) -> Result<Vec<f64>, SelectError> {
    let p = x.ncols();
    let (n1, n0) = class_counts(x, y, rows)?;
    if n1 == 0 || n0 == 0 {
        return Err(SelectError::TooFew { n0, n1, need: 1 });
    }
    let big_n = rows.len() as f64;
    let (f1, f0) = (n1 as f64, n0 as f64);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    Ok((0..p)
        .map(|j| {
            let v: Vec<f64> = rows.iter().map(|&r| x[[r, j]]).collect();
            order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
            let (mut w1, mut ties) = (0.0, 0.0);
            let mut i = 0;
            while i < order.len() {
                let mut k = i + 1;
                while k < order.len() && v[order[k]] == v[order[i]] {
                    k += 1;
                }
                let midrank = (i + 1 + k) as f64 / 2.0;
                let t = (k - i) as f64;
                ties += t * t * t - t;
                w1 += midrank * order[i..k].iter().filter(|&&o| y[rows[o]]).count() as f64;
                i = k;
            }
            let u = w1 - f1 * (f1 + 1.0) / 2.0;
            let var = f1 * f0 / 12.0 * ((big_n + 1.0) - ties / (big_n * (big_n - 1.0)));
            if var > 0.0 {
                (u - f1 * f0 / 2.0) / var.sqrt()
            } else {
                0.0
            }
        })
        .collect())
}

/// Pearson correlation of columns `a` and `b` of `x` on `rows` (0 when either is
/// constant).
pub fn correlation(x: ArrayView2<f64>, rows: &[usize], a: usize, b: usize) -> f64 {
    let n = rows.len() as f64;
    let (ma, mb) = rows
        .iter()
        .fold((0.0, 0.0), |(s, t), &r| (s + x[[r, a]], t + x[[r, b]]));
    let (ma, mb) = (ma / n, mb / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for &r in rows {
        let (da, db) = (x[[r, a]] - ma, x[[r, b]] - mb);
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}

/// Correlation-redundancy pruning: walks `ranking` (best first) and keeps a column only
/// when its absolute Pearson correlation (on `rows`) with every column already kept is
/// below `threshold`; stops after `limit` columns are kept.
///
/// # Reference
/// The greedy "highly correlated feature" filter of e.g. Kuhn & Johnson, *Applied
/// Predictive Modeling* (2013), sec. 3.5, applied in ranking order.
///
/// # Degenerate cases
/// `threshold >= 1` keeps the ranking unchanged (up to `limit`).
pub fn prune_correlated(
    x: ArrayView2<f64>,
    rows: &[usize],
    ranking: &[usize],
    threshold: f64,
    limit: usize,
) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for &j in ranking {
        if kept.len() >= limit {
            break;
        }
        if kept
            .iter()
            .all(|&k| correlation(x, rows, j, k).abs() < threshold)
        {
            kept.push(j);
        }
    }
    kept
}

/// mRMR order of the columns with the quotient criterion (FCQ): the first column has the
/// largest relevance, then each step adds the column maximising
/// `relevance_j / mean_{s in S} |r_js|` over the columns not yet chosen, until `k` are
/// chosen.
///
/// # Reference
/// Ding & Peng (2005), J Bioinform Comput Biol 3:185, "Minimum redundancy feature
/// selection from microarray gene expression data", continuous-feature criteria
/// (F-statistic relevance, correlation redundancy, quotient form FCQ).
///
/// # Degenerate cases
/// A zero mean redundancy is floored at 1e-12 (the column is then preferred).
pub fn mrmr_order(x: ArrayView2<f64>, rows: &[usize], relevance: &[f64], k: usize) -> Vec<usize> {
    let p = relevance.len();
    let k = k.min(p);
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut taken = vec![false; p];
    let mut redundancy = vec![0.0; p];
    let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    while chosen.len() < k {
        let best = (0..p).filter(|&j| !taken[j]).max_by(|&a, &b| {
            let score = |j: usize| {
                if chosen.is_empty() {
                    key(relevance[j].abs())
                } else {
                    key(relevance[j].abs()) / (redundancy[j] / chosen.len() as f64).max(1e-12)
                }
            };
            score(a).total_cmp(&score(b)).then(b.cmp(&a))
        });
        let Some(j) = best else { break };
        taken[j] = true;
        chosen.push(j);
        for c in 0..p {
            if !taken[c] {
                redundancy[c] += correlation(x, rows, c, j).abs();
            }
        }
    }
    chosen
}

/// Indices of `stat` ordered by decreasing `|stat|` (NaN last, ties by index).
pub fn rank_desc(stat: &[f64]) -> Vec<usize> {
    let key = |j: usize| {
        let a = stat[j].abs();
        if a.is_nan() {
            f64::NEG_INFINITY
        } else {
            a
        }
    };
    let mut idx: Vec<usize> = (0..stat.len()).collect();
    idx.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    idx
}

/// Checks that `y` and `rows` fit `x` and counts the cases and controls on `rows`.
fn class_counts(
    x: ArrayView2<f64>,
    y: &[bool],
    rows: &[usize],
) -> Result<(usize, usize), SelectError> {
    let n = x.nrows();
    if y.len() != n {
        return Err(SelectError::Shape {
            rows: n,
            len: y.len(),
        });
    }
    check_rows(rows, n)?;
    let n1 = rows.iter().filter(|&&r| y[r]).count();
    Ok((n1, rows.len() - n1))
}

fn check_rows(rows: &[usize], n: usize) -> Result<(), SelectError> {
    match rows.iter().find(|&&r| r >= n) {
        Some(&row) => Err(SelectError::RowOutOfRange { row, n }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn t_matches_hand_computation() {
        // Column 0: class 0 = {1, 2, 3}, class 1 = {4, 6}. m0 = 2, m1 = 5,
        // SS0 = 2, SS1 = 2, s2 = 4/3, se = sqrt(4/3 * (1/2 + 1/3)) = sqrt(10/9).
        let x = array![[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [6.0, 0.0]];
        let y = [false, false, false, true, true];
        let t = t_statistics(x.view(), &y, &[0, 1, 2, 3, 4]).unwrap();
        assert!((t[0] - 3.0 / (10.0f64 / 9.0).sqrt()).abs() < 1e-12);
        assert_eq!(t[1], 0.0);
    }

    #[test]
    fn t_uses_only_given_rows() {
        let x = array![[1.0], [2.0], [3.0], [4.0], [100.0]];
        let y = [false, false, true, true, true];
        let a = t_statistics(x.view(), &y, &[0, 1, 2, 3]).unwrap();
        // Rows 0-3 only: m0 = 1.5, m1 = 3.5, SS = 0.5 + 0.5, s2 = 0.5, se = sqrt(0.5).
        assert!((a[0] - 2.0 / 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn top_k_orders_by_abs_and_breaks_ties_by_index() {
        let s = [1.0, -3.0, 3.0, 0.5, 2.0];
        assert_eq!(top_k(&s, 3).unwrap(), vec![1, 2, 4]);
        assert_eq!(top_k(&s, 5).unwrap(), vec![1, 2, 4, 0, 3]);
        assert_eq!(top_k(&s, 0).unwrap_err(), SelectError::BadK { k: 0, p: 5 });
    }

    #[test]
    fn cox_score_matches_logrank_by_hand() {
        // Binary covariate, distinct times 1..4, all events; x = [1, 0, 1, 0].
        // t=1: R = all 4, xbar = 1/2, U += 1 - 1/2, I += 1/4
        // t=2: R = {2,3,4}, xbar = 1/3, U += 0 - 1/3, I += 2/9
        // t=3: R = {3,4}, xbar = 1/2, U += 1 - 1/2, I += 1/4
        // t=4: R = {4}, xbar = 0, U += 0, I += 0
        let x = Array2::from_shape_vec((4, 1), vec![1.0, 0.0, 1.0, 0.0]).unwrap();
        let s = cox_score_statistics(x.view(), &[1.0, 2.0, 3.0, 4.0], &[true; 4], &[0, 1, 2, 3])
            .unwrap();
        let u = 0.5 - 1.0 / 3.0 + 0.5;
        let i = 0.25 + 2.0 / 9.0 + 0.25;
        assert!((s[0] - u * u / i).abs() < 1e-12);
    }

    #[test]
    fn rejects_single_class_rows() {
        let x = array![[1.0], [2.0], [3.0]];
        let y = [false, false, true];
        assert_eq!(
            t_statistics(x.view(), &y, &[0, 1]).unwrap_err(),
            SelectError::TooFew {
                n0: 2,
                n1: 0,
                need: 1
            }
        );
    }

    #[test]
    fn wilcoxon_matches_hand_computation_with_ties() {
        // Values 1, 2, 2, 3 with classes 0, 0, 1, 1: midranks 1, 2.5, 2.5, 4; W1 = 6.5,
        // U = 3.5, E = 2, ties: one group of 2 -> 6; Var = 4/12 (5 - 6/12) = 1.5.
        let x = array![[1.0], [2.0], [2.0], [3.0]];
        let y = [false, false, true, true];
        let z = wilcoxon_statistics(x.view(), &y, &[0, 1, 2, 3]).unwrap();
        assert!((z[0] - 1.5 / 1.5f64.sqrt()).abs() < 1e-12, "{}", z[0]);
    }

    #[test]
    fn pruning_drops_the_near_copy() {
        let x = array![
            [1.0, 1.1, 0.0],
            [2.0, 2.0, 1.0],
            [3.0, 3.2, 0.0],
            [4.0, 3.9, 1.0]
        ];
        let kept = prune_correlated(x.view(), &[0, 1, 2, 3], &[0, 1, 2], 0.9, 3);
        assert_eq!(kept, vec![0, 2]);
    }

    #[test]
    fn mrmr_prefers_the_non_redundant_column() {
        // Column 1 is a near copy of column 0 and slightly less relevant than column 0;
        // column 2 is less relevant (3 / 0.447 = 6.7 > 4.9 / 0.99) but weakly correlated.
        let x = array![
            [1.0, 1.1, 0.0],
            [2.0, 2.0, 1.0],
            [3.0, 3.2, 0.0],
            [4.0, 3.9, 1.0]
        ];
        let order = mrmr_order(x.view(), &[0, 1, 2, 3], &[5.0, 4.9, 3.0], 3);
        assert_eq!(order, vec![0, 2, 1]);
    }
}
