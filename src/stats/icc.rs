//! Intraclass correlation coefficients (ICC) in the six Shrout-Fleiss forms, with F tests
//! and exact F-based confidence intervals, on complete or incomplete ratings.
//!
//! A rating table has `n` targets (subjects, patients: rows) and `k` raters (judges,
//! readers, perturbation replicates: columns). The forms, with the names of McGraw & Wong
//! (1996) beside those of Shrout & Fleiss (1979):
//!
//! | Shrout-Fleiss | McGraw-Wong | model |
//! | --- | --- | --- |
//! | ICC(1,1) | ICC(1) | one-way random, single rating |
//! | ICC(2,1) | ICC(A,1) | two-way random, absolute agreement, single rating |
//! | ICC(3,1) | ICC(C,1) | two-way mixed, consistency, single rating |
//! | ICC(1,k) | ICC(k) | one-way random, mean of k ratings |
//! | ICC(2,k) | ICC(A,k) | two-way random, absolute agreement, mean of k ratings |
//! | ICC(3,k) | ICC(C,k) | two-way mixed, consistency, mean of k ratings |
//!
//! Use the one-way form when raters are not the same across targets or have no systematic
//! identity (random perturbation draws, Zwanenburg et al. 2019); the two-way forms when the
//! raters are fixed conditions (named readers, scanners, named perturbation settings).
//!
//! # Incomplete data
//! [`icc_fit`] takes a [`Ratings`] table with missing cells and a [`MissingMethod`]:
//! - [`MissingMethod::Listwise`] drops every target with a missing rating and reports how
//!   many were dropped; the result is the exact balanced analysis of the rest.
//! - [`MissingMethod::Keep`] keeps every target with at least one rating. The one-way forms
//!   use the unbalanced one-way ANOVA (Searle, Casella & McCulloch 1992, sec. 3.6), with the
//!   effective number of ratings per target `k0 = (N - sum n_i^2 / N) / (n - 1)`. The
//!   two-way forms use Henderson's Method III (fitting constants; Searle et al. 1992,
//!   sec. 5.5) for the additive two-way model without interaction: the mean squares
//!   `R(a | mu, b) / (n - 1)`, `R(b | mu, a) / (k - 1)` and the residual mean square have
//!   expectations `s2_e + k_a s2_a`, `s2_e + n_b s2_b` and `s2_e`, with
//!   `k_a = (N - k) / (n - 1)` and `n_b = (N - n) / (k - 1)` (0/1 incidence). On complete
//!   data `k0 = k_a = k` and `n_b = n`, and every formula below is the balanced one.
//!
//! # Limitations
//! On incomplete data (`Keep`), the intervals put the effective sizes (`k0`, `k_a`, `n_b`)
//! into the balanced formulas; they are approximations (flagged by
//! [`IccWarning::ApproximateInterval`]), not exact intervals. The average-measure forms
//! then describe the mean of `k0` (one-way) or `k_a` (two-way) ratings.
//! [`MissingMethod::Reml`] keeps incomplete targets too, but estimates the variance
//! components by REML ([`crate::stats::reml`]), which uses the information of unbalanced
//! data more efficiently than Method III and never gives a negative ICC; its interval is
//! the profile-likelihood interval. The F test reported beside it stays Method III's.
//!
//! # Reference
//! - Shrout PE, Fleiss JL (1979). Intraclass correlations: uses in assessing rater
//!   reliability. Psychol Bull 86:420-428 (Tables 2-4).
//! - McGraw KO, Wong SP (1996). Forming inferences about some intraclass correlation
//!   coefficients. Psychol Methods 1:30-46 (Tables 4-8; correction 1:390).
//! - Koo TK, Li MY (2016). A guideline of selecting and reporting intraclass correlation
//!   coefficients for reliability research. J Chiropr Med 15:155-163.

use std::fmt;
use std::str::FromStr;

use statrs::distribution::{ContinuousCDF, FisherSnedecor};

use crate::stats::reml;

/// Sums of squares at or below this fraction of the total sum of squares count as zero
/// (perfect agreement, zero between-target variance). Rounding in the means of identical
/// values leaves residuals of about 1e-16 relative; 1e-12 is far above that and far below
/// any real disagreement a CSV with 10 significant digits can express.
const ZERO_SS_REL: f64 = 1e-12;

/// The ICC model (Shrout & Fleiss case 1, 2 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// One-way random effects: each target has its own set of raters (case 1).
    OneWay,
    /// Two-way random effects, absolute agreement (case 2; McGraw-Wong "A").
    TwoWayRandom,
    /// Two-way mixed effects, consistency (case 3; McGraw-Wong "C").
    TwoWayMixed,
}

/// Whether the ICC describes one rating or the mean of the `k` ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// The reliability of a single rating.
    Single,
    /// The reliability of the mean of the `k` ratings.
    Average,
}

/// One of the six Shrout-Fleiss ICC forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IccForm {
    pub model: Model,
    pub unit: Unit,
}

impl IccForm {
    /// ICC(1,1) = McGraw-Wong ICC(1).
    pub const ICC1_1: IccForm = IccForm {
        model: Model::OneWay,
        unit: Unit::Single,
    };
    /// ICC(2,1) = McGraw-Wong ICC(A,1).
    pub const ICC2_1: IccForm = IccForm {
        model: Model::TwoWayRandom,
        unit: Unit::Single,
    };
    /// ICC(3,1) = McGraw-Wong ICC(C,1).
    pub const ICC3_1: IccForm = IccForm {
        model: Model::TwoWayMixed,
        unit: Unit::Single,
    };
    /// ICC(1,k) = McGraw-Wong ICC(k).
    pub const ICC1_K: IccForm = IccForm {
        model: Model::OneWay,
        unit: Unit::Average,
    };
    /// ICC(2,k) = McGraw-Wong ICC(A,k).
    pub const ICC2_K: IccForm = IccForm {
        model: Model::TwoWayRandom,
        unit: Unit::Average,
    };
    /// ICC(3,k) = McGraw-Wong ICC(C,k).
    pub const ICC3_K: IccForm = IccForm {
        model: Model::TwoWayMixed,
        unit: Unit::Average,
    };

    /// The single-rating form of `model`.
    pub fn single(model: Model) -> IccForm {
        IccForm {
            model,
            unit: Unit::Single,
        }
    }

    /// All six forms in Shrout & Fleiss' order.
    pub const ALL: [IccForm; 6] = [
        IccForm::ICC1_1,
        IccForm::ICC2_1,
        IccForm::ICC3_1,
        IccForm::ICC1_K,
        IccForm::ICC2_K,
        IccForm::ICC3_K,
    ];

    /// The Shrout-Fleiss name, e.g. `ICC(2,1)`.
    pub fn shrout_fleiss(self) -> &'static str {
        match (self.model, self.unit) {
            (Model::OneWay, Unit::Single) => "ICC(1,1)",
            (Model::TwoWayRandom, Unit::Single) => "ICC(2,1)",
            (Model::TwoWayMixed, Unit::Single) => "ICC(3,1)",
            (Model::OneWay, Unit::Average) => "ICC(1,k)",
            (Model::TwoWayRandom, Unit::Average) => "ICC(2,k)",
            (Model::TwoWayMixed, Unit::Average) => "ICC(3,k)",
        }
    }

    /// The McGraw-Wong name, e.g. `ICC(A,1)`.
    pub fn mcgraw_wong(self) -> &'static str {
        match (self.model, self.unit) {
            (Model::OneWay, Unit::Single) => "ICC(1)",
            (Model::TwoWayRandom, Unit::Single) => "ICC(A,1)",
            (Model::TwoWayMixed, Unit::Single) => "ICC(C,1)",
            (Model::OneWay, Unit::Average) => "ICC(k)",
            (Model::TwoWayRandom, Unit::Average) => "ICC(A,k)",
            (Model::TwoWayMixed, Unit::Average) => "ICC(C,k)",
        }
    }

    /// One line on the model, for reports.
    pub fn description(self) -> &'static str {
        match self.model {
            Model::OneWay => "one-way random effects (raters without systematic identity)",
            Model::TwoWayRandom => "two-way random effects, absolute agreement",
            Model::TwoWayMixed => "two-way mixed effects, consistency",
        }
    }
}

impl fmt::Display for IccForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shrout_fleiss())
    }
}

impl FromStr for IccForm {
    type Err = IccError;

    /// Accepts `1,1`, `2,1`, `3,1`, `1,k`, `2,k`, `3,k`, the McGraw-Wong names `1`, `k`,
    /// `A,1`, `C,1`, `A,k`, `C,k`, each optionally written as `ICC(...)`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let t = t.to_ascii_lowercase();
        let inner = t
            .strip_prefix("icc(")
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or(&t)
            .to_string();
        let form = match inner.as_str() {
            "1,1" | "1" => IccForm::ICC1_1,
            "2,1" | "a,1" => IccForm::ICC2_1,
            "3,1" | "c,1" => IccForm::ICC3_1,
            "1,k" | "k" => IccForm::ICC1_K,
            "2,k" | "a,k" => IccForm::ICC2_K,
            "3,k" | "c,k" => IccForm::ICC3_K,
            _ => {
                return Err(IccError::UnknownForm {
                    given: s.to_string(),
                })
            }
        };
        Ok(form)
    }
}

/// How targets with missing ratings are handled by [`icc_fit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingMethod {
    /// Drop every target with a missing rating (the count is reported).
    Listwise,
    /// Keep incomplete targets: unbalanced one-way ANOVA and Henderson Method III (module
    /// doc, "Incomplete data").
    Keep,
    /// Keep incomplete targets: REML variance components with profile-likelihood
    /// intervals ([`crate::stats::reml`]); the F test stays that of [`MissingMethod::Keep`].
    Reml,
}

impl FromStr for MissingMethod {
    type Err = IccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "listwise" => Ok(MissingMethod::Listwise),
            "keep" => Ok(MissingMethod::Keep),
            "reml" => Ok(MissingMethod::Reml),
            _ => Err(IccError::UnknownMissingMethod {
                given: s.to_string(),
            }),
        }
    }
}

/// Koo & Li (2016) reliability bands: poor below 0.5, moderate [0.5, 0.75), good
/// [0.75, 0.9], excellent above 0.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KooLiBand {
    Poor,
    Moderate,
    Good,
    Excellent,
}

impl KooLiBand {
    /// The band of `icc`; `None` for NaN.
    ///
    /// # Reference
    /// Koo & Li (2016), J Chiropr Med 15:155, "Interpretation": below 0.5 poor, 0.5-0.75
    /// moderate, 0.75-0.9 good, above 0.9 excellent.
    pub fn of(icc: f64) -> Option<KooLiBand> {
        if icc.is_nan() {
            None
        } else if icc < 0.5 {
            Some(KooLiBand::Poor)
        } else if icc < 0.75 {
            Some(KooLiBand::Moderate)
        } else if icc <= 0.9 {
            Some(KooLiBand::Good)
        } else {
            Some(KooLiBand::Excellent)
        }
    }

    /// Lower-case name (`poor`, `moderate`, `good`, `excellent`).
    pub fn as_str(self) -> &'static str {
        match self {
            KooLiBand::Poor => "poor",
            KooLiBand::Moderate => "moderate",
            KooLiBand::Good => "good",
            KooLiBand::Excellent => "excellent",
        }
    }
}

/// A rating table: `n` targets (rows) by `k` raters (columns), possibly with missing cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratings {
    n: usize,
    k: usize,
    /// Row-major `n * k`; `NaN` marks a missing cell (never a rating: input is checked).
    values: Vec<f64>,
}

/// Something the data made degenerate or approximate; the result is still reported.
#[derive(Debug, Clone, PartialEq)]
pub enum IccWarning {
    /// Every rater gave every target the same rating: ICC = 1 with the interval [1, 1].
    PerfectAgreement,
    /// No residual variance, but raters differ by constant offsets: F is infinite.
    ZeroResidualVariance,
    /// All targets have the same mean rating: the ICC is degenerate (at or below 0).
    ZeroBetweenTargetVariance,
    /// Every rating is the same number: the ICC is 0/0 and reported as NaN.
    NoVariance,
    /// The single-rating ICC is below the model's lower bound `-1 / (k - 1)`.
    BelowLowerBound { icc: f64, bound: f64 },
    /// The single-rating ICC is at or below `-1 / (k - 1)`, where the mean-of-k form is
    /// undefined (its formula jumps above 1): reported as `-inf`.
    AverageUndefined { single: f64 },
    /// Targets were dropped for missing ratings (listwise deletion).
    Dropped { n: usize },
    /// Incomplete data: the interval uses effective sizes in the balanced formulas.
    ApproximateInterval,
    /// The interval could not be computed (degenerate degrees of freedom).
    IntervalUndefined,
}

impl fmt::Display for IccWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IccWarning::PerfectAgreement => {
                f.write_str("perfect agreement: ICC = 1 with interval [1, 1], F infinite")
            }
            IccWarning::ZeroResidualVariance => {
                f.write_str("zero residual variance: raters differ only by offsets, F infinite")
            }
            IccWarning::ZeroBetweenTargetVariance => {
                f.write_str("degenerate: zero between-subject variance")
            }
            IccWarning::NoVariance => f.write_str("all ratings are equal: ICC undefined (NaN)"),
            IccWarning::BelowLowerBound { icc, bound } => {
                write!(f, "ICC {icc:.6} below the model's lower bound {bound:.6}")
            }
            IccWarning::AverageUndefined { single } => write!(
                f,
                "single-rating ICC {single:.6} at or below -1/(k-1): mean-of-k ICC undefined, \
                 reported as -inf"
            ),
            IccWarning::Dropped { n } => {
                let s = if *n == 1 { "subject" } else { "subjects" };
                write!(f, "{n} {s} dropped (missing rating)")
            }
            IccWarning::ApproximateInterval => {
                f.write_str("incomplete data: approximate interval (effective sizes)")
            }
            IccWarning::IntervalUndefined => f.write_str("interval undefined"),
        }
    }
}

/// One ICC with its F test and interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IccEstimate {
    pub form: IccForm,
    /// The point estimate; never above 1; `-inf` or NaN only with a warning.
    pub icc: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Confidence level of the interval, e.g. 0.95.
    pub confidence: f64,
    /// F statistic for H0: ICC = 0 (between-target mean square over the error or
    /// within-target mean square).
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    /// Upper-tail p-value of `f` on (`df1`, `df2`).
    pub p: f64,
    pub warnings: Vec<IccWarning>,
}

/// The balanced two-way ANOVA without replication (Shrout & Fleiss 1979, Table 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anova {
    /// Targets (rows).
    pub n: usize,
    /// Raters (columns).
    pub k: usize,
    pub ss_rows: f64,
    pub ss_cols: f64,
    pub ss_error: f64,
    /// Within-target sum of squares (`ss_cols + ss_error`), the one-way residual.
    pub ss_within: f64,
    pub ss_total: f64,
    pub ms_rows: f64,
    pub ms_cols: f64,
    pub ms_error: f64,
    pub ms_within: f64,
}

/// The mean squares and effective sizes every form is computed from (balanced or not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSquares {
    /// One-way between-target mean square, its df, within-target mean square and its df.
    pub ms_between: f64,
    pub df_between: f64,
    pub ms_within: f64,
    pub df_within: f64,
    /// Effective ratings per target in the one-way model (`k` when balanced).
    pub k0: f64,
    /// Two-way target, rater and residual mean squares with their df.
    pub ms_rows: f64,
    pub df_rows: f64,
    pub ms_cols: f64,
    pub df_cols: f64,
    pub ms_error: f64,
    pub df_error: f64,
    /// Coefficient of the target variance in E[ms_rows] (`k` when balanced).
    pub k_a: f64,
    /// Coefficient of the rater variance in E[ms_cols] (`n` when balanced).
    pub n_b: f64,
    /// Which sums of squares are zero relative to the total (see `ZERO_SS_REL`).
    pub zero_between: bool,
    pub zero_within: bool,
    pub zero_rows: bool,
    pub zero_cols: bool,
    pub zero_error: bool,
    pub zero_total: bool,
    /// True when computed from complete data (exact intervals).
    pub balanced: bool,
}

/// The ICCs of one rating table, with how many targets entered and were dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct IccFit {
    pub estimates: Vec<IccEstimate>,
    /// Targets used.
    pub n_targets: usize,
    /// Raters with at least one rating among the used targets.
    pub n_raters: usize,
    /// Targets dropped (missing ratings under listwise deletion; no rating at all).
    pub dropped: usize,
    pub method: MissingMethod,
    pub mean_squares: MeanSquares,
}

/// Errors from ICC computation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IccError {
    #[error("rating table shape: {n} targets x {k} raters needs {expected} values, got {got}")]
    Shape {
        n: usize,
        k: usize,
        expected: usize,
        got: usize,
    },
    #[error("rating of target {target}, rater {rater} is {value}; expected a finite number")]
    NonFinite {
        target: usize,
        rater: usize,
        value: f64,
    },
    #[error("ICC needs at least 2 targets with ratings, got {n}")]
    TooFewTargets { n: usize },
    #[error("ICC needs at least 2 raters, got {k}")]
    TooFewRaters { k: usize },
    #[error("the rating table has {missing} missing cells; use icc_fit with a MissingMethod")]
    Incomplete { missing: usize },
    #[error("no subject has ratings from {}", all_phrase(.k))]
    NoCompleteTarget { k: usize },
    #[error("no subject has ratings from {}", two_phrase(.k))]
    NoRepeatedTarget { k: usize },
    #[error(
        "raters and targets fall into {components} disconnected groups; the two-way model \
         needs a connected design"
    )]
    Disconnected { components: usize },
    #[error("too few ratings for the {model} model: residual df {df} (need at least 1)")]
    NoResidualDf { model: &'static str, df: f64 },
    #[error("confidence level {value} outside (0, 1)")]
    Confidence { value: f64 },
    #[error("unknown ICC form {given:?}; expected 1,1 2,1 3,1 1,k 2,k 3,k or A,1 C,1 A,k C,k")]
    UnknownForm { given: String },
    #[error("unknown missing-data method {given:?}; expected listwise, keep or reml")]
    UnknownMissingMethod { given: String },
}

fn all_phrase(k: &usize) -> String {
    if *k == 2 {
        "both conditions".to_string()
    } else {
        format!("all {k} raters")
    }
}

fn two_phrase(k: &usize) -> String {
    if *k == 2 {
        "both conditions".to_string()
    } else {
        "two or more raters".to_string()
    }
}

impl Ratings {
    /// A complete table from row-major `values` (`n` targets by `k` raters).
    ///
    /// # Errors
    /// [`IccError::Shape`] when `values.len() != n * k`; [`IccError::NonFinite`] naming the
    /// first non-finite rating.
    pub fn complete(n: usize, k: usize, values: Vec<f64>) -> Result<Ratings, IccError> {
        check_shape(n, k, values.len())?;
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return Err(IccError::NonFinite {
                target: pos / k,
                rater: pos % k,
                value: values[pos],
            });
        }
        Ok(Ratings { n, k, values })
    }

    /// A complete table from rows (each row one target).
    ///
    /// # Errors
    /// As [`Ratings::complete`]; rows of unequal length give [`IccError::Shape`].
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Ratings, IccError> {
        let n = rows.len();
        let k = rows.first().map_or(0, Vec::len);
        let values: Vec<f64> = rows.iter().flatten().copied().collect();
        Ratings::complete(n, k, values)
    }

    /// A table where `None` marks a missing rating.
    ///
    /// # Errors
    /// [`IccError::Shape`]; [`IccError::NonFinite`] for a present but non-finite rating.
    pub fn with_missing(n: usize, k: usize, values: &[Option<f64>]) -> Result<Ratings, IccError> {
        check_shape(n, k, values.len())?;
        let mut out = Vec::with_capacity(values.len());
        for (pos, v) in values.iter().enumerate() {
            match v {
                Some(x) if !x.is_finite() => {
                    return Err(IccError::NonFinite {
                        target: pos / k,
                        rater: pos % k,
                        value: *x,
                    })
                }
                Some(x) => out.push(*x),
                None => out.push(f64::NAN),
            }
        }
        Ok(Ratings { n, k, values: out })
    }

    /// The table divided by a power of two when its ratings are so large or small that
    /// sums of squares would overflow or underflow (`crate::stats::scale`); the ICC is a
    /// ratio of mean squares, so it is unchanged, and the division is exact.
    pub fn rescaled(&self) -> std::borrow::Cow<'_, Ratings> {
        let s = crate::stats::scale::pow2_factor(&self.values);
        if s == 1.0 {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(Ratings {
            n: self.n,
            k: self.k,
            values: self.values.iter().map(|v| v * s).collect(),
        })
    }

    /// Number of targets (rows).
    pub fn n_targets(&self) -> usize {
        self.n
    }

    /// Number of raters (columns).
    pub fn n_raters(&self) -> usize {
        self.k
    }

    /// The rating of target `i` by rater `j`; `None` when missing or out of range.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        if i >= self.n || j >= self.k {
            return None;
        }
        let v = self.values[i * self.k + j];
        (!v.is_nan()).then_some(v)
    }

    /// Number of missing cells.
    pub fn n_missing(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }

    /// The complete targets only, and the indices of the dropped ones.
    pub fn listwise(&self) -> (Ratings, Vec<usize>) {
        let mut values = Vec::with_capacity(self.values.len());
        let mut dropped = Vec::new();
        for (i, row) in self.values.chunks_exact(self.k.max(1)).enumerate() {
            if row.iter().any(|v| v.is_nan()) {
                dropped.push(i);
            } else {
                values.extend_from_slice(row);
            }
        }
        let n = if self.k == 0 {
            0
        } else {
            values.len() / self.k
        };
        (
            Ratings {
                n,
                k: self.k,
                values,
            },
            dropped,
        )
    }
}

fn check_shape(n: usize, k: usize, got: usize) -> Result<(), IccError> {
    let expected = n.checked_mul(k).unwrap_or(usize::MAX);
    if expected != got {
        return Err(IccError::Shape {
            n,
            k,
            expected,
            got,
        });
    }
    Ok(())
}

fn check_confidence(confidence: f64) -> Result<(), IccError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(IccError::Confidence { value: confidence });
    }
    Ok(())
}

/// The two-way ANOVA without replication of a complete rating table.
///
/// # Formula
/// With `y_ij` the rating of target `i` by rater `j`, row means `m_i`, column means `m_j`
/// and grand mean `m`:
/// ```text
/// ss_rows   = k sum_i (m_i - m)^2                ms_rows   = ss_rows / (n - 1)
/// ss_cols   = n sum_j (m_j - m)^2                ms_cols   = ss_cols / (k - 1)
/// ss_error  = sum_ij (y_ij - m_i - m_j + m)^2    ms_error  = ss_error / ((n - 1)(k - 1))
/// ss_within = sum_ij (y_ij - m_i)^2              ms_within = ss_within / (n (k - 1))
/// ```
/// Each sum of squares is summed from its own deviations (not by subtraction), so a
/// zero is exactly zero.
///
/// # Reference
/// Shrout & Fleiss (1979), Table 2; McGraw & Wong (1996), Table 2.
///
/// # Errors
/// [`IccError::Incomplete`] when a cell is missing; [`IccError::TooFewTargets`],
/// [`IccError::TooFewRaters`] when `n < 2` or `k < 2`.
pub fn anova(r: &Ratings) -> Result<Anova, IccError> {
    let (n, k) = (r.n, r.k);
    let missing = r.n_missing();
    if missing > 0 {
        return Err(IccError::Incomplete { missing });
    }
    if k < 2 {
        return Err(IccError::TooFewRaters { k });
    }
    if n < 2 {
        return Err(IccError::TooFewTargets { n });
    }

    let (nf, kf) = (n as f64, k as f64);
    let y = |i: usize, j: usize| r.values[i * k + j];
    // The mean of equal values is that value: a sum rounds (five times 0.1 is not 0.5), and
    // the rounding would turn a constant table or target into a tiny non-zero variance.
    let mean = |mut v: Box<dyn Iterator<Item = f64> + '_>, count: f64| {
        let first = v.next().unwrap_or(f64::NAN);
        let mut sum = first;
        let mut equal = true;
        for x in v {
            equal &= x == first;
            sum += x;
        }
        if equal {
            first
        } else {
            sum / count
        }
    };
    let m = mean(Box::new(r.values.iter().copied()), nf * kf);
    let m_i: Vec<f64> = (0..n)
        .map(|i| mean(Box::new((0..k).map(move |j| y(i, j))), kf))
        .collect();
    let m_j: Vec<f64> = (0..k)
        .map(|j| mean(Box::new((0..n).map(move |i| y(i, j))), nf))
        .collect();

    let ss_rows = kf * m_i.iter().map(|a| (a - m) * (a - m)).sum::<f64>();
    let ss_cols = nf * m_j.iter().map(|b| (b - m) * (b - m)).sum::<f64>();
    let mut ss_error = 0.0;
    let mut ss_within = 0.0;
    let mut ss_total = 0.0;
    for i in 0..n {
        for j in 0..k {
            let e = y(i, j) - m_i[i] - m_j[j] + m;
            let w = y(i, j) - m_i[i];
            let t = y(i, j) - m;
            ss_error += e * e;
            ss_within += w * w;
            ss_total += t * t;
        }
    }

    Ok(Anova {
        n,
        k,
        ss_rows,
        ss_cols,
        ss_error,
        ss_within,
        ss_total,
        ms_rows: ss_rows / (nf - 1.0),
        ms_cols: ss_cols / (kf - 1.0),
        ms_error: ss_error / ((nf - 1.0) * (kf - 1.0)),
        ms_within: ss_within / (nf * (kf - 1.0)),
    })
}

impl Anova {
    /// The mean squares of this balanced table in the form the ICC formulas take.
    pub fn mean_squares(&self) -> MeanSquares {
        let (nf, kf) = (self.n as f64, self.k as f64);
        let zero = |ss: f64| ss <= ZERO_SS_REL * self.ss_total;
        MeanSquares {
            ms_between: self.ms_rows,
            df_between: nf - 1.0,
            ms_within: self.ms_within,
            df_within: nf * (kf - 1.0),
            k0: kf,
            ms_rows: self.ms_rows,
            df_rows: nf - 1.0,
            ms_cols: self.ms_cols,
            df_cols: kf - 1.0,
            ms_error: self.ms_error,
            df_error: (nf - 1.0) * (kf - 1.0),
            k_a: kf,
            n_b: nf,
            zero_between: zero(self.ss_rows),
            zero_within: zero(self.ss_within),
            zero_rows: zero(self.ss_rows),
            zero_cols: zero(self.ss_cols),
            zero_error: zero(self.ss_error),
            zero_total: self.ss_total == 0.0,
            balanced: true,
        }
    }
}

/// One ICC form of a complete rating table, with its F test and interval.
///
/// # Formula
/// With the mean squares of [`anova`] (`R` rows, `C` columns, `E` error, `W` within):
/// ```text
/// ICC(1,1) = (R - W) / (R + (k-1) W)                 F = R / W, df (n-1, n(k-1))
/// ICC(2,1) = (R - E) / (R + (k-1) E + k (C - E) / n) F = R / E, df (n-1, (n-1)(k-1))
/// ICC(3,1) = (R - E) / (R + (k-1) E)                 F = R / E, df (n-1, (n-1)(k-1))
/// ICC(x,k) = k ICC(x,1) / (1 + (k-1) ICC(x,1))       (Spearman-Brown; same F test)
/// ```
/// Intervals (level `1 - alpha`), with `q(p; a, b)` the F quantile:
/// ```text
/// one-way, C:  F_L = F / q(1-alpha/2; df1, df2),  F_U = F q(1-alpha/2; df2, df1)
///              [(F_L - 1) / (F_L + k - 1), (F_U - 1) / (F_U + k - 1)]
/// A (2,1):     v = (a C + b E)^2 / ((a C)^2 / (k-1) + (b E)^2 / ((n-1)(k-1))),
///              a = k rho / (n (1 - rho)),  b = 1 + k rho (n-1) / (n (1 - rho)),
///              F* = q(1-alpha/2; n-1, v),  F_* = q(1-alpha/2; v, n-1)
///              lower = n (R - F* E) / (F* (k C + (kn - k - n) E) + n R)
///              upper = n (F_* R - E) / (k C + (kn - k - n) E + n F_* R)
/// mean of k:   the single-rating bounds through Spearman-Brown.
/// ```
///
/// # Reference
/// Shrout & Fleiss (1979), Table 4 and eqs. 6-13; McGraw & Wong (1996), Tables 4, 7, 8
/// (the Satterthwaite df `v` for ICC(A,1) is Table 7's).
///
/// # Errors
/// As [`anova`]; [`IccError::Confidence`] when `confidence` is not in (0, 1).
///
/// # Degenerate cases
/// - Perfect agreement (no within-target variance): ICC 1, interval [1, 1], F infinite,
///   p 0, [`IccWarning::PerfectAgreement`].
/// - Zero between-target variance: the formulas' values (at or below 0, possibly below
///   `-1/(k-1)`) with [`IccWarning::ZeroBetweenTargetVariance`]; never clipped to 0.
/// - A single-rating value at or below `-1/(k-1)` makes the mean-of-k form `-inf`
///   ([`IccWarning::AverageUndefined`]), never the value above 1 the formula gives.
/// - All ratings equal: NaN with [`IccWarning::NoVariance`].
pub fn icc(r: &Ratings, form: IccForm, confidence: f64) -> Result<IccEstimate, IccError> {
    check_confidence(confidence)?;
    let ms = anova(&r.rescaled())?.mean_squares();
    Ok(estimate(&ms, form, confidence))
}

/// All six forms of a complete rating table (Shrout & Fleiss' order).
///
/// # Errors
/// As [`icc`].
pub fn icc_all(r: &Ratings, confidence: f64) -> Result<Vec<IccEstimate>, IccError> {
    check_confidence(confidence)?;
    let ms = anova(&r.rescaled())?.mean_squares();
    Ok(IccForm::ALL
        .iter()
        .map(|&f| estimate(&ms, f, confidence))
        .collect())
}

/// The ICC forms of a rating table that may have missing ratings.
///
/// Complete tables get the exact balanced analysis whatever the method. Otherwise
/// [`MissingMethod::Listwise`] analyses the complete targets (with
/// [`IccWarning::Dropped`]) and [`MissingMethod::Keep`] uses the unbalanced estimators of
/// the module doc ("Incomplete data"), flagged [`IccWarning::ApproximateInterval`].
///
/// # Errors
/// [`IccError::NoCompleteTarget`] (listwise) or [`IccError::NoRepeatedTarget`] (keep) when
/// no target has enough ratings; [`IccError::TooFewTargets`], [`IccError::TooFewRaters`];
/// [`IccError::Disconnected`] or [`IccError::NoResidualDf`] when the incomplete two-way
/// design cannot separate target, rater and residual variance;
/// [`IccError::Confidence`].
pub fn icc_fit(
    r: &Ratings,
    forms: &[IccForm],
    missing: MissingMethod,
    confidence: f64,
) -> Result<IccFit, IccError> {
    check_confidence(confidence)?;
    if r.k < 2 {
        return Err(IccError::TooFewRaters { k: r.k });
    }
    let r = &r.rescaled();

    if r.n_missing() == 0 {
        let ms = anova(r)?.mean_squares();
        let estimates = forms
            .iter()
            .map(|&f| estimate(&ms, f, confidence))
            .collect();
        return Ok(IccFit {
            estimates,
            n_targets: r.n,
            n_raters: r.k,
            dropped: 0,
            method: missing,
            mean_squares: ms,
        });
    }

    match missing {
        MissingMethod::Listwise => {
            let (complete, dropped) = r.listwise();
            if complete.n == 0 {
                return Err(IccError::NoCompleteTarget { k: r.k });
            }
            let ms = anova(&complete)?.mean_squares();
            let warn = IccWarning::Dropped { n: dropped.len() };
            let estimates = forms
                .iter()
                .map(|&f| {
                    let mut e = estimate(&ms, f, confidence);
                    e.warnings.insert(0, warn.clone());
                    e
                })
                .collect();
            Ok(IccFit {
                estimates,
                n_targets: complete.n,
                n_raters: r.k,
                dropped: dropped.len(),
                method: missing,
                mean_squares: ms,
            })
        }
        MissingMethod::Keep | MissingMethod::Reml => {
            let layout = Layout::of(r);
            let needs_two_way = forms.iter().any(|f| f.model != Model::OneWay);
            let ms = unbalanced_mean_squares(&layout, needs_two_way)?;
            let mut fits: Vec<(Model, Option<RemlResult>)> = Vec::new();
            let estimates = forms
                .iter()
                .map(|&f| {
                    let mut e = estimate(&ms, f, confidence);
                    if missing == MissingMethod::Keep || is_degenerate(&e) {
                        e.warnings.push(IccWarning::ApproximateInterval);
                        return e;
                    }
                    let fit = match fits.iter().find(|(m, _)| *m == f.model) {
                        Some((_, fit)) => fit.clone(),
                        None => {
                            let single = estimate(&ms, IccForm::single(f.model), confidence);
                            let fit = reml_single(&layout, f.model, &ms, single.icc, confidence);
                            fits.push((f.model, fit.clone()));
                            fit
                        }
                    };
                    match fit {
                        Some(fit) => with_reml(e, &fit, layout.raters.len() as f64),
                        None => {
                            e.warnings.push(IccWarning::ApproximateInterval);
                            e
                        }
                    }
                })
                .collect();
            Ok(IccFit {
                estimates,
                n_targets: layout.targets.len(),
                n_raters: layout.raters.len(),
                dropped: r.n - layout.targets.len(),
                method: missing,
                mean_squares: ms,
            })
        }
    }
}

/// The REML single-rating ICC and its profile interval.
#[derive(Debug, Clone, Copy)]
struct RemlResult {
    icc: f64,
    lower: f64,
    upper: f64,
}

/// An estimate fixed by a degenerate table (exact, NaN or boundary): REML adds nothing.
fn is_degenerate(e: &IccEstimate) -> bool {
    e.warnings.iter().any(|w| {
        matches!(
            w,
            IccWarning::PerfectAgreement
                | IccWarning::ZeroResidualVariance
                | IccWarning::NoVariance
                | IccWarning::IntervalUndefined
        )
    })
}

/// Fits the REML model of `model` on the incomplete table, started at the ANOVA estimate;
/// `None` (with a log line) when REML cannot be fitted, so the caller keeps Method III.
fn reml_single(
    l: &Layout,
    model: Model,
    ms: &MeanSquares,
    anova_icc: f64,
    confidence: f64,
) -> Option<RemlResult> {
    let problem = match reml::Problem::new(&l.cells, l.raters.len(), model) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("REML not fitted, Method III kept: {e}");
            return None;
        }
    };
    let s2_b = ((ms.ms_cols - ms.ms_error) / ms.n_b).max(0.0);
    let start_b = s2_b / (s2_b + ms.ms_error);
    match problem.fit(anova_icc, start_b) {
        Ok(fit) => {
            let (lower, upper) = problem.interval(&fit, confidence);
            Some(RemlResult {
                icc: fit.icc(),
                lower,
                upper,
            })
        }
        Err(e) => {
            tracing::warn!("REML not fitted, Method III kept: {e}");
            None
        }
    }
}

/// Replaces the point estimate and interval of `e` by the REML ones (stepped up to the mean
/// of `k` ratings for the average forms); F, df and p stay those of Method III.
fn with_reml(mut e: IccEstimate, fit: &RemlResult, k: f64) -> IccEstimate {
    let step = |x: f64| match e.form.unit {
        Unit::Single => x,
        Unit::Average => spearman_brown(x, k),
    };
    e.icc = step(fit.icc);
    e.ci_lower = step(fit.lower);
    e.ci_upper = step(fit.upper);
    e.warnings.retain(|w| {
        !matches!(
            w,
            IccWarning::BelowLowerBound { .. } | IccWarning::AverageUndefined { .. }
        )
    });
    e
}

/// Computes one form from the mean squares (balanced or effective).
fn estimate(ms: &MeanSquares, form: IccForm, confidence: f64) -> IccEstimate {
    let alpha = 1.0 - confidence;
    let single = match form.model {
        Model::OneWay => one_way_single(ms, alpha),
        Model::TwoWayMixed => consistency_single(ms, alpha),
        Model::TwoWayRandom => agreement_single(ms, alpha),
    };
    let k_eff = match form.model {
        Model::OneWay => ms.k0,
        _ => ms.k_a,
    };
    let mut e = match form.unit {
        Unit::Single => single.into_estimate(form, confidence, k_eff),
        Unit::Average => single
            .spearman_brown(k_eff)
            .into_estimate(form, confidence, k_eff),
    };
    sanitize(&mut e);
    e
}

/// A single-rating result before the form is attached.
#[derive(Debug, Clone)]
struct Single {
    icc: f64,
    lower: f64,
    upper: f64,
    f: f64,
    df1: f64,
    df2: f64,
    p: f64,
    warnings: Vec<IccWarning>,
}

impl Single {
    fn into_estimate(self, form: IccForm, confidence: f64, k_eff: f64) -> IccEstimate {
        let mut warnings = self.warnings;
        let bound = -1.0 / (k_eff - 1.0);
        if form.unit == Unit::Single && self.icc < bound - 1e-12 {
            warnings.push(IccWarning::BelowLowerBound {
                icc: self.icc,
                bound,
            });
        }
        IccEstimate {
            form,
            icc: self.icc,
            ci_lower: self.lower,
            ci_upper: self.upper,
            confidence,
            f: self.f,
            df1: self.df1,
            df2: self.df2,
            p: self.p,
            warnings,
        }
    }

    /// The mean-of-`k` version (Spearman-Brown) of the estimate and both bounds.
    fn spearman_brown(mut self, k: f64) -> Single {
        let bound = -1.0 / (k - 1.0);
        if self.icc <= bound {
            self.warnings
                .push(IccWarning::AverageUndefined { single: self.icc });
        }
        self.icc = spearman_brown(self.icc, k);
        self.lower = spearman_brown(self.lower, k);
        self.upper = spearman_brown(self.upper, k);
        self
    }
}

/// Spearman-Brown step-up `k x / (1 + (k - 1) x)`; `-inf` at or below `x = -1/(k-1)`,
/// where the formula has its pole and then jumps above 1.
fn spearman_brown(x: f64, k: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x == 1.0 {
        return 1.0;
    }
    let d = 1.0 + (k - 1.0) * x;
    if d <= 0.0 {
        return f64::NEG_INFINITY;
    }
    k * x / d
}

fn f_quantile(p: f64, d1: f64, d2: f64) -> f64 {
    match FisherSnedecor::new(d1, d2) {
        Ok(dist) => dist.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() {
        return f64::NAN;
    }
    if f == f64::INFINITY {
        return 0.0;
    }
    match FisherSnedecor::new(d1, d2) {
        Ok(dist) => dist.sf(f.max(0.0)),
        Err(_) => f64::NAN,
    }
}

fn exact(value: f64, f: f64, df1: f64, df2: f64, warning: IccWarning) -> Single {
    Single {
        icc: value,
        lower: value,
        upper: value,
        f,
        df1,
        df2,
        p: f_sf(f, df1, df2),
        warnings: vec![warning],
    }
}

fn nan_single(df1: f64, df2: f64) -> Single {
    Single {
        icc: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
        f: f64::NAN,
        df1,
        df2,
        p: f64::NAN,
        warnings: vec![IccWarning::NoVariance],
    }
}

/// ICC(1,1) with the F-based interval: Shrout & Fleiss (1979) eqs. 6-7 (with `k0` for
/// unbalanced data).
fn one_way_single(ms: &MeanSquares, alpha: f64) -> Single {
    let (r, w, k) = (ms.ms_between, ms.ms_within, ms.k0);
    let (df1, df2) = (ms.df_between, ms.df_within);
    if ms.zero_total {
        return nan_single(df1, df2);
    }
    if ms.zero_within {
        return exact(1.0, f64::INFINITY, df1, df2, IccWarning::PerfectAgreement);
    }

    let f = r / w;
    let icc = (r - w) / (r + (k - 1.0) * w);
    let f_l = f / f_quantile(1.0 - alpha / 2.0, df1, df2);
    let f_u = f * f_quantile(1.0 - alpha / 2.0, df2, df1);
    let mut warnings = Vec::new();
    if ms.zero_between {
        warnings.push(IccWarning::ZeroBetweenTargetVariance);
    }
    Single {
        icc,
        lower: (f_l - 1.0) / (f_l + k - 1.0),
        upper: (f_u - 1.0) / (f_u + k - 1.0),
        f,
        df1,
        df2,
        p: f_sf(f, df1, df2),
        warnings,
    }
}

/// ICC(3,1) = ICC(C,1) with the F-based interval: Shrout & Fleiss (1979) eqs. 12-13;
/// McGraw & Wong (1996) Table 7, case 3.
fn consistency_single(ms: &MeanSquares, alpha: f64) -> Single {
    let (r, e, k) = (ms.ms_rows, ms.ms_error, ms.k_a);
    let (df1, df2) = (ms.df_rows, ms.df_error);
    if ms.zero_rows && ms.zero_error {
        return nan_single(df1, df2);
    }
    if ms.zero_error {
        let w = if ms.zero_cols {
            IccWarning::PerfectAgreement
        } else {
            IccWarning::ZeroResidualVariance
        };
        return exact(1.0, f64::INFINITY, df1, df2, w);
    }

    let f = r / e;
    let icc = (r - e) / (r + (k - 1.0) * e);
    let f_l = f / f_quantile(1.0 - alpha / 2.0, df1, df2);
    let f_u = f * f_quantile(1.0 - alpha / 2.0, df2, df1);
    let mut warnings = Vec::new();
    if ms.zero_rows {
        warnings.push(IccWarning::ZeroBetweenTargetVariance);
    }
    Single {
        icc,
        lower: (f_l - 1.0) / (f_l + k - 1.0),
        upper: (f_u - 1.0) / (f_u + k - 1.0),
        f,
        df1,
        df2,
        p: f_sf(f, df1, df2),
        warnings,
    }
}

/// ICC(2,1) = ICC(A,1) with the Satterthwaite-type interval of McGraw & Wong (1996),
/// Table 7 (case 2A), written with `k_a`, `n_b` (equal to `k`, `n` when balanced).
fn agreement_single(ms: &MeanSquares, alpha: f64) -> Single {
    let (r, c, e) = (ms.ms_rows, ms.ms_cols, ms.ms_error);
    let (k, n) = (ms.k_a, ms.n_b);
    let (df1, df2) = (ms.df_rows, ms.df_error);
    if ms.zero_rows && ms.zero_error && ms.zero_cols {
        return nan_single(df1, df2);
    }
    if ms.zero_error && ms.zero_cols {
        return exact(1.0, f64::INFINITY, df1, df2, IccWarning::PerfectAgreement);
    }

    let f = if ms.zero_error { f64::INFINITY } else { r / e };
    let e = if ms.zero_error { 0.0 } else { e };
    let k_over_n = k / n;
    // Coefficient of E in the denominators: (kn - k - n) / n.
    let c_e = k - k_over_n - 1.0;
    let icc = (r - e) / (r + (k - 1.0) * e + k_over_n * (c - e));

    // Satterthwaite df for the linear combination a C + b E (McGraw & Wong Table 7).
    let rho = icc;
    let a = k_over_n * rho / (1.0 - rho);
    let b = 1.0 + rho * (k - k_over_n) / (1.0 - rho);
    let num = (a * c + b * e).powi(2);
    let den = (a * c).powi(2) / ms.df_cols + (b * e).powi(2) / df2;
    let v = num / den;

    let (lower, upper) = if ms.zero_rows {
        // With R = 0 both bounds reduce to the estimate whatever the quantiles (and v is
        // 0/0 when C is 0 too).
        (icc, icc)
    } else {
        let f_star = f_quantile(1.0 - alpha / 2.0, df1, v);
        let f_star_u = f_quantile(1.0 - alpha / 2.0, v, df1);
        (
            (r - f_star * e) / (f_star * (k_over_n * c + c_e * e) + r),
            (f_star_u * r - e) / (k_over_n * c + c_e * e + f_star_u * r),
        )
    };

    let mut warnings = Vec::new();
    if ms.zero_error {
        warnings.push(IccWarning::ZeroResidualVariance);
    }
    if ms.zero_rows {
        warnings.push(IccWarning::ZeroBetweenTargetVariance);
    }
    Single {
        icc,
        lower,
        upper,
        f,
        df1,
        df2,
        p: f_sf(f, df1, df2),
        warnings,
    }
}

/// The Satterthwaite df of McGraw & Wong (1996) Table 7 for ICC(A,1) on a complete
/// table (exposed for checking against published values).
///
/// # Formula
/// `v = (a C + b E)^2 / ((a C)^2 / (k-1) + (b E)^2 / ((n-1)(k-1)))` with
/// `a = k rho / (n (1 - rho))`, `b = 1 + k rho (n - 1) / (n (1 - rho))`, `rho` = ICC(A,1).
///
/// # Errors
/// As [`anova`].
pub fn satterthwaite_df(r: &Ratings) -> Result<f64, IccError> {
    let ms = anova(r)?.mean_squares();
    let (rr, c, e, k, n) = (ms.ms_rows, ms.ms_cols, ms.ms_error, ms.k_a, ms.n_b);
    let rho = (rr - e) / (rr + (k - 1.0) * e + k / n * (c - e));
    let a = k / n * rho / (1.0 - rho);
    let b = 1.0 + rho * (k - k / n) / (1.0 - rho);
    Ok((a * c + b * e).powi(2) / ((a * c).powi(2) / ms.df_cols + (b * e).powi(2) / ms.df_error))
}

/// Enforces the output contract: never above 1, `lower <= icc <= upper`, NaN only with a
/// warning.
fn sanitize(e: &mut IccEstimate) {
    // `f64::min` would turn NaN into 1: clamp only numbers.
    for v in [&mut e.icc, &mut e.ci_lower, &mut e.ci_upper] {
        if *v > 1.0 {
            *v = 1.0;
        }
    }

    let has_nan_reason = e.warnings.contains(&IccWarning::NoVariance);
    if !has_nan_reason && (e.ci_lower.is_nan() || e.ci_upper.is_nan()) {
        e.ci_lower = f64::NAN;
        e.ci_upper = f64::NAN;
        e.warnings.push(IccWarning::IntervalUndefined);
    }
    if !e.icc.is_nan() && !e.ci_lower.is_nan() && !e.ci_upper.is_nan() {
        // Rounding can put a bound a few ulps on the wrong side of the estimate.
        e.ci_lower = e.ci_lower.min(e.icc);
        e.ci_upper = e.ci_upper.max(e.icc);
    }
}

/// Where the ratings of an incomplete table are: per target its (rater, value) pairs.
struct Layout {
    /// Original indices of targets with at least one rating.
    targets: Vec<usize>,
    /// Original indices of raters with at least one rating among them.
    raters: Vec<usize>,
    /// Per kept target: (kept rater index, rating).
    cells: Vec<Vec<(usize, f64)>>,
}

impl Layout {
    fn of(r: &Ratings) -> Layout {
        let mut rater_used = vec![false; r.k];
        for (pos, v) in r.values.iter().enumerate() {
            if !v.is_nan() {
                rater_used[pos % r.k] = true;
            }
        }
        let mut rater_index = vec![usize::MAX; r.k];
        let mut raters = Vec::new();
        for (j, used) in rater_used.iter().enumerate() {
            if *used {
                rater_index[j] = raters.len();
                raters.push(j);
            }
        }
        let mut targets = Vec::new();
        let mut cells = Vec::new();
        for i in 0..r.n {
            let row: Vec<(usize, f64)> = (0..r.k)
                .filter_map(|j| r.get(i, j).map(|v| (rater_index[j], v)))
                .collect();
            if !row.is_empty() {
                targets.push(i);
                cells.push(row);
            }
        }
        Layout {
            targets,
            raters,
            cells,
        }
    }
}

/// Mean squares of an incomplete table: unbalanced one-way ANOVA and, when asked,
/// Henderson Method III for the additive two-way model (module doc).
fn unbalanced_mean_squares(l: &Layout, two_way: bool) -> Result<MeanSquares, IccError> {
    let k = l.raters.len();
    let n = l.targets.len();
    if !l.cells.iter().any(|c| c.len() >= 2) {
        return Err(IccError::NoRepeatedTarget { k: k.max(2) });
    }
    if k < 2 {
        return Err(IccError::TooFewRaters { k });
    }
    if n < 2 {
        return Err(IccError::TooFewTargets { n });
    }

    // Centre on the grand mean (all ICCs are shift invariant; this keeps sums small).
    let big_n: usize = l.cells.iter().map(Vec::len).sum();
    let nf = big_n as f64;
    let grand = l.cells.iter().flatten().map(|c| c.1).sum::<f64>() / nf;
    let cells: Vec<Vec<(usize, f64)>> = l
        .cells
        .iter()
        .map(|row| row.iter().map(|&(j, v)| (j, v - grand)).collect())
        .collect();
    let n_i: Vec<f64> = cells.iter().map(|c| c.len() as f64).collect();
    let m_i: Vec<f64> = cells
        .iter()
        .zip(&n_i)
        .map(|(c, ni)| c.iter().map(|x| x.1).sum::<f64>() / ni)
        .collect();
    let ss_total: f64 = cells.iter().flatten().map(|c| c.1 * c.1).sum();

    // One-way (Searle et al. 1992, sec. 3.6).
    let ss_between: f64 = n_i.iter().zip(&m_i).map(|(ni, mi)| ni * mi * mi).sum();
    let ss_within: f64 = cells
        .iter()
        .zip(&m_i)
        .map(|(c, mi)| c.iter().map(|x| (x.1 - mi).powi(2)).sum::<f64>())
        .sum();
    let df_between = n as f64 - 1.0;
    let df_within = nf - n as f64;
    let sum_ni2: f64 = n_i.iter().map(|x| x * x).sum();
    let k0 = (nf - sum_ni2 / nf) / df_between;
    let zero = |ss: f64| ss <= ZERO_SS_REL * ss_total;

    let mut ms = MeanSquares {
        ms_between: ss_between / df_between,
        df_between,
        ms_within: ss_within / df_within,
        df_within,
        k0,
        ms_rows: f64::NAN,
        df_rows: df_between,
        ms_cols: f64::NAN,
        df_cols: k as f64 - 1.0,
        ms_error: f64::NAN,
        df_error: f64::NAN,
        k_a: f64::NAN,
        n_b: f64::NAN,
        zero_between: zero(ss_between),
        zero_within: zero(ss_within),
        zero_rows: false,
        zero_cols: false,
        zero_error: false,
        zero_total: ss_total == 0.0,
        balanced: false,
    };
    if !two_way {
        return Ok(ms);
    }

    // Two-way additive model by fitting constants (Henderson Method III).
    let components = connected_components(&cells, k);
    if components > 1 {
        return Err(IccError::Disconnected { components });
    }
    let df_error = nf - n as f64 - k as f64 + 1.0;
    if df_error < 1.0 {
        return Err(IccError::NoResidualDf {
            model: "two-way",
            df: df_error,
        });
    }
    let b_hat = rater_effects(&cells, &m_i, k)?;

    // Residuals of the full model: y_ij - m_i - b_j + mean_{j in i} b_j.
    let mut ss_error = 0.0;
    for (c, mi) in cells.iter().zip(&m_i) {
        let b_bar = c.iter().map(|x| b_hat[x.0]).sum::<f64>() / c.len() as f64;
        for &(j, y) in c {
            let e = y - mi - b_hat[j] + b_bar;
            ss_error += e * e;
        }
    }
    // R(a | mu, b) = residual SS of the raters-only model minus the full model's.
    let mut n_j = vec![0.0; k];
    let mut s_j = vec![0.0; k];
    for &(j, y) in cells.iter().flatten() {
        n_j[j] += 1.0;
        s_j[j] += y;
    }
    let m_j: Vec<f64> = s_j.iter().zip(&n_j).map(|(s, nj)| s / nj).collect();
    let ss_res_raters: f64 = cells
        .iter()
        .flatten()
        .map(|&(j, y)| (y - m_j[j]).powi(2))
        .sum();
    let r_a = (ss_res_raters - ss_error).max(0.0);
    // R(b | mu, a) = residual SS of the targets-only model (ss_within) minus the full's.
    let r_b = (ss_within - ss_error).max(0.0);

    let kf = k as f64;
    ms.ms_rows = r_a / df_between;
    ms.ms_cols = r_b / (kf - 1.0);
    ms.ms_error = ss_error / df_error;
    ms.df_error = df_error;
    ms.k_a = (nf - kf) / df_between;
    ms.n_b = (nf - n as f64) / (kf - 1.0);
    ms.zero_rows = zero(r_a);
    ms.zero_cols = zero(r_b);
    ms.zero_error = zero(ss_error);
    Ok(ms)
}

/// Number of connected groups in the bipartite target-rater graph.
fn connected_components(cells: &[Vec<(usize, f64)>], k: usize) -> usize {
    // Union-find over k raters + n targets.
    let n = cells.len();
    let mut parent: Vec<usize> = (0..k + n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (i, c) in cells.iter().enumerate() {
        for &(j, _) in c {
            let (a, b) = (find(&mut parent, k + i), find(&mut parent, j));
            if a != b {
                parent[a] = b;
            }
        }
    }
    (0..k + n).filter(|&x| find(&mut parent, x) == x).count()
}

/// Least-squares rater effects of the additive model, targets absorbed: solves
/// `C b = q` with `C_jj' = delta_jj' n_.j - sum_i n_ij n_ij' / n_i` and
/// `q_j = y_.j - sum_i n_ij m_i`, fixing the last rater's effect at 0 (Searle et al.
/// 1992, sec. 5.5). Cholesky on the (k-1) x (k-1) system, which is positive definite
/// when the design is connected.
fn rater_effects(cells: &[Vec<(usize, f64)>], m_i: &[f64], k: usize) -> Result<Vec<f64>, IccError> {
    let m = k - 1;
    let mut c = vec![0.0; m * m];
    let mut q = vec![0.0; m];
    for (row, mi) in cells.iter().zip(m_i) {
        let ni = row.len() as f64;
        for &(j, y) in row {
            if j < m {
                c[j * m + j] += 1.0;
                q[j] += y - mi;
            }
        }
        for &(j, _) in row {
            for &(jp, _) in row {
                if j < m && jp < m {
                    c[j * m + jp] -= 1.0 / ni;
                }
            }
        }
    }

    // Cholesky C = L L^T, in place (lower triangle).
    for j in 0..m {
        let mut d = c[j * m + j];
        for p in 0..j {
            d -= c[j * m + p] * c[j * m + p];
        }
        if d <= 1e-12 {
            return Err(IccError::Disconnected { components: 2 });
        }
        let d = d.sqrt();
        c[j * m + j] = d;
        for i in j + 1..m {
            let mut s = c[i * m + j];
            for p in 0..j {
                s -= c[i * m + p] * c[j * m + p];
            }
            c[i * m + j] = s / d;
        }
    }
    // Forward then backward substitution.
    let mut z = q;
    for i in 0..m {
        let mut s = z[i];
        for p in 0..i {
            s -= c[i * m + p] * z[p];
        }
        z[i] = s / c[i * m + i];
    }
    for i in (0..m).rev() {
        let mut s = z[i];
        for p in i + 1..m {
            s -= c[p * m + i] * z[p];
        }
        z[i] = s / c[i * m + i];
    }
    z.push(0.0);
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_table_of_an_inexact_value_has_no_variance() {
        // 0.1 is not a binary fraction: summed, its means round, which used to leave a tiny
        // between-target variance and report "perfect agreement" instead of NaN.
        let r = Ratings::complete(7, 3, vec![0.1; 21]).unwrap();
        let e = icc(&r, IccForm::ICC1_1, 0.95).unwrap();
        assert!(e.icc.is_nan(), "{e:?}");
        assert!(e.warnings.contains(&IccWarning::NoVariance), "{e:?}");
        // Constant targets with different values: perfect agreement, exactly.
        let rows: Vec<Vec<f64>> = (0..6).map(|i| vec![0.1 * i as f64 + 0.3; 4]).collect();
        let e = icc(&Ratings::from_rows(&rows).unwrap(), IccForm::ICC1_1, 0.95).unwrap();
        assert_eq!(e.icc, 1.0);
        assert!(e.warnings.contains(&IccWarning::PerfectAgreement), "{e:?}");
    }

    #[test]
    fn ratings_scaled_by_1e200_or_1e_minus_200_give_the_same_iccs() {
        // The ICC is a ratio of mean squares, invariant to a common scale (Shrout & Fleiss
        // 1979, Table 2). Unscaled, 1e200 overflows the sums of squares (1e400) and 1e-200
        // underflows them.
        let rows = vec![
            vec![9.0, 2.0, 5.0, 8.0],
            vec![6.0, 1.0, 3.0, 2.0],
            vec![8.0, 4.0, 6.0, 8.0],
            vec![7.0, 1.0, 2.0, 6.0],
            vec![10.0, 5.0, 6.0, 9.0],
            vec![6.0, 2.0, 4.0, 7.0],
        ];
        let plain = icc_all(&Ratings::from_rows(&rows).unwrap(), 0.95).unwrap();
        for c in [1e200, 1e-200] {
            let scaled: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| r.iter().map(|v| v * c).collect())
                .collect();
            let r = Ratings::from_rows(&scaled).unwrap();
            let all = icc_all(&r, 0.95).unwrap();
            let fit = icc_fit(&r, &IccForm::ALL, MissingMethod::Listwise, 0.95).unwrap();
            for (e, p) in all.iter().chain(&fit.estimates).zip(plain.iter().cycle()) {
                for (a, b) in [
                    (e.icc, p.icc),
                    (e.ci_lower, p.ci_lower),
                    (e.ci_upper, p.ci_upper),
                ] {
                    // Only the rounding of v * c differs: relative 1e-16 per rating.
                    assert!((a - b).abs() < 1e-12, "scale {c}, {}: {a} vs {b}", e.form);
                }
                assert!(
                    e.f.is_finite() && (e.f - p.f).abs() < 1e-9 * p.f,
                    "{}",
                    e.form
                );
            }
        }
    }

    fn sf_table() -> Ratings {
        // Shrout & Fleiss (1979) Table 2 (answer_key.toml [icc.shrout_fleiss_1979]).
        Ratings::from_rows(&[
            vec![9., 2., 5., 8.],
            vec![6., 1., 3., 2.],
            vec![8., 4., 6., 8.],
            vec![7., 1., 2., 6.],
            vec![10., 5., 6., 9.],
            vec![6., 2., 4., 7.],
        ])
        .unwrap()
    }

    fn case11a() -> Ratings {
        // cases.md CASE-11 (a): a = [10,12,11,13,12], b = [12,11,13,11,13].
        let a = [10., 12., 11., 13., 12.];
        let b = [12., 11., 13., 11., 13.];
        Ratings::from_rows(
            &a.iter()
                .zip(&b)
                .map(|(x, y)| vec![*x, *y])
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn get(es: &[IccEstimate], f: IccForm) -> &IccEstimate {
        es.iter().find(|e| e.form == f).unwrap()
    }

    #[test]
    fn form_names_parse_both_conventions() {
        assert_eq!("1,1".parse::<IccForm>().unwrap(), IccForm::ICC1_1);
        assert_eq!("ICC(A,1)".parse::<IccForm>().unwrap(), IccForm::ICC2_1);
        assert_eq!("c,k".parse::<IccForm>().unwrap(), IccForm::ICC3_K);
        assert!(matches!(
            "4,1".parse::<IccForm>(),
            Err(IccError::UnknownForm { .. })
        ));
        for f in IccForm::ALL {
            assert_eq!(f.shrout_fleiss().parse::<IccForm>().unwrap(), f);
            assert_eq!(f.mcgraw_wong().parse::<IccForm>().unwrap(), f);
        }
    }

    #[test]
    fn case11a_negative_values_not_clipped() {
        // cases.md CASE-11 (a): MSR 0.65, MSC 0.40, MSE 1.65, MSW 1.40;
        // ICC(1) = -15/41, ICC(A,1) = -5/9, ICC(C,1) = -10/23 (exact fractions).
        let r = case11a();
        let a = anova(&r).unwrap();
        assert!((a.ms_rows - 0.65).abs() < 1e-12);
        assert!((a.ms_cols - 0.40).abs() < 1e-12);
        assert!((a.ms_error - 1.65).abs() < 1e-12);
        assert!((a.ms_within - 1.40).abs() < 1e-12);
        let es = icc_all(&r, 0.95).unwrap();
        assert!((get(&es, IccForm::ICC1_1).icc + 15.0 / 41.0).abs() < 1e-12);
        assert!((get(&es, IccForm::ICC2_1).icc + 5.0 / 9.0).abs() < 1e-12);
        assert!((get(&es, IccForm::ICC3_1).icc + 10.0 / 23.0).abs() < 1e-12);
        for e in &es {
            assert!(
                e.icc <= 1.0 && e.ci_lower <= e.icc && e.icc <= e.ci_upper,
                "{e:?}"
            );
            assert_eq!(KooLiBand::of(e.icc), Some(KooLiBand::Poor));
        }
    }

    #[test]
    fn case11a_average_agreement_interval_not_inverted() {
        // pingouin 0.7.0 prints ICC(A,k) = -2.5 with CI [8.02, 0.77] (cases.md CASE-11 a).
        // -2.5 is Spearman-Brown of -5/9 at k = 2 (= 2(-5/9)/(1-5/9)); the lower bound of
        // ICC(A,1) lies below -1, so its mean-of-2 transform is -inf, not 8.02.
        let e = icc(&case11a(), IccForm::ICC2_K, 0.95).unwrap();
        assert!((e.icc + 2.5).abs() < 1e-12);
        assert_eq!(e.ci_lower, f64::NEG_INFINITY);
        assert!(e.ci_upper <= 1.0 && e.ci_upper >= e.icc);
    }

    #[test]
    fn case11b_listwise_equals_case_a_and_reports_drop() {
        let a = [10., 12., 11., 13., 12., 20.];
        let b = [Some(12.), Some(11.), Some(13.), Some(11.), Some(13.), None];
        let vals: Vec<Option<f64>> = a.iter().zip(&b).flat_map(|(x, y)| [Some(*x), *y]).collect();
        let r = Ratings::with_missing(6, 2, &vals).unwrap();
        let fit = icc_fit(&r, &IccForm::ALL, MissingMethod::Listwise, 0.95).unwrap();
        let reference = icc_all(&case11a(), 0.95).unwrap();
        assert_eq!(fit.dropped, 1);
        assert_eq!(fit.n_targets, 5);
        for (got, want) in fit.estimates.iter().zip(&reference) {
            assert_eq!(got.icc.to_bits(), want.icc.to_bits());
            assert_eq!(got.ci_lower.to_bits(), want.ci_lower.to_bits());
            assert_eq!(
                got.warnings[0].to_string(),
                "1 subject dropped (missing rating)"
            );
        }
    }

    #[test]
    fn case11c_zero_between_variance_flagged_never_above_one() {
        // cases.md CASE-11 (c): MSR 0, MSC 0, MSE 5; ICC(1,1) = -1, ICC(A,1) = -5/3,
        // ICC(1,k) = -inf, and the ICC(A,k) formula's +5 must not be reported.
        let r = Ratings::from_rows(&[
            vec![1., 5.],
            vec![2., 4.],
            vec![3., 3.],
            vec![4., 2.],
            vec![5., 1.],
        ])
        .unwrap();
        let a = anova(&r).unwrap();
        assert_eq!((a.ms_rows, a.ms_cols), (0.0, 0.0));
        assert!((a.ms_error - 5.0).abs() < 1e-12);
        let es = icc_all(&r, 0.95).unwrap();
        assert!((get(&es, IccForm::ICC1_1).icc + 1.0).abs() < 1e-12);
        assert!((get(&es, IccForm::ICC2_1).icc + 5.0 / 3.0).abs() < 1e-12);
        assert_eq!(get(&es, IccForm::ICC1_K).icc, f64::NEG_INFINITY);
        assert_eq!(get(&es, IccForm::ICC2_K).icc, f64::NEG_INFINITY);
        for e in &es {
            assert!(e.icc <= 1.0 && e.ci_upper <= 1.0, "{e:?}");
            assert!(e.ci_lower <= e.icc && e.icc <= e.ci_upper, "{e:?}");
            assert!(
                e.warnings.contains(&IccWarning::ZeroBetweenTargetVariance),
                "{e:?}"
            );
            let text: Vec<String> = e.warnings.iter().map(ToString::to_string).collect();
            assert!(text
                .iter()
                .any(|t| t.contains("zero between-subject variance")));
        }
        assert!(get(&es, IccForm::ICC2_1)
            .warnings
            .iter()
            .any(|w| matches!(w, IccWarning::BelowLowerBound { .. })));
    }

    #[test]
    fn case11d_no_subject_rated_twice_is_an_error() {
        // cases.md CASE-11 (d): 4 subjects, one rating each (0, 2 by a; 1, 3 by b).
        let vals = [
            Some(1.),
            None,
            None,
            Some(2.),
            Some(3.),
            None,
            None,
            Some(4.),
        ];
        let r = Ratings::with_missing(4, 2, &vals).unwrap();
        for m in [MissingMethod::Listwise, MissingMethod::Keep] {
            let err = icc_fit(&r, &IccForm::ALL, m, 0.95).unwrap_err();
            assert_eq!(
                err.to_string(),
                "no subject has ratings from both conditions"
            );
        }
    }

    #[test]
    fn perfect_agreement_gives_one_with_point_interval() {
        // answer_key.toml [icc.perfect_agreement].
        let r = Ratings::from_rows(&[
            vec![1., 1., 1.],
            vec![2., 2., 2.],
            vec![3., 3., 3.],
            vec![4., 4., 4.],
        ])
        .unwrap();
        for e in icc_all(&r, 0.95).unwrap() {
            assert_eq!((e.icc, e.ci_lower, e.ci_upper), (1.0, 1.0, 1.0), "{e:?}");
            assert_eq!(e.f, f64::INFINITY);
            assert_eq!(e.p, 0.0);
            assert!(e.warnings.contains(&IccWarning::PerfectAgreement));
        }
    }

    #[test]
    fn constant_ratings_are_nan_with_warning() {
        let r = Ratings::from_rows(&[vec![3., 3.], vec![3., 3.], vec![3., 3.]]).unwrap();
        for e in icc_all(&r, 0.95).unwrap() {
            assert!(e.icc.is_nan());
            assert!(e.warnings.contains(&IccWarning::NoVariance));
        }
    }

    #[test]
    fn offset_raters_perfect_consistency_but_not_agreement() {
        // Rater 2 = rater 1 + 10: ICC(C,1) = 1; ICC(A,1) = R / (R + k C / n) < 1.
        let r = Ratings::from_rows(&[vec![1., 11.], vec![2., 12.], vec![3., 13.]]).unwrap();
        let es = icc_all(&r, 0.95).unwrap();
        let c = get(&es, IccForm::ICC3_1);
        assert_eq!((c.icc, c.ci_lower, c.ci_upper), (1.0, 1.0, 1.0));
        let a = get(&es, IccForm::ICC2_1);
        // R = 2, C = 150, n = 3, k = 2: 2 / (2 + 100) by hand.
        assert!((a.icc - 2.0 / 102.0).abs() < 1e-12);
        assert!(a.ci_lower <= a.icc && a.icc <= a.ci_upper && a.ci_upper <= 1.0);
    }

    #[test]
    fn keep_method_equals_balanced_on_complete_data() {
        // Method III and the unbalanced one-way ANOVA reduce to the balanced ANOVA: force
        // the unbalanced path through a table with one fully empty extra target.
        let sf = sf_table();
        let mut vals: Vec<Option<f64>> = sf.values.iter().map(|v| Some(*v)).collect();
        vals.extend([None, None, None, None]);
        let r = Ratings::with_missing(7, 4, &vals).unwrap();
        let keep = icc_fit(&r, &IccForm::ALL, MissingMethod::Keep, 0.95).unwrap();
        let full = icc_all(&sf, 0.95).unwrap();
        assert_eq!(keep.dropped, 1);
        for (a, b) in keep.estimates.iter().zip(&full) {
            assert!((a.icc - b.icc).abs() < 1e-12, "{a:?} vs {b:?}");
            assert!((a.ci_lower - b.ci_lower).abs() < 1e-9, "{a:?} vs {b:?}");
            assert!((a.f - b.f).abs() < 1e-9);
        }
    }

    #[test]
    fn keep_method_unbalanced_one_way_by_hand() {
        // Targets [1, 3], [2, 4, 6], [5]: N = 6, n = 3, grand mean 21/6 = 3.5.
        // Means 2, 4, 5: SSB = 2*2.25 + 3*0.25 + 1*2.25 = 7.5, MSB = 3.75.
        // SSW = 2 + 8 + 0 = 10, df 3, MSW = 10/3. k0 = (6 - 14/6) / 2 = 11/6.
        // ICC(1,1) = (3.75 - 10/3) / (3.75 + (5/6)(10/3)) = (5/12) / (235/36) = 15/235.
        let vals = [
            Some(1.),
            Some(3.),
            None,
            Some(2.),
            Some(4.),
            Some(6.),
            Some(5.),
            None,
            None,
        ];
        let r = Ratings::with_missing(3, 3, &vals).unwrap();
        let fit = icc_fit(&r, &[IccForm::ICC1_1], MissingMethod::Keep, 0.95).unwrap();
        let e = &fit.estimates[0];
        assert!((e.icc - 15.0 / 235.0).abs() < 1e-12, "{e:?}");
        assert!((e.f - 3.75 / (10.0 / 3.0)).abs() < 1e-12);
        assert_eq!((e.df1, e.df2), (2.0, 3.0));
        assert!(e.warnings.contains(&IccWarning::ApproximateInterval));
    }

    #[test]
    fn disconnected_design_is_an_error_for_two_way() {
        // Targets 0, 1 rated by raters 0, 1; targets 2, 3 by raters 2, 3.
        let o = |x: f64| Some(x);
        let vals = [
            o(1.),
            o(2.),
            None,
            None,
            o(3.),
            o(5.),
            None,
            None,
            None,
            None,
            o(2.),
            o(2.5),
            None,
            None,
            o(7.),
            o(6.),
        ];
        let r = Ratings::with_missing(4, 4, &vals).unwrap();
        let err = icc_fit(&r, &[IccForm::ICC2_1], MissingMethod::Keep, 0.95).unwrap_err();
        assert!(matches!(err, IccError::Disconnected { .. }), "{err:?}");
        assert!(icc_fit(&r, &[IccForm::ICC1_1], MissingMethod::Keep, 0.95).is_ok());
    }

    #[test]
    fn non_finite_rating_is_rejected_with_position() {
        let err = Ratings::complete(2, 2, vec![1., 2., f64::NAN, 3.]).unwrap_err();
        assert!(matches!(
            err,
            IccError::NonFinite {
                target: 1,
                rater: 0,
                ..
            }
        ));
    }

    #[test]
    fn koo_li_band_edges() {
        // Koo & Li (2016): < 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, > 0.9 excellent.
        assert_eq!(KooLiBand::of(0.4999), Some(KooLiBand::Poor));
        assert_eq!(KooLiBand::of(0.5), Some(KooLiBand::Moderate));
        assert_eq!(KooLiBand::of(0.75), Some(KooLiBand::Good));
        assert_eq!(KooLiBand::of(0.9), Some(KooLiBand::Good));
        assert_eq!(KooLiBand::of(0.9001), Some(KooLiBand::Excellent));
        assert_eq!(KooLiBand::of(f64::NAN), None);
    }
}
