//! ROC area (AUC) as the Mann-Whitney statistic, its DeLong variance, and intervals for a
//! reported AUC from the sample sizes alone (Newcombe 2006; Hanley & McNeil 1982).
//!
//! Conventions: `labels[i] == true` marks a *case* (positive, event), `false` a *control*;
//! a higher score means "more likely a case". The AUC is
//! `theta = P(X > Y) + 1/2 P(X = Y)` with X a case score and Y a control score, so tied
//! scores count one half (midranks). Counting is done on 64-bit integers, so the pair total
//! `m * n` may exceed 2^32 (CASE-08 in `../shared/cases.md`).
//!
//! Input validation (CASE-07): any NaN or infinite score is an error, never a number; a
//! sample with one class only is an error (the AUC is undefined); constant scores give
//! AUC 0.5 exactly, with a zero DeLong variance that is flagged as degenerate.

use std::cmp::Ordering;

use thiserror::Error;

/// Standard normal 0.975 quantile (R `qnorm(0.975)`), used for every 95% interval here.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// The AUC with its DeLong variance and 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct DeLong {
    /// Mann-Whitney AUC, `theta_hat = U / (m n)`.
    pub auc: f64,
    /// DeLong variance `S10 / m + S01 / n`.
    pub var: f64,
    /// Standard error, `sqrt(var)`.
    pub se: f64,
    /// Lower end of the 95% Wald interval `auc - 1.96 se`, clipped at 0.
    pub ci_lower: f64,
    /// Upper end of the 95% Wald interval `auc + 1.96 se`, clipped at 1.
    pub ci_upper: f64,
    /// True when the variance is 0 (constant scores, or perfect separation): the interval
    /// then collapses to a point and must not be read as "exact".
    pub degenerate: bool,
    /// Number of cases (label `true`), `m`.
    pub n_cases: usize,
    /// Number of controls (label `false`), `n`.
    pub n_controls: usize,
    /// Placement values of the cases, `V10_i` (same order as the cases in the input).
    pub v10: Vec<f64>,
    /// Placement values of the controls, `V01_j` (same order as the controls in the input).
    pub v01: Vec<f64>,
}

/// An interval for an AUC computed from its value and the sample sizes alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucInterval {
    /// The AUC the interval is for.
    pub auc: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// Errors of the ROC functions.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RocError {
    /// `scores` and `labels` differ in length.
    #[error("scores and labels differ in length: {scores} scores, {labels} labels")]
    LengthMismatch { scores: usize, labels: usize },
    /// A score is NaN or infinite.
    #[error("scores contain NaN/inf: score {value} at index {index}; expected finite scores")]
    NonFiniteScore { index: usize, value: f64 },
    /// Only one class is present, so the AUC is undefined.
    #[error("AUC undefined: {n_cases} cases and {n_controls} controls; need at least one of each")]
    SingleClass { n_cases: usize, n_controls: usize },
    /// The DeLong variance needs at least two members of each class.
    #[error(
        "DeLong variance needs at least 2 cases and 2 controls; got {n_cases} and {n_controls}"
    )]
    TooFewForVariance { n_cases: usize, n_controls: usize },
    /// A reported AUC outside [0, 1] (or not finite).
    #[error("AUC {value} is outside [0, 1]")]
    InvalidAuc { value: f64 },
    /// A class size of zero.
    #[error("class sizes must be at least 1; got {n_cases} cases and {n_controls} controls")]
    InvalidSampleSize { n_cases: u64, n_controls: u64 },
}

/// Mann-Whitney pair counts behind an AUC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PairCounts {
    /// Number of cases, m.
    m: u64,
    /// Number of controls, n.
    n: u64,
    /// Twice the Mann-Whitney U: 2 * (#{X > Y} + 1/2 #{X = Y}), exact in integers.
    two_u: u64,
}

/// Checks lengths and finiteness; returns the number of cases and controls.
fn validate(scores: &[f64], labels: &[bool]) -> Result<(usize, usize), RocError> {
    if scores.len() != labels.len() {
        return Err(RocError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(RocError::NonFiniteScore { index, value });
    }
    let n_cases = labels.iter().filter(|&&l| l).count();
    let n_controls = labels.len() - n_cases;
    if n_cases == 0 || n_controls == 0 {
        return Err(RocError::SingleClass {
            n_cases,
            n_controls,
        });
    }
    Ok((n_cases, n_controls))
}

/// Twice the midranks (1-based) of `values`, exact in integers: a tie group occupying
/// sorted positions `i..j` (0-based, exclusive end) has midrank `(i + 1 + j) / 2`.
fn twice_midranks(values: &[f64]) -> Vec<u64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].partial_cmp(&values[b]).unwrap_or(Ordering::Equal));
    let mut ranks = vec![0_u64; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        let twice_rank = (i + 1 + j) as u64;
        for &k in &order[i..j] {
            ranks[k] = twice_rank;
        }
        i = j;
    }
    ranks
}

/// Mann-Whitney counts from the midranks of the pooled sample.
fn pair_counts(scores: &[f64], labels: &[bool], m: usize, n: usize) -> PairCounts {
    let ranks2 = twice_midranks(scores);

    // 2 R1 = sum over cases of twice the midrank; U = R1 - m (m + 1) / 2.
    let two_r1: u64 = ranks2
        .iter()
        .zip(labels)
        .filter(|&(_, &l)| l)
        .map(|(&r, _)| r)
        .sum();
    let (m, n) = (m as u64, n as u64);
    PairCounts {
        m,
        n,
        two_u: two_r1 - m * (m + 1),
    }
}

/// Area under the ROC curve as the Mann-Whitney statistic `U / (m n)`.
///
/// # Formula
/// `AUC = (R1 - m (m + 1) / 2) / (m n)`, where `R1` is the sum of the midranks of the `m`
/// cases in the pooled sample of `m + n` scores. Equivalently
/// `(#{X_i > Y_j} + 1/2 #{X_i = Y_j}) / (m n)` over all case-control pairs. Computed in
/// O(N log N) with exact 64-bit integer counts (twice the midranks are integers).
///
/// # Reference
/// Mann & Whitney (1947); Bamber (1975) J Math Psychol 12:387 (AUC = U / mn);
/// Hanley & McNeil (1982) Radiology 143:29.
///
/// # Errors
/// [`RocError::LengthMismatch`], [`RocError::NonFiniteScore`] (CASE-07 a, b),
/// [`RocError::SingleClass`] (CASE-07 d).
///
/// # Degenerate cases
/// Constant scores give exactly 0.5 (CASE-07 c).
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<f64, RocError> {
    let (m, n) = validate(scores, labels)?;
    let counts = pair_counts(scores, labels, m, n);
    Ok(counts.two_u as f64 / (2 * counts.m * counts.n) as f64)
}

/// AUC with the DeLong variance, standard error and 95% interval.
///
/// # Formula
/// Placement values (DeLong et al. 1988, eqs. on p. 839; fast midrank form of
/// Sun & Xu 2014): for case `i`, `V10_i = (1/n) sum_j psi(X_i, Y_j)` and for control `j`,
/// `V01_j = (1/m) sum_i psi(X_i, Y_j)`, with `psi = 1` if `X > Y`, `1/2` if equal, else 0.
/// With `R_i` the pooled midrank and `R^X_i` the midrank within the cases,
/// `V10_i = (R_i - R^X_i) / n`; with `R^Y_j` the midrank within the controls,
/// `V01_j = 1 - (R_j - R^Y_j) / m`.
/// `S10 = sum (V10_i - AUC)^2 / (m - 1)`, `S01 = sum (V01_j - AUC)^2 / (n - 1)`,
/// `var = S10 / m + S01 / n`, interval `AUC -/+ 1.959964 sqrt(var)` clipped to [0, 1]
/// (as pROC's `ci.auc(method = "delong")`).
///
/// # Reference
/// DeLong, DeLong & Clarke-Pearson (1988) Biometrics 44:837; Sun & Xu (2014) IEEE Signal
/// Process Lett 21:1389.
///
/// # Errors
/// As [`auc`], plus [`RocError::TooFewForVariance`] with fewer than 2 cases or controls
/// (the sample variances need `m - 1 >= 1` and `n - 1 >= 1`).
///
/// # Degenerate cases
/// Constant scores or perfect separation give `var = 0`, a point interval and
/// `degenerate = true` (CASE-07 c).
pub fn delong(scores: &[f64], labels: &[bool]) -> Result<DeLong, RocError> {
    let (m, n) = validate(scores, labels)?;
    if m < 2 || n < 2 {
        return Err(RocError::TooFewForVariance {
            n_cases: m,
            n_controls: n,
        });
    }
    let auc = auc(scores, labels)?;

    // Midranks in the pooled sample and within each class (all doubled, exact).
    let ranks2 = twice_midranks(scores);
    let x: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|&(_, &l)| l)
        .map(|(&s, _)| s)
        .collect();
    let y: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|&(_, &l)| !l)
        .map(|(&s, _)| s)
        .collect();
    let rx2 = twice_midranks(&x);
    let ry2 = twice_midranks(&y);
    let r_x2 = ranks2
        .iter()
        .zip(labels)
        .filter(|&(_, &l)| l)
        .map(|(&r, _)| r);
    let r_y2 = ranks2
        .iter()
        .zip(labels)
        .filter(|&(_, &l)| !l)
        .map(|(&r, _)| r);

    // Placement values.
    let (mf, nf) = (m as f64, n as f64);
    let v10: Vec<f64> = r_x2
        .zip(&rx2)
        .map(|(r, &rx)| (r - rx) as f64 / (2.0 * nf))
        .collect();
    let v01: Vec<f64> = r_y2
        .zip(&ry2)
        .map(|(r, &ry)| 1.0 - (r - ry) as f64 / (2.0 * mf))
        .collect();

    // Variance components.
    let s10 = v10.iter().map(|v| (v - auc).powi(2)).sum::<f64>() / (mf - 1.0);
    let s01 = v01.iter().map(|v| (v - auc).powi(2)).sum::<f64>() / (nf - 1.0);
    let var = s10 / mf + s01 / nf;
    let se = var.sqrt();

    Ok(DeLong {
        auc,
        var,
        se,
        ci_lower: (auc - Z_975 * se).max(0.0),
        ci_upper: (auc + Z_975 * se).min(1.0),
        degenerate: var <= 0.0,
        n_cases: m,
        n_controls: n,
        v10,
        v01,
    })
}

/// Checks a reported AUC and the class sizes.
fn validate_reported(theta: f64, m: u64, n: u64) -> Result<(), RocError> {
    if !(0.0..=1.0).contains(&theta) {
        return Err(RocError::InvalidAuc { value: theta });
    }
    if m == 0 || n == 0 {
        return Err(RocError::InvalidSampleSize {
            n_cases: m,
            n_controls: n,
        });
    }
    Ok(())
}

/// Hanley-McNeil variance with multipliers `a` and `b` on the two pair-correlation terms:
/// `theta (1 - theta) [1 + a (1 - theta) / (2 - theta) + b theta / (1 + theta)] / (m n)`.
fn hm_variance(theta: f64, m: f64, n: f64, a: f64, b: f64) -> f64 {
    theta * (1.0 - theta) * (1.0 + a * (1.0 - theta) / (2.0 - theta) + b * theta / (1.0 + theta))
        / (m * n)
}

/// Hanley & McNeil (1982) standard error of an AUC from its value and the class sizes.
///
/// # Formula
/// `SE^2 = [theta (1 - theta) + (m - 1)(Q1 - theta^2) + (n - 1)(Q2 - theta^2)] / (m n)`
/// with `Q1 = theta / (2 - theta)` and `Q2 = 2 theta^2 / (1 + theta)`, `m` cases
/// (abnormal) and `n` controls (normal). (Q1, Q2 assume exponential-type score
/// distributions.)
///
/// # Reference
/// Hanley & McNeil (1982) Radiology 143:29, equation (2) and Table I's Q1, Q2
/// approximation (their `n_A` = cases, `n_N` = controls).
///
/// # Errors
/// [`RocError::InvalidAuc`], [`RocError::InvalidSampleSize`].
///
/// # Degenerate cases
/// `theta` = 0 or 1 gives SE 0.
pub fn hanley_mcneil_se(theta: f64, n_cases: u64, n_controls: u64) -> Result<f64, RocError> {
    validate_reported(theta, n_cases, n_controls)?;
    let (m, n) = (n_cases as f64, n_controls as f64);
    let q1 = theta / (2.0 - theta);
    let q2 = 2.0 * theta * theta / (1.0 + theta);
    let var = (theta * (1.0 - theta)
        + (m - 1.0) * (q1 - theta * theta)
        + (n - 1.0) * (q2 - theta * theta))
        / (m * n);
    Ok(var.max(0.0).sqrt())
}

/// Newcombe's (2006) recommended 95% interval for an AUC from its value and class sizes.
///
/// # Formula
/// Method 5 of Newcombe (2006, Part 2, section 2.2): the Hanley-McNeil variance with
/// both sample-size multipliers `m - 1` and `n - 1` replaced by `N* - 1`, where
/// `N* = (m + n) / 2`, i.e. with `h = (m + n)/2 - 1`
///
/// `V(theta) = theta (1 - theta) / (m n) * [1 + h (1 - theta)/(2 - theta) + h theta/(1 + theta)]`
///
/// evaluated at the *unknown* theta and inverted as a score interval: the limits are the
/// two roots in [0, 1] of `(theta_hat - theta)^2 = z^2 V(theta)`, one below and one above
/// `theta_hat` (z = 1.959964). `V` vanishes at 0 and 1, so the limits stay in [0, 1]
/// without clipping; they are found by bisection to 1e-12.
///
/// # Reference
/// Newcombe RG (2006) Confidence intervals for an effect size measure based on the
/// Mann-Whitney statistic. Part 2: asymptotic methods and evaluation. Stat Med 25:559-573,
/// method 5 (score-type inversion of the variance V2 with N* = (m + n)/2).
///
/// # Errors
/// [`RocError::InvalidAuc`], [`RocError::InvalidSampleSize`].
///
/// # Degenerate cases
/// `theta_hat = 1` gives upper limit 1 and a lower limit below 1 (and symmetrically at 0),
/// unlike Wald intervals, which collapse.
pub fn newcombe_ci(theta: f64, n_cases: u64, n_controls: u64) -> Result<AucInterval, RocError> {
    validate_reported(theta, n_cases, n_controls)?;
    let (m, n) = (n_cases as f64, n_controls as f64);
    let h = (m + n) / 2.0 - 1.0;

    // g(t) = (theta - t)^2 - z^2 V(t): positive at the far end, non-positive at theta.
    let g = |t: f64| (theta - t).powi(2) - Z_975 * Z_975 * hm_variance(t, m, n, h, h);
    let lower = if theta <= 0.0 {
        0.0
    } else {
        bisect(&g, 0.0, theta)
    };
    let upper = if theta >= 1.0 {
        1.0
    } else {
        bisect(&g, 1.0, theta)
    };
    Ok(AucInterval {
        auc: theta,
        lower,
        upper,
    })
}

/// Bisection for the root of `g` between `outside` (where `g >= 0`) and `inside` (where
/// `g <= 0`). Returns `outside` when `g` does not change sign (no root strictly between).
fn bisect(g: &impl Fn(f64) -> f64, outside: f64, inside: f64) -> f64 {
    if g(outside) <= 0.0 {
        return outside;
    }
    let (mut a, mut b) = (outside, inside);
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if g(mid) > 0.0 {
            a = mid;
        } else {
            b = mid;
        }
        if (a - b).abs() < 1e-13 {
            break;
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASAH: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/asah_pROC.csv"
    );
    const AUC_CASES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/auc_cases.csv"
    );

    /// Reads aSAH: returns (marker column -> scores, labels with Poor = case).
    fn asah(marker: &str) -> (Vec<f64>, Vec<bool>) {
        let text = std::fs::read_to_string(ASAH).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == marker).unwrap();
        let out = header.iter().position(|h| *h == "outcome").unwrap();
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            scores.push(f[col].parse::<f64>().unwrap());
            labels.push(f[out] == "Poor");
        }
        (scores, labels)
    }

    /// Expected (auc, var, lower, upper) of a row of auc_cases.csv.
    fn expected(case_id: &str) -> (f64, f64, f64, f64) {
        let text = std::fs::read_to_string(AUC_CASES).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{case_id},")))
            .unwrap();
        let f: Vec<&str> = line.split(',').collect();
        let p = |i: usize| f[i].parse::<f64>().unwrap();
        (p(5), p(6), p(8), p(9))
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn asah_markers_match_proc_delong() {
        // pROC values are printed to 15 significant digits; our arithmetic differs only in
        // summation order, so 1e-12 is generous yet still catches any formula error.
        for marker in ["s100b", "ndka", "wfns"] {
            let (scores, labels) = asah(marker);
            let (auc_ref, var_ref, lo_ref, hi_ref) = expected(&format!("aSAH_{marker}"));
            let d = delong(&scores, &labels).unwrap();
            assert_eq!((d.n_cases, d.n_controls), (41, 72));
            assert!(
                close(d.auc, auc_ref, 1e-12),
                "{marker}: auc {} vs {auc_ref}",
                d.auc
            );
            assert!(
                close(d.var, var_ref, 1e-12),
                "{marker}: var {} vs {var_ref}",
                d.var
            );
            assert!(
                close(d.ci_lower, lo_ref, 1e-10),
                "{marker}: lo {}",
                d.ci_lower
            );
            assert!(
                close(d.ci_upper, hi_ref, 1e-10),
                "{marker}: hi {}",
                d.ci_upper
            );
            assert!(!d.degenerate);
        }
    }

    #[test]
    fn tie_case_matches_hand_values() {
        // answer_key.toml [auc.ties]; auc_cases.csv tie_case_8.
        let scores = [3.0, 2.0, 2.0, 1.0, 2.0, 1.0, 1.0, 0.0];
        let labels = [true, true, true, true, false, false, false, false];
        let d = delong(&scores, &labels).unwrap();
        assert_eq!(d.auc, 0.8125);
        assert!(close(d.var, 0.0234375, 1e-15));
        assert_eq!(d.v10, vec![1.0, 0.875, 0.875, 0.5]);
        assert_eq!(d.v01, vec![0.5, 0.875, 0.875, 1.0]);
        let (_, _, lo, hi) = expected("tie_case_8");
        assert!(close(d.ci_lower, lo, 1e-12));
        assert_eq!(d.ci_upper, hi); // clipped at 1
    }

    #[test]
    fn case07_nan_scores_are_an_error() {
        let labels = [false, false, true, true];
        let err = auc(&[f64::NAN; 4], &labels).unwrap_err();
        assert!(matches!(err, RocError::NonFiniteScore { index: 0, .. }));
        assert!(err.to_string().contains("NaN/inf"));
    }

    #[test]
    fn case07_inf_scores_are_an_error() {
        let labels = [false, false, true, true];
        let err = delong(&[f64::INFINITY; 4], &labels).unwrap_err();
        assert!(matches!(err, RocError::NonFiniteScore { .. }));
    }

    #[test]
    fn case07_constant_scores_give_half_and_degenerate_interval() {
        let labels = [false, false, true, true];
        let d = delong(&[1.0; 4], &labels).unwrap();
        assert_eq!(d.auc, 0.5);
        assert_eq!(d.var, 0.0);
        assert_eq!((d.ci_lower, d.ci_upper), (0.5, 0.5));
        assert!(d.degenerate);
    }

    #[test]
    fn case07_single_class_is_an_error() {
        let err = auc(&[0.1, 0.4, 0.35, 0.8], &[false; 4]).unwrap_err();
        assert_eq!(
            err,
            RocError::SingleClass {
                n_cases: 0,
                n_controls: 4
            }
        );
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let err = auc(&[0.1, 0.2], &[true]).unwrap_err();
        assert_eq!(
            err,
            RocError::LengthMismatch {
                scores: 2,
                labels: 1
            }
        );
    }

    #[test]
    fn one_case_gives_auc_but_no_delong_variance() {
        let scores = [0.9, 0.1, 0.2];
        let labels = [true, false, false];
        assert_eq!(auc(&scores, &labels).unwrap(), 1.0);
        let err = delong(&scores, &labels).unwrap_err();
        assert_eq!(
            err,
            RocError::TooFewForVariance {
                n_cases: 1,
                n_controls: 2
            }
        );
    }

    #[test]
    fn auc_matches_brute_force_pair_count() {
        // Independent check: O(m n) pair count with ties, on scores with many ties.
        let mut rng = crate::stats::rng::stream(1, "roc/brute");
        use rand::RngExt;
        for _ in 0..20 {
            let len = rng.random_range(4..60);
            let scores: Vec<f64> = (0..len).map(|_| rng.random_range(0..8) as f64).collect();
            let mut labels: Vec<bool> = (0..len).map(|_| rng.random::<bool>()).collect();
            labels[0] = true;
            labels[1] = false;
            let mut num = 0.0;
            let mut pairs = 0.0;
            for i in 0..len {
                for j in 0..len {
                    if labels[i] && !labels[j] {
                        pairs += 1.0;
                        num += match scores[i].partial_cmp(&scores[j]).unwrap() {
                            Ordering::Greater => 1.0,
                            Ordering::Equal => 0.5,
                            Ordering::Less => 0.0,
                        };
                    }
                }
            }
            assert!(close(auc(&scores, &labels).unwrap(), num / pairs, 1e-15));
        }
    }

    #[test]
    fn hanley_mcneil_hand_value() {
        // Hanley & McNeil (1982) CT example: AUC 0.893, 51 abnormal, 58 normal. By hand:
        // Q1 = 0.893/1.107 = 0.806685, Q2 = 2(0.893^2)/1.893 = 0.842524,
        // SE^2 = [0.095551 + 50(0.009236) + 57(0.045075)] / 2958 = 0.00105700,
        // SE = 0.032512. (Their published 0.032 uses Q1, Q2 estimated from the ratings.)
        let se = hanley_mcneil_se(0.893, 51, 58).unwrap();
        assert!((se - 0.032512).abs() < 5e-6, "{se}");
        assert!((se - 0.032).abs() < 1e-3);
        assert_eq!(hanley_mcneil_se(1.0, 10, 10).unwrap(), 0.0);
    }

    #[test]
    fn newcombe_variance_equals_hanley_mcneil_when_classes_are_equal() {
        // With m = n, N* - 1 = (m + n)/2 - 1 = m - 1 = n - 1: the two variances coincide.
        let theta: f64 = 0.77;
        let se = hanley_mcneil_se(theta, 40, 40).unwrap();
        let v = hm_variance(theta, 40.0, 40.0, 39.0, 39.0);
        assert!((se * se - v).abs() < 1e-15);
    }

    #[test]
    fn newcombe_perfect_separation_hand_value() {
        // theta_hat = 1, m = n = 10, h = 9: the upper limit is 1 and the lower limit L
        // solves 1 - L = z^2 L / 100 [1 + 9 (1 - L)/(2 - L) + 9 L/(1 + L)], L = 0.8002136
        // (check: at L = 0.8002136 the right side is 0.0307397 * 6.499212 = 0.199786).
        let ci = newcombe_ci(1.0, 10, 10).unwrap();
        assert_eq!(ci.upper, 1.0);
        assert!((ci.lower - 0.800_213_6).abs() < 1e-7, "{}", ci.lower);
    }

    #[test]
    fn newcombe_limits_solve_the_score_equation() {
        // Unbalanced classes (m = 20, n = 30): the limits are 0.6433456 and 0.8941462
        // (independent bisection in double precision), bracket theta_hat, and each satisfies
        // (theta_hat - t)^2 = z^2 V(t).
        let theta = 0.8;
        let ci = newcombe_ci(theta, 20, 30).unwrap();
        assert!((ci.lower - 0.643_345_6).abs() < 1e-7, "{}", ci.lower);
        assert!((ci.upper - 0.894_146_2).abs() < 1e-7, "{}", ci.upper);
        let h = 24.0;
        for t in [ci.lower, ci.upper] {
            let resid = (theta - t).powi(2) - Z_975 * Z_975 * hm_variance(t, 20.0, 30.0, h, h);
            assert!(resid.abs() < 1e-10, "{resid}");
        }
    }

    #[test]
    fn newcombe_is_close_to_delong_on_asah() {
        // Sanity: for s100b (41 cases, 72 controls) Newcombe's interval from the AUC alone
        // (0.6244 to 0.8140) is within 0.02 of pROC's DeLong interval (0.6301 to 0.8326).
        let (auc_ref, _, lo, hi) = expected("aSAH_s100b");
        let ci = newcombe_ci(auc_ref, 41, 72).unwrap();
        assert!(
            (ci.lower - lo).abs() < 0.02 && (ci.upper - hi).abs() < 0.02,
            "{ci:?}"
        );
    }

    #[test]
    fn reported_auc_inputs_are_validated() {
        assert_eq!(
            newcombe_ci(1.2, 10, 10).unwrap_err(),
            RocError::InvalidAuc { value: 1.2 }
        );
        assert!(matches!(
            newcombe_ci(f64::NAN, 10, 10),
            Err(RocError::InvalidAuc { .. })
        ));
        assert_eq!(
            hanley_mcneil_se(0.8, 0, 10).unwrap_err(),
            RocError::InvalidSampleSize {
                n_cases: 0,
                n_controls: 10
            }
        );
    }

    #[test]
    fn case08_large_n_has_no_overflow() {
        // 70,000 controls 0..69999, 70,000 cases 35000.5..104999.5 (cases.md CASE-08).
        let k = 70_000;
        let mut scores: Vec<f64> = (0..k).map(|i| i as f64).collect();
        scores.extend((0..k).map(|i| 35_000.5 + i as f64));
        let labels: Vec<bool> = (0..2 * k).map(|i| i >= k).collect();
        let counts = pair_counts(&scores, &labels, k, k);
        assert_eq!(counts.two_u, 2 * 4_287_517_500);
        let d = delong(&scores, &labels).unwrap();
        assert_eq!(d.auc, 245_001.0 / 280_000.0);
        // cases.md gives 7 significant digits: relative tolerance 1e-6.
        assert!(close(d.var / 7.440327e-07, 1.0, 1e-6), "var {}", d.var);
        assert!(close(d.se / 8.625733e-04, 1.0, 1e-6), "se {}", d.se);
        assert!(close(d.ci_lower, 0.873313, 5e-7), "lo {}", d.ci_lower);
        assert!(close(d.ci_upper, 0.876694, 5e-7), "hi {}", d.ci_upper);
    }
}
