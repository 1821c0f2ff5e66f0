//! Check 1, the null check: what the stated pipeline reaches on random features
//! (AUDIT.md, check 1), and check 6, the baseline increment.
//!
//! The scenario's design is mapped onto [`crate::null::NullDesign`]: the same development n
//! and events, candidates, selection (LASSO, mRMR and unknown selection are simulated by
//! univariate top-k, as the report says), an L2 logistic model for binary claims and a ridge
//! Cox model for C-index claims (random forest and SVM are simulated by these linear
//! stand-ins; deep learning is not simulated), the validation design (temporal as
//! external), the leaks, and the best of `models_compared` pipelines. Every corner uses
//! the same seed, so corners differ only by their design (common random numbers).
//!
//! For a positive claim the check passes when the claimed value is beyond the null
//! (p < alpha); for a negative claim ("no useful model") it passes when it is not.

use super::check::{CheckId, CheckResult, Outcome};
use super::corner::{Design, ModelKind, Selection, Validation};
use super::run::{Options, Thresholds};
use super::scenario::{Claim, ClaimValue, Cohort, Direction, Metric};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::model::select::Selection as NullSelection;
use crate::null::{self, NullDesign, NullError, NullResult, StopRule};

/// The stopping rule of the audit's null checks: batches of 50 and at least 100
/// replicates, so a claim far beyond the null stops at p = 1/101 (clearly below 0.05 by
/// 3.29 Monte Carlo SE) and a claim inside it stops as soon as that is clear.
pub const AUDIT_STOP: StopRule = StopRule {
    batch: 50,
    min_reps: 100,
    h: 20,
    alpha: 0.05,
    z: 3.29,
};

type Cache<T> = Mutex<HashMap<String, Arc<T>>>;

/// Null results of the designs already simulated in this process. A result depends only
/// on the design, the replicate budget, the seed and the claimed value (every replicate
/// draws from its own seeded stream), so corners and scenarios that share them share the
/// simulation; the cached value is exactly what a fresh run returns.
fn null_cache() -> &'static Cache<Result<NullResult, String>> {
    static CACHE: OnceLock<Cache<Result<NullResult, String>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn interval_cache() -> &'static Cache<Option<(f64, f64)>> {
    static CACHE: OnceLock<Cache<Option<(f64, f64)>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Looks `key` up in `cache`, computing it with `f` when absent.
fn cached<T>(cache: &'static Cache<T>, key: String, f: impl FnOnce() -> T) -> Arc<T> {
    if let Some(v) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return v;
    }
    let v = Arc::new(f());
    if let Ok(mut m) = cache.lock() {
        m.entry(key).or_insert_with(|| v.clone());
    }
    v
}

fn simulate(nd: &NullDesign, opts: &Options, claimed: f64) -> Arc<Result<NullResult, String>> {
    let key = format!("{nd:?}|{}|{}|{:x}", opts.reps, opts.seed, claimed.to_bits());
    cached(null_cache(), key, || {
        let r: Result<NullResult, NullError> = null::run_null_with(
            nd,
            opts.reps,
            opts.seed,
            Some(claimed),
            &AUDIT_STOP,
            &mut |_, _| {},
        );
        r.map_err(|e| e.to_string())
    })
}

/// Replicates of the C-index precision simulation.
pub const CINDEX_INTERVAL_REPS: usize = 400;

/// The null design of a scenario design, or why it cannot be simulated.
pub fn null_design(claim: &Claim, d: &Design) -> Result<(NullDesign, Vec<String>), String> {
    let mut notes = Vec::new();
    let model = match (claim.metric, d.model) {
        (_, ModelKind::Deep) => {
            return Err(
                "deep-learning pipelines are not simulated: a random-feature null of \
                        a network trained on images has no linear stand-in"
                    .into(),
            )
        }
        (Metric::CIndex, _) => null::ModelKind::Cox,
        (Metric::Auc, ModelKind::Cox) => {
            notes.push(
                "the Cox model's AUC claim is simulated as a binary outcome with an L2 \
                        logistic model"
                    .to_string(),
            );
            null::ModelKind::Logistic
        }
        (Metric::Auc, _) => null::ModelKind::Logistic,
        (Metric::Accuracy | Metric::SensitivitySpecificity, _) => {
            return Err("the null engine simulates AUC and C-index; accuracy and \
                        sensitivity/specificity claims are judged by the precision check"
                .into())
        }
        (Metric::None, _) => return Err("no figure is claimed".into()),
    };
    match d.model {
        ModelKind::RandomForest | ModelKind::Svm => notes.push(format!(
            "the stated {} is simulated by its linear stand-in ({})",
            if d.model == ModelKind::Svm {
                "SVM"
            } else {
                "random forest"
            },
            if model == null::ModelKind::Cox {
                "ridge Cox"
            } else {
                "L2 logistic"
            }
        )),
        ModelKind::Unknown => notes.push(
            "the model is not stated: simulated as L2 logistic \
            (ridge Cox for C-index claims)"
                .into(),
        ),
        _ => {}
    }
    let Some(events) = d.events_development else {
        return Err("the number of development events is not known".into());
    };

    let selection = match d.selection {
        Selection::Univariate => NullSelection::Univariate,
        Selection::Lasso => NullSelection::Lasso,
        Selection::Mrmr => NullSelection::Mrmr,
        Selection::None => NullSelection::None,
        Selection::Unknown => {
            notes.push("the selection method is not stated: simulated as univariate top-k".into());
            NullSelection::Univariate
        }
    };
    if matches!(selection, NullSelection::Lasso | NullSelection::Mrmr) {
        notes.push(
            "LASSO and mRMR selection are simulated by univariate top-k selection of \
                    the same number of features"
                .into(),
        );
    }
    let (candidates, selected) = match selection {
        // Without selection the model takes the features the paper names.
        NullSelection::None => (d.selected_features, d.selected_features),
        _ => (d.candidate_features, d.selected_features),
    };

    let apparent = claim.cohort == Cohort::Training || d.validation == Validation::Apparent;
    let (n, events, validation) = if apparent {
        (d.n_development, events, null::Validation::Apparent)
    } else {
        match d.validation {
            Validation::CrossValidation => (
                d.n_development,
                events,
                null::Validation::Cv {
                    folds: d.folds as usize,
                },
            ),
            Validation::Bootstrap => {
                notes.push(
                    "bootstrap validation is simulated as Harrell's optimism-corrected \
                            bootstrap"
                        .into(),
                );
                (
                    d.n_development,
                    events,
                    null::Validation::Bootstrap { resamples: 50 },
                )
            }
            Validation::RandomSplit => {
                let (Some(nv), Some(ev)) = (d.n_validation, d.validation_events()) else {
                    return Err("a random-split claim needs n_validation".into());
                };
                let total = d.n_development + nv;
                let frac = d.n_development as f64 / total as f64;
                (
                    total,
                    events + ev,
                    null::Validation::Split {
                        train_fraction: frac,
                    },
                )
            }
            Validation::External | Validation::Temporal | Validation::Apparent => {
                let (Some(nv), Some(ev)) = (d.n_validation, d.validation_events()) else {
                    return Err("an external or temporal claim needs n_validation".into());
                };
                if d.validation == Validation::Temporal {
                    notes.push("temporal validation is simulated as external validation".into());
                }
                let v = null::Validation::External {
                    n_validation: nv as usize,
                    events_validation: ev as usize,
                };
                (d.n_development, events, v)
            }
        }
    };

    let mut nd = NullDesign::new(
        n as usize,
        events as usize,
        candidates as usize,
        selected as usize,
        selection,
        model,
        validation,
    );
    nd.leaky_selection =
        !apparent && !d.selection_inside_validation && selection != NullSelection::None;
    nd.preprocessing_before_split = d.preprocessing_before_split && !apparent;
    if nd.preprocessing_before_split && model == null::ModelKind::Cox {
        nd.preprocessing_before_split = false;
        notes.push("preprocessing before the split is simulated for binary outcomes only".into());
    }
    nd.models_compared = d.models_compared as usize;
    nd.feature_correlation.rho = d.feature_correlation;
    if matches!(nd.validation, null::Validation::External { .. })
        && !nd.leaky_selection
        && !nd.preprocessing_before_split
    {
        notes.push(
            "with selection inside the development data, the external scores are \
                    independent of the outcome, so this check is close to a one-sided test \
                    of the claimed value against 0.5"
                .into(),
        );
    }
    Ok((nd, notes))
}

/// Check 1 at one corner; also returns the null values (for the plot) and, for C-index
/// claims, the simulated precision interval used by check 2.
pub fn check(
    claim: &Claim,
    d: &Design,
    t: &Thresholds,
    opts: &Options,
) -> (CheckResult, Vec<f64>, Option<(f64, f64)>) {
    let threshold = match claim.direction {
        Direction::Positive => format!("fails at p >= {}", t.null_alpha),
        Direction::Negative => format!("a negative claim fails at p < {}", t.null_alpha),
    };
    let (nd, notes) = match null_design(claim, d) {
        Ok(x) => x,
        Err(why) => {
            let r = CheckResult::new(
                CheckId::Null,
                Outcome::NotAssessable,
                &threshold,
                format!("Not assessable: {why}."),
            );
            return (r, Vec::new(), None);
        }
    };
    let claimed = match claim.value {
        ClaimValue::Single(x) => x,
        ClaimValue::Pair(..) => f64::NAN,
    };

    let res = match simulate(&nd, opts, claimed).as_ref() {
        Ok(r) => r.clone(),
        Err(e) => {
            let r = CheckResult::new(
                CheckId::Null,
                Outcome::NotAssessable,
                &threshold,
                format!("Not assessable: the null simulation refused the design ({e})."),
            );
            return (r, Vec::new(), None);
        }
    };
    let p = res.p_value.unwrap_or(f64::NAN);
    let rejects = p < t.null_alpha;
    let outcome = match (claim.direction, rejects) {
        (Direction::Positive, true) | (Direction::Negative, false) => Outcome::Pass,
        _ => Outcome::Fail,
    };
    let metric = if nd.model == null::ModelKind::Cox {
        "C-index"
    } else {
        "AUC"
    };
    let q95 = res.quantile(0.95);
    let sentence = format!(
        "On random features, the stated pipeline ({}) reaches a mean {metric} of {:.3} and a \
         95th percentile of {:.3}; the claimed {:.3} is {} (Monte Carlo p = {:.3} from {} \
         replicates).",
        describe(&nd),
        res.mean,
        q95,
        claimed,
        if rejects {
            "beyond what noise reaches"
        } else {
            "within what noise reaches"
        },
        p,
        res.reps_used,
    );
    let mut r = CheckResult::new(CheckId::Null, outcome, &threshold, sentence)
        .fig("null_mean", res.mean)
        .fig("null_q50", res.quantile(0.5))
        .fig("null_q95", q95)
        .fig("null_q99", res.quantile(0.99))
        .fig("p_value", p)
        .fig("p_value_mc_se", res.p_mc_se.unwrap_or(f64::NAN))
        .fig("replicates", res.reps_used as f64);
    if res.stopped_early {
        r = r.note(
            "Replicates stopped early: the answer was already clear (sequential Monte \
                    Carlo test, Besag & Clifford 1991).",
        );
    }
    for n in notes {
        r = r.note(n);
    }

    let cindex = if claim.metric == Metric::CIndex && claimed.is_finite() {
        let (n, events) = match nd.validation {
            null::Validation::External {
                n_validation,
                events_validation,
            } => (n_validation, events_validation),
            null::Validation::Split { train_fraction } => {
                let nv = nd.n - (nd.n as f64 * train_fraction).round() as usize;
                let ev = (nv as f64 * nd.events as f64 / nd.n as f64).round() as usize;
                (nv, ev.max(1))
            }
            _ => (nd.n, nd.events),
        };
        let key = format!("{:x}|{n}|{events}|{}", claimed.to_bits(), opts.seed);
        *cached(interval_cache(), key, || {
            null::cindex_interval_sim(claimed, n, events, CINDEX_INTERVAL_REPS, opts.seed).ok()
        })
    } else {
        None
    };
    (r, res.values, cindex)
}

/// One line describing the simulated pipeline.
fn describe(nd: &NullDesign) -> String {
    let sel = match nd.selection {
        NullSelection::None => format!("{} prespecified features", nd.candidates),
        _ => format!("top {} of {} candidates", nd.selected, nd.candidates),
    };
    let val = match nd.validation {
        null::Validation::Apparent => "apparent performance".to_string(),
        null::Validation::Split { train_fraction } => {
            format!("random split, {:.0}% for training", 100.0 * train_fraction)
        }
        null::Validation::Cv { folds } => format!("{folds}-fold cross-validation"),
        null::Validation::External { n_validation, .. } => {
            format!("external cohort of {n_validation}")
        }
        null::Validation::Bootstrap { .. } => "optimism-corrected bootstrap".to_string(),
    };
    let mut s = format!("n = {}, {} events, {sel}, {val}", nd.n, nd.events);
    if nd.leaky_selection {
        s += ", selection on all patients";
    }
    if nd.preprocessing_before_split {
        s += ", oversampling before the split";
    }
    if nd.models_compared > 1 {
        s += &format!(", best of {} pipelines", nd.models_compared);
    }
    s
}

/// Check 6: the gain over a reported comparator. Reported, not judged (AUDIT.md).
pub fn baseline(claim: &Claim, _d: &Design, null: &CheckResult) -> CheckResult {
    let threshold = "reported, not judged";
    let (Some(base), ClaimValue::Single(value)) = (claim.baseline, claim.value) else {
        return CheckResult::new(
            CheckId::BaselineIncrement,
            Outcome::NotAssessable,
            threshold,
            "Not assessable: no comparator value is reported.".into(),
        );
    };
    let gain = value - base;
    let mut r = CheckResult::new(
        CheckId::BaselineIncrement,
        Outcome::Reported,
        threshold,
        format!("The claimed {value:.3} exceeds the comparator's {base:.3} by {gain:.3}."),
    )
    .fig("baseline", base)
    .fig("gain", gain);
    if let Some(m) = null.figure("null_mean") {
        // Random features alone move a chance-level model by (null mean - 0.5).
        r = r.fig("null_gain_over_chance", m - 0.5).note(format!(
            "On random features the same pipeline moves a chance-level model by {:.3} on \
             average; a null pipeline that includes the comparator itself is not simulated \
             yet.",
            m - 0.5
        ));
    }
    // TODO(audit): simulate the null increment with the comparator as a fixed covariate
    // (random features added to a baseline score of the stated AUC), so check 6 can judge.
    r
}
