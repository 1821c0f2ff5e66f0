//! Repeated stratified nested cross-validation of a [`Pipeline`], its leaky counterpart,
//! a y-permutation test of the whole pipeline, and train-on-one-cohort validation.
//!
//! # Design
//! For each repeat `r` the rows are split into `outer` stratified folds (by class, or by
//! event indicator for survival). For each outer fold, everything data-driven is fitted on
//! the outer training rows only: the ranking of columns, and the choice of `k`, `alpha`
//! and lambda by an inner stratified `inner`-fold cross-validation of the same pipeline
//! (ranking refitted inside every inner training fold). The inner criterion is the mean
//! held-out AUC (binary) or Harrell's C (survival) over inner folds with a defined value;
//! ties go to the smaller `k`, then the smaller `alpha` index, then the larger lambda. The
//! chosen configuration is refitted on the outer training rows and scored on the outer
//! test fold. With `leaky`, the ranking is computed once on all rows and reused in every
//! fold (the design error that inflates performance); standardisation and tuning stay
//! inside.
//!
//! # Metrics of an outer fold
//! Binary: ROC AUC of the linear predictor ([`crate::stats::roc`]), Brier score of the
//! predicted probability, calibration intercept (offset logistic) and slope
//! ([`crate::stats::calibration`]). Survival: Harrell's C with the linear predictor as risk
//! (higher = earlier event; a pair is comparable when the earlier time is an event, or the
//! times tie and the other row is censored; tied risks count 1/2), Uno's C with the
//! censoring Kaplan-Meier estimated on the held-out fold and no truncation (`tau` = none,
//! i.e. every held-out event time), and the calibration slope (Cox regression of the
//! held-out outcome on the linear predictor). A fold with one class (binary) or no
//! comparable pair (survival) has an undefined metric: it is counted and reported
//! (`undefined_folds`), never averaged in (CASE-07, CASE-09, CASE-10).
//!
//! # Summary and interval
//! The estimate is the mean of the outer-fold values over folds and repeats. Its 95%
//! interval is the percentile interval of the bootstrap bias-corrected cross-validation
//! (BBC-CV) of Tsamardinos, Greasidou & Borboudakis (2018), Machine Learning 107:1895,
//! Algorithm 1 with repeats: for `B` bootstrap samples of the rows, the configuration with
//! the best in-bag performance of the pooled out-of-fold predictions (averaged over
//! repeats) is chosen and its out-of-bag performance recorded; the mean of these is the
//! bias-corrected estimate (`bbc_estimate`) and their 2.5 and 97.5 percentiles the
//! interval. Every configuration's out-of-fold predictions come from the outer folds,
//! with selection fitted on the outer training rows. DeLong intervals are used only for
//! a single held-out cohort ([`external_validation`]), never for folds that share
//! training rows.
//!
//! # Reproducibility
//! Every repeat, fold, permutation and bootstrap draws from its own stream
//! `crate::stats::rng::stream(seed, label)`; tasks run in parallel and are collected in a
//! fixed order, and all reductions are sequential, so results are identical for any
//! thread count.
//!
//! # Limitations
//! No Brier score for survival (it needs a baseline hazard and a horizon).
// TODO(model): time-dependent Brier score (Graf et al. 1999) for survival outcomes.

use std::collections::BTreeMap;

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;

use crate::checkpoint::{ItemStore, NoStore};
use crate::model::cox::{self, Ties};
use crate::model::logistic::NewtonOptions;
use crate::model::penalized::PathFit;
use crate::model::pipeline::{Config, Family, Outcome, Pipeline, PipelineError};
use crate::shard::{f64_text, parse_f64_text};
use crate::stats::calibration;
use crate::stats::concordance::{harrell_c, uno_c};
use crate::stats::rng::stream;
use crate::stats::roc::{auc, delong};

/// A feature matrix with its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `n x p` features.
    pub x: Array2<f64>,
    /// Column names.
    pub names: Vec<String>,
    /// Outcome of each row.
    pub outcome: Outcome,
}

/// The resampling design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvDesign {
    /// Outer folds.
    pub outer: usize,
    /// Inner folds.
    pub inner: usize,
    /// Repeats of the outer split.
    pub repeats: usize,
    /// Seed of all random streams.
    pub seed: u64,
    /// Rank columns on all rows before splitting (the leak).
    pub leaky: bool,
    /// Given outer fold of each row (`0..outer`); forces one repeat.
    #[serde(skip)]
    pub given_folds: Option<Vec<usize>>,
    /// Bootstrap samples of BBC-CV (0 = no interval).
    pub bbc_resamples: usize,
}

/// Errors of cross-validation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CvError {
    /// A design value is out of range.
    #[error("{field} = {value} is invalid; expected {expected}")]
    Invalid {
        field: &'static str,
        value: String,
        expected: String,
    },
    /// The pipeline failed on a fold.
    #[error("repeat {repeat}, outer fold {fold}: {source}")]
    Fold {
        repeat: usize,
        fold: usize,
        #[source]
        source: PipelineError,
    },
    /// The pipeline is invalid or failed on the whole data.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The validation cohort has an undefined metric.
    #[error("validation cohort: {0}")]
    Validation(String),
    /// The checkpoint of a resumable run failed.
    #[error("{0}")]
    Checkpoint(String),
}

/// Summary of one metric over outer folds and repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Mean over folds with a defined value (NaN when none).
    pub mean: f64,
    /// Sample standard deviation over those folds.
    pub sd: f64,
    /// Folds with a defined value.
    pub n_defined: usize,
    /// Folds where the metric was undefined (not averaged in).
    pub n_undefined: usize,
}

/// What the inner loop chose for an outer fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    /// Columns kept (k).
    pub k: usize,
    /// Elastic-net mixing.
    pub alpha: f64,
    /// Lambda.
    pub lambda: f64,
    /// Non-zero coefficients of the refitted model.
    pub n_nonzero: usize,
    /// Mean inner-CV criterion of the chosen configuration (NaN without tuning).
    pub inner_score: f64,
}

/// One outer fold of one repeat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldResult {
    pub repeat: usize,
    pub fold: usize,
    /// Held-out rows.
    pub n_test: usize,
    /// Cases (binary) or events (survival) among them.
    pub n_positive: usize,
    /// Metric values, `None` when undefined on this fold.
    pub metrics: BTreeMap<String, Option<f64>>,
    /// Why the primary metric is undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undefined_reason: Option<String>,
    /// The configuration chosen by the inner loop.
    pub chosen: Chosen,
    /// Names of the columns with non-zero coefficients.
    pub selected: Vec<String>,
    /// Held-out row indices (for plots; not written).
    #[serde(skip)]
    pub rows: Vec<usize>,
    /// Held-out linear predictors, aligned with `rows` (for plots; not written).
    #[serde(skip)]
    pub scores: Vec<f64>,
}

/// The result of [`nested_cv`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvResult {
    /// `"auc"` or `"c_index"` (Harrell).
    pub metric: &'static str,
    /// Mean of the primary metric over defined outer folds and repeats.
    pub estimate: f64,
    /// BBC-CV percentile interval (NaN when not computed).
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// How the interval was computed.
    pub ci_method: String,
    /// BBC-CV bias-corrected estimate.
    pub bbc_estimate: f64,
    /// Whether the ranking leaked (computed on all rows).
    pub leaky: bool,
    /// Outer folds with an undefined primary metric.
    pub undefined_folds: usize,
    /// Summaries of every metric.
    pub summaries: BTreeMap<String, MetricSummary>,
    /// Mean of the primary metric per repeat.
    pub repeat_means: Vec<f64>,
    /// Every outer fold.
    pub folds: Vec<FoldResult>,
    /// How often each column was in a final model, over all outer fits (descending).
    pub selection_frequency: Vec<(String, usize)>,
}

/// A y-permutation null of the nested estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermutationResult {
    /// Permutations run.
    pub permutations: usize,
    /// The observed nested estimate.
    pub observed: f64,
    /// The nested estimate of every permutation, in order.
    pub values: Vec<f64>,
    /// Permutations with estimate `>=` observed.
    pub exceedances: usize,
    /// `(b + 1) / (R + 1)` (Phipson & Smyth 2010).
    pub p_value: f64,
    /// Mean of the null values.
    pub null_mean: f64,
}

/// The result of [`external_validation`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalResult {
    /// `"auc"` or `"c_index"`.
    pub metric: &'static str,
    /// Primary metric on the validation cohort.
    pub estimate: f64,
    /// DeLong 95% interval (binary; NaN for survival).
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Interval method.
    pub ci_method: &'static str,
    /// Every metric on the validation cohort.
    pub metrics: BTreeMap<String, Option<f64>>,
    /// Development and validation sizes.
    pub n_development: usize,
    pub n_validation: usize,
    /// Cases/events in the validation cohort.
    pub n_validation_positive: usize,
    /// Configuration chosen on the development cohort.
    pub chosen: Chosen,
    /// Non-zero columns of the final model.
    pub selected: Vec<String>,
    /// Validation linear predictors (for plots; not written).
    #[serde(skip)]
    pub scores: Vec<f64>,
}

/// Stratified assignment of `strata.len()` rows to `k` folds: the rows of each stratum
/// are shuffled with `rng` and dealt round-robin, the second stratum continuing where the
/// first stopped, so fold sizes differ by at most one and every fold holds
/// `floor` or `ceil` of each stratum's share.
pub fn stratified_folds(
    strata: &[bool],
    k: usize,
    rng: &mut crate::stats::rng::Stream,
) -> Vec<usize> {
    let mut fold = vec![0; strata.len()];
    let mut next = 0;
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..strata.len()).filter(|&i| strata[i] == class).collect();
        idx.shuffle(rng);
        for i in idx {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// Runs repeated stratified nested cross-validation (module docs).
///
/// # Errors
/// [`CvError::Invalid`] for a design that cannot give each fold both classes (fewer
/// members of the smaller class than folds), given folds out of range, or an invalid
/// pipeline; [`CvError::Fold`] when a fit fails on a fold.
pub fn nested_cv(data: &Dataset, pipe: &Pipeline, design: &CvDesign) -> Result<CvResult, CvError> {
    run(data, pipe, design, "cv", design.bbc_resamples)
}

/// The y-permutation null of the nested estimate: outcomes (or time-event pairs) are
/// permuted with stream `cv/perm/{i}` and the whole pipeline rerun with the same design
/// (its folds drawn from streams labelled by the permutation).
///
/// # Formula
/// `p = (b + 1) / (R + 1)` with `b` the permutations whose estimate is `>=` the observed
/// one (Phipson & Smyth 2010, Stat Appl Genet Mol Biol 9:39).
///
/// # Errors
/// As [`nested_cv`]; `permutations = 0` is invalid.
pub fn permutation_test(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    permutations: usize,
    observed: f64,
) -> Result<PermutationResult, CvError> {
    permutation_test_resumable(data, pipe, design, permutations, observed, &NoStore)
}

/// [`permutation_test`] that reuses the permutation estimates `store` holds (by id
/// `"perm/{i}"`, the estimate's exact text) and records each one it computes, so a resumed
/// run (`crate::checkpoint`) gives the same result as an uninterrupted one: permutation `i`
/// depends only on the seed and `i`.
///
/// # Errors
/// As [`permutation_test`]; [`CvError::Checkpoint`] when a record cannot be written or a
/// stored one does not parse.
pub fn permutation_test_resumable(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    permutations: usize,
    observed: f64,
    store: &dyn ItemStore,
) -> Result<PermutationResult, CvError> {
    if permutations == 0 {
        return Err(invalid("permutations", "0", "at least 1"));
    }
    let values: Vec<f64> = (0..permutations)
        .into_par_iter()
        .map(|i| {
            let id = format!("perm/{i}");
            if let Some(d) = store.get(&id) {
                return d
                    .as_str()
                    .map(parse_f64_text)
                    .and_then(Result::ok)
                    .ok_or_else(|| CvError::Checkpoint(store.malformed(&id, &d.to_string())));
            }
            let v = permutation_estimate(data, pipe, design, i)?;
            store
                .put(&id, &serde_json::Value::String(f64_text(v)))
                .map_err(|e| CvError::Checkpoint(e.to_string()))?;
            Ok(v)
        })
        .collect::<Result<_, _>>()?;
    let b = values.iter().filter(|&&v| v >= observed).count();
    let defined: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    Ok(PermutationResult {
        permutations,
        observed,
        exceedances: b,
        p_value: (b as f64 + 1.0) / (permutations as f64 + 1.0),
        null_mean: defined.iter().sum::<f64>() / defined.len().max(1) as f64,
        values,
    })
}

/// The nested estimate of permutation `i` (stream `cv/perm/{i}`).
fn permutation_estimate(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    i: usize,
) -> Result<f64, CvError> {
    let mut rng = stream(design.seed, &format!("cv/perm/{i}"));
    let mut perm: Vec<usize> = (0..data.outcome.len()).collect();
    perm.shuffle(&mut rng);
    let permuted = Dataset {
        x: data.x.clone(),
        names: data.names.clone(),
        outcome: data.outcome.permuted(&perm),
    };
    let mut d = design.clone();
    d.given_folds = None;
    run(&permuted, pipe, &d, &format!("cv/perm/{i}"), 0).map(|r| r.estimate)
}

/// Trains the pipeline on all rows of `dev` (tuning by `design.inner`-fold CV on `dev`)
/// and scores every row of `val`, whose columns must be `dev`'s in the same order.
///
/// Binary outcomes get the DeLong 95% interval of the validation AUC (one held-out
/// cohort, so DeLong applies); survival outcomes get Harrell's and Uno's C without an
/// interval.
///
/// # Errors
/// [`CvError::Invalid`] when the column names differ; pipeline errors; a validation
/// cohort with an undefined metric.
pub fn external_validation(
    dev: &Dataset,
    val: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
) -> Result<ExternalResult, CvError> {
    if dev.names != val.names {
        return Err(invalid(
            "validation columns",
            &format!("{} columns", val.names.len()),
            "the development table's feature columns in the same order",
        ));
    }
    pipe.validate(&dev.outcome)?;
    pipe.validate(&val.outcome)?;
    let train: Vec<usize> = (0..dev.outcome.len()).collect();
    let tuned = tune_and_fit(dev, pipe, design, &train, None, "cv/external")?;
    let test: Vec<usize> = (0..val.outcome.len()).collect();
    let scores = tuned
        .path
        .predict(tuned.config.lambda_index, val.x.view(), &test, &tuned.cols);
    let (metrics, undefined) = fold_metrics(&val.outcome, &test, &scores);
    let primary = primary_name(&val.outcome);
    let estimate = metrics
        .get(primary)
        .copied()
        .flatten()
        .ok_or_else(|| CvError::Validation(undefined.unwrap_or_default()))?;
    let (ci_lower, ci_upper, ci_method) = match &val.outcome {
        Outcome::Binary(y) => match delong(&scores, y) {
            Ok(d) => (d.ci_lower, d.ci_upper, "delong"),
            Err(_) => (
                f64::NAN,
                f64::NAN,
                "none (DeLong needs 2 cases and 2 controls)",
            ),
        },
        Outcome::Survival { .. } => (f64::NAN, f64::NAN, "none"),
    };
    let selected = nonzero_names(&tuned, &dev.names);
    Ok(ExternalResult {
        metric: metric_label(&val.outcome),
        estimate,
        ci_lower,
        ci_upper,
        ci_method,
        metrics,
        n_development: dev.outcome.len(),
        n_validation: val.outcome.len(),
        n_validation_positive: val.outcome.strata().iter().filter(|&&v| v).count(),
        chosen: tuned.chosen,
        selected,
        scores,
    })
}

fn invalid(field: &'static str, value: &str, expected: &str) -> CvError {
    CvError::Invalid {
        field,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn metric_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Binary(_) => "auc",
        Outcome::Survival { .. } => "c_index",
    }
}

fn primary_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Binary(_) => "auc",
        Outcome::Survival { .. } => "harrell_c",
    }
}

/// Checks the design against the data.
fn validate(data: &Dataset, pipe: &Pipeline, design: &CvDesign) -> Result<(), CvError> {
    pipe.validate(&data.outcome)?;
    let strata = data.outcome.strata();
    let n1 = strata.iter().filter(|&&v| v).count();
    let minority = n1.min(strata.len() - n1);
    let minority = match data.outcome {
        Outcome::Binary(_) => minority,
        Outcome::Survival { .. } => n1,
    };
    if design.outer < 2 {
        return Err(invalid(
            "outer",
            &design.outer.to_string(),
            "at least 2 folds",
        ));
    }
    if design.repeats == 0 {
        return Err(invalid("repeats", "0", "at least 1"));
    }
    if pipe.needs_tuning() && design.inner < 2 {
        return Err(invalid(
            "inner",
            &design.inner.to_string(),
            "at least 2 folds",
        ));
    }
    if let Some(f) = &design.given_folds {
        if f.len() != strata.len() || f.iter().any(|&v| v >= design.outer) {
            return Err(invalid(
                "given folds",
                &format!("{} labels", f.len()),
                &format!("one label in 0..{} per row", design.outer),
            ));
        }
    } else if minority < design.outer {
        return Err(invalid(
            "outer",
            &design.outer.to_string(),
            &format!(
                "at most {minority} folds (the smaller class / the events), so every \
                 held-out fold can hold both"
            ),
        ));
    }
    if let Some(p) = &pipe.prefilter {
        if p.is_empty() || p.iter().any(|&c| c >= data.x.ncols()) {
            return Err(invalid(
                "prefilter",
                &format!("{} columns", p.len()),
                "columns of the table",
            ));
        }
    }
    Ok(())
}

/// One outer fit: configuration chosen, refitted path and its columns.
struct Tuned {
    config: Config,
    cols: Vec<usize>,
    path: PathFit,
    chosen: Chosen,
    /// Every (k, alpha) path refitted on the training rows, for BBC-CV: (config base,
    /// columns, path).
    all: Vec<(usize, usize, Vec<usize>, PathFit)>,
}

fn nonzero_names(t: &Tuned, names: &[String]) -> Vec<String> {
    t.cols
        .iter()
        .zip(&t.path.coefs[t.config.lambda_index])
        .filter(|(_, b)| **b != 0.0)
        .map(|(&c, _)| names[c].clone())
        .collect()
}

/// Held-out value of the inner criterion, `None` when undefined.
fn criterion(outcome: &Outcome, rows: &[usize], scores: &[f64]) -> Option<f64> {
    match outcome {
        Outcome::Binary(y) => {
            let yy: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
            auc(scores, &yy).ok()
        }
        Outcome::Survival { time, event } => {
            let t: Vec<f64> = rows.iter().map(|&r| time[r]).collect();
            let e: Vec<bool> = rows.iter().map(|&r| event[r]).collect();
            harrell_c(&t, &e, scores).ok().map(|c| c.c)
        }
    }
}

/// Chooses the configuration on `train` by inner CV and refits it (module docs).
fn tune_and_fit(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    train: &[usize],
    leaky_ranking: Option<&[usize]>,
    tag: &str,
) -> Result<Tuned, PipelineError> {
    let x = data.x.view();
    let outcome = &data.outcome;
    let ranking = match leaky_ranking {
        Some(r) => r.to_vec(),
        None => pipe.rank(x, outcome, train)?,
    };
    let (nk, na) = (pipe.n_k(), pipe.alpha_grid.len());

    // Lambda sequences from the training rows, shared by the inner folds.
    let mut lambdas = vec![vec![Vec::new(); na]; nk];
    for (ki, row) in lambdas.iter_mut().enumerate() {
        let cols = pipe.columns(&ranking, ki);
        for (ai, l) in row.iter_mut().enumerate() {
            *l = pipe.lambdas(x, outcome, train, &cols, ai)?;
        }
    }
    let nl = lambdas[0][0].len();

    // Inner CV: sum and count of the criterion per configuration.
    let mut best = Config {
        k_index: 0,
        alpha_index: 0,
        lambda_index: nl - 1,
    };
    let mut inner_score = f64::NAN;
    if pipe.needs_tuning() {
        let strata: Vec<bool> = train.iter().map(|&r| outcome.strata()[r]).collect();
        let inner_k = design
            .inner
            .min(strata.iter().filter(|&&v| v).count().max(2));
        let mut rng = stream(design.seed, &format!("{tag}/inner"));
        let folds = stratified_folds(&strata, inner_k, &mut rng);
        let mut sum = vec![vec![vec![0.0; nl]; na]; nk];
        let mut cnt = vec![vec![vec![0usize; nl]; na]; nk];
        for f in 0..inner_k {
            let itrain: Vec<usize> = (0..train.len())
                .filter(|&i| folds[i] != f)
                .map(|i| train[i])
                .collect();
            let itest: Vec<usize> = (0..train.len())
                .filter(|&i| folds[i] == f)
                .map(|i| train[i])
                .collect();
            let iranking = match leaky_ranking {
                Some(r) => r.to_vec(),
                None => match pipe.rank(x, outcome, &itrain) {
                    Ok(r) => r,
                    Err(_) => continue,
                },
            };
            for ki in 0..nk {
                let cols = pipe.columns(&iranking, ki);
                for ai in 0..na {
                    let Ok(path) = pipe.fit(x, outcome, &itrain, &cols, ai, &lambdas[ki][ai])
                    else {
                        continue;
                    };
                    for li in 0..path.lambdas.len() {
                        let s = path.predict(li, x, &itest, &cols);
                        if let Some(v) = criterion(outcome, &itest, &s) {
                            sum[ki][ai][li] += v;
                            cnt[ki][ai][li] += 1;
                        }
                    }
                }
            }
        }
        let mut best_val = f64::NEG_INFINITY;
        for ki in 0..nk {
            for ai in 0..na {
                for li in 0..nl {
                    if cnt[ki][ai][li] == 0 {
                        continue;
                    }
                    let m = sum[ki][ai][li] / cnt[ki][ai][li] as f64;
                    if m > best_val + 1e-12 {
                        best_val = m;
                        best = Config {
                            k_index: ki,
                            alpha_index: ai,
                            lambda_index: li,
                        };
                    }
                }
            }
        }
        if best_val.is_finite() {
            inner_score = best_val;
        } else {
            tracing::warn!(
                "{tag}: no inner fold had a defined criterion; using the smallest lambda"
            );
        }
    }

    // Refit every (k, alpha) on the training rows (the chosen one is the model; all are
    // kept for BBC-CV).
    let mut all = Vec::with_capacity(nk * na);
    for ki in 0..nk {
        let cols = pipe.columns(&ranking, ki);
        for ai in 0..na {
            let path = pipe.fit(x, outcome, train, &cols, ai, &lambdas[ki][ai])?;
            all.push((ki, ai, cols.clone(), path));
        }
    }
    let pos = best.k_index * na + best.alpha_index;
    let (_, _, cols, path) = all[pos].clone();
    let li = best.lambda_index.min(path.lambdas.len() - 1);
    let chosen = Chosen {
        k: cols.len(),
        alpha: pipe.alpha_grid[best.alpha_index],
        lambda: path.lambdas[li],
        n_nonzero: path.coefs[li].iter().filter(|&&b| b != 0.0).count(),
        inner_score,
    };
    Ok(Tuned {
        config: Config {
            lambda_index: li,
            ..best
        },
        cols,
        path,
        chosen,
        all,
    })
}

/// Metrics of held-out `rows` scored `lp` (module docs) and why the primary one is
/// undefined, if it is.
fn fold_metrics(
    outcome: &Outcome,
    rows: &[usize],
    lp: &[f64],
) -> (BTreeMap<String, Option<f64>>, Option<String>) {
    let mut m = BTreeMap::new();
    let mut reason = None;
    match outcome {
        Outcome::Binary(y) => {
            let yy: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
            let a = match auc(lp, &yy) {
                Ok(v) => Some(v),
                Err(e) => {
                    reason = Some(e.to_string());
                    None
                }
            };
            m.insert("auc".to_string(), a);
            let p: Vec<f64> = lp.iter().map(|&e| 1.0 / (1.0 + (-e).exp())).collect();
            m.insert("brier".to_string(), calibration::brier(&p, &yy).ok());
            m.insert(
                "calibration_intercept".to_string(),
                calibration::calibration_intercept(lp, &yy).ok(),
            );
            m.insert(
                "calibration_slope".to_string(),
                calibration::calibration_slope(lp, &yy).ok(),
            );
        }
        Outcome::Survival { time, event } => {
            let t: Vec<f64> = rows.iter().map(|&r| time[r]).collect();
            let e: Vec<bool> = rows.iter().map(|&r| event[r]).collect();
            let h = match harrell_c(&t, &e, lp) {
                Ok(c) => Some(c.c),
                Err(err) => {
                    reason = Some(err.to_string());
                    None
                }
            };
            m.insert("harrell_c".to_string(), h);
            m.insert(
                "uno_c".to_string(),
                uno_c(&t, &e, lp, None).ok().map(|u| u.c),
            );
            m.insert(
                "calibration_slope".to_string(),
                cox_calibration_slope(&t, &e, lp),
            );
        }
    }
    (m, reason)
}

/// Slope of the Cox regression of the held-out outcome on the linear predictor (Efron
/// ties, unpenalised); `None` when it does not converge or the fold has no event.
///
/// # Reference
/// Van Houwelingen (2000), Stat Med 19:3401 (calibration slope of a survival model).
fn cox_calibration_slope(t: &[f64], e: &[bool], lp: &[f64]) -> Option<f64> {
    let x = Array2::from_shape_vec((lp.len(), 1), lp.to_vec()).ok()?;
    let f = cox::fit(
        x.view(),
        t,
        e,
        Ties::Efron,
        f64::INFINITY,
        NewtonOptions::default(),
    )
    .ok()?;
    f.info.converged.then_some(f.coef[0])
}

/// Result of one (repeat, outer fold) task.
struct OuterFold {
    result: FoldResult,
    /// Out-of-fold linear predictors of every configuration: (k, alpha, lambda) flattened
    /// as `(ki * na + ai) * nl + li`, each aligned with `result.rows`.
    all_scores: Vec<Vec<f64>>,
}

fn outer_fold(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    tag: &str,
    repeat: usize,
    fold: usize,
    folds: &[usize],
    leaky: Option<&[usize]>,
) -> Result<OuterFold, CvError> {
    let train: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] != fold).collect();
    let test: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] == fold).collect();
    let tuned = tune_and_fit(
        data,
        pipe,
        design,
        &train,
        leaky,
        &format!("{tag}/r{repeat}/f{fold}"),
    )
    .map_err(|source| CvError::Fold {
        repeat,
        fold,
        source,
    })?;
    let x = data.x.view();
    let scores = tuned
        .path
        .predict(tuned.config.lambda_index, x, &test, &tuned.cols);
    let (metrics, undefined_reason) = fold_metrics(&data.outcome, &test, &scores);
    let mut all_scores = Vec::new();
    for (_, _, cols, path) in &tuned.all {
        for li in 0..path.lambdas.len() {
            all_scores.push(path.predict(li, x, &test, cols));
        }
    }
    let selected = nonzero_names(&tuned, &data.names);
    let n_positive = test.iter().filter(|&&r| data.outcome.strata()[r]).count();
    Ok(OuterFold {
        result: FoldResult {
            repeat,
            fold,
            n_test: test.len(),
            n_positive,
            metrics,
            undefined_reason,
            chosen: tuned.chosen,
            selected,
            rows: test,
            scores,
        },
        all_scores,
    })
}

fn run(
    data: &Dataset,
    pipe: &Pipeline,
    design: &CvDesign,
    tag: &str,
    bbc: usize,
) -> Result<CvResult, CvError> {
    validate(data, pipe, design)?;
    let repeats = if design.given_folds.is_some() {
        1
    } else {
        design.repeats
    };
    let all_rows: Vec<usize> = (0..data.outcome.len()).collect();
    let leaky_ranking = if design.leaky {
        Some(pipe.rank(data.x.view(), &data.outcome, &all_rows)?)
    } else {
        None
    };

    // Fold labels per repeat.
    let fold_labels: Vec<Vec<usize>> = (0..repeats)
        .map(|r| match &design.given_folds {
            Some(f) => f.clone(),
            None => {
                let mut rng = stream(design.seed, &format!("{tag}/repeat/{r}"));
                stratified_folds(data.outcome.strata(), design.outer, &mut rng)
            }
        })
        .collect();
    let tasks: Vec<(usize, usize)> = (0..repeats)
        .flat_map(|r| (0..design.outer).map(move |f| (r, f)))
        .collect();
    let outs: Vec<OuterFold> = tasks
        .par_iter()
        .map(|&(r, f)| {
            outer_fold(
                data,
                pipe,
                design,
                tag,
                r,
                f,
                &fold_labels[r],
                leaky_ranking.as_deref(),
            )
        })
        .collect::<Result<_, _>>()?;

    summarise(data, design, outs, repeats, bbc)
}

fn summarise(
    data: &Dataset,
    design: &CvDesign,
    outs: Vec<OuterFold>,
    repeats: usize,
    bbc: usize,
) -> Result<CvResult, CvError> {
    let primary = primary_name(&data.outcome);
    let mut summaries = BTreeMap::new();
    let names: Vec<String> = outs
        .first()
        .map(|o| o.result.metrics.keys().cloned().collect())
        .unwrap_or_default();
    for name in &names {
        let vals: Vec<f64> = outs
            .iter()
            .filter_map(|o| o.result.metrics.get(name).copied().flatten())
            .collect();
        summaries.insert(name.clone(), summary(&vals, outs.len()));
    }
    let estimate = summaries.get(primary).map_or(f64::NAN, |s| s.mean);
    let undefined_folds = summaries.get(primary).map_or(0, |s| s.n_undefined);
    if undefined_folds > 0 {
        tracing::warn!(
            "{undefined_folds} outer fold(s) had an undefined {primary}; they are counted, \
             not averaged in"
        );
    }
    let repeat_means: Vec<f64> = (0..repeats)
        .map(|r| {
            let v: Vec<f64> = outs
                .iter()
                .filter(|o| o.result.repeat == r)
                .filter_map(|o| o.result.metrics.get(primary).copied().flatten())
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        })
        .collect();

    // Selection frequency over the outer fits.
    let mut freq: BTreeMap<String, usize> = BTreeMap::new();
    for o in &outs {
        for s in &o.result.selected {
            *freq.entry(s.clone()).or_default() += 1;
        }
    }
    let mut selection_frequency: Vec<(String, usize)> = freq.into_iter().collect();
    selection_frequency.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let (bbc_estimate, ci_lower, ci_upper) = if bbc > 0 {
        bbc_cv(data, &outs, repeats, bbc, design.seed)
    } else {
        (f64::NAN, f64::NAN, f64::NAN)
    };
    let ci_method = if bbc > 0 {
        format!(
            "BBC-CV percentile, {bbc} bootstrap samples (Tsamardinos, Greasidou & \
             Borboudakis 2018)"
        )
    } else {
        "none".to_string()
    };
    Ok(CvResult {
        metric: metric_label(&data.outcome),
        estimate,
        ci_lower,
        ci_upper,
        ci_method,
        bbc_estimate,
        leaky: design.leaky,
        undefined_folds,
        summaries,
        repeat_means,
        folds: outs.into_iter().map(|o| o.result).collect(),
        selection_frequency,
    })
}

fn summary(vals: &[f64], total: usize) -> MetricSummary {
    let n = vals.len();
    let mean = if n > 0 {
        vals.iter().sum::<f64>() / n as f64
    } else {
        f64::NAN
    };
    let sd = if n > 1 {
        (vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    MetricSummary {
        mean,
        sd,
        n_defined: n,
        n_undefined: total - n,
    }
}

/// BBC-CV (module docs): returns (bias-corrected estimate, 2.5% and 97.5% percentiles).
fn bbc_cv(
    data: &Dataset,
    outs: &[OuterFold],
    repeats: usize,
    b: usize,
    seed: u64,
) -> (f64, f64, f64) {
    let n = data.outcome.len();
    let n_cfg = outs.first().map_or(0, |o| o.all_scores.len());
    // Pooled out-of-fold predictions per repeat and configuration.
    let mut pooled = vec![vec![vec![f64::NAN; n]; n_cfg]; repeats];
    for o in outs {
        for (c, s) in o.all_scores.iter().enumerate() {
            for (&row, &v) in o.result.rows.iter().zip(s) {
                pooled[o.result.repeat][c][row] = v;
            }
        }
    }
    let perf = |r: usize, c: usize, rows: &[usize]| -> Option<f64> {
        let s: Vec<f64> = rows.iter().map(|&i| pooled[r][c][i]).collect();
        criterion(&data.outcome, rows, &s)
    };
    let values: Vec<f64> = (0..b)
        .into_par_iter()
        .filter_map(|bi| {
            let mut rng = stream(seed, &format!("cv/bbc/{bi}"));
            let mut count = vec![0usize; n];
            for _ in 0..n {
                count[rng.random_range(0..n)] += 1;
            }
            let inbag: Vec<usize> = (0..n)
                .flat_map(|i| std::iter::repeat_n(i, count[i]))
                .collect();
            let oob: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
            let mut best = (f64::NEG_INFINITY, 0);
            for c in 0..n_cfg {
                let v: Vec<f64> = (0..repeats).filter_map(|r| perf(r, c, &inbag)).collect();
                if v.is_empty() {
                    continue;
                }
                let m = v.iter().sum::<f64>() / v.len() as f64;
                if m > best.0 + 1e-12 {
                    best = (m, c);
                }
            }
            let v: Vec<f64> = (0..repeats).filter_map(|r| perf(r, best.1, &oob)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    if values.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = (sorted.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = h.ceil() as usize;
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    };
    (
        values.iter().sum::<f64>() / values.len() as f64,
        q(0.025),
        q(0.975),
    )
}

/// The family's label for reports.
pub fn family_label(f: Family) -> &'static str {
    match f {
        Family::Logistic => "logistic",
        Family::Cox(Ties::Breslow) => "cox-breslow",
        Family::Cox(Ties::Efron) => "cox-efron",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pipeline::{LambdaRule, Ranker};

    #[test]
    fn stratified_folds_balance_each_class() {
        let strata: Vec<bool> = (0..23).map(|i| i < 8).collect();
        let mut rng = stream(1, "t");
        let f = stratified_folds(&strata, 5, &mut rng);
        for k in 0..5 {
            let pos = (0..23).filter(|&i| f[i] == k && strata[i]).count();
            let all = (0..23).filter(|&i| f[i] == k).count();
            assert!((1..=2).contains(&pos), "fold {k}: {pos} cases");
            assert!((4..=5).contains(&all), "fold {k}: {all} rows");
        }
    }

    fn pipe() -> Pipeline {
        Pipeline {
            prefilter: None,
            ranker: Ranker::T,
            prune_correlation: None,
            k_grid: vec![2],
            alpha_grid: vec![1.0],
            family: Family::Logistic,
            lambda: LambdaRule::Path {
                n_lambda: 10,
                min_ratio: None,
            },
            standardize: true,
        }
    }

    #[test]
    fn single_class_fold_is_counted_not_averaged() {
        // Given folds put every case in folds 0 and 1: folds 2 has controls only.
        let n = 30;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            ((i * 7 + j * 3) % 11) as f64 + if i < 10 { 3.0 } else { 0.0 }
        });
        let y: Vec<bool> = (0..n).map(|i| i < 10).collect();
        let folds: Vec<usize> = (0..n).map(|i| if i < 10 { i % 2 } else { i % 3 }).collect();
        let data = Dataset {
            x,
            names: vec!["a".into(), "b".into(), "c".into()],
            outcome: Outcome::Binary(y),
        };
        let design = CvDesign {
            outer: 3,
            inner: 3,
            repeats: 1,
            seed: 1,
            leaky: false,
            given_folds: Some(folds),
            bbc_resamples: 0,
        };
        let r = nested_cv(&data, &pipe(), &design).unwrap();
        assert_eq!(r.undefined_folds, 1);
        let f2 = &r.folds[2];
        assert!(f2.metrics["auc"].is_none());
        assert!(f2
            .undefined_reason
            .as_deref()
            .unwrap()
            .contains("undefined"));
        let defined: Vec<f64> = r.folds.iter().filter_map(|f| f.metrics["auc"]).collect();
        assert_eq!(defined.len(), 2);
        assert!((r.estimate - (defined[0] + defined[1]) / 2.0).abs() < 1e-15);
    }
}
