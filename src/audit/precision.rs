//! Check 2, precision: the 95% interval the claimed value can have on the cohort it was
//! measured on (AUDIT.md, check 2).
//!
//! - AUC: Newcombe (2006, Stat Med 25:559) interval from the AUC and the numbers of events
//!   and non-events (`stats::roc::newcombe_ci`).
//! - C-index: simulated from the same survival model the null check uses
//!   (`null::cindex_interval_sim`), since the Hanley-McNeil formula overstates its standard
//!   error by 20-45%.
//! - Sensitivity and specificity: Wilson (1927) intervals; Youden's J = sens + spec - 1 with
//!   the MOVER-Wilson interval for a difference of independent proportions (Newcombe 1998,
//!   Stat Med 17:873, method 10), since J = sensitivity - false-positive rate.
//! - Accuracy: Wilson interval, judged against the majority-class rate.
//!
//! A reported interval narrower than [`NARROW_RATIO`] times the interval the sample size
//! allows is flagged as inconsistent (reported, not judged).

use super::check::{CheckId, CheckResult, Outcome};
use super::corner::{Design, Validation};
use super::scenario::{Claim, ClaimValue, Cohort, Metric};
use crate::stats::proportion::wilson;
use crate::stats::roc::newcombe_ci;

/// Default: a reported interval narrower than this share of the attainable width is
/// flagged.
pub const NARROW_RATIO: f64 = 0.75;

/// Patients and events behind the claimed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cohort2 {
    pub n: u64,
    pub events: u64,
    /// True when this is the development cohort (apparent or cross-validated claims).
    pub development: bool,
}

/// The cohort the claimed value was measured on: the validation cohort for split, temporal
/// and external designs, the development cohort for apparent, cross-validated and bootstrap
/// claims (AUDIT.md, check 2).
pub fn measured_on(claim: &Claim, d: &Design) -> Option<Cohort2> {
    let on_dev = claim.cohort == Cohort::Training
        || matches!(
            d.validation,
            Validation::Apparent | Validation::CrossValidation | Validation::Bootstrap
        );
    if on_dev {
        let events = d.events_development?;
        return Some(Cohort2 { n: d.n_development, events, development: true });
    }
    let n = d.n_validation?;
    let events = d.validation_events()?;
    (events > 0 && events < n).then_some(Cohort2 { n, events, development: false })
}

/// Check 2 for AUC, accuracy and sensitivity/specificity claims. C-index claims pass
/// their simulated interval in `cindex_interval`.
pub fn check(
    claim: &Claim,
    d: &Design,
    cindex_interval: Option<(f64, f64)>,
    narrow_ratio: f64,
) -> CheckResult {
    let Some(c) = measured_on(claim, d) else {
        return not_assessable(
            "the size of the cohort behind the claimed value (n and events) is not known",
        );
    };
    let which = if c.development { "development" } else { "validation" };
    let n_neg = c.n - c.events;
    let mut r = match (claim.metric, claim.value) {
        (Metric::Auc, ClaimValue::Single(auc)) => {
            let (lo, hi) = match newcombe_ci(auc, c.events, n_neg) {
                Ok(i) => (i.lower, i.upper),
                Err(e) => return not_assessable(&format!("Newcombe interval: {e}")),
            };
            bounded(
                "AUC",
                auc,
                (lo, hi),
                0.5,
                "fails when the interval reaches 0.5",
                format!(
                    "With {} events and {} non-events in the {which} cohort, an AUC of {:.3} has \
                     a 95% interval of {:.3} to {:.3} (Newcombe 2006)",
                    c.events, n_neg, auc, lo, hi
                ),
            )
        }
        (Metric::CIndex, ClaimValue::Single(cidx)) => match cindex_interval {
            Some((lo, hi)) => bounded(
                "C-index",
                cidx,
                (lo, hi),
                0.5,
                "fails when the interval reaches 0.5",
                format!(
                    "With {} patients and {} events in the {which} cohort, a C-index of {:.3} \
                     has a 95% interval of about {:.3} to {:.3} (simulated from the survival \
                     model of the null check)",
                    c.n, c.events, cidx, lo, hi
                ),
            ),
            None => {
                return not_assessable("the C-index interval could not be simulated");
            }
        },
        (Metric::SensitivitySpecificity, ClaimValue::Pair(sens, spec)) => {
            sens_spec(sens, spec, c.events, n_neg, which)
        }
        (Metric::Accuracy, ClaimValue::Single(acc)) => {
            let x = (acc * c.n as f64).round() as u64;
            let (lo, hi) = match wilson(x, c.n, 0.95) {
                Ok(i) => (i.lower, i.upper),
                Err(e) => return not_assessable(&format!("Wilson interval: {e}")),
            };
            let q = c.events as f64 / c.n as f64;
            let majority = q.max(1.0 - q);
            let outcome = if lo <= majority { Outcome::Fail } else { Outcome::Pass };
            CheckResult::new(
                CheckId::Precision,
                outcome,
                "fails when the interval reaches the majority-class rate",
                format!(
                    "An accuracy of {:.3} on {} patients has a 95% Wilson interval of {:.3} to \
                     {:.3}; always predicting the majority class would already reach {:.3}",
                    acc, c.n, lo, hi, majority
                ) + if outcome == Outcome::Fail {
                    ", so the claim is compatible with no discrimination."
                } else {
                    "."
                },
            )
            .fig("estimate", acc)
            .fig("ci_lower", lo)
            .fig("ci_upper", hi)
            .fig("majority_rate", majority)
        }
        _ => return not_assessable("no figure is claimed, so there is no interval to compute"),
    };
    r = r.fig("n", c.n as f64).fig("events", c.events as f64);

    // Compare a reported interval with the attainable one.
    if let (Some((rlo, rhi)), Some(lo), Some(hi)) =
        (claim.ci, r.figure("ci_lower"), r.figure("ci_upper"))
    {
        let ratio = (rhi - rlo) / (hi - lo);
        r = r.fig("reported_ci_lower", rlo).fig("reported_ci_upper", rhi).fig("width_ratio", ratio);
        if ratio < narrow_ratio {
            r = r.note(format!(
                "Inconsistent: the reported interval [{rlo:.3}, {rhi:.3}] is {:.0}% as wide as \
                 the sample size allows ([{lo:.3}, {hi:.3}]).",
                100.0 * ratio
            ));
        }
    }
    r
}

fn bounded(
    label: &str,
    est: f64,
    (lo, hi): (f64, f64),
    null: f64,
    threshold: &str,
    sentence: String,
) -> CheckResult {
    let outcome = if lo <= null { Outcome::Fail } else { Outcome::Pass };
    let tail = if outcome == Outcome::Fail {
        format!(", which reaches {null}: the {label} is compatible with chance.")
    } else {
        ".".to_string()
    };
    CheckResult::new(CheckId::Precision, outcome, threshold, sentence + &tail)
        .fig("estimate", est)
        .fig("ci_lower", lo)
        .fig("ci_upper", hi)
}

/// Sensitivity and specificity with Wilson intervals, Youden's J with MOVER-Wilson.
fn sens_spec(sens: f64, spec: f64, n_pos: u64, n_neg: u64, which: &str) -> CheckResult {
    let x_pos = (sens * n_pos as f64).round() as u64;
    let x_neg = (spec * n_neg as f64).round() as u64;
    let (s_lo, s_hi, p_lo, p_hi) = match (wilson(x_pos, n_pos, 0.95), wilson(x_neg, n_neg, 0.95)) {
        (Ok(s), Ok(p)) => (s.lower, s.upper, p.lower, p.upper),
        (Err(e), _) | (_, Err(e)) => return not_assessable(&format!("Wilson interval: {e}")),
    };

    // J = sens - fpr with fpr = 1 - spec; MOVER (Newcombe 1998, method 10).
    let j = sens + spec - 1.0;
    let (f_lo, f_hi) = (1.0 - p_hi, 1.0 - p_lo);
    let fpr = 1.0 - spec;
    let j_lo = j - ((sens - s_lo).powi(2) + (f_hi - fpr).powi(2)).sqrt();
    let j_hi = j + ((s_hi - sens).powi(2) + (fpr - f_lo).powi(2)).sqrt();
    let outcome = if j_lo <= 0.0 { Outcome::Fail } else { Outcome::Pass };
    let tail = if outcome == Outcome::Fail {
        ", which reaches 0: the test is compatible with no discrimination."
    } else {
        "."
    };
    CheckResult::new(
        CheckId::Precision,
        outcome,
        "fails when the interval of Youden's J reaches 0",
        format!(
            "In the {which} cohort ({n_pos} events, {n_neg} non-events), sensitivity {sens:.3} \
             has a 95% Wilson interval of {s_lo:.3} to {s_hi:.3} and specificity {spec:.3} one \
             of {p_lo:.3} to {p_hi:.3}; Youden's J = {j:.3} has a 95% interval of {j_lo:.3} to \
             {j_hi:.3} (Newcombe 1998, method 10){tail}"
        ),
    )
    .fig("sensitivity", sens)
    .fig("sensitivity_ci_lower", s_lo)
    .fig("sensitivity_ci_upper", s_hi)
    .fig("specificity", spec)
    .fig("specificity_ci_lower", p_lo)
    .fig("specificity_ci_upper", p_hi)
    .fig("youden_j", j)
    .fig("ci_lower", j_lo)
    .fig("ci_upper", j_hi)
}

fn not_assessable(why: &str) -> CheckResult {
    CheckResult::new(
        CheckId::Precision,
        Outcome::NotAssessable,
        "fails when the interval reaches chance",
        format!("Not assessable: {why}."),
    )
}
