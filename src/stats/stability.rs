//! Feature stability screening: the ICC of every feature over perturbation replicates (or
//! readers, or test-retest sessions), its Koo & Li band, and whether it passes.
//!
//! Input is a [`LongTable`] (`case_id,perturbation,replicate,feature,value`): cases are the
//! ICC targets and each (perturbation, replicate) pair is a rater; `none` rows (the
//! unperturbed extraction), when present, are one more rater. The table is grouped by
//! feature in one pass (a counting sort on the feature index); features are then analysed
//! in parallel with rayon and collected in feature order, so the output does not depend on
//! the number of threads.
//!
//! # Which form
//! The default is ICC(1,1): random perturbation draws have no systematic rater, so rater
//! means are not a fixed effect (Zwanenburg et al. 2019, Sci Rep 9:614). Two-way forms
//! suit fixed conditions (named readers, scanners, named perturbation settings): ICC(2,1)
//! when a rater's systematic offset counts as disagreement, ICC(3,1) when it does not.
//!
//! # Robustness rule
//! A feature is robust when the chosen statistic reaches the threshold: the point estimate
//! ([`Rule::Point`]) or the interval's lower bound ([`Rule::Lower`], as Koo & Li 2016
//! advise). NaN (degenerate) never passes. For several forms, [`robust_features`] keeps a
//! feature only if it passes under every form.

use std::str::FromStr;

use rayon::prelude::*;

use crate::stats::icc::{
    icc_fit, IccError, IccEstimate, IccForm, KooLiBand, MissingMethod, Ratings,
};
use crate::table::{csv_field, fmt_num, LongTable};

/// What must reach the threshold for a feature to count as robust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The ICC point estimate.
    Point,
    /// The lower bound of the ICC's confidence interval.
    Lower,
}

impl FromStr for Rule {
    type Err = StabilityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "point" => Ok(Rule::Point),
            "lower" => Ok(Rule::Lower),
            _ => Err(StabilityError::Config {
                message: format!("unknown rule {s:?}; expected point or lower"),
            }),
        }
    }
}

/// Settings of a stability screen.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityConfig {
    /// ICC forms to compute (one output row per feature and form).
    pub forms: Vec<IccForm>,
    /// Robust when the rule's statistic is at least this (default 0.75, Koo & Li "good").
    pub threshold: f64,
    pub rule: Rule,
    pub missing: MissingMethod,
    /// Interval level (default 0.95).
    pub confidence: f64,
}

impl Default for StabilityConfig {
    fn default() -> Self {
        StabilityConfig {
            forms: vec![IccForm::ICC1_1],
            threshold: 0.75,
            rule: Rule::Point,
            missing: MissingMethod::Listwise,
            confidence: 0.95,
        }
    }
}

/// The stability of one feature under one ICC form.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityRow {
    pub feature: String,
    /// The part of the name before the first `.` (`glcm` for `glcm.joint_max.3d_avg`).
    pub family: String,
    pub form: IccForm,
    /// The estimate, or why there is none (non-fatal: the run goes on).
    pub estimate: Result<IccEstimate, IccError>,
    pub band: Option<KooLiBand>,
    pub robust: bool,
    /// Targets that entered the ICC.
    pub n_targets: usize,
    /// Raters with ratings of this feature.
    pub n_raters: usize,
    /// Targets dropped for missing ratings.
    pub dropped: usize,
}

impl StabilityRow {
    /// Warnings and the error, if any, as one `; `-separated text.
    pub fn note(&self) -> String {
        match &self.estimate {
            Ok(e) => e
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            Err(err) => format!("error: {err}"),
        }
    }
}

/// The result of a stability screen.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityReport {
    pub config: StabilityConfig,
    /// Rows in (feature, form) order: features in order of first appearance in the table.
    pub rows: Vec<StabilityRow>,
    pub n_cases: usize,
    pub n_raters: usize,
    pub n_features: usize,
}

/// Errors of a stability screen (per-feature ICC problems are not errors: they are
/// reported in the feature's row).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StabilityError {
    #[error("invalid stability settings: {message}")]
    Config { message: String },
    #[error(
        "{path}, line {line}: duplicate value for case {case:?}, rater {rater:?}, feature \
         {feature:?} (first at line {first_line})"
    )]
    Duplicate {
        path: String,
        line: u32,
        first_line: u32,
        case: String,
        rater: String,
        feature: String,
    },
}

/// The family of a feature: the part of its name before the first `.` (the whole name
/// when it has none).
pub fn family_of(feature: &str) -> &str {
    feature.split('.').next().unwrap_or(feature)
}

/// Why a form suits a design, for reports.
pub fn form_rationale(form: IccForm) -> &'static str {
    match form.model {
        crate::stats::icc::Model::OneWay => {
            "one-way random: perturbation draws have no systematic rater (Zwanenburg et al. 2019)"
        }
        crate::stats::icc::Model::TwoWayRandom => {
            "two-way random, absolute agreement: raters are a sample of fixed conditions and \
             their offsets count as disagreement"
        }
        crate::stats::icc::Model::TwoWayMixed => {
            "two-way mixed, consistency: the raters are the only conditions of interest and \
             constant offsets are ignored"
        }
    }
}

fn validate(cfg: &StabilityConfig) -> Result<(), StabilityError> {
    let bad = |message: String| Err(StabilityError::Config { message });
    if cfg.forms.is_empty() {
        return bad("no ICC form asked for".to_string());
    }
    if !(cfg.threshold.is_finite() && cfg.threshold > -1.0 && cfg.threshold <= 1.0) {
        return bad(format!("threshold {} outside (-1, 1]", cfg.threshold));
    }
    if !(cfg.confidence > 0.0 && cfg.confidence < 1.0) {
        return bad(format!("confidence {} outside (0, 1)", cfg.confidence));
    }
    Ok(())
}

/// Screens every feature of a long table: ICC per form, interval, band, robust yes/no.
///
/// # Formula
/// Per feature, the `n_cases x n_raters` table of values goes to
/// [`crate::stats::icc::icc_fit`] with the configured missing-data method; robust when
/// `icc >= threshold` ([`Rule::Point`]) or `ci_lower >= threshold` ([`Rule::Lower`]).
///
/// # Reference
/// Koo & Li (2016) for the bands and the lower-bound rule; Zwanenburg et al. (2019) for
/// ICC(1,1) on perturbation replicates.
///
/// # Errors
/// [`StabilityError::Config`] for invalid settings; [`StabilityError::Duplicate`] when a
/// (case, rater, feature) has two values (the first such line in file order is named).
///
/// # Degenerate cases
/// A feature whose ICC cannot be computed (too few targets, no case rated twice) keeps
/// its row with the error in the note and `robust = false`.
pub fn screen(t: &LongTable, cfg: &StabilityConfig) -> Result<StabilityReport, StabilityError> {
    validate(cfg)?;
    let (n, k, n_features) = (t.cases.len(), t.raters.len(), t.features.len());

    // Group record indices by feature (counting sort keeps file order within a feature).
    let mut start = vec![0usize; n_features + 1];
    for r in &t.records {
        start[r.feature as usize + 1] += 1;
    }
    for f in 0..n_features {
        start[f + 1] += start[f];
    }
    let mut fill = start.clone();
    let mut order = vec![0u32; t.records.len()];
    for (i, r) in t.records.iter().enumerate() {
        order[fill[r.feature as usize]] = i as u32;
        fill[r.feature as usize] += 1;
    }

    let per_feature: Vec<Result<Vec<StabilityRow>, StabilityError>> = (0..n_features)
        .into_par_iter()
        .map(|f| {
            let idx = &order[start[f]..start[f + 1]];
            screen_feature(t, f, idx, n, k, cfg)
        })
        .collect();

    let mut rows = Vec::with_capacity(n_features * cfg.forms.len());
    for r in per_feature {
        rows.extend(r?);
    }
    Ok(StabilityReport {
        config: cfg.clone(),
        rows,
        n_cases: n,
        n_raters: k,
        n_features,
    })
}

fn screen_feature(
    t: &LongTable,
    f: usize,
    idx: &[u32],
    n: usize,
    k: usize,
    cfg: &StabilityConfig,
) -> Result<Vec<StabilityRow>, StabilityError> {
    // The n x k grid of this feature, with the source line of each cell for duplicates.
    let mut cells: Vec<Option<f64>> = vec![None; n * k];
    let mut lines = vec![0u32; n * k];
    for &i in idx {
        let r = &t.records[i as usize];
        let c = r.case as usize * k + r.rater as usize;
        if cells[c].is_some() {
            let (p, rep) = &t.raters[r.rater as usize];
            return Err(StabilityError::Duplicate {
                path: t.source.display().to_string(),
                line: r.line,
                first_line: lines[c],
                case: t.cases[r.case as usize].clone(),
                rater: format!("{p}/{rep}"),
                feature: t.features[f].clone(),
            });
        }
        cells[c] = Some(r.value);
        lines[c] = r.line;
    }

    let feature = t.features[f].clone();
    let family = family_of(&feature).to_string();
    let fit = Ratings::with_missing(n, k, &cells)
        .and_then(|r| icc_fit(&r, &cfg.forms, cfg.missing, cfg.confidence));
    let rows = match fit {
        Ok(fit) => fit
            .estimates
            .into_iter()
            .map(|e| {
                let stat = match cfg.rule {
                    Rule::Point => e.icc,
                    Rule::Lower => e.ci_lower,
                };
                StabilityRow {
                    feature: feature.clone(),
                    family: family.clone(),
                    form: e.form,
                    band: KooLiBand::of(e.icc),
                    robust: stat >= cfg.threshold,
                    estimate: Ok(e),
                    n_targets: fit.n_targets,
                    n_raters: fit.n_raters,
                    dropped: fit.dropped,
                }
            })
            .collect(),
        Err(err) => {
            let rated_cases =
                (0..n).filter(|i| cells[i * k..(i + 1) * k].iter().any(Option::is_some));
            let n_rated = rated_cases.count();
            cfg.forms
                .iter()
                .map(|&form| StabilityRow {
                    feature: feature.clone(),
                    family: family.clone(),
                    form,
                    estimate: Err(err.clone()),
                    band: None,
                    robust: false,
                    n_targets: 0,
                    n_raters: k,
                    dropped: n_rated,
                })
                .collect()
        }
    };
    Ok(rows)
}

/// The stability table header (DESIGN.md "File formats", plus `n_targets`, `n_raters`,
/// `dropped` and `note`).
pub const STABILITY_COLUMNS: [&str; 15] = [
    "feature",
    "form",
    "icc",
    "ci_lower",
    "ci_upper",
    "f",
    "df1",
    "df2",
    "p",
    "band",
    "robust",
    "n_targets",
    "n_raters",
    "dropped",
    "note",
];

/// The stability table as CSV text: one row per feature and form; numbers rounded with
/// [`fmt_num`]; `form` is the Shrout-Fleiss name (`"ICC(1,1)"`, quoted for its comma);
/// `band` is empty and numbers are `NaN` when the ICC could not be computed (the note
/// says why).
pub fn to_csv(report: &StabilityReport) -> String {
    let mut out = STABILITY_COLUMNS.join(",");
    out.push('\n');
    for row in &report.rows {
        let nums: [f64; 7] = match &row.estimate {
            Ok(e) => [e.icc, e.ci_lower, e.ci_upper, e.f, e.df1, e.df2, e.p],
            Err(_) => [f64::NAN; 7],
        };
        let mut fields = vec![csv_field(&row.feature), csv_field(row.form.shrout_fleiss())];
        fields.extend(nums.iter().map(|x| fmt_num(*x)));
        fields.push(row.band.map_or(String::new(), |b| b.as_str().to_string()));
        fields.push(if row.robust { "yes" } else { "no" }.to_string());
        fields.push(row.n_targets.to_string());
        fields.push(row.n_raters.to_string());
        fields.push(row.dropped.to_string());
        fields.push(csv_field(&row.note()));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Features robust under every computed form, in table order.
pub fn robust_features(report: &StabilityReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < report.rows.len() {
        let name = &report.rows[i].feature;
        let mut j = i;
        let mut all = true;
        while j < report.rows.len() && &report.rows[j].feature == name {
            all &= report.rows[j].robust;
            j += 1;
        }
        if all {
            out.push(name.clone());
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::table::LongRecord;

    fn table(values: &[(usize, usize, usize, f64)], n: usize, k: usize, f: usize) -> LongTable {
        LongTable {
            source: PathBuf::from("mem.csv"),
            cases: (0..n).map(|i| format!("c{i}")).collect(),
            raters: (0..k)
                .map(|j| ("noise".to_string(), j.to_string()))
                .collect(),
            features: (0..f).map(|i| format!("fam{}.feat{i}", i % 2)).collect(),
            records: values
                .iter()
                .enumerate()
                .map(|(l, &(c, r, fe, v))| LongRecord {
                    case: c as u32,
                    rater: r as u32,
                    feature: fe as u32,
                    value: v,
                    line: l as u32 + 2,
                })
                .collect(),
        }
    }

    #[test]
    fn family_is_prefix_before_first_dot() {
        assert_eq!(family_of("glcm.joint_max.3d_avg"), "glcm");
        assert_eq!(family_of("volume"), "volume");
    }

    #[test]
    fn case11_feature_is_unstable_and_perfect_is_robust() {
        // Feature 0: CASE-11 (a) (ICC(1,1) = -15/41); feature 1: perfect agreement.
        let a = [10., 12., 11., 13., 12.];
        let b = [12., 11., 13., 11., 13.];
        let mut v = Vec::new();
        for i in 0..5 {
            v.push((i, 0, 0, a[i]));
            v.push((i, 1, 0, b[i]));
            v.push((i, 0, 1, i as f64));
            v.push((i, 1, 1, i as f64));
        }
        let rep = screen(&table(&v, 5, 2, 2), &StabilityConfig::default()).unwrap();
        let r0 = &rep.rows[0];
        assert!((r0.estimate.as_ref().unwrap().icc + 15.0 / 41.0).abs() < 1e-12);
        assert!(!r0.robust);
        assert_eq!(r0.band, Some(KooLiBand::Poor));
        assert!(rep.rows[1].robust);
        assert!(rep.rows[1].note().contains("perfect agreement"));
        assert_eq!(robust_features(&rep), vec!["fam1.feat1".to_string()]);
    }

    #[test]
    fn duplicate_cell_names_both_lines() {
        let v = [(0, 0, 0, 1.0), (0, 0, 0, 2.0)];
        let err = screen(&table(&v, 1, 1, 1), &StabilityConfig::default()).unwrap_err();
        assert!(matches!(
            err,
            StabilityError::Duplicate {
                line: 3,
                first_line: 2,
                ..
            }
        ));
    }

    #[test]
    fn failed_feature_keeps_its_row() {
        // Every case has only one rating: CASE-11 (d) as a feature.
        let v = [
            (0, 0, 0, 1.0),
            (1, 1, 0, 2.0),
            (2, 0, 0, 3.0),
            (3, 1, 0, 4.0),
        ];
        let rep = screen(&table(&v, 4, 2, 1), &StabilityConfig::default()).unwrap();
        assert_eq!(rep.rows.len(), 1);
        assert!(!rep.rows[0].robust);
        assert!(rep.rows[0]
            .note()
            .contains("no subject has ratings from both conditions"));
        assert!(to_csv(&rep).lines().nth(1).unwrap().contains(",NaN,"));
    }

    #[test]
    fn lower_rule_is_stricter_than_point() {
        let cfg_p = StabilityConfig::default();
        let cfg_l = StabilityConfig {
            rule: Rule::Lower,
            ..StabilityConfig::default()
        };
        // 6 cases, 2 raters, ICC(1,1) around 0.8 with a wide interval.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let d = [0.9, -0.6, 0.3, -0.8, 0.7, -0.5];
        let mut v = Vec::new();
        for i in 0..6 {
            v.push((i, 0, 0, x[i]));
            v.push((i, 1, 0, x[i] + d[i]));
        }
        let t = table(&v, 6, 2, 1);
        let p = screen(&t, &cfg_p).unwrap();
        let l = screen(&t, &cfg_l).unwrap();
        assert!(p.rows[0].robust, "{:?}", p.rows[0]);
        assert!(!l.rows[0].robust, "{:?}", l.rows[0]);
    }
}
