//! Minimum sample size for developing a prediction model (Riley et al.).
//!
//! Binary and time-to-event outcomes: Riley et al. (2019) Stat Med 38:1276 ("Part II");
//! continuous outcomes: Riley et al. (2019) Stat Med 38:1262 ("Part I"); summary and the
//! time-to-event example: Riley et al. (2020) BMJ 368:m441. The numbers follow the R
//! package pmsampsize (1.1.x), which the authors maintain; where pmsampsize makes a
//! convention choice it is stated at the function. Every n is rounded up (ceiling).
//!
//! Symbols: `p` candidate predictor parameters, `S` target expected shrinkage (default
//! 0.9), `R2` the anticipated Cox-Snell R-squared (adjusted; for continuous outcomes the
//! ordinary adjusted R-squared), `phi` outcome proportion, `delta` the tolerated optimism
//! in (Nagelkerke) R-squared (0.05).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use thiserror::Error;

/// z used by Riley's precision criteria (the papers and pmsampsize use 1.96).
const Z_RILEY: f64 = 1.96;

/// Tolerated optimism in R-squared (criterion 2), `delta = 0.05`.
pub const DELTA_R2: f64 = 0.05;

/// Default target expected shrinkage (criterion 1).
pub const DEFAULT_SHRINKAGE: f64 = 0.9;

/// Default margin of error for the overall risk (binary criterion 3).
pub const DEFAULT_RISK_MARGIN: f64 = 0.05;

/// Default multiplicative margin of error (continuous criteria 3 and 4).
pub const DEFAULT_MMOE: f64 = 1.1;

/// Study size assumed by pmsampsize when it computes the maximum Cox-Snell R-squared of a
/// time-to-event model from the event rate (its "arbitrary original study" of 10,000).
const SURVIVAL_REFERENCE_N: f64 = 10_000.0;

/// Kind of outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    /// Binary outcome (logistic model).
    Binary,
    /// Time-to-event outcome (Cox model).
    Survival,
    /// Continuous outcome (linear model).
    Continuous,
}

/// Inputs for a binary outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryInput {
    /// Anticipated Cox-Snell R-squared (adjusted), in (0, max R2_CS).
    pub r2cs: f64,
    /// Candidate predictor parameters, at least 1.
    pub parameters: u32,
    /// Outcome proportion phi, in (0, 1).
    pub prevalence: f64,
    /// Target expected shrinkage S, in (0, 1); Riley recommends 0.9.
    pub shrinkage: f64,
    /// Margin of error for the overall outcome proportion (criterion 3), 0.05 by default.
    pub risk_margin: f64,
}

/// Inputs for a time-to-event outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalInput {
    /// Anticipated Cox-Snell R-squared (adjusted).
    pub r2cs: f64,
    /// Candidate predictor parameters, at least 1.
    pub parameters: u32,
    /// Overall event rate per unit of time (the unit of `timepoint` and `meanfup`).
    pub rate: f64,
    /// Time point of interest for predictions.
    pub timepoint: f64,
    /// Anticipated mean follow-up.
    pub meanfup: f64,
    /// Target expected shrinkage S.
    pub shrinkage: f64,
}

/// Inputs for a continuous outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousInput {
    /// Anticipated adjusted R-squared, in (0, 1).
    pub r2adj: f64,
    /// Candidate predictor parameters, at least 1.
    pub parameters: u32,
    /// Mean outcome value (the intercept with centred predictors), not 0.
    pub intercept: f64,
    /// Standard deviation of the outcome in the population, > 0.
    pub sd: f64,
    /// Target expected shrinkage S.
    pub shrinkage: f64,
    /// Multiplicative margin of error for residual SD and intercept (1.1 by default).
    pub mmoe: f64,
}

/// One criterion's requirement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    /// Criterion number as in Riley et al. (1-3 binary/survival, 1-4 continuous).
    pub number: u8,
    /// What the criterion guarantees.
    pub description: String,
    /// Required sample size (ceiling).
    pub n: u64,
    /// The shrinkage the criterion targets (criteria 1 and 2), when it targets one.
    pub shrinkage: Option<f64>,
}

/// Precision of the overall risk at the time point (time-to-event criterion 3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RiskPrecision {
    /// Cumulative incidence at the time point, `1 - exp(-rate t)`.
    pub risk: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
}

/// Precision of the intercept (continuous criterion 4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InterceptPrecision {
    /// Multiplicative margin of error `(|a| + t se) / |a|` at the final n.
    pub mmoe: f64,
    /// Lower 95% limit for the intercept.
    pub lower: f64,
    /// Upper 95% limit for the intercept.
    pub upper: f64,
}

/// The result of a development sample-size calculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevelopmentSize {
    /// Outcome kind.
    pub outcome: OutcomeKind,
    /// Candidate predictor parameters.
    pub parameters: u32,
    /// The anticipated R-squared used (Cox-Snell, or adjusted R-squared if continuous).
    pub r2: f64,
    /// Every criterion, in order.
    pub criteria: Vec<Criterion>,
    /// Numbers of the criteria that require the final n (first = primary).
    pub binding: Vec<u8>,
    /// Minimum sample size: the maximum over the criteria.
    pub n: u64,
    /// Expected events at n (binary: `n phi`; time-to-event: `n rate meanfup`).
    pub events: Option<f64>,
    /// Events per parameter (binary, time-to-event) or subjects per parameter (continuous).
    pub per_parameter: f64,
    /// Shrinkage at the final n: binary and time-to-event, the larger of the two criteria
    /// targets (pmsampsize's convention: the expected shrinkage at n is at least this);
    /// continuous, the expected shrinkage at n (Part I eq. for linear models).
    pub shrinkage: f64,
    /// Maximum possible Cox-Snell R-squared (binary, time-to-event).
    pub max_r2cs: Option<f64>,
    /// Nagelkerke R-squared, `R2_CS / max R2_CS` (binary, time-to-event).
    pub nagelkerke_r2: Option<f64>,
    /// Overall risk at the time point with its 95% interval at n (time-to-event).
    pub risk_at_timepoint: Option<RiskPrecision>,
    /// Multiplicative margin of error of the residual SD at n (continuous).
    pub residual_sd_mmoe: Option<f64>,
    /// Intercept precision at n (continuous).
    pub intercept_precision: Option<InterceptPrecision>,
}

/// Errors of the sample-size calculations (impossible inputs, CASE-12).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RileyError {
    /// A value outside its domain.
    #[error("{name} = {value} is invalid: expected {expected}")]
    OutOfRange {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// No candidate parameters.
    #[error("parameters must be at least 1")]
    NoParameters,
    /// The anticipated R-squared exceeds what the outcome proportion allows.
    #[error(
        "R2_CS {r2cs} exceeds the maximum {max_r2cs:.6} possible at this outcome frequency \
         (max R2_CS = 1 - exp(2 lnL_null / n))"
    )]
    R2AboveMaximum { r2cs: f64, max_r2cs: f64 },
    /// The shrinkage target is not above R-squared, so `ln(1 - R2/S)` is undefined.
    #[error(
        "shrinkage target {shrinkage} must exceed R-squared {r2} (the log of 1 - R2/S is \
         undefined otherwise)"
    )]
    ShrinkageBelowR2 { shrinkage: f64, r2: f64 },
    /// n too small for the formula (continuous: n must exceed p + 1).
    #[error("n = {n} is too small for {parameters} parameters: expected n > {min}")]
    NTooSmall { n: u64, parameters: u32, min: u64 },
}

/// Checks `value` lies strictly inside (lo, hi) and is finite.
fn open_interval(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<(), RileyError> {
    if value.is_finite() && value > lo && value < hi {
        Ok(())
    } else {
        let expected = if hi == 1.0 {
            "a number strictly between 0 and 1"
        } else if lo == 1.0 {
            "a number greater than 1"
        } else {
            "a finite positive number"
        };
        Err(RileyError::OutOfRange {
            name,
            value,
            expected,
        })
    }
}

/// Checks shrinkage and R2 together (CASE-12 d).
fn check_shrinkage(shrinkage: f64, r2: f64) -> Result<(), RileyError> {
    open_interval("shrinkage", shrinkage, 0.0, 1.0)?;
    open_interval("R-squared", r2, 0.0, 1.0)?;
    if shrinkage <= r2 {
        return Err(RileyError::ShrinkageBelowR2 { shrinkage, r2 });
    }
    Ok(())
}

/// Maximum Cox-Snell R-squared of a binary-outcome model.
///
/// # Formula
/// `max R2_CS = 1 - exp(2 lnL_null / n) = 1 - (phi^phi (1 - phi)^(1 - phi))^2`, with
/// `lnL_null / n = phi ln(phi) + (1 - phi) ln(1 - phi)`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1276, equation (23); Nagelkerke (1991) Biometrika 78:691.
///
/// # Errors
/// [`RileyError::OutOfRange`] unless `0 < phi < 1`.
pub fn max_r2cs_binary(prevalence: f64) -> Result<f64, RileyError> {
    open_interval("prevalence", prevalence, 0.0, 1.0)?;
    let phi = prevalence;
    let ln_l_null_per_n = phi * phi.ln() + (1.0 - phi) * (1.0 - phi).ln();
    Ok(1.0 - (2.0 * ln_l_null_per_n).exp())
}

/// Maximum Cox-Snell R-squared of a time-to-event model from the event rate.
///
/// # Formula
/// With `N = 10,000` (pmsampsize's reference study size) and
/// `E = ceil(rate * meanfup * N)` events, `lnL_null = E ln(E / N) - E` and
/// `max R2_CS = 1 - exp(2 lnL_null / N)`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1276, section 4 (equation 23 applied to an exponential
/// null model); pmsampsize (R) `pmsampsize_surv`.
///
/// # Errors
/// [`RileyError::OutOfRange`] for a non-positive rate or follow-up.
pub fn max_r2cs_survival(rate: f64, meanfup: f64) -> Result<f64, RileyError> {
    open_interval("rate", rate, 0.0, f64::INFINITY)?;
    open_interval("meanfup", meanfup, 0.0, f64::INFINITY)?;
    let n = SURVIVAL_REFERENCE_N;
    let events = (rate * meanfup * n).ceil();
    let ln_l_null = events * (events / n).ln() - events;
    Ok(1.0 - (2.0 * ln_l_null / n).exp())
}

/// Sample size for an expected shrinkage `S` (criterion 1), before rounding.
///
/// `n = p / ((S - 1) ln(1 - R2_CS / S))` (Riley et al. 2019 Part II, equation 11).
fn n_for_shrinkage(p: f64, shrinkage: f64, r2: f64) -> f64 {
    p / ((shrinkage - 1.0) * (1.0 - r2 / shrinkage).ln())
}

/// Shrinkage needed for an optimism of at most `delta` in Nagelkerke's R-squared:
/// `S = R2_CS / (R2_CS + delta max R2_CS)` (Part II, equation 24).
fn shrinkage_for_small_optimism(r2: f64, max_r2: f64) -> f64 {
    r2 / (r2 + DELTA_R2 * max_r2)
}

/// Ceiling of a positive requirement as an integer sample size.
fn ceil_n(x: f64) -> u64 {
    x.ceil() as u64
}

/// Criteria 1 and 2 shared by binary and time-to-event outcomes.
fn shrinkage_criteria(p: u32, shrinkage: f64, r2: f64, max_r2: f64) -> [Criterion; 2] {
    let s2 = shrinkage_for_small_optimism(r2, max_r2);
    [
        Criterion {
            number: 1,
            description: format!("expected shrinkage of predictor effects >= {shrinkage}"),
            n: ceil_n(n_for_shrinkage(p as f64, shrinkage, r2)),
            shrinkage: Some(shrinkage),
        },
        Criterion {
            number: 2,
            description: format!(
                "optimism in Nagelkerke R2 <= {DELTA_R2} (needs shrinkage {s2:.6})"
            ),
            n: ceil_n(n_for_shrinkage(p as f64, s2, r2)),
            shrinkage: Some(s2),
        },
    ]
}

/// Largest n over the criteria and the numbers of the criteria that require it.
fn binding(criteria: &[Criterion]) -> (u64, Vec<u8>) {
    let n = criteria.iter().map(|c| c.n).max().unwrap_or(0);
    (
        n,
        criteria
            .iter()
            .filter(|c| c.n == n)
            .map(|c| c.number)
            .collect(),
    )
}

/// Development sample size for a binary outcome (Riley criteria 1-3).
///
/// # Formula
/// 1. Shrinkage: `n1 = p / ((S - 1) ln(1 - R2_CS / S))`.
/// 2. Optimism of Nagelkerke R2 at most 0.05: `S2 = R2_CS / (R2_CS + 0.05 max R2_CS)`,
///    `n2 = p / ((S2 - 1) ln(1 - R2_CS / S2))`.
/// 3. Overall risk within +/- margin: `n3 = (1.96 / margin)^2 phi (1 - phi)`.
///
/// Final `n = max(n1, n2, n3)`, each rounded up; events `n phi`; EPP `n phi / p`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1276, equations (11), (24), (26); Riley et al. (2020)
/// BMJ 368:m441, Box 1.
///
/// # Errors
/// [`RileyError::ShrinkageBelowR2`] when `S <= R2_CS` (CASE-12 d);
/// [`RileyError::R2AboveMaximum`] when `R2_CS >= max R2_CS` (CASE-12 b);
/// [`RileyError::OutOfRange`], [`RileyError::NoParameters`].
pub fn binary(input: &BinaryInput) -> Result<DevelopmentSize, RileyError> {
    let BinaryInput {
        r2cs,
        parameters,
        prevalence,
        shrinkage,
        risk_margin,
    } = *input;
    if parameters == 0 {
        return Err(RileyError::NoParameters);
    }
    check_shrinkage(shrinkage, r2cs)?;
    open_interval("risk margin", risk_margin, 0.0, 1.0)?;
    let max_r2 = max_r2cs_binary(prevalence)?;
    if r2cs >= max_r2 {
        return Err(RileyError::R2AboveMaximum {
            r2cs,
            max_r2cs: max_r2,
        });
    }

    let [c1, c2] = shrinkage_criteria(parameters, shrinkage, r2cs, max_r2);
    let n3 = (Z_RILEY / risk_margin).powi(2) * prevalence * (1.0 - prevalence);
    let c3 = Criterion {
        number: 3,
        description: format!("overall outcome proportion within +/- {risk_margin}"),
        n: ceil_n(n3),
        shrinkage: None,
    };
    let final_shrinkage = shrinkage.max(c2.shrinkage.unwrap_or(shrinkage));
    let criteria = vec![c1, c2, c3];
    let (n, binding) = binding(&criteria);

    let events = n as f64 * prevalence;
    Ok(DevelopmentSize {
        outcome: OutcomeKind::Binary,
        parameters,
        r2: r2cs,
        criteria,
        binding,
        n,
        events: Some(events),
        per_parameter: events / parameters as f64,
        shrinkage: final_shrinkage,
        max_r2cs: Some(max_r2),
        nagelkerke_r2: Some(r2cs / max_r2),
        risk_at_timepoint: None,
        residual_sd_mmoe: None,
        intercept_precision: None,
    })
}

/// Development sample size for a time-to-event outcome (Riley criteria 1-3).
///
/// # Formula
/// Criteria 1 and 2 as for binary outcomes, with `max R2_CS` from
/// [`max_r2cs_survival`]. Criterion 3 (precise overall risk at the time point `t`) is, as
/// in pmsampsize, a report rather than a requirement: `n3 = max(n1, n2)`, and at that n
/// the risk `1 - exp(-rate t)` has the 95% interval
/// `1 - exp(-(rate -/+ 1.96 sqrt(rate / (n meanfup))) t)` (person-time rounded to 0.1).
/// Events `n rate meanfup`; EPP `events / p`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1276, section 4; Riley et al. (2020) BMJ 368:m441
/// (venous thromboembolism example: 5143 participants, 692 events, EPP 23.07).
///
/// # Errors
/// As [`binary`]; `rate`, `timepoint`, `meanfup` must be finite and positive.
pub fn survival(input: &SurvivalInput) -> Result<DevelopmentSize, RileyError> {
    let SurvivalInput {
        r2cs,
        parameters,
        rate,
        timepoint,
        meanfup,
        shrinkage,
    } = *input;
    if parameters == 0 {
        return Err(RileyError::NoParameters);
    }
    check_shrinkage(shrinkage, r2cs)?;
    open_interval("timepoint", timepoint, 0.0, f64::INFINITY)?;
    let max_r2 = max_r2cs_survival(rate, meanfup)?;
    if r2cs >= max_r2 {
        return Err(RileyError::R2AboveMaximum {
            r2cs,
            max_r2cs: max_r2,
        });
    }

    let [c1, c2] = shrinkage_criteria(parameters, shrinkage, r2cs, max_r2);
    let n3 = c1.n.max(c2.n);
    let person_time = (meanfup * n3 as f64 * 10.0).round() / 10.0;
    let half = Z_RILEY * (rate / person_time).sqrt();
    let risk = RiskPrecision {
        risk: 1.0 - (-rate * timepoint).exp(),
        lower: 1.0 - (-(rate - half) * timepoint).exp(),
        upper: 1.0 - (-(rate + half) * timepoint).exp(),
    };
    let c3 = Criterion {
        number: 3,
        description: format!(
            "overall risk at t = {timepoint} estimated precisely (reported: {:.3}, 95% CI \
             {:.3} to {:.3})",
            risk.risk, risk.lower, risk.upper
        ),
        n: n3,
        shrinkage: None,
    };
    let final_shrinkage = shrinkage.max(c2.shrinkage.unwrap_or(shrinkage));
    let criteria = vec![c1, c2, c3];
    let (n, binding) = binding(&criteria);

    let events = n as f64 * rate * meanfup;
    Ok(DevelopmentSize {
        outcome: OutcomeKind::Survival,
        parameters,
        r2: r2cs,
        criteria,
        binding,
        n,
        events: Some(events),
        per_parameter: events / parameters as f64,
        shrinkage: final_shrinkage,
        max_r2cs: Some(max_r2),
        nagelkerke_r2: Some(r2cs / max_r2),
        risk_at_timepoint: Some(risk),
        residual_sd_mmoe: None,
        intercept_precision: None,
    })
}

/// Development sample size for a continuous outcome (Riley criteria 1-4).
///
/// # Formula
/// With `R2_app(n) = (R2_adj (n - p - 1) + p) / (n - 1)` (the apparent R2 expected at n):
/// 1. Shrinkage: smallest n with `S(n) = 1 + (p - 2) / (n ln(1 - R2_app(n))) >= S`.
/// 2. Optimism `R2_app - R2_adj <= 0.05`: `n2 = 1 + p (1 - R2_adj) / 0.05`.
/// 3. Residual SD within MMOE: smallest n with, for `df = n - p - 1`,
///    `sqrt(max(df / chi2_{0.025,df}, chi2_{0.975,df} / df)) <= MMOE`.
/// 4. Intercept within MMOE: smallest `n >= max(n1, n2, n3)` with
///    `(|a| + t_{0.975,df} sqrt(sd^2 (1 - R2_adj) / n)) / |a| <= MMOE`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1262, equations (7), (10), (13), (16); pmsampsize (R)
/// 1.1.x (example: R2 0.2, p 25, mean 1.9, SD 0.6 gives 918).
///
/// # Errors
/// [`RileyError::OutOfRange`] (R2 outside (0, 1), sd <= 0, intercept 0, MMOE <= 1),
/// [`RileyError::ShrinkageBelowR2`], [`RileyError::NoParameters`].
pub fn continuous(input: &ContinuousInput) -> Result<DevelopmentSize, RileyError> {
    let ContinuousInput {
        r2adj,
        parameters,
        intercept,
        sd,
        shrinkage,
        mmoe,
    } = *input;
    if parameters == 0 {
        return Err(RileyError::NoParameters);
    }
    check_shrinkage(shrinkage, r2adj)?;
    open_interval("sd", sd, 0.0, f64::INFINITY)?;
    open_interval("mmoe", mmoe, 1.0, f64::INFINITY)?;
    if !intercept.is_finite() || intercept == 0.0 {
        return Err(RileyError::OutOfRange {
            name: "intercept",
            value: intercept,
            expected: "a finite non-zero mean outcome",
        });
    }
    let p = parameters as u64;

    // Criterion 1: S(n) increases with n; search upward from the smallest valid n.
    let mut n1 = p + 2;
    while linear_shrinkage(n1, parameters, r2adj) < shrinkage {
        n1 += 1;
    }
    let n2 = ceil_n(1.0 + parameters as f64 * (1.0 - r2adj) / DELTA_R2);
    let mut n3 = p + 2;
    while residual_sd_mmoe(n3 - p - 1) > mmoe {
        n3 += 1;
    }
    let mut n4 = n1.max(n2).max(n3);
    while intercept_precision(n4, p, intercept, sd, r2adj).mmoe > mmoe {
        n4 += 1;
    }

    let criteria = vec![
        Criterion {
            number: 1,
            description: format!("expected shrinkage of predictor effects >= {shrinkage}"),
            n: n1,
            shrinkage: Some(shrinkage),
        },
        Criterion {
            number: 2,
            description: format!("optimism in R2 (apparent - adjusted) <= {DELTA_R2}"),
            n: n2,
            shrinkage: None,
        },
        Criterion {
            number: 3,
            description: format!("residual SD within a multiplicative margin of {mmoe}"),
            n: n3,
            shrinkage: None,
        },
        Criterion {
            number: 4,
            description: format!(
                "mean outcome (intercept) within a multiplicative margin of {mmoe}"
            ),
            n: n4,
            shrinkage: None,
        },
    ];
    let (n, binding) = binding(&criteria);

    Ok(DevelopmentSize {
        outcome: OutcomeKind::Continuous,
        parameters,
        r2: r2adj,
        criteria,
        binding,
        n,
        events: None,
        per_parameter: n as f64 / parameters as f64,
        shrinkage: linear_shrinkage(n, parameters, r2adj),
        max_r2cs: None,
        nagelkerke_r2: None,
        risk_at_timepoint: None,
        residual_sd_mmoe: Some(residual_sd_mmoe(n - p - 1)),
        intercept_precision: Some(intercept_precision(n, p, intercept, sd, r2adj)),
    })
}

/// Expected shrinkage of a linear model at n (Riley et al. 2019 Part I, equation 7).
fn linear_shrinkage(n: u64, p: u32, r2adj: f64) -> f64 {
    let (nf, pf) = (n as f64, p as f64);
    let r2_app = (r2adj * (nf - pf - 1.0) + pf) / (nf - 1.0);
    1.0 + (pf - 2.0) / (nf * (1.0 - r2_app).ln())
}

/// Multiplicative margin of error of the residual SD with `df` degrees of freedom.
fn residual_sd_mmoe(df: u64) -> f64 {
    let chi = ChiSquared::new(df as f64).expect("invariant: df >= 1");
    let d = df as f64;
    (d / chi.inverse_cdf(0.025))
        .max(chi.inverse_cdf(0.975) / d)
        .sqrt()
}

/// Intercept interval and multiplicative margin of error at n.
fn intercept_precision(n: u64, p: u64, a: f64, sd: f64, r2adj: f64) -> InterceptPrecision {
    let df = (n - p - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, df)
        .expect("invariant: df >= 1")
        .inverse_cdf(0.975);
    let half = t * (sd * sd * (1.0 - r2adj) / n as f64).sqrt();
    InterceptPrecision {
        mmoe: (a.abs() + half) / a.abs(),
        lower: a - half,
        upper: a + half,
    }
}

/// Expected shrinkage of a binary or time-to-event model developed on `n` subjects.
///
/// # Formula
/// The `S` in (R2_CS, 1) that solves `S = 1 + p / (n ln(1 - R2_CS / S))` (the relation
/// behind criterion 1, read for S at a given n). The right-hand side minus `S` is strictly
/// decreasing in S on (R2_CS, 1), so the root is unique; it is found by bisection to 1e-12.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1276, equation (11), after Van Houwelingen & Le Cessie
/// (1990) heuristic shrinkage `S = 1 - p / LR`.
///
/// # Errors
/// [`RileyError::OutOfRange`] unless `0 < R2_CS < 1` and `n >= 1`;
/// [`RileyError::NoParameters`].
///
/// # Degenerate cases
/// Tiny n relative to p gives S close to R2_CS (heavy overfitting); large n gives S near 1.
pub fn expected_shrinkage(n: u64, parameters: u32, r2cs: f64) -> Result<f64, RileyError> {
    if parameters == 0 {
        return Err(RileyError::NoParameters);
    }
    open_interval("R2_CS", r2cs, 0.0, 1.0)?;
    if n == 0 {
        return Err(RileyError::NTooSmall {
            n,
            parameters,
            min: 0,
        });
    }
    let (nf, p) = (n as f64, parameters as f64);

    // f(S) = S - 1 - p / (n ln(1 - R2/S)); f < 0 just above R2, f(1) > 0.
    let f = |s: f64| s - 1.0 - p / (nf * (1.0 - r2cs / s).ln());
    let (mut lo, mut hi) = (r2cs, 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Expected shrinkage of a linear model developed on `n` subjects.
///
/// # Formula
/// `S = 1 + (p - 2) / (n ln(1 - R2_app))`, `R2_app = (R2_adj (n - p - 1) + p) / (n - 1)`.
///
/// # Reference
/// Riley et al. (2019) Stat Med 38:1262, equations (5)-(7).
///
/// # Errors
/// [`RileyError::NTooSmall`] unless `n > p + 1`; [`RileyError::OutOfRange`] unless
/// `0 < R2_adj < 1`.
pub fn expected_shrinkage_continuous(
    n: u64,
    parameters: u32,
    r2adj: f64,
) -> Result<f64, RileyError> {
    if parameters == 0 {
        return Err(RileyError::NoParameters);
    }
    open_interval("R2_adj", r2adj, 0.0, 1.0)?;
    let min = parameters as u64 + 1;
    if n <= min {
        return Err(RileyError::NTooSmall { n, parameters, min });
    }
    Ok(linear_shrinkage(n, parameters, r2adj))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/samplesize_development.csv"
    );

    /// Parses `key=value` pairs of the `inputs` column.
    fn inputs(s: &str) -> std::collections::HashMap<String, f64> {
        s.split_whitespace()
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect()
    }

    fn opt(s: &str) -> Option<f64> {
        if s.is_empty() {
            None
        } else {
            Some(s.parse().unwrap())
        }
    }

    #[test]
    fn every_reference_row_matches_to_the_integer() {
        let text = std::fs::read_to_string(DEV).unwrap();
        let mut rows = 0;
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            let (case, kind, inp) = (f[0], f[1], inputs(f[2]));
            let shrinkage = inp.get("shrinkage").copied().unwrap_or(DEFAULT_SHRINKAGE);
            let p = inp["parameters"] as u32;
            let res = match kind {
                "binary" => binary(&BinaryInput {
                    r2cs: inp["csrsquared"],
                    parameters: p,
                    prevalence: inp["prevalence"],
                    shrinkage,
                    risk_margin: DEFAULT_RISK_MARGIN,
                }),
                "survival" => survival(&SurvivalInput {
                    r2cs: inp["csrsquared"],
                    parameters: p,
                    rate: inp["rate"],
                    timepoint: inp["timepoint"],
                    meanfup: inp["meanfup"],
                    shrinkage,
                }),
                "continuous" => continuous(&ContinuousInput {
                    r2adj: inp["rsquared"],
                    parameters: p,
                    intercept: inp["intercept"],
                    sd: inp["sd"],
                    shrinkage,
                    mmoe: DEFAULT_MMOE,
                }),
                other => panic!("unknown outcome {other}"),
            }
            .unwrap();

            let ns: Vec<u64> = res.criteria.iter().map(|c| c.n).collect();
            for (k, want) in f[3..7].iter().enumerate() {
                if let Some(want) = opt(want) {
                    assert_eq!(ns[k], want as u64, "{case}: criterion {}", k + 1);
                }
            }
            assert_eq!(res.n, f[7].parse::<u64>().unwrap(), "{case}: final n");
            if let Some(events) = opt(f[8]) {
                // Reference events are printed to 3-5 decimals.
                assert!(
                    (res.events.unwrap() - events).abs() < 1e-3,
                    "{case}: events"
                );
            }
            // EPP/SPP printed to 2 decimals.
            assert!(
                (res.per_parameter - opt(f[9]).unwrap()).abs() <= 0.005,
                "{case}: EPP"
            );
            let binding_want: u8 = f[10]["criterion ".len()..][..1].parse().unwrap();
            assert_eq!(res.binding[0], binding_want, "{case}: binding");
            // Shrinkage: printed in full for binary/survival, to 3 decimals for continuous.
            assert!(
                (res.shrinkage - opt(f[11]).unwrap()).abs() < 5e-4,
                "{case}: shrinkage"
            );
            if let Some(m) = opt(f[12]) {
                assert!((res.max_r2cs.unwrap() - m).abs() < 1e-12, "{case}: max R2");
                let nk = opt(f[13]).unwrap();
                assert!(
                    (res.nagelkerke_r2.unwrap() - nk).abs() < 1e-12,
                    "{case}: R2_N"
                );
            }
            rows += 1;
        }
        assert_eq!(rows, 6);
    }

    fn case12(r2cs: f64, parameters: u32, prevalence: f64) -> Result<DevelopmentSize, RileyError> {
        binary(&BinaryInput {
            r2cs,
            parameters,
            prevalence,
            shrinkage: 0.9,
            risk_margin: DEFAULT_RISK_MARGIN,
        })
    }

    #[test]
    fn case12a_criterion_2_binds() {
        let r = case12(0.288, 24, 0.174).unwrap();
        assert!((r.max_r2cs.unwrap() - 0.603209).abs() < 5e-7);
        assert!((r.criteria[1].shrinkage.unwrap() - 0.905204).abs() < 5e-7);
        let ns: Vec<u64> = r.criteria.iter().map(|c| c.n).collect();
        assert_eq!(ns, vec![623, 662, 221]);
        assert_eq!((r.n, r.binding.clone()), (662, vec![2]));
        assert!((r.per_parameter - 4.80).abs() < 0.005);
    }

    #[test]
    fn case12b_r2_above_maximum_is_an_error() {
        let err = case12(0.4, 10, 0.05).unwrap_err();
        match err {
            RileyError::R2AboveMaximum { r2cs, max_r2cs } => {
                assert_eq!(r2cs, 0.4);
                assert!((max_r2cs - 0.327686).abs() < 5e-7);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn case12c_criterion_1_binds() {
        let r = case12(0.05, 10, 0.05).unwrap();
        let ns: Vec<u64> = r.criteria.iter().map(|c| c.n).collect();
        assert_eq!(ns, vec![1750, 590, 73]);
        assert_eq!(r.n, 1750);
        assert!((r.per_parameter - 8.75).abs() < 1e-12);
    }

    #[test]
    fn case12d_shrinkage_below_r2_is_an_error() {
        for prevalence in [0.05, 0.5] {
            let err = case12(0.95, 10, prevalence).unwrap_err();
            assert_eq!(
                err,
                RileyError::ShrinkageBelowR2 {
                    shrinkage: 0.9,
                    r2: 0.95
                }
            );
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert!(matches!(
            case12(0.1, 10, 1.0),
            Err(RileyError::OutOfRange { .. })
        ));
        assert_eq!(case12(0.1, 0, 0.2).unwrap_err(), RileyError::NoParameters);
        assert!(matches!(
            case12(f64::NAN, 10, 0.2),
            Err(RileyError::OutOfRange { .. })
        ));
    }

    #[test]
    fn expected_shrinkage_inverts_criterion_1() {
        // At the unrounded criterion-1 n the expected shrinkage is exactly the target.
        let n_exact = n_for_shrinkage(24.0, 0.9, 0.288);
        let s = expected_shrinkage(n_exact.ceil() as u64, 24, 0.288).unwrap();
        assert!(s >= 0.9 && s < 0.9002, "{s}");
        // One fewer subject falls below the target.
        let s = expected_shrinkage(n_exact.floor() as u64, 24, 0.288).unwrap();
        assert!(s < 0.9, "{s}");
        // Small n: heavy overfitting, S just above R2.
        let s = expected_shrinkage(60, 24, 0.288).unwrap();
        assert!(s > 0.288 && s < 0.6, "{s}");
    }

    #[test]
    fn expected_shrinkage_continuous_matches_criterion_1() {
        assert!(expected_shrinkage_continuous(918, 25, 0.2).unwrap() >= 0.9);
        assert!(expected_shrinkage_continuous(917, 25, 0.2).unwrap() < 0.9);
        assert!(matches!(
            expected_shrinkage_continuous(26, 25, 0.2),
            Err(RileyError::NTooSmall { .. })
        ));
    }

    #[test]
    fn survival_risk_precision_matches_bmj_example() {
        // Riley et al. 2020 BMJ: risk at 2 years 0.122 (95% CI 0.113 to 0.130).
        let r = survival(&SurvivalInput {
            r2cs: 0.051,
            parameters: 30,
            rate: 0.065,
            timepoint: 2.0,
            meanfup: 2.07,
            shrinkage: 0.9,
        })
        .unwrap();
        let p = r.risk_at_timepoint.unwrap();
        assert!((p.risk - 0.122).abs() < 5e-4);
        assert!((p.lower - 0.113).abs() < 5e-4);
        assert!((p.upper - 0.130).abs() < 5e-4);
    }

    #[test]
    fn continuous_intercept_precision_matches_pmsampsize() {
        // samplesize_development.csv riley_cont_2.1: MMOE 1.0183, CI 1.87 to 1.93.
        let r = continuous(&ContinuousInput {
            r2adj: 0.2,
            parameters: 25,
            intercept: 1.9,
            sd: 0.6,
            shrinkage: 0.9,
            mmoe: 1.1,
        })
        .unwrap();
        let ip = r.intercept_precision.unwrap();
        assert!((ip.mmoe - 1.0183).abs() < 5e-5, "{}", ip.mmoe);
        assert!((ip.lower - 1.87).abs() < 5e-3 && (ip.upper - 1.93).abs() < 5e-3);
    }
}
