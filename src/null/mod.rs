//! Null simulations: the stated pipeline run on random features.
//!
//! [`run_null`] answers AUDIT.md check 1: what value does the stated pipeline (selection,
//! model, validation design, leaks, best of several models) reach when the candidate
//! features carry no signal? It returns every replicate value, the mean, quantiles and,
//! for a claimed value, the Monte Carlo p-value. [`cindex_interval_sim`] gives the
//! precision interval of a C-index claim (check 2). What is simulated is documented in
//! [`sim`] (data and pipelines) and [`design`] (the configuration).
//!
//! # Reproducibility
//! Replicate `r` draws only from `crate::stats::rng::stream(seed, "null/{r}")`, and
//! replicates run in fixed batches of [`StopRule::batch`] whose results are collected in
//! replicate order, so every value, the stopping point and the p-value are identical for
//! any number of threads. For the same reason a run can be resumed replicate by replicate
//! ([`run_null_resumable`] with a `crate::checkpoint::Checkpoint`).
//!
//! # Sequential stopping
//! With a claimed value, after each complete batch (and once at least
//! [`StopRule::min_reps`] replicates are done), the run stops when either
//! 1. the exceedances `b` (replicates with value `>=` claimed) reach `h`
//!    (Besag & Clifford 1991, Biometrika 78:301: the sequential Monte Carlo test stops at
//!    the `h`-th exceedance), or
//! 2. the answer is clear at level `alpha`: with `p = (b + 1) / (L + 1)` after `L`
//!    replicates and `se = sqrt(p (1 - p) / (L + 1))`, `p + z se < alpha` or
//!    `p - z se > alpha` (`z = 3.29`, two-sided 0.001).
//!
//! The reported p-value is always `(b + 1) / (L + 1)` over the `L` replicates run
//! (Phipson & Smyth 2010, Stat Appl Genet Mol Biol 9:39) with Monte Carlo standard error
//! `se` as above. Without a claimed value all `reps` replicates run.

mod cells;
pub mod cindex;
pub mod design;
pub mod sim;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;

pub use cindex::{cindex_interval_detail, cindex_interval_sim, CIndexInterval};
pub use design::{FeatureCorrelation, ModelKind, NullDesign, Validation};
pub use sim::RepValue;

use crate::checkpoint::{ItemStore, NoStore};
use crate::model::cox::CoxError;
use crate::model::logistic::LogisticError;
use crate::model::select::{SelectError, Selection};
use crate::shard::{f64_text, parse_f64_text};
use crate::stats::concordance::ConcordanceError;
use crate::stats::rng::stream;
use crate::stats::roc::RocError;

/// Errors from null simulations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NullError {
    /// A design field is out of range.
    #[error("{field} = {value} is invalid; expected {expected}")]
    Invalid {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// A replicate's metric is undefined (no fold, split or bootstrap sample had both
    /// classes or a comparable pair).
    #[error("the metric is undefined in a replicate of design {design}")]
    Undefined { design: String },
    /// `reps` is zero.
    #[error("reps = 0; expected at least 1 replicate")]
    NoReps,
    /// A claimed value that is not finite.
    #[error("claimed value {0} is not finite")]
    Claimed(f64),
    /// Selection failed.
    #[error("selection: {0}")]
    Select(#[from] SelectError),
    /// The logistic fit failed.
    #[error("logistic fit: {0}")]
    Logistic(#[from] LogisticError),
    /// The Cox fit failed.
    #[error("Cox fit: {0}")]
    Cox(#[from] CoxError),
    /// The AUC computation failed.
    #[error("AUC: {0}")]
    Auc(#[from] RocError),
    /// The C-index computation failed.
    #[error("C-index: {0}")]
    CIndex(#[from] ConcordanceError),
    /// The checkpoint of a resumable run failed.
    #[error("{0}")]
    Checkpoint(String),
}

/// The sequential stopping rule (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StopRule {
    /// Replicates per batch; stopping is checked only between batches.
    pub batch: usize,
    /// No stopping before this many replicates (so the quantiles stay usable).
    pub min_reps: usize,
    /// Besag-Clifford exceedance count `h`.
    pub h: usize,
    /// Level of the test.
    pub alpha: f64,
    /// Standard errors between `p` and `alpha` that make the answer clear.
    pub z: f64,
}

impl Default for StopRule {
    fn default() -> Self {
        Self {
            batch: 50,
            min_reps: 200,
            h: 20,
            alpha: 0.05,
            z: 3.29,
        }
    }
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// All requested replicates ran.
    Completed,
    /// The exceedances reached `h` (Besag & Clifford).
    Exceedances,
    /// `p` is clearly below `alpha`.
    ClearlyBelow,
    /// `p` is clearly above `alpha`.
    ClearlyAbove,
}

/// The 2.5, 50, 95, 97.5 and 99th percentiles of the null values (type 7, linear
/// interpolation between order statistics; Hyndman & Fan 1996).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantiles {
    pub q025: f64,
    pub q50: f64,
    pub q95: f64,
    pub q975: f64,
    pub q99: f64,
}

/// The null distribution of a design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NullResult {
    /// `"auc"` or `"c-index"`.
    pub metric: &'static str,
    /// Every replicate's value, in replicate order.
    pub values: Vec<f64>,
    /// Replicates asked for.
    pub reps_requested: usize,
    /// Replicates run (`values.len()`).
    pub reps_used: usize,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// Whether the run stopped before `reps_requested` (sequential stopping).
    pub stopped_early: bool,
    /// Mean of the values.
    pub mean: f64,
    /// Sample standard deviation of the values (0 for one replicate).
    pub sd: f64,
    /// Percentiles.
    pub quantiles: Quantiles,
    /// The claimed value, when one was given.
    pub claimed: Option<f64>,
    /// Replicates with value `>=` claimed (`b`).
    pub exceedances: Option<usize>,
    /// `(b + 1) / (L + 1)`, when a claimed value was given.
    pub p_value: Option<f64>,
    /// Monte Carlo standard error of the p-value, `sqrt(p (1 - p) / (L + 1))`.
    pub p_mc_se: Option<f64>,
    /// Folds (CV) or bootstrap samples left out because their metric was undefined,
    /// summed over replicates and compared models.
    pub undefined_parts: usize,
    /// What the simulation substitutes for the stated pipeline (stand-in selection,
    /// leaks not simulated), for the report.
    pub notes: Vec<String>,
}

impl NullResult {
    /// The type-7 `q`-quantile of the values (`q` in `[0, 1]`; NaN otherwise).
    pub fn quantile(&self, q: f64) -> f64 {
        if !(0.0..=1.0).contains(&q) || self.values.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        quantile_sorted(&sorted, q)
    }
}

/// Runs the null simulation of `design` with the default [`StopRule`].
///
/// # Formula
/// See the module docs: p-value `(b + 1) / (L + 1)`, Monte Carlo SE, stopping rule.
///
/// # Reference
/// Phipson & Smyth (2010); Besag & Clifford (1991); the pipeline's references in [`sim`].
///
/// # Errors
/// [`NullError::Invalid`] for an invalid design, [`NullError::NoReps`], a non-finite
/// claimed value, and any fit or metric error of a replicate.
///
/// # Degenerate cases
/// A replicate whose metric is undefined in every fold is an error (validation rules out
/// designs where this can happen by construction).
pub fn run_null(
    design: &NullDesign,
    reps: usize,
    seed: u64,
    claimed: Option<f64>,
) -> Result<NullResult, NullError> {
    run_null_with(
        design,
        reps,
        seed,
        claimed,
        &StopRule::default(),
        &mut |_, _| {},
    )
}

/// [`run_null`] with an explicit stopping rule and a callback `progress(done, planned)`
/// called after every batch (for progress bars).
///
/// # Errors
/// As [`run_null`], plus [`NullError::Invalid`] for a rule with `batch = 0`.
pub fn run_null_with(
    design: &NullDesign,
    reps: usize,
    seed: u64,
    claimed: Option<f64>,
    rule: &StopRule,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<NullResult, NullError> {
    run_null_resumable(design, reps, seed, claimed, rule, progress, &NoStore)
}

/// [`run_null_with`] that reuses the replicates `store` holds (by id `"{r}"`, the value in
/// its exact text and the undefined parts) and records each one it computes: a resumed run
/// (`crate::checkpoint`) gives the same result as an uninterrupted one, since replicate
/// `r` depends only on `seed` and `r`.
///
/// # Errors
/// As [`run_null_with`]; [`NullError::Checkpoint`] when a record cannot be written or a
/// stored one does not parse.
pub fn run_null_resumable(
    design: &NullDesign,
    reps: usize,
    seed: u64,
    claimed: Option<f64>,
    rule: &StopRule,
    progress: &mut dyn FnMut(usize, usize),
    store: &dyn ItemStore,
) -> Result<NullResult, NullError> {
    check_run(design, reps, claimed, rule)?;

    let mut values = Vec::with_capacity(reps);
    let mut undefined_parts = 0;
    let mut stop_reason = StopReason::Completed;
    while values.len() < reps {
        let start = values.len();
        let end = (start + rule.batch).min(reps);
        let batch: Vec<sim::RepValue> = (start..end)
            .into_par_iter()
            .map(|r| stored_replicate(design, seed, r, store))
            .collect::<Result<_, _>>()?;
        for v in batch {
            values.push(v.value);
            undefined_parts += v.undefined;
        }
        progress(values.len(), reps);

        if let (Some(c), true) = (claimed, values.len() < reps) {
            if let Some(reason) = should_stop(&values, c, rule, reps) {
                stop_reason = reason;
                break;
            }
        }
    }

    Ok(summarise(
        design,
        values,
        reps,
        stop_reason,
        claimed,
        undefined_parts,
    ))
}

/// Replicate `r` from `store`, or computed and recorded there.
fn stored_replicate(
    design: &NullDesign,
    seed: u64,
    r: usize,
    store: &dyn ItemStore,
) -> Result<sim::RepValue, NullError> {
    let id = r.to_string();
    if let Some(d) = store.get(&id) {
        let value = d["value"].as_str().map(parse_f64_text);
        let undefined = d["undefined"].as_u64();
        return match (value, undefined) {
            (Some(Ok(value)), Some(u)) => Ok(sim::RepValue {
                value,
                undefined: u as usize,
            }),
            _ => Err(NullError::Checkpoint(
                store.malformed(&format!("replicate {r}"), &d.to_string()),
            )),
        };
    }
    let v = replicate(design, seed, r)?;
    let data = serde_json::json!({"value": f64_text(v.value), "undefined": v.undefined});
    store
        .put(&id, &data)
        .map_err(|e| NullError::Checkpoint(e.to_string()))?;
    Ok(v)
}

/// The stopping decision after a batch (module docs), `None` to go on.
fn should_stop(values: &[f64], claimed: f64, rule: &StopRule, reps: usize) -> Option<StopReason> {
    let l = values.len();
    if l < rule.min_reps.min(reps) {
        return None;
    }
    let b = values.iter().filter(|&&v| v >= claimed).count();
    if b >= rule.h {
        return Some(StopReason::Exceedances);
    }
    let (p, se) = p_value(b, l);
    if p + rule.z * se < rule.alpha {
        Some(StopReason::ClearlyBelow)
    } else if p - rule.z * se > rule.alpha {
        Some(StopReason::ClearlyAbove)
    } else {
        None
    }
}

/// The value of replicate `r` of `design` under `seed` alone: the same number as
/// `run_null(design, R, seed, _).values[r]` for any `R > r` that reaches it.
///
/// # Errors
/// As [`run_null`].
pub fn replicate_value(design: &NullDesign, seed: u64, r: usize) -> Result<f64, NullError> {
    design.validate()?;
    Ok(replicate(design, seed, r)?.value)
}

/// Replicate `r` of `design` under `seed` with its undefined parts: what one part of a
/// sharded run (`--shard`) stores per replicate for [`summarise_replicates`].
///
/// # Errors
/// As [`run_null`].
pub fn replicate_detail(
    design: &NullDesign,
    seed: u64,
    r: usize,
) -> Result<sim::RepValue, NullError> {
    design.validate()?;
    replicate(design, seed, r)
}

/// The result a single [`run_null_with`] run of `reps` replicates reaches, from the values
/// of all `reps` replicates computed beforehand (the fixed budget of a sharded run).
///
/// The stopping rule is replayed over the replicates in order, batch by batch, exactly as
/// [`run_null_with`] applies it, so the replicates kept, the stop reason, the summary and
/// the p-value are those of the single run; the replicates after the stopping point were
/// computed in vain.
///
/// # Errors
/// As [`run_null_with`], plus [`NullError::Invalid`] when `replicates.len() != reps`.
pub fn summarise_replicates(
    design: &NullDesign,
    reps: usize,
    claimed: Option<f64>,
    rule: &StopRule,
    replicates: &[sim::RepValue],
) -> Result<NullResult, NullError> {
    check_run(design, reps, claimed, rule)?;
    if replicates.len() != reps {
        return Err(NullError::Invalid {
            field: "replicates",
            value: replicates.len() as f64,
            expected: "one value per requested replicate",
        });
    }

    let all: Vec<f64> = replicates.iter().map(|v| v.value).collect();
    let mut end = 0;
    let mut stop_reason = StopReason::Completed;
    while end < reps {
        end = (end + rule.batch).min(reps);
        if let (Some(c), true) = (claimed, end < reps) {
            if let Some(reason) = should_stop(&all[..end], c, rule, reps) {
                stop_reason = reason;
                break;
            }
        }
    }
    let undefined_parts = replicates[..end].iter().map(|v| v.undefined).sum();
    Ok(summarise(
        design,
        all[..end].to_vec(),
        reps,
        stop_reason,
        claimed,
        undefined_parts,
    ))
}

/// The models of a full-pipeline replicate computed so far, with what it takes to
/// compute more: the replicate's patients and its stream where the last model left it.
struct Partial {
    models: Vec<sim::RepValue>,
    patients: sim::Patients,
    rng: crate::stats::rng::Stream,
}

/// Partial replicates, keyed by the design without its model count (and with a stand-in
/// selection as univariate), the seed and the replicate index (see [`replicate`]).
type ModelCache = Mutex<HashMap<String, Arc<Partial>>>;

/// Entries kept before the cache is emptied (up to about 2 kB each: the outcomes of a
/// few hundred patients and a stream state).
const MODEL_CACHE_CAP: usize = 100_000;

fn model_cache() -> &'static ModelCache {
    static CACHE: OnceLock<ModelCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Replicate `r` of `design` under `seed`, drawn from its own stream `null/{r}`.
///
/// A replicate's compared models are drawn one after the other from that stream
/// ([`sim::replicate_models`]), so the best of `m` models is the maximum over a prefix of
/// the values for any larger model count. Full-pipeline replicates are cached per model
/// with their stream state and reused by runs of the same design that differ only in
/// `models_compared` or in a stand-in selection (LASSO or mRMR, simulated as univariate):
/// a run for fewer models takes a prefix, a run for more models resumes the stream where
/// the cached models stopped (the audit's corners and tipping search). The value returned
/// is the one a fresh run computes.
fn replicate(design: &NullDesign, seed: u64, r: usize) -> Result<sim::RepValue, NullError> {
    let rng = || stream(seed, &format!("null/{r}"));
    if sim::held_out_is_independent(design) {
        // Already a handful of draws: nothing worth caching.
        return sim::replicate(design, &mut rng());
    }

    let m = design.models_compared;
    let mut base = design.clone();
    base.models_compared = 1;
    // LASSO and mRMR are simulated by the univariate filter (`sim::Pipeline::select`), so
    // their replicates are the univariate design's, number for number: one cache entry.
    if base.selection.is_stand_in() {
        base.selection = Selection::Univariate;
    }
    let key = format!("{base:?}|{seed}|{r}");
    let hit = model_cache().lock().ok().and_then(|c| c.get(&key).cloned());
    if let Some(p) = &hit {
        if p.models.len() >= m {
            return Ok(sim::best_of(&p.models[..m]));
        }
    }

    // Resume a shorter cached replicate, else start from the stream's first draw.
    let mut partial = match hit {
        Some(p) => Partial {
            models: p.models.clone(),
            patients: p.patients.clone(),
            rng: p.rng.clone(),
        },
        None => {
            let mut rng = rng();
            let patients = sim::draw_patients(design, &mut rng);
            Partial {
                models: Vec::with_capacity(m),
                patients,
                rng,
            }
        }
    };
    while partial.models.len() < m {
        let v = sim::next_model(design, &partial.patients, &mut partial.rng)?;
        partial.models.push(v);
    }
    let best = sim::best_of(&partial.models[..m]);
    if let Ok(mut cache) = model_cache().lock() {
        if cache.len() >= MODEL_CACHE_CAP {
            cache.clear();
        }
        let longer = cache.get(&key).is_none_or(|v| v.models.len() < m);
        if longer {
            cache.insert(key, Arc::new(partial));
        }
    }
    Ok(best)
}

/// `(b + 1) / (L + 1)` and its Monte Carlo standard error.
///
/// # Formula
/// `p = (b + 1) / (L + 1)`, `se = sqrt(p (1 - p) / (L + 1))`.
///
/// # Reference
/// Phipson & Smyth (2010), eq. (2) (exact p-value when permutations are drawn with
/// replacement, here independent null replicates).
pub fn p_value(b: usize, l: usize) -> (f64, f64) {
    let p = (b as f64 + 1.0) / (l as f64 + 1.0);
    (p, (p * (1.0 - p) / (l as f64 + 1.0)).sqrt())
}

/// Type-7 quantile of sorted values (Hyndman & Fan 1996, definition 7; R's default).
///
/// # Panics
/// On an empty slice (callers hold at least one replicate).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn summarise(
    design: &NullDesign,
    values: Vec<f64>,
    reps: usize,
    stop_reason: StopReason,
    claimed: Option<f64>,
    undefined_parts: usize,
) -> NullResult {
    let l = values.len();
    let mean = values.iter().sum::<f64>() / l as f64;
    let sd = if l > 1 {
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (l - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let quantiles = Quantiles {
        q025: quantile_sorted(&sorted, 0.025),
        q50: quantile_sorted(&sorted, 0.5),
        q95: quantile_sorted(&sorted, 0.95),
        q975: quantile_sorted(&sorted, 0.975),
        q99: quantile_sorted(&sorted, 0.99),
    };
    let exceedances = claimed.map(|c| values.iter().filter(|&&v| v >= c).count());
    let p = exceedances.map(|b| p_value(b, l));
    NullResult {
        metric: design.model.metric(),
        reps_used: l,
        values,
        reps_requested: reps,
        stop_reason,
        stopped_early: l < reps,
        mean,
        sd,
        quantiles,
        claimed,
        exceedances,
        p_value: p.map(|x| x.0),
        p_mc_se: p.map(|x| x.1),
        undefined_parts,
        notes: notes(design),
    }
}

/// What the simulation substitutes for the stated pipeline.
fn notes(design: &NullDesign) -> Vec<String> {
    let mut notes = Vec::new();
    if design.selection.is_stand_in() {
        let name = if design.selection == Selection::Lasso {
            "LASSO"
        } else {
            "mRMR"
        };
        let filter = match design.model {
            ModelKind::Logistic => "univariate |t|",
            ModelKind::Cox => "univariate Cox score",
        };
        notes.push(format!(
            "{name} selection is simulated by {filter} top-{} selection",
            design.selected
        ));
    }
    if design.preprocessing_before_split {
        match (design.model, design.validation) {
            (ModelKind::Cox, _) => notes.push(
                "preprocessing before the split is not simulated for survival outcomes \
                 (no standard SMOTE for censored times)"
                    .to_string(),
            ),
            (_, Validation::External { .. }) => notes.push(
                "preprocessing before the split: SMOTE on the development cohort cannot \
                 reach an external cohort"
                    .to_string(),
            ),
            _ if 2 * design.events == design.n => notes.push(
                "preprocessing before the split is simulated as SMOTE; the cohort is \
                 balanced, so no rows are synthesised"
                    .to_string(),
            ),
            _ => notes.push(
                "preprocessing before the split is simulated as SMOTE oversampling of the \
                 minority class on all rows"
                    .to_string(),
            ),
        }
    }
    notes
}

/// The checks every null run makes before drawing: a valid design, at least one
/// replicate, a finite claimed value and a non-empty stopping batch.
fn check_run(
    design: &NullDesign,
    reps: usize,
    claimed: Option<f64>,
    rule: &StopRule,
) -> Result<(), NullError> {
    design.validate()?;
    if reps == 0 {
        return Err(NullError::NoReps);
    }
    if let Some(c) = claimed {
        if !c.is_finite() {
            return Err(NullError::Claimed(c));
        }
    }
    if rule.batch == 0 {
        return Err(NullError::Invalid {
            field: "batch",
            value: 0.0,
            expected: "at least 1",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_model_prefix_equals_a_fresh_replicate() {
        // A run with 4 models fills the cache; the 2-model run reuses its prefix and must
        // equal replicates computed from scratch without the cache.
        let mut d = NullDesign::new(
            40,
            20,
            30,
            3,
            Selection::Univariate,
            ModelKind::Logistic,
            Validation::Cv { folds: 4 },
        );
        d.models_compared = 4;
        let four = run_null(&d, 12, 77, None).unwrap();
        d.models_compared = 2;
        let two = run_null(&d, 12, 77, None).unwrap();
        let mut raised = 0;
        for r in 0..12 {
            let fresh = sim::replicate(&d, &mut stream(77, &format!("null/{r}"))).unwrap();
            assert_eq!(
                two.values[r].to_bits(),
                fresh.value.to_bits(),
                "replicate {r}"
            );
            assert!(four.values[r] >= two.values[r]);
            raised += usize::from(four.values[r] > two.values[r]);
        }
        // More models must raise the best value in some replicates (else the test is idle).
        assert!(raised > 0);
    }

    #[test]
    fn resumed_replicate_equals_a_fresh_one() {
        // A 2-model run fills the cache; the 5-model run resumes each replicate's stream
        // after model 2 and must equal 5-model replicates computed from scratch.
        let mut d = NullDesign::new(
            30,
            12,
            20,
            2,
            Selection::Univariate,
            ModelKind::Cox,
            Validation::Cv { folds: 3 },
        );
        d.models_compared = 2;
        run_null(&d, 6, 4242, None).unwrap();
        d.models_compared = 5;
        let five = run_null(&d, 6, 4242, None).unwrap();
        for r in 0..6 {
            let fresh = sim::replicate(&d, &mut stream(4242, &format!("null/{r}"))).unwrap();
            assert_eq!(five.values[r].to_bits(), fresh.value.to_bits(), "rep {r}");
        }
    }

    #[test]
    fn stand_in_selection_shares_the_univariate_replicates() {
        // LASSO is simulated by the univariate filter: a LASSO run after a univariate run
        // (cache hit) must equal replicates of the LASSO design computed from scratch.
        let mut d = NullDesign::new(
            36,
            12,
            25,
            3,
            Selection::Univariate,
            ModelKind::Logistic,
            Validation::Cv { folds: 3 },
        );
        let uni = run_null(&d, 8, 91, None).unwrap();
        d.selection = Selection::Lasso;
        let lasso = run_null(&d, 8, 91, None).unwrap();
        for r in 0..8 {
            let fresh = sim::replicate(&d, &mut stream(91, &format!("null/{r}"))).unwrap();
            assert_eq!(lasso.values[r].to_bits(), fresh.value.to_bits(), "rep {r}");
            assert_eq!(uni.values[r].to_bits(), fresh.value.to_bits(), "rep {r}");
        }
        // The notes still name the stand-in.
        assert!(lasso.notes.iter().any(|n| n.contains("LASSO")));
    }

    #[test]
    fn replayed_budget_equals_a_sequential_run() {
        // A claimed value low enough to stop early: the replay over the full budget must
        // keep the same replicates and reach the same result as the lazy run.
        let d = NullDesign::new(
            30,
            15,
            20,
            2,
            Selection::Univariate,
            ModelKind::Logistic,
            Validation::Apparent,
        );
        let rule = StopRule {
            batch: 10,
            min_reps: 20,
            h: 5,
            alpha: 0.05,
            z: 3.29,
        };
        let reps = 80;
        let lazy = run_null_with(&d, reps, 5, Some(0.6), &rule, &mut |_, _| {}).unwrap();
        assert!(lazy.stopped_early, "the test needs an early stop");
        let all: Vec<RepValue> = (0..reps)
            .map(|r| replicate_detail(&d, 5, r).unwrap())
            .collect();
        let replayed = summarise_replicates(&d, reps, Some(0.6), &rule, &all).unwrap();
        assert_eq!(replayed, lazy);
    }

    #[test]
    fn p_value_formula() {
        // Phipson & Smyth: no exceedance in 99 replicates gives 1/100, never 0.
        let (p, se) = p_value(0, 99);
        assert_eq!(p, 0.01);
        assert!((se - (0.01f64 * 0.99 / 100.0).sqrt()).abs() < 1e-15);
        assert_eq!(p_value(99, 99).0, 1.0);
        assert_eq!(p_value(4, 19).0, 0.25);
    }

    #[test]
    fn quantile_type7_matches_r() {
        // R: quantile(1:10, c(0.025, 0.5, 0.95)) = 1.225, 5.5, 9.55
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((quantile_sorted(&v, 0.025) - 1.225).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.5) - 5.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.95) - 9.55).abs() < 1e-12);
    }

    #[test]
    fn stops_at_h_exceedances() {
        let rule = StopRule {
            batch: 10,
            min_reps: 20,
            h: 5,
            alpha: 0.05,
            z: 3.29,
        };
        let mut v = vec![0.5; 30];
        v[3] = 0.9;
        v[7] = 0.9;
        assert_eq!(should_stop(&v[..20], 0.8, &rule, 100), None);
        for i in [21, 23, 25] {
            v[i] = 0.95;
        }
        assert_eq!(
            should_stop(&v, 0.8, &rule, 100),
            Some(StopReason::Exceedances)
        );
        // Too few replicates: never stop.
        assert_eq!(should_stop(&v[..10], 0.8, &rule, 100), None);
    }

    #[test]
    fn stops_when_clearly_below() {
        let rule = StopRule::default();
        let v = vec![0.5; 200];
        // b = 0, L = 200: p = 1/201, se = 0.0050; p + 3.29 se = 0.021 < 0.05.
        assert_eq!(
            should_stop(&v, 0.9, &rule, 1000),
            Some(StopReason::ClearlyBelow)
        );
        // b = 5 of 200: p = 0.030, se = 0.012, p + 3.29 se = 0.069: go on.
        let mut w = v.clone();
        for x in w.iter_mut().take(5) {
            *x = 0.95;
        }
        assert_eq!(should_stop(&w, 0.9, &rule, 1000), None);
    }
}
