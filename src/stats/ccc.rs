//! Lin's concordance correlation coefficient (CCC) for two readers or two conditions, with
//! its Fisher-z confidence interval.
//!
//! The CCC measures agreement with the identity line: it is Pearson's correlation times a
//! bias factor that falls below 1 when the two readings differ in location or scale. Use it
//! for two-reader designs (original versus one perturbed extraction, test versus retest);
//! for more raters use the ICC ([`crate::stats::icc`]).
//!
//! # Reference
//! Lin LI-K (1989). A concordance correlation coefficient to evaluate reproducibility.
//! Biometrics 45:255-268 (eqs. 3 and 11 with the asymptotic variance of the Z transform);
//! corrected in Lin LI-K (2000), Biometrics 56:324-325.

use statrs::distribution::{ContinuousCDF, Normal};

/// The CCC of two paired readings with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct CccEstimate {
    /// Lin's rho_c (never above 1).
    pub ccc: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub confidence: f64,
    /// Pearson's correlation (the precision part).
    pub pearson: f64,
    /// Bias-correction factor C_b = rho_c / r (the accuracy part).
    pub c_b: f64,
    /// Number of pairs.
    pub n: usize,
    pub warnings: Vec<CccWarning>,
}

/// Something the data made degenerate; the result is still reported.
#[derive(Debug, Clone, PartialEq)]
pub enum CccWarning {
    /// Every pair agrees exactly: CCC = 1 with the interval [1, 1].
    PerfectAgreement,
    /// One reading has no variance: the CCC is 0 or undefined and no interval exists.
    ZeroVariance,
    /// The interval is undefined (Pearson correlation 0, or |CCC| = 1).
    IntervalUndefined,
}

impl std::fmt::Display for CccWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CccWarning::PerfectAgreement => {
                f.write_str("perfect agreement: CCC = 1 with interval [1, 1]")
            }
            CccWarning::ZeroVariance => f.write_str("a reading has zero variance"),
            CccWarning::IntervalUndefined => f.write_str("interval undefined"),
        }
    }
}

/// Errors from the CCC.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CccError {
    #[error("CCC needs paired readings of equal length, got {x} and {y}")]
    Length { x: usize, y: usize },
    #[error("CCC needs at least 3 pairs (the interval uses n - 2), got {n}")]
    TooFew { n: usize },
    #[error("reading {index} is {value}; expected a finite number")]
    NonFinite { index: usize, value: f64 },
    #[error("confidence level {value} outside (0, 1)")]
    Confidence { value: f64 },
}

/// Lin's concordance correlation coefficient of paired readings `x`, `y`, with the
/// Fisher-z interval at level `confidence`.
///
/// # Formula
/// With means `mx`, `my`, variances `sx2 = sum (x - mx)^2 / n`, `sy2` likewise, and
/// covariance `sxy = sum (x - mx)(y - my) / n` (divisor `n`, as in Lin 1989):
/// ```text
/// rho_c = 2 sxy / (sx2 + sy2 + (mx - my)^2)
/// z     = atanh(rho_c),  u = (mx - my) / sqrt(sx sy),  r = Pearson correlation
/// var z = [ (1 - r^2) rho_c^2 / ((1 - rho_c^2) r^2)
///         + 2 rho_c^3 (1 - rho_c) u^2 / (r (1 - rho_c^2)^2)
///         - rho_c^4 u^4 / (2 r^2 (1 - rho_c^2)^2) ] / (n - 2)
/// interval = tanh(z -/+ z_{1 - alpha/2} sqrt(var z))
/// ```
///
/// # Reference
/// Lin (1989), Biometrics 45:255, eqs. 3 and the variance of Z (section 3), as corrected
/// in Lin (2000), Biometrics 56:324.
///
/// # Errors
/// [`CccError::Length`], [`CccError::TooFew`] (n < 3), [`CccError::NonFinite`],
/// [`CccError::Confidence`].
///
/// # Degenerate cases
/// - `x == y` for every pair (with variance): 1 with interval [1, 1] and
///   [`CccWarning::PerfectAgreement`].
/// - Both readings constant and equal: also perfect agreement (1, [1, 1]).
/// - One reading constant otherwise: `sxy = 0`, so CCC = 0 (or NaN when the denominator is
///   0), no interval, [`CccWarning::ZeroVariance`].
pub fn ccc(x: &[f64], y: &[f64], confidence: f64) -> Result<CccEstimate, CccError> {
    if x.len() != y.len() {
        return Err(CccError::Length {
            x: x.len(),
            y: y.len(),
        });
    }
    let n = x.len();
    if n < 3 {
        return Err(CccError::TooFew { n });
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(CccError::NonFinite {
            index: i,
            value: x[i],
        });
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(CccError::NonFinite {
            index: i,
            value: y[i],
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(CccError::Confidence { value: confidence });
    }

    // Readings beyond 2^64 or below 2^-64 in magnitude are divided by a common power of
    // two (exact; the CCC is scale invariant), so sums of squares neither overflow nor
    // underflow (`crate::stats::scale`).
    let s = crate::stats::scale::pow2_factor(x.iter().chain(y));
    let (xs, ys): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a * s, b * s)).unzip();
    let (x, y) = (xs.as_slice(), ys.as_slice());

    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sx2 = x.iter().map(|v| (v - mx).powi(2)).sum::<f64>() / nf;
    let sy2 = y.iter().map(|v| (v - my).powi(2)).sum::<f64>() / nf;
    let sxy = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / nf;
    let d2 = (mx - my).powi(2);

    let base = CccEstimate {
        ccc: f64::NAN,
        ci_lower: f64::NAN,
        ci_upper: f64::NAN,
        confidence,
        pearson: f64::NAN,
        c_b: f64::NAN,
        n,
        warnings: Vec::new(),
    };
    if x.iter().zip(y).all(|(a, b)| a == b) {
        let pearson = if sx2 > 0.0 { 1.0 } else { f64::NAN };
        return Ok(CccEstimate {
            ccc: 1.0,
            ci_lower: 1.0,
            ci_upper: 1.0,
            pearson,
            c_b: 1.0,
            warnings: vec![CccWarning::PerfectAgreement],
            ..base
        });
    }
    if sx2 == 0.0 || sy2 == 0.0 {
        let denom = sx2 + sy2 + d2;
        let value = if denom > 0.0 { 0.0 } else { f64::NAN };
        return Ok(CccEstimate {
            ccc: value,
            warnings: vec![CccWarning::ZeroVariance, CccWarning::IntervalUndefined],
            ..base
        });
    }

    let rho_c = (2.0 * sxy / (sx2 + sy2 + d2)).clamp(-1.0, 1.0);
    let r = sxy / (sx2 * sy2).sqrt();
    let c_b = 2.0 / ((sx2 / sy2).sqrt() + (sy2 / sx2).sqrt() + d2 / (sx2 * sy2).sqrt());

    // Fisher z interval (Lin 1989 / 2000).
    let u2 = d2 / (sx2 * sy2).sqrt();
    let one_m = 1.0 - rho_c * rho_c;
    let var_z = ((1.0 - r * r) * rho_c * rho_c / (one_m * r * r)
        + 2.0 * rho_c.powi(3) * (1.0 - rho_c) * u2 / (r * one_m * one_m)
        - rho_c.powi(4) * u2 * u2 / (2.0 * r * r * one_m * one_m))
        / (nf - 2.0);
    let z = rho_c.atanh();
    let q = Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    let mut out = CccEstimate {
        ccc: rho_c,
        pearson: r,
        c_b,
        ..base
    };
    if var_z.is_finite() && var_z >= 0.0 && z.is_finite() {
        let half = q * var_z.sqrt();
        out.ci_lower = (z - half).tanh().min(rho_c);
        out.ci_upper = (z + half).tanh().max(rho_c);
    } else {
        out.warnings.push(CccWarning::IntervalUndefined);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::icc::{anova, Ratings};

    #[test]
    fn hand_computed_small_case() {
        // x = [1,2,3,4,5], y = [2,3,3,5,6] by hand with exact fractions:
        // mx = 3, my = 19/5; sx2 = 2, sy2 = (3.24+0.64+0.64+1.44+4.84)/5 = 10.8/5 = 2.16;
        // sxy = (3.6+0.8+0+1.2+4.4)/5 = 2; (mx-my)^2 = 0.64;
        // rho_c = 4 / (2 + 2.16 + 0.64) = 4 / 4.8 = 5/6.
        let x = [1., 2., 3., 4., 5.];
        let y = [2., 3., 3., 5., 6.];
        let e = ccc(&x, &y, 0.95).unwrap();
        assert!((e.ccc - 5.0 / 6.0).abs() < 1e-12, "{e:?}");
        assert!((e.pearson - 2.0 / (2.0f64 * 2.16).sqrt()).abs() < 1e-12);
        assert!((e.c_b * e.pearson - e.ccc).abs() < 1e-12);
        assert!(e.ci_lower < e.ccc && e.ccc < e.ci_upper && e.ci_upper <= 1.0);
    }

    #[test]
    fn interval_matches_independent_python_computation() {
        // Independent computation (Python 3 stdlib, written separately from this file,
        // NormalDist().inv_cdf(0.975)) of Lin (1989/2000) for the hand case above:
        // lower 0.325926238838, upper 0.968007127197 (see benches/peers/ccc_check.py).
        let e = ccc(&[1., 2., 3., 4., 5.], &[2., 3., 3., 5., 6.], 0.95).unwrap();
        assert!((e.ci_lower - 0.325926238838).abs() < 1e-9, "{e:?}");
        assert!((e.ci_upper - 0.968007127197).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn equals_two_rater_anova_identity() {
        // Exact identity derived by hand (divisor n): with the two-way ANOVA of the n x 2
        // table, rho_c = (SSR - SSE) / (SSR + SSE + 2 SSC).
        let x = [3.1, 4.7, 2.2, 8.9, 5.5, 6.1, 7.3];
        let y = [3.5, 4.1, 2.9, 8.1, 6.2, 5.8, 7.9];
        let rows: Vec<Vec<f64>> = x.iter().zip(&y).map(|(a, b)| vec![*a, *b]).collect();
        let a = anova(&Ratings::from_rows(&rows).unwrap()).unwrap();
        let want = (a.ss_rows - a.ss_error) / (a.ss_rows + a.ss_error + 2.0 * a.ss_cols);
        let e = ccc(&x, &y, 0.95).unwrap();
        assert!((e.ccc - want).abs() < 1e-12, "{} vs {want}", e.ccc);
    }

    #[test]
    fn readings_scaled_by_1e200_or_1e_minus_200_give_the_same_ccc() {
        // Scale invariance (Lin 1989: rho_c is a ratio of second moments). Unscaled
        // arithmetic overflows at 1e200 (squares 1e400) and underflows at 1e-200.
        let x = [3.1, 4.7, 2.2, 8.9, 5.5, 6.1, 7.3];
        let y = [3.5, 4.1, 2.9, 8.1, 6.2, 5.8, 7.9];
        let e = ccc(&x, &y, 0.95).unwrap();
        for c in [1e200, 1e-200] {
            let (xs, ys): (Vec<f64>, Vec<f64>) =
                x.iter().zip(&y).map(|(a, b)| (a * c, b * c)).unzip();
            let big = ccc(&xs, &ys, 0.95).unwrap();
            for (a, b) in [
                (big.ccc, e.ccc),
                (big.ci_lower, e.ci_lower),
                (big.ci_upper, e.ci_upper),
                (big.pearson, e.pearson),
            ] {
                // Only the rounding of x * c differs: relative 1e-15 per value.
                assert!((a - b).abs() < 1e-12, "scale {c}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn perfect_agreement_is_one_with_point_interval() {
        let e = ccc(&[1., 2., 3.], &[1., 2., 3.], 0.95).unwrap();
        assert_eq!((e.ccc, e.ci_lower, e.ci_upper), (1.0, 1.0, 1.0));
        assert_eq!(e.warnings, vec![CccWarning::PerfectAgreement]);
    }

    #[test]
    fn constant_reading_gives_zero_with_warning() {
        let e = ccc(&[1., 2., 3.], &[2., 2., 2.], 0.95).unwrap();
        assert_eq!(e.ccc, 0.0);
        assert!(e.ci_lower.is_nan() && e.warnings.contains(&CccWarning::ZeroVariance));
    }

    #[test]
    fn rejects_unequal_length_and_non_finite() {
        assert!(matches!(
            ccc(&[1., 2., 3.], &[1., 2.], 0.95),
            Err(CccError::Length { .. })
        ));
        let err = ccc(&[1., f64::INFINITY, 3.], &[1., 2., 3.], 0.95).unwrap_err();
        assert!(matches!(err, CccError::NonFinite { index: 1, .. }));
    }
}
