//! Minimum sample size for externally validating a binary-outcome prediction model.
//!
//! Riley et al. (2021) Stat Med 40:4230 ("Minimum sample size for external validation of
//! a clinical prediction model with a binary outcome"): three precision criteria, each
//! giving the n at which a 95% interval reaches a target width:
//! 1. observed/expected (O/E) ratio,
//! 2. calibration slope,
//! 3. C-statistic.
//!
//! Assumptions, stated because the answer depends on them:
//! - the model is well calibrated in the validation population (calibration intercept 0,
//!   slope 1) when criterion 2's information matrix is computed;
//! - the distribution of the linear predictor (LP) is given: normal with a mean and SD, or
//!   the binormal LP implied by C and the prevalence (non-events `N(m, s^2)`, events
//!   `N(m + s^2, s^2)`, `s^2 = 2 Phi^-1(C)^2`, `m = logit(phi) - s^2 / 2`, which is exactly
//!   calibrated and has marginal prevalence phi; pmvalsampsize's `lpcstat` option finds m
//!   by simulation instead);
//! - expectations over the LP are computed by numerical integration, not simulation, so
//!   results are deterministic (pmvalsampsize simulates 10^6 LP values).
//! Net benefit (criterion 4) is not implemented. // TODO(samplesize): net benefit criterion.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

use super::cstat::normal_expectation;

/// z used by the criteria (Riley et al. and pmvalsampsize use 1.96).
const Z: f64 = 1.96;

/// Grid on which pmvalsampsize searches the standard error of ln(O/E).
const OE_SE_STEP: f64 = 1e-4;

/// Distribution of the model's linear predictor (log-odds) in the validation population.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LpDistribution {
    /// `LP ~ N(mean, sd^2)`.
    Normal { mean: f64, sd: f64 },
    /// The calibrated binormal LP implied by the C-statistic and prevalence.
    Binormal,
}

/// Inputs of the validation sample size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationInput {
    /// Anticipated C-statistic in the validation population, in (0.5, 1).
    pub c: f64,
    /// Outcome proportion, in (0, 1).
    pub prevalence: f64,
    /// Linear-predictor distribution.
    pub lp: LpDistribution,
    /// Anticipated O/E (1 = calibration in the large).
    pub oe: f64,
    /// Target width of the 95% interval for O/E (Riley et al. suggest 0.2).
    pub oe_ci_width: f64,
    /// Target width of the 95% interval for the calibration slope (0.2).
    pub cslope_ci_width: f64,
    /// Target width of the 95% interval for the C-statistic (0.1).
    pub cstat_ci_width: f64,
}

impl ValidationInput {
    /// Riley et al.'s default targets (widths 0.2, 0.2, 0.1, O/E = 1) for given C,
    /// prevalence and LP distribution.
    pub fn with_defaults(c: f64, prevalence: f64, lp: LpDistribution) -> Self {
        Self {
            c,
            prevalence,
            lp,
            oe: 1.0,
            oe_ci_width: 0.2,
            cslope_ci_width: 0.2,
            cstat_ci_width: 0.1,
        }
    }
}

/// One validation criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationCriterion {
    /// 1 = O/E, 2 = calibration slope, 3 = C-statistic.
    pub number: u8,
    /// What is estimated precisely.
    pub description: String,
    /// Required sample size.
    pub n: u64,
    /// Target standard error.
    pub se: f64,
    /// Target interval width.
    pub ci_width: f64,
}

/// Result of the validation sample size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationSize {
    /// The criteria, in order.
    pub criteria: Vec<ValidationCriterion>,
    /// Numbers of the criteria that require the final n.
    pub binding: Vec<u8>,
    /// Minimum sample size (maximum over the criteria).
    pub n: u64,
    /// Expected events, `n phi`.
    pub events: f64,
    /// The LP distribution used.
    pub lp: LpDistribution,
}

/// Errors of the validation sample size.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValidationError {
    /// A value outside its domain.
    #[error("{name} = {value} is invalid: expected {expected}")]
    OutOfRange {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
}

fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), ValidationError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(ValidationError::OutOfRange {
            name,
            value,
            expected,
        })
    }
}

/// Standard error of the C-statistic in a validation sample of n (Newcombe 2006).
///
/// # Formula
/// With `m = n phi` events and `n (1 - phi)` non-events, so `m (n - m) = n^2 phi (1 - phi)`
/// and `N* - 1 = n / 2 - 1`:
/// `SE^2 = C (1 - C) [1 + (n/2 - 1)(1 - C)/(2 - C) + (n/2 - 1) C/(1 + C)] / (n^2 phi (1 - phi))`.
///
/// # Reference
/// Newcombe (2006) Stat Med 25:559, variance of method 4/5; Riley et al. (2021) Stat Med
/// 40:4230, criterion 3.
pub fn cstat_se(c: f64, prevalence: f64, n: f64) -> f64 {
    let h = n / 2.0 - 1.0;
    let var = c * (1.0 - c) * (1.0 + h * (1.0 - c) / (2.0 - c) + h * c / (1.0 + c))
        / (n * n * prevalence * (1.0 - prevalence));
    var.sqrt()
}

/// Minimum validation sample size for a binary-outcome model (Riley et al. 2021).
///
/// # Formula
/// 1. O/E: `SE(ln O/E)` for which `O/E (e^{1.96 SE} - e^{-1.96 SE})` reaches the target
///    width, taken on pmvalsampsize's 1e-4 grid (the first grid value whose interval is at
///    least the target width); `n1 = (1 - phi) / (phi SE^2)`.
/// 2. Calibration slope: with `w(x) = e^x / (1 + e^x)^2` and `I_ab = E[x^(a+b) w(x)]` over
///    the LP distribution, `n2 = I_00 / (SE^2 (I_00 I_11 - I_01^2))`, `SE = width / 3.92`.
/// 3. C-statistic: smallest n with `3.92 SE_Newcombe(n) <= width` ([`cstat_se`]).
///
/// Each n is rounded up; final `n = max(n1, n2, n3)`.
///
/// # Reference
/// Riley RD, Debray TPA, Collins GS, et al. (2021) Stat Med 40:4230-4251, section 3,
/// equations (3), (7), (9); worked example: prevalence 0.018, C 0.8, LP ~ N(-5, 2.5),
/// O/E width 1 gives 905 (O/E), about 4544 (slope), 4252 (C) (pmvalsampsize tests).
///
/// # Errors
/// [`ValidationError::OutOfRange`] for C outside (0.5, 1), prevalence outside (0, 1),
/// non-positive widths, O/E or LP SD.
pub fn validation(input: &ValidationInput) -> Result<ValidationSize, ValidationError> {
    let ValidationInput {
        c,
        prevalence,
        lp,
        oe,
        oe_ci_width,
        cslope_ci_width,
        cstat_ci_width,
    } = *input;
    check(
        "C-statistic",
        c,
        c > 0.5 && c < 1.0,
        "a C-statistic in (0.5, 1)",
    )?;
    check(
        "prevalence",
        prevalence,
        prevalence > 0.0 && prevalence < 1.0,
        "a value in (0, 1)",
    )?;
    check("O/E", oe, oe > 0.0, "a positive O/E ratio")?;
    check(
        "O/E CI width",
        oe_ci_width,
        oe_ci_width > 0.0,
        "a positive width",
    )?;
    check(
        "slope CI width",
        cslope_ci_width,
        cslope_ci_width > 0.0,
        "a positive width",
    )?;
    check(
        "C CI width",
        cstat_ci_width,
        cstat_ci_width > 0.0,
        "a positive width",
    )?;
    if let LpDistribution::Normal { mean, sd } = lp {
        check("LP mean", mean, true, "a finite mean")?;
        check("LP SD", sd, sd > 0.0, "a positive SD")?;
    }

    // Criterion 1: O/E.
    let se_exact = (oe_ci_width / (2.0 * oe)).asinh() / Z;
    let se_oe = (se_exact / OE_SE_STEP - 1e-9).ceil() * OE_SE_STEP;
    let n1 = ((1.0 - prevalence) / (prevalence * se_oe * se_oe)).ceil() as u64;

    // Criterion 2: calibration slope, from the information matrix of the calibration model.
    let (i00, i01, i11) = information(lp, c, prevalence);
    let se_slope = cslope_ci_width / (2.0 * Z);
    let n2 = (i00 / (se_slope * se_slope * (i00 * i11 - i01 * i01))).ceil() as u64;

    // Criterion 3: C-statistic; SE decreases in n, so bisect on integers.
    let ok = |n: u64| 2.0 * Z * cstat_se(c, prevalence, n as f64) <= cstat_ci_width;
    let (mut lo, mut hi) = (2_u64, 4_u64);
    while !ok(hi) {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let n3 = hi;

    let criteria = vec![
        ValidationCriterion {
            number: 1,
            description: "observed/expected ratio (calibration in the large)".into(),
            n: n1,
            se: se_oe,
            ci_width: oe_ci_width,
        },
        ValidationCriterion {
            number: 2,
            description: "calibration slope".into(),
            n: n2,
            se: se_slope,
            ci_width: cslope_ci_width,
        },
        ValidationCriterion {
            number: 3,
            description: "C-statistic".into(),
            n: n3,
            se: cstat_se(c, prevalence, n3 as f64),
            ci_width: cstat_ci_width,
        },
    ];
    let n = n1.max(n2).max(n3);
    let binding = criteria
        .iter()
        .filter(|k| k.n == n)
        .map(|k| k.number)
        .collect();
    Ok(ValidationSize {
        criteria,
        binding,
        n,
        events: n as f64 * prevalence,
        lp,
    })
}

/// Elements `I_00, I_01, I_11` of the per-observation Fisher information of the
/// calibration model `logit p = b0 + b1 LP` at `b0 = 0, b1 = 1`.
fn information(lp: LpDistribution, c: f64, prevalence: f64) -> (f64, f64, f64) {
    // w(x) = p (1 - p) at p = expit(x), computed without overflow.
    let w = |x: f64| {
        let e = (-x.abs()).exp();
        e / ((1.0 + e) * (1.0 + e))
    };
    let moments = |mean: f64, sd: f64| {
        (
            normal_expectation(mean, sd, w),
            normal_expectation(mean, sd, |x| x * w(x)),
            normal_expectation(mean, sd, |x| x * x * w(x)),
        )
    };
    match lp {
        LpDistribution::Normal { mean, sd } => moments(mean, sd),
        LpDistribution::Binormal => {
            let s2 = 2.0 * Normal::standard().inverse_cdf(c).powi(2);
            let m = (prevalence / (1.0 - prevalence)).ln() - s2 / 2.0;
            let (a0, a1, a2) = moments(m, s2.sqrt());
            let (b0, b1, b2) = moments(m + s2, s2.sqrt());
            let q = prevalence;
            (
                (1.0 - q) * a0 + q * b0,
                (1.0 - q) * a1 + q * b1,
                (1.0 - q) * a2 + q * b2,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(oe_ci_width: f64) -> ValidationSize {
        let mut input = ValidationInput::with_defaults(
            0.8,
            0.018,
            LpDistribution::Normal {
                mean: -5.0,
                sd: 2.5,
            },
        );
        input.oe_ci_width = oe_ci_width;
        validation(&input).unwrap()
    }

    #[test]
    fn riley_2021_worked_example() {
        // Riley et al. 2021 example as in pmvalsampsize's tests (prevalence 0.018,
        // C 0.8, LP ~ N(-5, 2.5), O/E CI width 1): [905, 4544, 4252], final 4544.
        let r = example(1.0);
        let ns: Vec<u64> = r.criteria.iter().map(|c| c.n).collect();
        assert_eq!(ns[0], 905);
        assert_eq!(ns[2], 4252);
        // Criterion 2 in pmvalsampsize averages over 10^6 simulated LP values; its Monte
        // Carlo error in n is a few tenths of a percent (w(x) x^2 is heavy in the tail of
        // an N(-5, 2.5)). Our integral gives 4554: within 0.5% of the simulated 4544.
        assert!(
            (ns[1] as f64 / 4544.0 - 1.0).abs() < 0.005,
            "slope n {}",
            ns[1]
        );
        assert_eq!(r.binding, vec![2]);
        assert_eq!(r.n, ns[1]);
    }

    #[test]
    fn cstat_se_is_newcombe_with_half_n() {
        // The validation SE equals the Newcombe variance of roc.rs at m = n phi.
        let (c, phi, n) = (0.77_f64, 0.43_f64, 400.0_f64);
        let m = n * phi;
        let k = n - m;
        let h = (m + k) / 2.0 - 1.0;
        let v = c * (1.0 - c) * (1.0 + h * (1.0 - c) / (2.0 - c) + h * c / (1.0 + c)) / (m * k);
        assert!((cstat_se(c, phi, n) - v.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn binormal_lp_is_calibrated_to_prevalence() {
        // E[expit(LP)] under the binormal mixture equals the prevalence (calibration in the
        // large), a property of the closed-form m.
        let (c, q) = (0.75_f64, 0.2_f64);
        let s2 = 2.0 * Normal::standard().inverse_cdf(c).powi(2);
        let m = (q / (1.0 - q)).ln() - s2 / 2.0;
        let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
        let p_non = normal_expectation(m, s2.sqrt(), expit);
        let p_ev = normal_expectation(m + s2, s2.sqrt(), expit);
        // Calibration: P(Y=1) = E[expit(LP)] over the marginal LP.
        let marginal = (1.0 - q) * p_non + q * p_ev;
        assert!((marginal - q).abs() < 1e-9, "{marginal}");
        let r = validation(&ValidationInput::with_defaults(
            c,
            q,
            LpDistribution::Binormal,
        ));
        assert!(r.unwrap().n > 0);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let bad = ValidationInput::with_defaults(0.4, 0.1, LpDistribution::Binormal);
        assert!(matches!(
            validation(&bad),
            Err(ValidationError::OutOfRange { .. })
        ));
        let bad =
            ValidationInput::with_defaults(0.8, 0.1, LpDistribution::Normal { mean: 0.0, sd: 0.0 });
        assert!(matches!(
            validation(&bad),
            Err(ValidationError::OutOfRange { .. })
        ));
    }
}
