//! One replicate of a null simulation: random features, the outcome, the stated pipeline.
//!
//! # Data model
//! - Features: `n x p` standard normal, independent of the outcome. With
//!   `feature_correlation = (rho, block)`, features in the same block share a factor:
//!   `x_ij = sqrt(rho) z_i,b(j) + sqrt(1 - rho) e_ij` (exchangeable within blocks).
//! - Binary outcome: exactly `events` cases; which rows they are does not matter because
//!   the features are exchangeable and independent of the outcome.
//! - Survival outcome: event times `T_i ~ Exp(1)` and censoring times `C_i ~ Exp(1) s`,
//!   independent of the features and of each other, with the scale `s` chosen so exactly
//!   `events` rows have `T_i < s C_i` (midway between the `events`-th and next smallest
//!   ratio `T_i / C_i`). Observed time `min(T_i, s C_i)`.
//!
//! # Pipeline
//! Selection ([`crate::model::select`]) on the training rows (or on all rows when the
//! selection leaks), then L2 logistic regression or ridge Cox (Efron ties) with inverse
//! penalty `C`, scored by the linear predictor: ROC AUC for binary outcomes, Harrell's C
//! for survival. Features are not re-standardised inside the pipeline: they are standard
//! normal by construction.
//!
//! # Drawing only what the filter selects
//! For iid features, a binary outcome and the |t| filter in an apparent, cross-validated
//! or split design, a model's features are drawn through their (group, class) cell
//! summaries and only the selected columns are completed ([`crate::null::cells`]): the
//! same distribution as drawing all `n x p` values, for `O(cells)` draws per unselected
//! column. The test `cells_path_matches_the_full_draw_in_distribution` compares both.
//!
//! # Preprocessing leak
//! `preprocessing_before_split` simulates SMOTE (Chawla et al. 2002, JAIR 16:321)
//! fitted on all rows before the split: synthetic minority rows `x_i + u (x_nn - x_i)`,
//! `u ~ U(0, 1)`, `x_nn` one of the 5 nearest minority neighbours of `x_i` (Euclidean, all
//! candidates), added until the classes are balanced; the split, folds or bootstrap then
//! run on the augmented rows, so held-out rows have near copies in the training rows. It
//! is the preprocessing leak that inflates a null result most: normalisation or ComBat
//! fitted on all rows apply the same affine map to training and test rows of features
//! that are already standard, and change the null distribution negligibly, so they are not
//! simulated separately. A balanced cohort gets no synthetic rows (no leak), and survival
//! outcomes have no standard SMOTE (not simulated; `run_null` records a note).

use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rand_distr::{Exp1, StandardNormal};

use crate::model::cox::{self, CoxFit, Ties};
use crate::model::fold_t::FoldT;
use crate::model::logistic::{self, LogisticFit, NewtonOptions};
use crate::model::outcome::Outcome;
use crate::model::select::{self, Selection};
use crate::null::cells;
use crate::null::design::{FeatureCorrelation, ModelKind, NullDesign, Validation};
use crate::null::NullError;
use crate::stats::rng::Stream;

/// Result of a cross-validation run with given folds.
#[derive(Debug, Clone, PartialEq)]
pub struct CvRun {
    /// The metric of each fold (`None` when the held-out fold has one class / no
    /// comparable pair), in fold order.
    pub fold_values: Vec<Option<f64>>,
    /// Mean over the folds with a defined metric (`None` when no fold has one).
    pub mean: Option<f64>,
    /// Folds left out of the mean.
    pub undefined_folds: usize,
    /// The columns selected once on all rows (leaky runs only), largest statistic first.
    pub leaky_selected: Option<Vec<usize>>,
}

/// A fitted model of either family.
enum Fitted {
    Logistic(LogisticFit),
    Cox(CoxFit),
}

impl Fitted {
    fn score(&self, x: ArrayView2<f64>, rows: &[usize], cols: &[usize]) -> Vec<f64> {
        let coef = match self {
            Fitted::Logistic(f) => &f.coef,
            Fitted::Cox(f) => &f.coef,
        };
        let intercept = match self {
            Fitted::Logistic(f) => f.intercept,
            Fitted::Cox(_) => 0.0,
        };
        rows.iter()
            .map(|&r| {
                intercept
                    + cols
                        .iter()
                        .zip(coef.iter())
                        .map(|(&c, b)| x[[r, c]] * b)
                        .sum::<f64>()
            })
            .collect()
    }
}

/// The value of one replicate and the folds or bootstrap samples it could not use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepValue {
    pub value: f64,
    pub undefined: usize,
}

/// Cross-validation of the binary pipeline (top-`k` |t| selection, L2 logistic with
/// inverse penalty `c`, fold AUC) with the given fold labels `0..n_folds`.
///
/// `leaky = true` selects once on all rows before the folds; else inside each training
/// fold. This is the pipeline of AUDIT.md check 1 for cross-validated binary claims,
/// exposed so it can be checked on reference data with known folds.
///
/// # Errors
/// [`NullError`] for fold labels outside `0..n_folds`, selection or fit errors.
pub fn cv_binary_with_folds(
    x: ArrayView2<f64>,
    y: &[bool],
    folds: &[usize],
    n_folds: usize,
    k: usize,
    leaky: bool,
    c: f64,
) -> Result<CvRun, NullError> {
    let outcome = Outcome::Binary(y.to_vec());
    let pipe = Pipeline {
        selection: Selection::Univariate,
        k,
        model: ModelKind::Logistic,
        c,
    };
    pipe.cv(x, &outcome, folds, n_folds, leaky)
}

/// Draws `n x p` random features (see the module docs for the correlation model).
pub(crate) fn draw_features(
    rng: &mut Stream,
    n: usize,
    p: usize,
    corr: FeatureCorrelation,
) -> Array2<f64> {
    let mut x = Array2::<f64>::zeros((n, p));
    for v in x.iter_mut() {
        *v = rng.sample(StandardNormal);
    }
    if corr.rho > 0.0 {
        let block = if corr.block == 0 { p } else { corr.block };
        let n_blocks = p.div_ceil(block);
        let a = corr.rho.sqrt();
        let b = (1.0 - corr.rho).sqrt();
        for mut row in x.rows_mut() {
            let z: Vec<f64> = (0..n_blocks).map(|_| rng.sample(StandardNormal)).collect();
            for (j, v) in row.iter_mut().enumerate() {
                *v = a * z[j / block] + b * *v;
            }
        }
    }
    x
}

/// Survival outcome with exactly `events` events (module docs); `lp` is the linear
/// predictor of each row (hazard `exp(lp_i)`), or `None` for no covariate effect.
pub fn draw_survival(
    rng: &mut Stream,
    n: usize,
    events: usize,
    lp: Option<&[f64]>,
) -> (Vec<f64>, Vec<bool>) {
    let t: Vec<f64> = (0..n)
        .map(|i| {
            let e: f64 = rng.sample(Exp1);
            e / lp.map_or(1.0, |l| l[i].exp())
        })
        .collect();
    let c: Vec<f64> = (0..n).map(|_| rng.sample(Exp1)).collect();

    // Scale s so that exactly `events` ratios T/C fall below it.
    let mut ratio: Vec<f64> = t.iter().zip(&c).map(|(t, c)| t / c).collect();
    ratio.sort_by(f64::total_cmp);
    let s = if events >= n {
        f64::INFINITY
    } else if events == 0 {
        ratio[0] * 0.5
    } else {
        0.5 * (ratio[events - 1] + ratio[events])
    };
    let event: Vec<bool> = t.iter().zip(&c).map(|(t, c)| t / c < s).collect();
    let time: Vec<f64> = t.iter().zip(&c).map(|(t, c)| t.min(s * c)).collect();
    (time, event)
}

/// Stratified fold labels `0..k`: each stratum is shuffled and dealt round-robin, the
/// count continuing across strata so fold sizes differ by at most one.
pub(crate) fn stratified_folds(rng: &mut Stream, strata: &[bool], k: usize) -> Vec<usize> {
    let mut folds = vec![0; strata.len()];
    let mut next = 0;
    for s in [true, false] {
        let mut idx: Vec<usize> = (0..strata.len()).filter(|&i| strata[i] == s).collect();
        shuffle(rng, &mut idx);
        for i in idx {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

/// Stratified split: `round(f n_s)` rows of each stratum to training.
fn stratified_split(rng: &mut Stream, strata: &[bool], f: f64) -> (Vec<usize>, Vec<usize>) {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for s in [true, false] {
        let mut idx: Vec<usize> = (0..strata.len()).filter(|&i| strata[i] == s).collect();
        shuffle(rng, &mut idx);
        let n_train = (idx.len() as f64 * f).round() as usize;
        train.extend_from_slice(&idx[..n_train]);
        test.extend_from_slice(&idx[n_train..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Fisher-Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P).
fn shuffle(rng: &mut Stream, v: &mut [usize]) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// SMOTE oversampling of the minority class to balance (module docs).
fn smote(rng: &mut Stream, x: &Array2<f64>, y: &[bool]) -> (Array2<f64>, Vec<bool>) {
    const NEIGHBOURS: usize = 5;
    let n1 = y.iter().filter(|&&v| v).count();
    let minority_class = n1 * 2 < y.len();
    let minority: Vec<usize> = (0..y.len()).filter(|&i| y[i] == minority_class).collect();
    let n_syn = y.len() - 2 * minority.len();
    if n_syn == 0 || minority.len() < 2 {
        return (x.clone(), y.to_vec());
    }

    // k nearest minority neighbours of each minority row.
    let k = NEIGHBOURS.min(minority.len() - 1);
    let neighbours: Vec<Vec<usize>> = minority
        .iter()
        .map(|&i| {
            let mut d: Vec<(f64, usize)> = minority
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| {
                    let dist: f64 = x
                        .row(i)
                        .iter()
                        .zip(x.row(j).iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (dist, j)
                })
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d.iter().take(k).map(|&(_, j)| j).collect()
        })
        .collect();

    let p = x.ncols();
    let mut out = Array2::<f64>::zeros((y.len() + n_syn, p));
    out.slice_mut(ndarray::s![..y.len(), ..]).assign(x);
    let mut labels = y.to_vec();
    for s in 0..n_syn {
        let m = s % minority.len();
        let i = minority[m];
        let j = neighbours[m][rng.random_range(0..k)];
        let u: f64 = rng.random();
        for c in 0..p {
            out[[y.len() + s, c]] = x[[i, c]] + u * (x[[j, c]] - x[[i, c]]);
        }
        labels.push(minority_class);
    }
    (out, labels)
}

/// The modelling steps shared by every design.
#[derive(Debug, Clone, Copy)]
struct Pipeline {
    selection: Selection,
    k: usize,
    model: ModelKind,
    c: f64,
}

impl Pipeline {
    fn from_design(d: &NullDesign) -> Self {
        Self {
            selection: d.selection,
            k: d.selected,
            model: d.model,
            c: d.penalty_c,
        }
    }

    /// Selected columns on `rows`.
    fn select(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
    ) -> Result<Vec<usize>, NullError> {
        if self.selection == Selection::None {
            return Ok((0..x.ncols()).collect());
        }
        Ok(match outcome {
            Outcome::Binary(y) => select::top_k_t(x, y, rows, self.k)?,
            Outcome::Survival { time, event } => {
                select::top_k_cox_score(x, time, event, rows, self.k)?
            }
        })
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
        cols: &[usize],
    ) -> Result<Fitted, NullError> {
        let mut sub = Vec::with_capacity(rows.len() * cols.len());
        for &r in rows {
            let row = x.row(r);
            sub.extend(cols.iter().map(|&c| row[c]));
        }
        let sub = Array2::from_shape_vec((rows.len(), cols.len()), sub)
            .expect("invariant: one value per selected row and column");
        let opts = NewtonOptions {
            max_iter: 100,
            tol: 1e-8,
        };
        Ok(match (outcome, self.model) {
            (Outcome::Binary(y), ModelKind::Logistic) => {
                let yr: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
                Fitted::Logistic(logistic::fit(sub.view(), &yr, self.c, opts)?)
            }
            (Outcome::Survival { time, event }, ModelKind::Cox) => {
                let t: Vec<f64> = rows.iter().map(|&r| time[r]).collect();
                let e: Vec<bool> = rows.iter().map(|&r| event[r]).collect();
                Fitted::Cox(cox::fit(sub.view(), &t, &e, Ties::Efron, self.c, opts)?)
            }
            _ => unreachable!("invariant: the outcome type follows the model"),
        })
    }

    /// Select on `sel_rows` (or use `fixed` columns), fit on `train`, score `test`.
    fn run(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        train: &[usize],
        test: &[usize],
        fixed: Option<&[usize]>,
        x_test: Option<(ArrayView2<f64>, &Outcome)>,
    ) -> Result<Option<f64>, NullError> {
        let cols = match fixed {
            Some(c) => c.to_vec(),
            None => self.select(x, outcome, train)?,
        };
        let model = self.fit(x, outcome, train, &cols)?;
        let (xt, ot) = x_test.unwrap_or((x, outcome));
        let scores = model.score(xt, test, &cols);
        metric(ot, test, &scores)
    }

    fn cv(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        folds: &[usize],
        n_folds: usize,
        leaky: bool,
    ) -> Result<CvRun, NullError> {
        if let Some(&bad) = folds.iter().find(|&&f| f >= n_folds) {
            return Err(NullError::Invalid {
                field: "folds",
                value: bad as f64,
                expected: "fold labels 0..n_folds",
            });
        }
        let all: Vec<usize> = (0..outcome.len()).collect();
        let leaky_selected = if leaky {
            Some(self.select(x, outcome, &all)?)
        } else {
            None
        };
        // The |t| filter of every training fold from one set of (fold, class) summaries
        // (the same statistics as `select::top_k_t` on the training rows).
        let fold_t = match (outcome, &leaky_selected, self.selection) {
            (_, Some(_), _) | (_, _, Selection::None) | (Outcome::Survival { .. }, _, _) => None,
            (Outcome::Binary(y), None, _) => Some(FoldT::new(x, y, folds, n_folds)?),
        };
        let mut fixed = Vec::with_capacity(n_folds);
        for f in 0..n_folds {
            fixed.push(match &fold_t {
                Some(ft) => Some(select::top_k(&ft.training(f)?, self.k)?),
                None => leaky_selected.clone(),
            });
        }
        self.cv_given(x, outcome, folds, &fixed, leaky_selected)
    }

    /// Cross-validation with the columns of each fold given (`None`: select on the
    /// fold's training rows).
    fn cv_given(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        folds: &[usize],
        fixed: &[Option<Vec<usize>>],
        leaky_selected: Option<Vec<usize>>,
    ) -> Result<CvRun, NullError> {
        let n_folds = fixed.len();
        let mut fold_values = Vec::with_capacity(n_folds);
        for (f, cols) in fixed.iter().enumerate() {
            let train: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] == f).collect();
            fold_values.push(self.run(x, outcome, &train, &test, cols.as_deref(), None)?);
        }
        let defined: Vec<f64> = fold_values.iter().flatten().copied().collect();
        let mean = if defined.is_empty() {
            None
        } else {
            Some(defined.iter().sum::<f64>() / defined.len() as f64)
        };
        Ok(CvRun {
            undefined_folds: n_folds - defined.len(),
            fold_values,
            mean,
            leaky_selected,
        })
    }
}

/// The metric of `scores` on `rows`: AUC or Harrell's C; `None` when undefined (one class;
/// no comparable pair).
fn metric(outcome: &Outcome, rows: &[usize], scores: &[f64]) -> Result<Option<f64>, NullError> {
    match outcome {
        Outcome::Binary(y) => {
            let labels: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
            let n1 = labels.iter().filter(|&&v| v).count();
            if n1 == 0 || n1 == labels.len() {
                return Ok(None);
            }
            Ok(Some(crate::stats::roc::auc(scores, &labels)?))
        }
        Outcome::Survival { time, event } => {
            let t: Vec<f64> = rows.iter().map(|&r| time[r]).collect();
            let e: Vec<bool> = rows.iter().map(|&r| event[r]).collect();
            if !has_comparable_pair(&t, &e) {
                return Ok(None);
            }
            Ok(Some(
                crate::stats::concordance::harrell_c(&t, &e, scores)?.c,
            ))
        }
    }
}

/// Whether some pair is comparable for Harrell's C: the earliest event time has another
/// row with a later time, or a censored row at the same time.
fn has_comparable_pair(time: &[f64], event: &[bool]) -> bool {
    let Some((i_min, t_min)) = time
        .iter()
        .enumerate()
        .filter(|(i, _)| event[*i])
        .min_by(|a, b| a.1.total_cmp(b.1))
    else {
        return false;
    };
    time.iter()
        .enumerate()
        .any(|(j, &t)| j != i_min && (t > *t_min || (t == *t_min && !event[j])))
}

/// One replicate of `design` drawing only from `rng`.
pub(crate) fn replicate(design: &NullDesign, rng: &mut Stream) -> Result<RepValue, NullError> {
    if held_out_is_independent(design) {
        return replicate_held_out(design, rng);
    }
    replicate_full(design, rng)
}

/// One replicate running the whole pipeline on random features: the best of the
/// compared models.
fn replicate_full(design: &NullDesign, rng: &mut Stream) -> Result<RepValue, NullError> {
    Ok(best_of(&replicate_models(design, rng)?))
}

/// The best value of a replicate's compared models, and their undefined parts.
pub(crate) fn best_of(models: &[RepValue]) -> RepValue {
    RepValue {
        value: models.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.value)),
        undefined: models.iter().map(|v| v.undefined).sum(),
    }
}

/// The patients of one replicate, shared by its compared models: the development outcome
/// and, for external designs, the validation outcome.
#[derive(Debug, Clone)]
pub(crate) struct Patients {
    outcome: Outcome,
    val_outcome: Option<Outcome>,
}

/// Draws a replicate's patients (the first draws of its stream).
pub(crate) fn draw_patients(design: &NullDesign, rng: &mut Stream) -> Patients {
    let outcome = draw_outcome(rng, design.model, design.n, design.events);
    let val_outcome = match design.validation {
        Validation::External {
            n_validation,
            events_validation,
        } => Some(draw_outcome(
            rng,
            design.model,
            n_validation,
            events_validation,
        )),
        _ => None,
    };
    Patients {
        outcome,
        val_outcome,
    }
}

/// The next compared model of a replicate: its features, then its validation, drawn from
/// `rng` where the previous model (or [`draw_patients`]) left it.
pub(crate) fn next_model(
    design: &NullDesign,
    patients: &Patients,
    rng: &mut Stream,
) -> Result<RepValue, NullError> {
    if cells_apply(design) {
        next_model_cells(design, patients, rng)
    } else {
        next_model_full(design, patients, rng)
    }
}

/// True when a model's features can be drawn through their cell summaries
/// ([`crate::null::cells`]): iid features, a binary outcome screened by the |t| filter, no
/// oversampling, and an apparent, cross-validated or (leaky) split design.
pub(crate) fn cells_apply(design: &NullDesign) -> bool {
    design.model == ModelKind::Logistic
        && design.selection != Selection::None
        && design.feature_correlation.rho == 0.0
        && !design.preprocessing_before_split
        && matches!(
            design.validation,
            Validation::Apparent | Validation::Cv { .. } | Validation::Split { .. }
        )
}

/// [`next_model`] through cell summaries: the resampling groups are drawn first, then the
/// summaries of every column, then the selected columns in full.
///
/// The value has the distribution of [`next_model_full`]'s (module docs of
/// [`crate::null::cells`]); the draws differ.
fn next_model_cells(
    design: &NullDesign,
    patients: &Patients,
    rng: &mut Stream,
) -> Result<RepValue, NullError> {
    let pipe = Pipeline::from_design(design);
    let Outcome::Binary(y) = &patients.outcome else {
        unreachable!("invariant: cells_apply holds for binary outcomes only")
    };
    let n = y.len();
    let all: Vec<usize> = (0..n).collect();
    let undefined_value = || NullError::Undefined {
        design: format!("{:?}", design.validation),
    };

    // Resampling groups: folds, or training (0) and test (1) rows.
    let (groups, group_of) = match design.validation {
        Validation::Apparent => (1, vec![0; n]),
        Validation::Cv { folds } => (folds, stratified_folds(rng, y, folds)),
        Validation::Split { train_fraction } => {
            let (_, test) = stratified_split(rng, y, train_fraction);
            let mut g = vec![0; n];
            test.iter().for_each(|&i| g[i] = 1);
            (2, g)
        }
        _ => unreachable!("invariant: cells_apply excludes external and bootstrap designs"),
    };
    let draw = cells::CellDraw::draw(rng, &group_of, groups, y, design.candidates);
    let ft = draw.fold_t();

    // The columns each fit uses, then those columns in full (ascending column order).
    let leaky = design.leaky_selection;
    let per_group: Vec<Vec<usize>> = match design.validation {
        Validation::Apparent => vec![select::top_k(&ft.all()?, pipe.k)?],
        // Training rows are those outside group 1 (the test rows).
        Validation::Split { .. } if !leaky => vec![select::top_k(&ft.training(1)?, pipe.k)?],
        Validation::Split { .. } => vec![select::top_k(&ft.all()?, pipe.k)?],
        _ if leaky => vec![select::top_k(&ft.all()?, pipe.k)?; groups],
        _ => (0..groups)
            .map(|f| select::top_k(&ft.training(f)?, pipe.k))
            .collect::<Result<_, _>>()?,
    };
    let mut used: Vec<usize> = per_group.iter().flatten().copied().collect();
    used.sort_unstable();
    used.dedup();
    let x = draw.complete(rng, &used);
    let local = |cols: &[usize]| -> Vec<usize> {
        cols.iter()
            .map(|c| {
                used.binary_search(c)
                    .expect("invariant: used holds every column")
            })
            .collect()
    };
    let outcome = &patients.outcome;

    match design.validation {
        Validation::Apparent => {
            let cols = local(&per_group[0]);
            let v = pipe.run(x.view(), outcome, &all, &all, Some(&cols), None)?;
            Ok(RepValue {
                value: v.ok_or_else(undefined_value)?,
                undefined: 0,
            })
        }
        Validation::Split { .. } => {
            let cols = local(&per_group[0]);
            let train: Vec<usize> = all.iter().copied().filter(|&i| group_of[i] == 0).collect();
            let test: Vec<usize> = all.iter().copied().filter(|&i| group_of[i] == 1).collect();
            let v = pipe.run(x.view(), outcome, &train, &test, Some(&cols), None)?;
            Ok(RepValue {
                value: v.ok_or_else(undefined_value)?,
                undefined: 0,
            })
        }
        _ => {
            let fixed: Vec<Option<Vec<usize>>> = per_group.iter().map(|c| Some(local(c))).collect();
            let run = pipe.cv_given(x.view(), outcome, &group_of, &fixed, None)?;
            Ok(RepValue {
                value: run.mean.ok_or_else(undefined_value)?,
                undefined: run.undefined_folds,
            })
        }
    }
}

/// [`next_model`] drawing the whole `n x candidates` feature matrix.
pub(crate) fn next_model_full(
    design: &NullDesign,
    patients: &Patients,
    rng: &mut Stream,
) -> Result<RepValue, NullError> {
    let pipe = Pipeline::from_design(design);
    let x = draw_features(rng, design.n, design.candidates, design.feature_correlation);
    let (x, outcome) = match (&patients.outcome, design.preprocessing_before_split) {
        (Outcome::Binary(y), true) => {
            let (xa, ya) = smote(rng, &x, y);
            (xa, Outcome::Binary(ya))
        }
        _ => (x, patients.outcome.clone()),
    };
    evaluate(
        design,
        &pipe,
        rng,
        x.view(),
        &outcome,
        patients.val_outcome.as_ref(),
    )
}

/// The value of each of the `models_compared` pipelines of one replicate, in drawing
/// order.
///
/// The patients are drawn first ([`draw_patients`]), then each model's features and folds
/// in turn ([`next_model`]), so the first `m` entries for `models_compared = M >= m` are
/// exactly the entries for `models_compared = m`: a run for fewer models can reuse a longer
/// one, and a run for more models can resume a shorter one from its stream state.
pub(crate) fn replicate_models(
    design: &NullDesign,
    rng: &mut Stream,
) -> Result<Vec<RepValue>, NullError> {
    let patients = draw_patients(design, rng);
    (0..design.models_compared)
        .map(|_| next_model(design, &patients, rng))
        .collect()
}

/// True when the scores of the held-out rows are independent of their outcome: a split or
/// external design where nothing fitted on the held-out rows reaches the model (no leaky
/// selection, no preprocessing before the split).
///
/// The model is then a fixed function of the training rows, and the held-out feature rows
/// are iid and independent of both the training rows and the held-out outcome, so the
/// held-out scores are iid continuous draws independent of the outcome. The metric's null
/// distribution therefore depends only on the held-out outcome, and any iid continuous
/// scores give it exactly; standard normal scores are drawn instead of fitting the
/// pipeline (same distribution, a fraction of the cost). With `models_compared = m`, the m
/// pipelines have independent features, so their held-out scores are m independent score
/// vectors on the same held-out outcome.
pub(crate) fn held_out_is_independent(design: &NullDesign) -> bool {
    matches!(
        design.validation,
        Validation::Split { .. } | Validation::External { .. }
    ) && !design.leaky_selection
        && !design.preprocessing_before_split
}

/// One replicate of a design for which [`held_out_is_independent`] holds.
fn replicate_held_out(design: &NullDesign, rng: &mut Stream) -> Result<RepValue, NullError> {
    let (outcome, rows) = match design.validation {
        Validation::External {
            n_validation,
            events_validation,
        } => {
            let o = draw_outcome(rng, design.model, n_validation, events_validation);
            (o, (0..n_validation).collect::<Vec<usize>>())
        }
        Validation::Split { train_fraction } => {
            let o = draw_outcome(rng, design.model, design.n, design.events);
            let (_, test) = stratified_split(rng, o.strata(), train_fraction);
            (o, test)
        }
        _ => unreachable!(
            "invariant: only split and external designs have independent held-out scores"
        ),
    };
    let mut best = f64::NEG_INFINITY;
    for _ in 0..design.models_compared {
        let scores: Vec<f64> = rows.iter().map(|_| rng.sample(StandardNormal)).collect();
        let v = metric(&outcome, &rows, &scores)?.ok_or_else(|| NullError::Undefined {
            design: format!("{:?}", design.validation),
        })?;
        best = best.max(v);
    }
    Ok(RepValue {
        value: best,
        undefined: 0,
    })
}

fn draw_outcome(rng: &mut Stream, model: ModelKind, n: usize, events: usize) -> Outcome {
    match model {
        ModelKind::Logistic => Outcome::Binary((0..n).map(|i| i < events).collect()),
        ModelKind::Cox => {
            let (time, event) = draw_survival(rng, n, events, None);
            Outcome::Survival { time, event }
        }
    }
}

/// The design's validation of one pipeline on one feature matrix.
fn evaluate(
    design: &NullDesign,
    pipe: &Pipeline,
    rng: &mut Stream,
    x: ArrayView2<f64>,
    outcome: &Outcome,
    val_outcome: Option<&Outcome>,
) -> Result<RepValue, NullError> {
    let n = outcome.len();
    let all: Vec<usize> = (0..n).collect();
    let undefined_value = || NullError::Undefined {
        design: format!("{:?}", design.validation),
    };
    let one = |v: Option<f64>| -> Result<RepValue, NullError> {
        Ok(RepValue {
            value: v.ok_or_else(undefined_value)?,
            undefined: 0,
        })
    };

    match design.validation {
        Validation::Apparent => one(pipe.run(x, outcome, &all, &all, None, None)?),
        Validation::Split { train_fraction } => {
            let (train, test) = stratified_split(rng, outcome.strata(), train_fraction);
            let fixed = if design.leaky_selection {
                Some(pipe.select(x, outcome, &all)?)
            } else {
                None
            };
            one(pipe.run(x, outcome, &train, &test, fixed.as_deref(), None)?)
        }
        Validation::Cv { folds } => {
            let labels = stratified_folds(rng, outcome.strata(), folds);
            let run = pipe.cv(x, outcome, &labels, folds, design.leaky_selection)?;
            Ok(RepValue {
                value: run.mean.ok_or_else(undefined_value)?,
                undefined: run.undefined_folds,
            })
        }
        Validation::External { n_validation, .. } => {
            let vo = val_outcome.expect("invariant: external designs draw a validation cohort");
            let xv = draw_features(
                rng,
                n_validation,
                design.candidates,
                design.feature_correlation,
            );
            let fixed = if design.leaky_selection {
                let pooled = ndarray::concatenate(ndarray::Axis(0), &[x, xv.view()])
                    .expect("invariant: both cohorts have `candidates` columns");
                let po = outcome.concat(vo);
                let rows: Vec<usize> = (0..po.len()).collect();
                Some(pipe.select(pooled.view(), &po, &rows)?)
            } else {
                None
            };
            let test: Vec<usize> = (0..n_validation).collect();
            one(pipe.run(
                x,
                outcome,
                &all,
                &test,
                fixed.as_deref(),
                Some((xv.view(), vo)),
            )?)
        }
        Validation::Bootstrap { resamples } => bootstrap(design, pipe, rng, x, outcome, resamples),
    }
}

/// Harrell's optimism-corrected bootstrap.
///
/// # Formula
/// `A_corrected = A_app - (1/B') sum_b (A_b,boot - A_b,orig)`, where `A_app` is the
/// apparent metric, `A_b,boot` the metric of the pipeline refitted on bootstrap sample `b`
/// and scored on that sample, `A_b,orig` the same model scored on the original rows, and
/// `B'` the samples with a defined metric (a sample with one class or no event is counted
/// and skipped).
///
/// # Reference
/// Harrell, Lee & Mark (1996), Stat Med 15:361, sec. 5.3; Harrell, *Regression Modeling
/// Strategies* (2nd ed., 2015), sec. 5.3.5.
fn bootstrap(
    design: &NullDesign,
    pipe: &Pipeline,
    rng: &mut Stream,
    x: ArrayView2<f64>,
    outcome: &Outcome,
    resamples: usize,
) -> Result<RepValue, NullError> {
    let n = outcome.len();
    let all: Vec<usize> = (0..n).collect();
    let fixed = if design.leaky_selection {
        Some(pipe.select(x, outcome, &all)?)
    } else {
        None
    };
    let undefined_value = || NullError::Undefined {
        design: "bootstrap".to_string(),
    };
    let apparent = pipe
        .run(x, outcome, &all, &all, fixed.as_deref(), None)?
        .ok_or_else(undefined_value)?;

    let strata = outcome.strata();
    let mut optimism = 0.0;
    let mut used = 0usize;
    for _ in 0..resamples {
        let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let n1 = idx.iter().filter(|&&i| strata[i]).count();
        let usable = match design.model {
            ModelKind::Logistic => n1 >= 2 && n - n1 >= 2,
            ModelKind::Cox => n1 >= 1,
        };
        if !usable {
            continue;
        }
        let cols = match &fixed {
            Some(c) => c.clone(),
            None => pipe.select(x, outcome, &idx)?,
        };
        let model = pipe.fit(x, outcome, &idx, &cols)?;
        let boot = metric(outcome, &idx, &model.score(x, &idx, &cols))?;
        let orig = metric(outcome, &all, &model.score(x, &all, &cols))?;
        if let (Some(b), Some(o)) = (boot, orig) {
            optimism += b - o;
            used += 1;
        }
    }
    if used == 0 {
        return Err(undefined_value());
    }
    Ok(RepValue {
        value: apparent - optimism / used as f64,
        undefined: resamples - used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng::stream;

    #[test]
    fn survival_draw_has_exact_event_count() {
        let mut rng = stream(1, "t");
        for events in [1, 17, 60, 99, 100] {
            let (t, e) = draw_survival(&mut rng, 100, events, None);
            assert_eq!(e.iter().filter(|&&v| v).count(), events);
            assert!(t.iter().all(|v| v.is_finite() && *v > 0.0));
        }
    }

    #[test]
    fn stratified_folds_balance_classes() {
        let mut rng = stream(2, "t");
        let y: Vec<bool> = (0..100).map(|i| i < 30).collect();
        let f = stratified_folds(&mut rng, &y, 5);
        for k in 0..5 {
            let cases = (0..100).filter(|&i| f[i] == k && y[i]).count();
            let size = (0..100).filter(|&i| f[i] == k).count();
            assert_eq!(cases, 6);
            assert_eq!(size, 20);
        }
    }

    #[test]
    fn correlated_features_have_target_correlation() {
        let mut rng = stream(3, "t");
        let corr = FeatureCorrelation { rho: 0.6, block: 2 };
        let x = draw_features(&mut rng, 20000, 4, corr);
        let r = |a: usize, b: usize| {
            let (ca, cb) = (x.column(a), x.column(b));
            ca.dot(&cb) / 20000.0
        };
        // Same block: rho (SE about 0.006); other blocks: 0.
        assert!((r(0, 1) - 0.6).abs() < 0.03, "{}", r(0, 1));
        assert!(r(1, 2).abs() < 0.03);
    }

    #[test]
    fn smote_balances_and_interpolates_within_minority() {
        let mut rng = stream(4, "t");
        let x = draw_features(&mut rng, 40, 3, FeatureCorrelation::default());
        let y: Vec<bool> = (0..40).map(|i| i < 10).collect();
        let (xa, ya) = smote(&mut rng, &x, &y);
        assert_eq!(ya.len(), 60);
        assert_eq!(ya.iter().filter(|&&v| v).count(), 30);
        // Synthetic rows lie inside the bounding box of the minority rows.
        for c in 0..3 {
            let col = x.column(c);
            let lo = (0..10).map(|i| col[i]).fold(f64::INFINITY, f64::min);
            let hi = (0..10).map(|i| col[i]).fold(f64::NEG_INFINITY, f64::max);
            for r in 40..60 {
                assert!(xa[[r, c]] >= lo - 1e-12 && xa[[r, c]] <= hi + 1e-12);
            }
        }
    }

    #[test]
    fn held_out_shortcut_matches_the_full_pipeline_in_distribution() {
        // Split design, n = 120 (48 events), top 5 of 60, 70% training: the shortcut and the
        // full pipeline must give the same null distribution. 300 replicates each; the
        // mean AUC of either has SE about 0.005, so 0.02 is a 3-sigma band on the
        // difference; the SDs (about 0.08) agree within 0.02.
        let d = NullDesign::new(
            120,
            48,
            60,
            5,
            Selection::Univariate,
            ModelKind::Logistic,
            Validation::Split {
                train_fraction: 0.7,
            },
        );
        assert!(held_out_is_independent(&d));
        let run = |full: bool| -> Vec<f64> {
            (0..300)
                .map(|r| {
                    let mut rng = crate::stats::rng::stream(11, &format!("t/{r}"));
                    let v = if full {
                        replicate_full(&d, &mut rng)
                    } else {
                        replicate_held_out(&d, &mut rng)
                    };
                    v.expect("replicate").value
                })
                .collect()
        };
        let stats = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
            (m, sd)
        };
        let (m1, s1) = stats(&run(true));
        let (m2, s2) = stats(&run(false));
        assert!((m1 - m2).abs() < 0.02, "means {m1} vs {m2}");
        assert!((s1 - s2).abs() < 0.02, "sds {s1} vs {s2}");
    }

    #[test]
    fn fold_t_cv_equals_selection_on_each_training_fold() {
        // The cell-summary |t| filter must pick the columns `select::top_k_t` picks on each
        // training fold, so every fold's AUC is the direct pipeline's, bit for bit.
        let mut rng = stream(8, "t");
        let (n, p, k) = (60, 200, 5);
        let x = draw_features(&mut rng, n, p, FeatureCorrelation::default());
        let y: Vec<bool> = (0..n).map(|i| i < 22).collect();
        let folds = stratified_folds(&mut rng, &y, 5);
        let outcome = Outcome::Binary(y.clone());
        let pipe = Pipeline {
            selection: Selection::Univariate,
            k,
            model: ModelKind::Logistic,
            c: 1.0,
        };
        let fast = pipe.cv(x.view(), &outcome, &folds, 5, false).unwrap();
        for f in 0..5 {
            let train: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..n).filter(|&i| folds[i] == f).collect();
            let direct = pipe
                .run(x.view(), &outcome, &train, &test, None, None)
                .unwrap();
            assert_eq!(
                fast.fold_values[f].map(f64::to_bits),
                direct.map(f64::to_bits),
                "fold {f}"
            );
        }
    }

    #[test]
    fn cells_path_matches_the_full_draw_in_distribution() {
        // Apparent, nested CV and leaky CV designs (n = 60, 24 cases, top 4 of 150): the
        // cell-summary draws and the full n x p draws must give the same null
        // distribution. 300 replicates each; the SD of a replicate is at most about 0.07,
        // so the means differ by less than 0.02 (3.5 SE of the difference) and the SDs by
        // less than 0.025 (about 3.5 SE as well).
        for (validation, leaky) in [
            (Validation::Apparent, false),
            (Validation::Cv { folds: 5 }, false),
            (Validation::Cv { folds: 5 }, true),
        ] {
            let mut d = NullDesign::new(
                60,
                24,
                150,
                4,
                Selection::Univariate,
                ModelKind::Logistic,
                validation,
            );
            d.leaky_selection = leaky;
            assert!(cells_apply(&d));
            let run = |cells: bool| -> Vec<f64> {
                (0..300)
                    .map(|r| {
                        let mut rng = stream(12, &format!("c/{r}"));
                        let pat = draw_patients(&d, &mut rng);
                        let v = if cells {
                            next_model_cells(&d, &pat, &mut rng)
                        } else {
                            next_model_full(&d, &pat, &mut rng)
                        };
                        v.expect("replicate").value
                    })
                    .collect()
            };
            let stats = |v: &[f64]| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
                (m, var.sqrt())
            };
            let (m1, s1) = stats(&run(true));
            let (m2, s2) = stats(&run(false));
            assert!(
                (m1 - m2).abs() < 0.02,
                "{validation:?} {leaky}: {m1} vs {m2}"
            );
            assert!(
                (s1 - s2).abs() < 0.025,
                "{validation:?} {leaky}: {s1} vs {s2}"
            );
        }
    }

    #[test]
    fn comparable_pair_detection() {
        assert!(!has_comparable_pair(&[1.0, 2.0], &[false, true]));
        assert!(has_comparable_pair(&[1.0, 2.0], &[true, false]));
        assert!(has_comparable_pair(&[1.0, 1.0], &[true, false]));
        assert!(!has_comparable_pair(&[1.0, 1.0], &[true, true]));
    }
}
