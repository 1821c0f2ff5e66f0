//! Checks 3 and 4: development and validation sample size (AUDIT.md).
//!
//! Check 3 applies Riley et al. (2020, BMJ 368:m441) to the claimed model: the anticipated
//! R2_CS comes from the lower end of the claim's reported interval, else of the check-2
//! interval. Binary claims convert C to R2_CS by Riley, Van Calster & Collins (2021, Stat
//! Med 40:859). C-index claims convert C to R2_CS on a large cohort simulated from the
//! survival model of the null check and the C-index interval
//! ([`crate::null::cindex_interval_sim`]); the maximum R2_CS takes the development event
//! fraction as the exponential null's events per person (Riley et al. 2019, Stat Med
//! 38:1276, equation 23), and criterion 3 (precision of the risk at a time point) is not
//! used because scenarios rarely report the event rate and horizon. The parameters are the
//! selected features (the minimum honest count); the requirement for all candidates is
//! shown beside it.
//!
//! Check 4 applies Riley et al. (2021, Stat Med 40:4230) to claims measured on a held-out
//! binary-outcome cohort: the C-statistic criterion (95% interval width 0.1) is judged,
//! the O/E and calibration-slope criteria are reported.

use super::check::{CheckId, CheckResult, Outcome};
use super::corner::{Design, Validation};
use super::precision::measured_on;
use super::run::Thresholds;
use super::scenario::{Claim, ClaimValue, Metric};
use crate::samplesize::cstat::r2cs_from_cstat;
use crate::samplesize::riley::{self, BinaryInput, SurvivalInput};
use crate::samplesize::validation::{validation as riley_validation, LpDistribution, ValidationInput};

/// Patients simulated to turn a C-index into R2_CS.
pub const R2_SIM_N: usize = 20_000;

/// Check 3, development sample size.
pub fn development(claim: &Claim, d: &Design, prec: &CheckResult, t: &Thresholds) -> CheckResult {
    let threshold = "fails when n_development is below the Riley et al. (2020) requirement for \
                     the selected features";
    let na = |why: String| {
        CheckResult::new(CheckId::DevelopmentSize, Outcome::NotAssessable, threshold, format!(
            "Not assessable: {why}."))
    };
    let (survival, c_claim) = match (claim.metric, claim.value) {
        (Metric::Auc, ClaimValue::Single(c)) => (false, c),
        (Metric::CIndex, ClaimValue::Single(c)) => (true, c),
        _ => return na("the Riley criteria need a C-statistic or C-index claim".into()),
    };
    let Some(events) = d.events_development else {
        return na("the number of development events is not known".into());
    };
    let q = events as f64 / d.n_development as f64;

    // The C to plan for: the lower end of the reported interval, else of check 2's.
    let (c_low, from) = match (claim.ci, prec.figure("ci_lower")) {
        (Some((lo, _)), _) => (lo, "the lower end of the reported interval"),
        (None, Some(lo)) => (lo, "the lower end of the precision interval"),
        (None, None) => (c_claim, "the claimed value"),
    };
    if c_low <= 0.5 {
        return na(format!(
            "{from} ({c_low:.3}) is at chance, so there is no anticipated R2 to plan for"
        ));
    }

    let r2 = if survival {
        Ok(r2cs_from_cindex(c_low, q, R2_SIM_N))
    } else {
        r2cs_from_cstat(c_low, q).map_err(|e| e.to_string())
    };
    let r2 = match r2 {
        Ok(r) if r > 0.0 => r,
        Ok(_) => return na("the anticipated R2_CS is 0".into()),
        Err(e) => return na(format!("R2_CS from C = {c_low:.3}: {e}")),
    };
    let required = |p: u64| -> Result<u64, String> {
        let p = u32::try_from(p.max(1)).map_err(|_| "too many parameters".to_string())?;
        if survival {
            // Criteria 1 and 2 only: rate x follow-up = events per person.
            let r = riley::survival(&SurvivalInput {
                r2cs: r2,
                parameters: p,
                rate: q,
                timepoint: 1.0,
                meanfup: 1.0,
                shrinkage: t.shrinkage,
            })
            .map_err(|e| e.to_string())?;
            Ok(r.criteria.iter().filter(|c| c.number <= 2).map(|c| c.n).max().unwrap_or(0))
        } else {
            let r = riley::binary(&BinaryInput {
                r2cs: r2,
                parameters: p,
                prevalence: q,
                shrinkage: t.shrinkage,
                risk_margin: 0.05,
            })
            .map_err(|e| e.to_string())?;
            Ok(r.n)
        }
    };
    let (n_sel, n_all) = match (required(d.selected_features), required(d.candidate_features)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return na(format!("Riley criteria: {e}")),
    };
    let n = d.n_development;
    let ratio = n as f64 / n_sel as f64;
    let shrink = u32::try_from(d.selected_features.max(1))
        .ok()
        .and_then(|p| riley::expected_shrinkage(n, p, r2).ok());

    let external = matches!(d.validation, Validation::External | Validation::Temporal);
    let outcome = if external {
        Outcome::Reported
    } else if n >= n_sel {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let mut sentence = format!(
        "Planning for C = {c_low:.3} ({from}; R2_CS = {r2:.3}) with {} selected features, \
         Riley et al. (2020) require {n_sel} development patients; the study had {n} \
         (ratio {ratio:.2}); with all {} candidate features as parameters, {n_all} would be \
         needed.",
        d.selected_features, d.candidate_features
    );
    if let Some(s) = shrink {
        sentence += &format!(" The expected shrinkage at n = {n} is {s:.2} (target {}).", t.shrinkage);
    }
    if external {
        sentence += " For an external claim this is reported, not judged: the external \
                     result already measures overfitting.";
    }
    let mut r = CheckResult::new(CheckId::DevelopmentSize, outcome, threshold, sentence)
        .fig("c_planned", c_low)
        .fig("r2cs", r2)
        .fig("n_required", n_sel as f64)
        .fig("n_required_all_candidates", n_all as f64)
        .fig("n_development", n as f64)
        .fig("ratio", ratio)
        .fig("events_per_selected_feature", events as f64 / d.selected_features.max(1) as f64);
    if let Some(s) = shrink {
        r = r.fig("expected_shrinkage", s);
    }
    if survival {
        r = r.note(format!(
            "R2_CS for the C-index was computed on {R2_SIM_N} patients simulated from the \
             survival model of the null check; Riley's criterion 3 (risk at a time point) was \
             not used."
        ));
    }
    r
}

/// R2_CS of a proportional-hazards model whose true concordance is `c`, at event fraction
/// `q`.
///
/// # Formula
/// `R2_CS = 1 - exp(-LR / n)` (Cox & Snell 1989; Riley et al. 2019, Stat Med 38:1276,
/// section 3), with `LR = 2 (l(beta) - l(0))` the partial-likelihood ratio of the true
/// linear predictor on `n_sim` patients simulated from the survival model of the C-index
/// interval (`crate::null::cindex`: one normal covariate with the log hazard ratio that
/// gives concordance `c`, exponential times, censoring to event fraction `q`). With
/// `n_sim = 20000` the Monte Carlo error of R2_CS is below 0.005 (`LR` has standard
/// deviation about `2 sqrt(LR)`); the seed is fixed, so the value is reproducible.
///
/// # Degenerate cases
/// `c = 0.5` gives 0.
pub fn r2cs_from_cindex(c: f64, q: f64, n_sim: usize) -> f64 {
    let beta = crate::null::cindex::beta_for(c);
    let mut rng = crate::stats::rng::stream(0, "samplesize/r2cs-from-cindex");
    let x: Vec<f64> = (0..n_sim).map(|_| rand::RngExt::sample(&mut rng, rand_distr::StandardNormal)).collect();
    let lp: Vec<f64> = x.iter().map(|v| beta * v).collect();
    let events = ((n_sim as f64) * q).round().clamp(1.0, (n_sim - 1) as f64) as usize;
    let (time, event) = crate::null::sim::draw_survival(&mut rng, n_sim, events, Some(&lp));

    // Partial log-likelihoods at beta and at 0, risk sets by decreasing time.
    let mut order: Vec<usize> = (0..n_sim).collect();
    order.sort_by(|&a, &b| time[b].total_cmp(&time[a]));
    let (mut sum_exp, mut at_risk) = (0.0_f64, 0.0_f64);
    let (mut l_beta, mut l_zero) = (0.0_f64, 0.0_f64);
    for &i in &order {
        sum_exp += lp[i].exp();
        at_risk += 1.0;
        if event[i] {
            l_beta += lp[i] - sum_exp.ln();
            l_zero -= at_risk.ln();
        }
    }
    let lr = (2.0 * (l_beta - l_zero)).max(0.0);
    1.0 - (-lr / n_sim as f64).exp()
}

/// Check 4, validation sample size (binary outcomes, claims on a held-out cohort).
pub fn validation(claim: &Claim, d: &Design, t: &Thresholds) -> CheckResult {
    let threshold = "fails when the validation cohort is below the C-statistic precision \
                     criterion of Riley et al. (2021)";
    let na = |why: &str| {
        CheckResult::new(CheckId::ValidationSize, Outcome::NotAssessable, threshold, format!(
            "Not assessable: {why}."))
    };
    let Some(cohort) = measured_on(claim, d) else {
        return na("the validation cohort's size and events are not known");
    };
    if cohort.development {
        return na("the claim was not measured on a held-out cohort");
    }
    let c = match (claim.metric, claim.value) {
        (Metric::Auc, ClaimValue::Single(c)) => c,
        (Metric::CIndex, _) => {
            return na("the validation criteria for time-to-event models (Riley et al. 2024) \
                       are not implemented yet")
        }
        _ => return na("the criteria need a C-statistic claim"),
    };
    if !(c > 0.5 && c < 1.0) {
        return na("the C-statistic must lie in (0.5, 1)");
    }
    let q = cohort.events as f64 / cohort.n as f64;
    let mut input = ValidationInput::with_defaults(c, q, LpDistribution::Binormal);
    input.cstat_ci_width = t.validation_c_width;
    let size = match riley_validation(&input) {
        Ok(s) => s,
        Err(e) => return na(&format!("Riley validation criteria: {e}")),
    };
    let crit = |k: u8| size.criteria.iter().find(|x| x.number == k).map(|x| x.n);
    let Some(n_c) = crit(3) else {
        return na("the C-statistic criterion could not be computed");
    };
    let n = cohort.n;
    let outcome = if n >= n_c { Outcome::Pass } else { Outcome::Fail };
    let mut r = CheckResult::new(
        CheckId::ValidationSize,
        outcome,
        threshold,
        format!(
            "To estimate a C-statistic of {c:.3} at prevalence {q:.3} with a 95% interval \
             of width {}, Riley et al. (2021) require {n_c} validation patients; the claim \
             rests on {n}.",
            t.validation_c_width
        ),
    )
    .fig("n_required_cstat", n_c as f64)
    .fig("n_validation", n as f64)
    .fig("ratio", n as f64 / n_c as f64);
    if let (Some(n_oe), Some(n_slope)) = (crit(1), crit(2)) {
        r = r
            .fig("n_required_oe", n_oe as f64)
            .fig("n_required_slope", n_slope as f64)
            .note(format!(
                "Reported, not judged: calibration in the large (O/E, width 0.2) needs \
                 {n_oe} and the calibration slope (width 0.2) {n_slope} patients, assuming a \
                 binormal linear predictor calibrated to C and the prevalence."
            ));
    }
    r
}
