//! A modelling pipeline whose data-driven steps are fitted on given training rows only:
//! an optional prefilter (a stability robust-feature list), a ranking step (univariate
//! filter, mRMR or LASSO-path order, optionally pruned for correlation), the top `k`
//! ranked columns, and an elastic-net penalised logistic or Cox model
//! ([`crate::model::penalized`]) along a lambda path.
//!
//! A *configuration* is one `(k, alpha, lambda index)`; the tuning of `k`, `alpha` and
//! lambda by inner cross-validation lives in [`crate::model::cv`].

use ndarray::ArrayView2;
use serde::Serialize;

use crate::model::cox::Ties;
// Re-exported: the pipeline's callers name the outcome with it.
pub use crate::model::outcome::Outcome;
use crate::model::penalized::{self, PathFit, PathOptions, PenalizedError, Response};
use crate::model::select::{self, SelectError};

/// How columns are ranked on the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ranker {
    /// No ranking: every (prefiltered) column enters the model; `k` is ignored.
    None,
    /// Pooled-variance two-sample |t| (binary outcomes).
    T,
    /// Standardised Wilcoxon rank-sum |z| (binary outcomes).
    Wilcoxon,
    /// Cox score chi-square (survival outcomes).
    CoxScore,
    /// mRMR, quotient form, with |t| or Cox-score relevance.
    Mrmr,
    /// Order of entry along the LASSO path of all columns.
    Lasso,
}

/// The model family and its penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Penalised logistic regression.
    Logistic,
    /// Penalised Cox regression with the given ties.
    Cox(Ties),
}

/// How lambda is chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaRule {
    /// A path of `n_lambda` values from `lambda_max` down to `ratio * lambda_max` computed on
    /// the training rows; the index is tuned by inner cross-validation.
    Path {
        n_lambda: usize,
        min_ratio: Option<f64>,
    },
    /// scikit-learn's fixed `C`: `lambda = 1 / (C n_train)` (no tuning).
    FixedC(f64),
}

/// The pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    /// Columns allowed in (a robust-feature list); `None` = all.
    pub prefilter: Option<Vec<usize>>,
    /// Ranking step.
    pub ranker: Ranker,
    /// Correlation-redundancy pruning threshold on the ranking (`None` = no pruning).
    pub prune_correlation: Option<f64>,
    /// Candidate numbers of columns kept (tuned); ignored with [`Ranker::None`].
    pub k_grid: Vec<usize>,
    /// Candidate elastic-net mixings (tuned).
    pub alpha_grid: Vec<f64>,
    /// Model family.
    pub family: Family,
    /// Lambda rule.
    pub lambda: LambdaRule,
    /// Standardise columns on the training rows.
    pub standardize: bool,
}

/// One configuration: `k`, `alpha` and the position on the lambda path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    /// Index into the k grid.
    pub k_index: usize,
    /// Index into the alpha grid.
    pub alpha_index: usize,
    /// Index into the lambda path.
    pub lambda_index: usize,
}

/// Errors of the pipeline.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    /// A ranking step failed.
    #[error("selection: {0}")]
    Select(#[from] SelectError),
    /// The penalised fit failed.
    #[error("penalised fit: {0}")]
    Fit(#[from] PenalizedError),
    /// The ranker does not suit the outcome type.
    #[error("ranker {ranker:?} does not apply to {outcome} outcomes")]
    RankerOutcome {
        ranker: Ranker,
        outcome: &'static str,
    },
    /// The model family does not suit the outcome type.
    #[error("a {family} model needs a {needs} outcome")]
    FamilyOutcome {
        family: &'static str,
        needs: &'static str,
    },
    /// A grid is empty or holds an invalid value.
    #[error("{0}")]
    Grid(String),
}

impl Pipeline {
    /// Checks grids and that ranker and family suit the outcome.
    ///
    /// # Errors
    /// [`PipelineError`] naming what does not fit.
    pub fn validate(&self, outcome: &Outcome) -> Result<(), PipelineError> {
        let binary = matches!(outcome, Outcome::Binary(_));
        match (self.family, binary) {
            (Family::Logistic, false) => {
                return Err(PipelineError::FamilyOutcome {
                    family: "logistic",
                    needs: "binary (--outcome)",
                })
            }
            (Family::Cox(_), true) => {
                return Err(PipelineError::FamilyOutcome {
                    family: "Cox",
                    needs: "survival (--time/--event)",
                })
            }
            _ => {}
        }
        let bad_ranker = match self.ranker {
            Ranker::T | Ranker::Wilcoxon => !binary,
            Ranker::CoxScore => binary,
            _ => false,
        };
        if bad_ranker {
            return Err(PipelineError::RankerOutcome {
                ranker: self.ranker,
                outcome: if binary { "binary" } else { "survival" },
            });
        }
        if self.ranker != Ranker::None && (self.k_grid.is_empty() || self.k_grid.contains(&0)) {
            return Err(PipelineError::Grid("k grid must hold values >= 1".into()));
        }
        if self.alpha_grid.is_empty() {
            return Err(PipelineError::Grid("alpha grid (--alpha) is empty".into()));
        }
        if let Some(a) = self.alpha_grid.iter().find(|a| !(0.0..=1.0).contains(*a)) {
            return Err(PipelineError::Grid(format!(
                "alpha {a} in the alpha grid (--alpha): expected a value in [0, 1]"
            )));
        }
        match self.lambda {
            LambdaRule::Path { n_lambda, .. } if n_lambda == 0 => {
                Err(PipelineError::Grid("n_lambda must be >= 1".into()))
            }
            LambdaRule::FixedC(c) if !(c > 0.0 && c.is_finite()) => Err(PipelineError::Grid(
                format!("C = {c} must be finite and > 0"),
            )),
            _ => Ok(()),
        }
    }

    /// Number of values in the k grid as used (1 without ranking).
    pub fn n_k(&self) -> usize {
        if self.ranker == Ranker::None {
            1
        } else {
            self.k_grid.len()
        }
    }

    /// Whether anything is tuned by inner cross-validation.
    pub fn needs_tuning(&self) -> bool {
        self.n_k() > 1
            || self.alpha_grid.len() > 1
            || matches!(self.lambda, LambdaRule::Path { n_lambda, .. } if n_lambda > 1)
    }

    /// The candidate columns (after the prefilter) of a table with `p` columns.
    pub fn candidates(&self, p: usize) -> Vec<usize> {
        match &self.prefilter {
            Some(c) => c.clone(),
            None => (0..p).collect(),
        }
    }

    /// Ranks the candidate columns on `rows` (best first), long enough for the largest
    /// `k`; without a ranker, all candidates in table order.
    ///
    /// # Errors
    /// [`PipelineError::Select`] when the rows hold a single class / no event.
    pub fn rank(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
    ) -> Result<Vec<usize>, PipelineError> {
        let cand = self.candidates(x.ncols());
        let kmax = self
            .k_grid
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .min(cand.len());
        let xc = x.select(ndarray::Axis(1), &cand);
        let xc = xc.view();
        let univariate = |xc: ArrayView2<f64>| -> Result<Vec<f64>, PipelineError> {
            Ok(match outcome {
                Outcome::Binary(y) => select::t_statistics(xc, y, rows)?,
                Outcome::Survival { time, event } => {
                    select::cox_score_statistics(xc, time, event, rows)?
                }
            })
        };
        let order: Vec<usize> = match self.ranker {
            Ranker::None => return Ok(cand),
            Ranker::T | Ranker::CoxScore => select::rank_desc(&univariate(xc)?),
            Ranker::Wilcoxon => match outcome {
                Outcome::Binary(y) => select::rank_desc(&select::wilcoxon_statistics(xc, y, rows)?),
                Outcome::Survival { .. } => unreachable!("invariant: validated ranker"),
            },
            Ranker::Mrmr => {
                let rel = univariate(xc)?;
                // Redundancy is computed against the chosen set only, so cap the order at
                // what pruning might need.
                let need = if self.prune_correlation.is_some() {
                    (4 * kmax).min(cand.len())
                } else {
                    kmax
                };
                select::mrmr_order(xc, rows, &rel, need)
            }
            Ranker::Lasso => self.lasso_order(xc, outcome, rows, kmax)?,
        };
        let order = match self.prune_correlation {
            Some(thr) => select::prune_correlated(xc, rows, &order, thr, kmax),
            None => order,
        };
        Ok(order.into_iter().map(|j| cand[j]).collect())
    }

    /// Columns in order of entry along a lasso path of all candidates, completed by the
    /// univariate order for columns that never enter.
    fn lasso_order(
        &self,
        xc: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
        kmax: usize,
    ) -> Result<Vec<usize>, PipelineError> {
        let cols: Vec<usize> = (0..xc.ncols()).collect();
        let opts = PathOptions {
            alpha: 1.0,
            n_lambda: 100,
            standardize: self.standardize,
            tol: 1e-10,
            ..PathOptions::default()
        };
        let path = penalized::fit_path(xc, rows, &cols, self.response(outcome), &opts)?;
        let mut order = path.entry_order.clone();
        if order.len() < kmax {
            let uni = match outcome {
                Outcome::Binary(y) => select::t_statistics(xc, y, rows)?,
                Outcome::Survival { time, event } => {
                    select::cox_score_statistics(xc, time, event, rows)?
                }
            };
            for j in select::rank_desc(&uni) {
                if !order.contains(&j) {
                    order.push(j);
                }
            }
        }
        Ok(order)
    }

    /// The penalised-fit response of `outcome`.
    pub fn response<'a>(&self, outcome: &'a Outcome) -> Response<'a> {
        match (outcome, self.family) {
            (Outcome::Binary(y), _) => Response::Binary(y),
            (Outcome::Survival { time, event }, Family::Cox(ties)) => {
                Response::Survival { time, event, ties }
            }
            (Outcome::Survival { time, event }, Family::Logistic) => Response::Survival {
                time,
                event,
                ties: Ties::Efron,
            },
        }
    }

    /// The columns of configuration `k_index` from a ranking.
    pub fn columns(&self, ranking: &[usize], k_index: usize) -> Vec<usize> {
        if self.ranker == Ranker::None {
            return ranking.to_vec();
        }
        let k = self.k_grid[k_index].min(ranking.len());
        ranking[..k].to_vec()
    }

    /// The lambda sequence of `(k_index, alpha_index)` computed on `rows` (the outer
    /// training rows), shared by its inner folds.
    ///
    /// # Errors
    /// As [`penalized::lambda_max`].
    pub fn lambdas(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
        cols: &[usize],
        alpha_index: usize,
    ) -> Result<Vec<f64>, PipelineError> {
        match self.lambda {
            LambdaRule::FixedC(c) => Ok(vec![1.0 / (c * rows.len() as f64)]),
            LambdaRule::Path {
                n_lambda,
                min_ratio,
            } => {
                let opts = self.path_options(alpha_index, None);
                let lmax =
                    penalized::lambda_max(x, rows, cols, self.response(outcome), &opts)?.max(1e-12);
                let ratio = min_ratio.unwrap_or(if rows.len() > cols.len() { 1e-4 } else { 1e-2 });
                let m = n_lambda;
                Ok((0..m)
                    .map(|k| {
                        let f = if m == 1 {
                            0.0
                        } else {
                            k as f64 / (m - 1) as f64
                        };
                        lmax * ratio.powf(f)
                    })
                    .collect())
            }
        }
    }

    /// Path options for `alpha_index` and an explicit lambda sequence.
    pub fn path_options(&self, alpha_index: usize, lambdas: Option<Vec<f64>>) -> PathOptions {
        PathOptions {
            alpha: self.alpha_grid[alpha_index],
            lambdas,
            standardize: self.standardize,
            // glmnet's default accuracy (thresh 1e-7 on the same scale) is enough for
            // held-out scores; the reference-coefficient tests use 1e-16.
            tol: 1e-8,
            max_passes: 2_000,
            ..PathOptions::default()
        }
    }

    /// Fits the path of `(k_index, alpha_index)` on `rows` with the given lambdas (the
    /// fixed-C rule recomputes its single lambda from `rows`).
    ///
    /// # Errors
    /// As [`penalized::fit_path`].
    #[allow(clippy::too_many_arguments)]
    pub fn fit(
        &self,
        x: ArrayView2<f64>,
        outcome: &Outcome,
        rows: &[usize],
        cols: &[usize],
        alpha_index: usize,
        lambdas: &[f64],
    ) -> Result<PathFit, PipelineError> {
        let lambdas = match self.lambda {
            LambdaRule::FixedC(c) => vec![1.0 / (c * rows.len() as f64)],
            LambdaRule::Path { .. } => lambdas.to_vec(),
        };
        let opts = self.path_options(alpha_index, Some(lambdas));
        Ok(penalized::fit_path(
            x,
            rows,
            cols,
            self.response(outcome),
            &opts,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// 40 rows: column 2 carries the class, column 0 weakly, column 1 is noise.
    fn toy() -> (Array2<f64>, Outcome) {
        let y: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let x = Array2::from_shape_fn((40, 3), |(i, j)| {
            let c = if y[i] { 1.0 } else { 0.0 };
            let noise = ((i * 37 + j * 11) % 17) as f64 / 17.0;
            match j {
                0 => 0.3 * c + noise,
                1 => noise,
                _ => 2.0 * c + 0.5 * noise,
            }
        });
        (x, Outcome::Binary(y))
    }

    fn pipe(ranker: Ranker) -> Pipeline {
        Pipeline {
            prefilter: None,
            ranker,
            prune_correlation: None,
            k_grid: vec![2],
            alpha_grid: vec![1.0],
            family: Family::Logistic,
            lambda: LambdaRule::Path {
                n_lambda: 20,
                min_ratio: None,
            },
            standardize: true,
        }
    }

    #[test]
    fn every_ranker_puts_the_signal_column_first() {
        let (x, o) = toy();
        let rows: Vec<usize> = (0..40).collect();
        for r in [Ranker::T, Ranker::Wilcoxon, Ranker::Mrmr, Ranker::Lasso] {
            let rank = pipe(r).rank(x.view(), &o, &rows).unwrap();
            assert_eq!(rank[0], 2, "{r:?}: {rank:?}");
        }
    }

    #[test]
    fn prefilter_restricts_the_candidates() {
        let (x, o) = toy();
        let rows: Vec<usize> = (0..40).collect();
        let mut p = pipe(Ranker::T);
        p.prefilter = Some(vec![0, 1]);
        let rank = p.rank(x.view(), &o, &rows).unwrap();
        assert!(!rank.contains(&2), "{rank:?}");
        assert_eq!(rank[0], 0);
    }

    #[test]
    fn ranker_and_family_must_suit_the_outcome() {
        let (_, o) = toy();
        let mut p = pipe(Ranker::CoxScore);
        assert!(matches!(
            p.validate(&o),
            Err(PipelineError::RankerOutcome { .. })
        ));
        p.ranker = Ranker::T;
        p.family = Family::Cox(Ties::Efron);
        assert!(matches!(
            p.validate(&o),
            Err(PipelineError::FamilyOutcome { .. })
        ));
    }
}
