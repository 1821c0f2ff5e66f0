//! The stated pipeline of a null simulation: cohort, candidates, selection, model,
//! validation design and leaks ([`NullDesign`]), validated before any work.

use serde::{Deserialize, Serialize};

use crate::model::select::Selection;
use crate::null::NullError;

/// The model family fitted to the selected features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// L2-penalised logistic regression on a binary outcome; metric ROC AUC.
    Logistic,
    /// Ridge-penalised Cox regression (Efron ties) on censored times; metric Harrell's C.
    Cox,
}

impl ModelKind {
    /// The metric the design reports: `"auc"` or `"c-index"`.
    pub fn metric(self) -> &'static str {
        match self {
            ModelKind::Logistic => "auc",
            ModelKind::Cox => "c-index",
        }
    }
}

/// How the reported performance was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Validation {
    /// Fitted and scored on the same rows.
    Apparent,
    /// One stratified random split: fit on `train_fraction` of each class, score the rest.
    Split { train_fraction: f64 },
    /// Stratified `folds`-fold cross-validation; the mean of the folds' metrics.
    Cv { folds: usize },
    /// Fitted on the whole development cohort, scored on an independent cohort of
    /// `n_validation` rows with `events_validation` cases or events. Temporal validation
    /// is simulated as external.
    External {
        n_validation: usize,
        events_validation: usize,
    },
    /// Harrell's optimism-corrected bootstrap with `resamples` bootstrap samples.
    Bootstrap { resamples: usize },
}

/// Block-exchangeable correlation of the random candidate features.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureCorrelation {
    /// Correlation of two features in the same block, in `[0, 1)`.
    pub rho: f64,
    /// Features per block (the last block may be smaller); 0 means one block of all.
    pub block: usize,
}

impl Default for FeatureCorrelation {
    fn default() -> Self {
        Self {
            rho: 0.0,
            block: 10,
        }
    }
}

/// A pipeline to run on random features: what a paper reports about its development.
///
/// Binary outcomes (`model = Logistic`) have exactly `events` cases among `n` rows;
/// survival outcomes (`model = Cox`) have exactly `events` events (see
/// [`crate::null::sim`] for the time model). Build with [`NullDesign::new`] and set the
/// optional fields, then call [`NullDesign::validate`] (run_null does it too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NullDesign {
    /// Development rows (patients).
    pub n: usize,
    /// Cases (binary) or events (survival) among the `n` rows.
    pub events: usize,
    /// Candidate features screened.
    pub candidates: usize,
    /// Features kept by the selection (ignored for `Selection::None`, which keeps all).
    pub selected: usize,
    /// The selection step.
    pub selection: Selection,
    /// The model family (and so the outcome type and metric).
    pub model: ModelKind,
    /// The validation design.
    pub validation: Validation,
    /// Selection run once on all rows before the split or folds (for external designs:
    /// on the development and validation rows together).
    pub leaky_selection: bool,
    /// SMOTE-style minority oversampling on all rows before the split (see
    /// [`crate::null::sim`]); binary outcomes only.
    pub preprocessing_before_split: bool,
    /// Independent pipelines tried; the best one's value is reported.
    pub models_compared: usize,
    /// Correlation of the random features (default iid).
    pub feature_correlation: FeatureCorrelation,
    /// Inverse penalty strength `C` of the L2 logistic / ridge Cox fit (default 1).
    pub penalty_c: f64,
}

impl NullDesign {
    /// A design with the defaults: no leaks, one model, iid features, `C = 1`.
    pub fn new(
        n: usize,
        events: usize,
        candidates: usize,
        selected: usize,
        selection: Selection,
        model: ModelKind,
        validation: Validation,
    ) -> Self {
        Self {
            n,
            events,
            candidates,
            selected,
            selection,
            model,
            validation,
            leaky_selection: false,
            preprocessing_before_split: false,
            models_compared: 1,
            feature_correlation: FeatureCorrelation::default(),
            penalty_c: 1.0,
        }
    }

    /// Cases among `n` rows at prevalence `q`: `round(n q)`.
    ///
    /// # Errors
    /// [`NullError::Invalid`] when `q` is not in `(0, 1)`.
    pub fn events_from_prevalence(n: usize, q: f64) -> Result<usize, NullError> {
        if !(q > 0.0 && q < 1.0) {
            return Err(invalid("prevalence", q, "a value in (0, 1)"));
        }
        Ok((n as f64 * q).round() as usize)
    }

    /// Columns the model receives: `selected`, or all candidates without selection.
    pub fn model_columns(&self) -> usize {
        match self.selection {
            Selection::None => self.candidates,
            _ => self.selected,
        }
    }

    /// Checks that every replicate of the design has a defined metric.
    ///
    /// # Errors
    /// [`NullError::Invalid`] naming the field, its value and what was expected.
    pub fn validate(&self) -> Result<(), NullError> {
        let n = self.n as f64;
        if self.n < 4 {
            return Err(invalid("n", n, "at least 4 rows"));
        }
        if self.events == 0 || self.events >= self.n && self.model == ModelKind::Logistic {
            return Err(invalid(
                "events",
                self.events as f64,
                "between 1 and n - 1 cases",
            ));
        }
        if self.events > self.n {
            return Err(invalid("events", self.events as f64, "at most n events"));
        }
        if self.candidates == 0 {
            return Err(invalid("candidates", 0.0, "at least 1 candidate feature"));
        }
        if self.selection != Selection::None
            && (self.selected == 0 || self.selected > self.candidates)
        {
            return Err(invalid("selected", self.selected as f64, "1..=candidates"));
        }
        if self.models_compared == 0 {
            return Err(invalid("models_compared", 0.0, "at least 1"));
        }
        if !(self.penalty_c > 0.0) {
            return Err(invalid("penalty_c", self.penalty_c, "a value > 0"));
        }
        let FeatureCorrelation { rho, .. } = self.feature_correlation;
        if !(0.0..1.0).contains(&rho) {
            return Err(invalid("feature_correlation", rho, "a value in [0, 1)"));
        }
        self.validate_validation()
    }

    fn validate_validation(&self) -> Result<(), NullError> {
        // Smallest class: cases vs controls (binary) or events (survival).
        let minority = match self.model {
            ModelKind::Logistic => self.events.min(self.n - self.events),
            ModelKind::Cox => self.events,
        };
        match self.validation {
            Validation::Apparent => Ok(()),
            Validation::Split { train_fraction } => {
                if !(train_fraction > 0.0 && train_fraction < 1.0) {
                    return Err(invalid(
                        "train_fraction",
                        train_fraction,
                        "a value in (0, 1)",
                    ));
                }
                let tr = (minority as f64 * train_fraction).round() as usize;
                if tr == 0 || tr >= minority {
                    return Err(invalid(
                        "train_fraction",
                        train_fraction,
                        "a split leaving the smaller class (or the events) in both parts",
                    ));
                }
                Ok(())
            }
            Validation::Cv { folds } => {
                if folds < 2 || folds > minority {
                    return Err(invalid(
                        "folds",
                        folds as f64,
                        "2..= the size of the smaller class (or the events)",
                    ));
                }
                Ok(())
            }
            Validation::External {
                n_validation,
                events_validation,
            } => {
                let ok = match self.model {
                    ModelKind::Logistic => {
                        events_validation >= 1 && events_validation < n_validation
                    }
                    ModelKind::Cox => events_validation >= 1 && events_validation <= n_validation,
                };
                if n_validation < 2 || !ok {
                    return Err(invalid(
                        "events_validation",
                        events_validation as f64,
                        "at least one case and one control (or one event) in n_validation",
                    ));
                }
                Ok(())
            }
            Validation::Bootstrap { resamples } => {
                if resamples == 0 {
                    return Err(invalid("resamples", 0.0, "at least 1 bootstrap sample"));
                }
                Ok(())
            }
        }
    }
}

fn invalid(field: &'static str, value: f64, expected: &'static str) -> NullError {
    NullError::Invalid {
        field,
        value,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> NullDesign {
        NullDesign::new(
            100,
            50,
            1000,
            10,
            Selection::Univariate,
            ModelKind::Logistic,
            Validation::Cv { folds: 5 },
        )
    }

    #[test]
    fn valid_design_passes() {
        base().validate().unwrap();
    }

    #[test]
    fn rejects_events_equal_n_for_binary() {
        let mut d = base();
        d.events = 100;
        assert!(matches!(
            d.validate(),
            Err(NullError::Invalid {
                field: "events",
                ..
            })
        ));
    }

    #[test]
    fn rejects_more_folds_than_minority() {
        let mut d = base();
        d.events = 3;
        assert!(matches!(
            d.validate(),
            Err(NullError::Invalid { field: "folds", .. })
        ));
    }

    #[test]
    fn rejects_selected_above_candidates() {
        let mut d = base();
        d.selected = 1001;
        assert!(matches!(
            d.validate(),
            Err(NullError::Invalid {
                field: "selected",
                ..
            })
        ));
    }

    #[test]
    fn prevalence_rounds_to_cases() {
        assert_eq!(NullDesign::events_from_prevalence(92, 0.43).unwrap(), 40);
        assert!(NullDesign::events_from_prevalence(92, 1.0).is_err());
    }
}
