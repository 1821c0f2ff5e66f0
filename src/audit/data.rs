//! Claims with data: the scenario's `[data]` table points at the study's feature table, and
//! the audit adds four checks computed on the real features (README, "Claims with data"):
//!
//! 7. **Re-estimate**: the claimed metric re-estimated honestly, by repeated nested
//!    cross-validation (selection and tuning inside the folds, BBC-CV interval; Tsamardinos
//!    et al. 2018, Mach Learn 107:1895) or, when the table marks a validation cohort, by
//!    training on development and testing on validation (DeLong interval). Fails when the
//!    claimed value lies above the interval's upper end. The leaky estimate (ranking on all
//!    rows) is shown beside it: the gap is what the leak adds on these data.
//! 8. **Permutation null**: the same nested estimate with the outcome permuted, the whole
//!    pipeline rerun each time (Ojala & Garriga 2010, JMLR 11:1833); p = (b + 1) / (R + 1)
//!    (Phipson & Smyth 2010). Fails at p >= 0.05: the features carry no signal the pipeline
//!    can find.
//! 9. **Volume baseline**: the same resampling with tumour volume as the only feature
//!    (Welch et al. 2019, Radiother Oncol 133:27). Fails when the signature does not beat
//!    volume.
//! 10. **Selected-feature stability**: the share of the study's selected features that a
//!    `radaudit stability` table marks robust. Fails below one half.
//!
//! Check 8 failing makes a claim "does not survive" (the features carry no signal); 7, 9 and
//! 10 failing make it "fragile": a standard pipeline does not reproduce the claim on the
//! same data, volume does as well, or the selected features are not robust. For a negative
//! claim ("no useful model") check 8 fails when the features do beat permuted outcomes.

use std::path::{Path, PathBuf};

use crate::audit::check::{CheckId, CheckResult, Outcome as CheckOutcome};
use crate::audit::scenario::{Claim, ClaimValue, Direction, ScenarioError};
use crate::model::cox::Ties;
use crate::model::cv::{
    external_validation, nested_cv, permutation_test, CvDesign, CvResult, Dataset, ExternalResult,
    PermutationResult,
};
use crate::model::pipeline::{Family, LambdaRule, Outcome, Pipeline, Ranker};
use crate::table::{read_feature_table, FeatureTableSpec, MissingPolicy};

/// Column names tried, in order, for tumour volume when `[data] volume` is not given
/// (PyRadiomics and radaudit names).
pub const VOLUME_COLUMNS: &[&str] = &[
    "original_shape_MeshVolume",
    "original_shape_VoxelVolume",
    "morph.volume",
    "morph.approx_volume",
];

/// The `[data]` table of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    /// The feature table, resolved against the scenario's folder.
    pub table: PathBuf,
    /// Binary outcome column, or survival `time` and `event` columns.
    pub outcome: Option<String>,
    pub time: Option<String>,
    pub event: Option<String>,
    /// Identifier column (else `case_id`, `id` or `ID` when present).
    pub id: Option<String>,
    /// Column marking development and validation rows, and its development value.
    pub split: Option<(String, String)>,
    /// A second table holding the validation cohort.
    pub validation_table: Option<PathBuf>,
    /// Further non-feature columns (exact names or `prefix*`).
    pub ignore: Vec<String>,
    /// The study's selected features, when published.
    pub selected: Vec<String>,
    /// A `radaudit stability` output table.
    pub stability: Option<PathBuf>,
    /// The tumour-volume column.
    pub volume: Option<String>,
    /// Outcome permutations of the permutation null.
    pub permutations: usize,
    /// Repeats of the nested cross-validation.
    pub repeats: usize,
}

fn bad(file: &Path, key: &str, problem: impl Into<String>) -> ScenarioError {
    ScenarioError {
        file: file.to_path_buf(),
        key: format!("data.{key}"),
        problem: problem.into(),
    }
}

impl DataSpec {
    /// Parses `[data]`; paths are relative to the scenario file's folder.
    ///
    /// # Errors
    /// [`ScenarioError`] naming the key: unknown keys, wrong types, neither `outcome` nor
    /// `time` + `event`, `split` without `development`, counts out of range.
    pub fn parse(file: &Path, t: &toml::Table) -> Result<DataSpec, ScenarioError> {
        const KEYS: &[&str] = &[
            "table",
            "outcome",
            "time",
            "event",
            "id",
            "split",
            "development",
            "validation_table",
            "ignore",
            "selected",
            "stability",
            "volume",
            "permutations",
            "repeats",
        ];
        if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(
                file,
                k,
                format!("unknown key (expected one of {KEYS:?})"),
            ));
        }
        let text = |k: &str| -> Result<Option<String>, ScenarioError> {
            match t.get(k) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                Some(_) => Err(bad(file, k, "expected a non-empty string")),
            }
        };
        let list = |k: &str| -> Result<Vec<String>, ScenarioError> {
            match t.get(k) {
                None => Ok(Vec::new()),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| bad(file, k, "expected a list of strings"))
                    })
                    .collect(),
                Some(_) => Err(bad(file, k, "expected a list of strings")),
            }
        };
        let count = |k: &str, default: usize, max: usize| -> Result<usize, ScenarioError> {
            match t.get(k) {
                None => Ok(default),
                Some(toml::Value::Integer(i)) if *i >= 1 && (*i as usize) <= max => Ok(*i as usize),
                Some(_) => Err(bad(file, k, format!("expected an integer in 1..={max}"))),
            }
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        let path = |p: String| dir.join(p);

        let table = text("table")?
            .map(path)
            .ok_or_else(|| bad(file, "table", "missing required key"))?;
        let (outcome, time, event) = (text("outcome")?, text("time")?, text("event")?);
        match (&outcome, &time, &event) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => {
                return Err(bad(
                    file,
                    "outcome",
                    "give either outcome (binary) or time and event (survival)",
                ))
            }
        }
        let split = match (text("split")?, text("development")?) {
            (Some(c), Some(v)) => Some((c, v)),
            (None, None) => None,
            _ => {
                return Err(bad(
                    file,
                    "split",
                    "split (the column) and development (its development value) go together",
                ))
            }
        };
        Ok(DataSpec {
            table,
            outcome,
            time,
            event,
            id: text("id")?,
            split,
            validation_table: text("validation_table")?.map(path),
            ignore: list("ignore")?,
            selected: list("selected")?,
            stability: text("stability")?.map(path),
            volume: text("volume")?,
            permutations: count("permutations", 100, 100_000)?,
            repeats: count("repeats", 3, 100)?,
        })
    }
}

/// Everything computed on the real data.
#[derive(Debug, Clone)]
pub struct DataAudit {
    /// Development rows and their cases (binary) or events (survival).
    pub n: usize,
    pub n_positive: usize,
    /// Feature columns used.
    pub p: usize,
    /// Nested CV on the development rows, and the same with the leak.
    pub nested: CvResult,
    pub leaky: CvResult,
    /// Train on development, test on validation (when the data mark one).
    pub external: Option<ExternalResult>,
    pub permutation: PermutationResult,
    /// Nested CV of the volume-only model (when a volume column exists) and its column.
    pub volume: Option<(String, CvResult)>,
    /// Robust selected features, selected features found in the stability table.
    pub stability: Option<(usize, usize)>,
    /// How the table was read (dropped rows, columns).
    pub notes: Vec<String>,
    /// The pipeline used (stated in the report).
    pub pipeline: String,
    /// What the report plots.
    pub plots: DataPlots,
}

/// The data behind the report's plots of checks 7 and 8.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPlots {
    /// `"auc"` or `"c_index"`.
    pub metric: &'static str,
    /// The permutation null and the observed value with its p-value.
    pub permutation: Vec<f64>,
    pub observed: f64,
    pub p_value: f64,
    /// ROC curves (binary outcomes): the validation cohort, else the outer folds of the
    /// first repeat; `(label, scores, labels)`.
    pub roc: Vec<(String, Vec<f64>, Vec<bool>)>,
    /// Predicted probabilities and outcomes pooled over the same (binary outcomes).
    pub calibration: Option<(Vec<f64>, Vec<bool>)>,
    /// Check 10: the stability table's rows of the selected features, in the order the
    /// scenario lists them (empty without a stability table).
    pub icc: Vec<IccPoint>,
}

/// One row of a `radaudit stability` table for a selected feature (check 10's plot).
#[derive(Debug, Clone, PartialEq)]
pub struct IccPoint {
    pub feature: String,
    /// The ICC form as the table writes it (`ICC(1,1)`; empty when the table has none).
    pub form: String,
    /// The estimate and its interval (NaN when the table has no number).
    pub icc: f64,
    pub lower: f64,
    pub upper: f64,
    /// The table's `robust` verdict for this row.
    pub robust: bool,
}

/// ROC curves and calibration points of the re-estimate (binary outcomes only).
fn curves(
    dev: &Dataset,
    val: Option<&Dataset>,
    nested: &CvResult,
    external: Option<&ExternalResult>,
) -> (
    Vec<(String, Vec<f64>, Vec<bool>)>,
    Option<(Vec<f64>, Vec<bool>)>,
) {
    let prob = |lp: &[f64]| {
        lp.iter()
            .map(|v| 1.0 / (1.0 + (-v).exp()))
            .collect::<Vec<_>>()
    };
    if let (Some(e), Some(Outcome::Binary(y))) = (external, val.map(|v| &v.outcome)) {
        let roc = vec![("validation cohort".to_string(), e.scores.clone(), y.clone())];
        return (roc, Some((prob(&e.scores), y.clone())));
    }
    let Outcome::Binary(y) = &dev.outcome else {
        return (Vec::new(), None);
    };
    let mut roc = Vec::new();
    let (mut p_all, mut y_all) = (Vec::new(), Vec::new());
    for f in nested.folds.iter().filter(|f| f.repeat == 0) {
        let labels: Vec<bool> = f.rows.iter().map(|&r| y[r]).collect();
        p_all.extend(prob(&f.scores));
        y_all.extend(labels.iter().copied());
        roc.push((
            format!("outer fold {}", f.fold + 1),
            f.scores.clone(),
            labels,
        ));
    }
    (roc, Some((p_all, y_all)))
}

/// Errors of the data checks (reported as "not assessable" with the message).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[error(transparent)]
    Cv(#[from] crate::model::cv::CvError),
    #[error("{file}: {problem}")]
    Input { file: PathBuf, problem: String },
}

fn input(file: &Path, problem: impl Into<String>) -> DataError {
    DataError::Input {
        file: file.to_path_buf(),
        problem: problem.into(),
    }
}

/// The default pipeline of the data checks: univariate ranking (|t| or the Cox score)
/// keeping k in {5, 10, 20}, then an L2-penalised logistic or Cox model with lambda tuned
/// on a 20-value path; standardisation inside the training rows.
fn default_pipeline(survival: bool, p: usize) -> Pipeline {
    let mut k_grid: Vec<usize> = [5, 10, 20].into_iter().filter(|&k| k <= p).collect();
    if k_grid.is_empty() {
        k_grid.push(p);
    }
    Pipeline {
        prefilter: None,
        ranker: if survival {
            Ranker::CoxScore
        } else {
            Ranker::T
        },
        prune_correlation: None,
        k_grid,
        alpha_grid: vec![0.0],
        family: if survival {
            Family::Cox(Ties::Efron)
        } else {
            Family::Logistic
        },
        lambda: LambdaRule::Path {
            n_lambda: 20,
            min_ratio: None,
        },
        standardize: true,
    }
}

/// The volume-only model: one column, no ranking, a lightly penalised fit.
fn volume_pipeline(survival: bool) -> Pipeline {
    Pipeline {
        prefilter: None,
        ranker: Ranker::None,
        prune_correlation: None,
        k_grid: vec![1],
        alpha_grid: vec![0.0],
        family: if survival {
            Family::Cox(Ties::Efron)
        } else {
            Family::Logistic
        },
        lambda: LambdaRule::FixedC(1.0),
        standardize: true,
    }
}

/// Reads the table(s) and runs checks 7-10's computations.
///
/// # Errors
/// [`DataError`] for unreadable tables, missing columns, a single outcome class, or a
/// pipeline failure.
pub fn run(spec: &DataSpec, seed: u64) -> Result<DataAudit, DataError> {
    let survival = spec.time.is_some();
    let mut numeric: Vec<String> = Vec::new();
    numeric.extend(spec.outcome.clone());
    numeric.extend(spec.time.clone());
    numeric.extend(spec.event.clone());
    // The header is read once, and only when a column must be found by name.
    let names = if spec.volume.is_none() || spec.id.is_none() {
        header(&spec.table)?
    } else {
        Vec::new()
    };
    let find = |given: &Option<String>, known: &[&str]| {
        given
            .clone()
            .or_else(|| names.iter().find(|h| known.contains(&h.as_str())).cloned())
    };
    let volume_col = find(&spec.volume, VOLUME_COLUMNS);
    let id_col = find(&spec.id, &["case_id", "id", "ID"]);
    let feature_spec = FeatureTableSpec {
        id_col,
        numeric_cols: numeric,
        text_cols: spec.split.iter().map(|(c, _)| c.clone()).collect(),
        ignore: spec.ignore.clone(),
        missing: MissingPolicy::Drop,
    };
    let table = read_feature_table(&spec.table, &feature_spec)?;
    let mut notes = table.notes.clone();

    // Outcome and the development / validation rows.
    let all = dataset(&table, spec)?;
    let (dev_rows, val_rows): (Vec<usize>, Vec<usize>) = match &spec.split {
        Some((col, dev_value)) => {
            (0..all.outcome.len()).partition(|&i| table.text[col][i] == *dev_value)
        }
        None => ((0..all.outcome.len()).collect(), Vec::new()),
    };
    if dev_rows.is_empty() {
        return Err(input(
            &spec.table,
            "no development rows (check data.development)",
        ));
    }
    let dev = subset(&all, &dev_rows);
    let val = if !val_rows.is_empty() {
        Some(subset(&all, &val_rows))
    } else if let Some(vt) = &spec.validation_table {
        let t2 = read_feature_table(vt, &feature_spec)?;
        notes.extend(t2.notes.clone());
        let v = dataset(&t2, spec)?;
        Some(align(&dev, v, vt)?)
    } else {
        None
    };

    let pipe = default_pipeline(survival, dev.x.ncols());
    let design = CvDesign {
        outer: 5,
        inner: 3,
        repeats: spec.repeats,
        seed,
        leaky: false,
        given_folds: None,
        bbc_resamples: 500,
    };
    let nested = nested_cv(&dev, &pipe, &design)?;
    let leaky = nested_cv(
        &dev,
        &pipe,
        &CvDesign {
            leaky: true,
            bbc_resamples: 0,
            ..design.clone()
        },
    )?;

    // The permutation null reruns one repeat per permutation; the observed value comes
    // from the same one-repeat design.
    let perm_design = CvDesign {
        repeats: 1,
        bbc_resamples: 0,
        ..design.clone()
    };
    let observed = nested_cv(&dev, &pipe, &perm_design)?.estimate;
    let permutation = permutation_test(&dev, &pipe, &perm_design, spec.permutations, observed)?;

    let external = match &val {
        Some(v) => Some(external_validation(&dev, v, &pipe, &design)?),
        None => None,
    };

    let volume = match volume_col {
        Some(col) => match dev.names.iter().position(|n| *n == col) {
            Some(j) => {
                let vd = Dataset {
                    x: dev.x.slice(ndarray::s![.., j..j + 1]).to_owned(),
                    names: vec![col.clone()],
                    outcome: dev.outcome.clone(),
                };
                let vdesign = CvDesign {
                    bbc_resamples: 0,
                    ..design.clone()
                };
                Some((col, nested_cv(&vd, &volume_pipeline(survival), &vdesign)?))
            }
            None if spec.volume.is_some() => {
                return Err(input(
                    &spec.table,
                    format!("data.volume names {col:?}, which is not a feature column"),
                ))
            }
            None => None,
        },
        None => None,
    };

    let (stability, icc) = match &spec.stability {
        Some(path) if !spec.selected.is_empty() => {
            let (robust, found, points) = robust_share(path, &spec.selected)?;
            (Some((robust, found)), points)
        }
        _ => (None, Vec::new()),
    };

    let (n_positive, n) = (positives(&dev.outcome), dev.outcome.len());
    let (roc, calibration) = curves(&dev, val.as_ref(), &nested, external.as_ref());
    let plots = DataPlots {
        metric: nested.metric,
        permutation: permutation.values.clone(),
        observed: permutation.observed,
        p_value: permutation.p_value,
        roc,
        calibration,
        icc,
    };
    Ok(DataAudit {
        plots,
        n,
        n_positive,
        p: dev.x.ncols(),
        nested,
        leaky,
        external,
        permutation,
        volume,
        stability,
        notes,
        pipeline: format!(
            "{} ranking keeping k in {:?} (tuned), L2-penalised {} regression with lambda tuned \
             on a 20-value path, standardised in the training rows; repeated nested CV \
             ({} x 5 outer, 3 inner folds)",
            if survival { "Cox score" } else { "|t|" },
            pipe.k_grid,
            if survival { "Cox" } else { "logistic" },
            spec.repeats
        ),
    })
}

fn header(path: &Path) -> Result<Vec<String>, DataError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input(path, format!("cannot read the table: {e}")))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect())
}

fn positives(o: &Outcome) -> usize {
    match o {
        Outcome::Binary(y) => y.iter().filter(|&&b| b).count(),
        Outcome::Survival { event, .. } => event.iter().filter(|&&b| b).count(),
    }
}

/// A 0/1 column as booleans, naming the first other value.
fn binary(t: &crate::table::FeatureTable, col: &str) -> Result<Vec<bool>, DataError> {
    let v = t
        .numeric
        .get(col)
        .ok_or_else(|| input(&t.source, format!("no column {col:?}")))?;
    v.iter()
        .enumerate()
        .map(|(i, &x)| match x {
            x if x == 0.0 => Ok(false),
            x if x == 1.0 => Ok(true),
            x => Err(input(
                &t.source,
                format!("line {}, column {col:?}: {x} is not 0 or 1", t.lines[i]),
            )),
        })
        .collect()
}

fn dataset(t: &crate::table::FeatureTable, spec: &DataSpec) -> Result<Dataset, DataError> {
    let outcome = match (&spec.outcome, &spec.time, &spec.event) {
        (Some(o), _, _) => Outcome::Binary(binary(t, o)?),
        (None, Some(tc), Some(ec)) => Outcome::Survival {
            time: t.numeric[tc].clone(),
            event: binary(t, ec)?,
        },
        _ => return Err(input(&t.source, "no outcome columns")),
    };
    let k = positives(&outcome);
    if k == 0 || (spec.outcome.is_some() && k == outcome.len()) {
        return Err(input(
            &t.source,
            "the outcome has a single class (or no event): nothing to discriminate",
        ));
    }
    Ok(Dataset {
        x: t.x.clone(),
        names: t.names.clone(),
        outcome,
    })
}

fn subset(d: &Dataset, rows: &[usize]) -> Dataset {
    Dataset {
        x: d.x.select(ndarray::Axis(0), rows),
        names: d.names.clone(),
        outcome: d.outcome.subset(rows),
    }
}

/// The validation table's columns in the development table's order (names must all exist).
fn align(dev: &Dataset, val: Dataset, path: &Path) -> Result<Dataset, DataError> {
    let mut cols = Vec::with_capacity(dev.names.len());
    for name in &dev.names {
        let j = val.names.iter().position(|n| n == name).ok_or_else(|| {
            input(
                path,
                format!("feature column {name:?} of the development table is missing"),
            )
        })?;
        cols.push(j);
    }
    Ok(Dataset {
        x: val.x.select(ndarray::Axis(1), &cols),
        names: dev.names.clone(),
        outcome: val.outcome,
    })
}

/// (robust, found) among `selected` in a stability table (`feature` and `robust` columns;
/// a feature is robust when every row of it says `yes`), and the rows of the selected
/// features with their ICC and interval (`form`, `icc`, `ci_lower`, `ci_upper` when the
/// table has them) for the report's plot.
fn robust_share(
    path: &Path,
    selected: &[String],
) -> Result<(usize, usize, Vec<IccPoint>), DataError> {
    let (header, records) = crate::table::read_records(path)?;
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            input(
                path,
                format!("no column {name:?} (a radaudit stability table)"),
            )
        })
    };
    let (f, r) = (col("feature")?, col("robust")?);
    let optional = |name: &str| header.iter().position(|h| h == name);
    let (form, icc, lower, upper) = (
        optional("form"),
        optional("icc"),
        optional("ci_lower"),
        optional("ci_upper"),
    );
    let cell = |row: &Vec<String>, c: Option<usize>| -> String {
        c.and_then(|c| row.get(c)).cloned().unwrap_or_default()
    };
    let number = |row: &Vec<String>, c| cell(row, c).trim().parse().unwrap_or(f64::NAN);
    let (mut robust, mut found) = (0, 0);
    let mut points = Vec::new();
    for s in selected {
        let rows: Vec<&Vec<String>> = records
            .iter()
            .map(|(_, r)| r)
            .filter(|r| r.get(f) == Some(s))
            .collect();
        if rows.is_empty() {
            continue;
        }
        found += 1;
        if rows
            .iter()
            .all(|row| row.get(r).is_some_and(|v| v == "yes"))
        {
            robust += 1;
        }
        for row in rows {
            points.push(IccPoint {
                feature: s.clone(),
                form: cell(row, form),
                icc: number(row, icc),
                lower: number(row, lower),
                upper: number(row, upper),
                robust: row.get(r).is_some_and(|v| v == "yes"),
            });
        }
    }
    Ok((robust, found, points))
}

/// The claimed value as one number (AUC and C-index claims only).
fn claimed(claim: &Claim) -> Option<f64> {
    use crate::audit::scenario::Metric;
    match (claim.metric, claim.value) {
        (Metric::Auc | Metric::CIndex, ClaimValue::Single(v)) if v.is_finite() => Some(v),
        _ => None,
    }
}

/// Checks 7-10 from the data results (or "not assessable" with the reason).
pub fn checks(claim: &Claim, result: &Result<DataAudit, String>) -> Vec<CheckResult> {
    let d = match result {
        Ok(d) => d,
        Err(e) => {
            return [
                CheckId::ReEstimate,
                CheckId::PermutationNull,
                CheckId::VolumeBaseline,
                CheckId::SelectedStability,
            ]
            .into_iter()
            .map(|id| {
                CheckResult::new(
                    id,
                    CheckOutcome::NotAssessable,
                    "needs the [data] table",
                    format!("The data checks could not run: {e}"),
                )
            })
            .collect();
        }
    };
    let judged = claim.direction == Direction::Positive;
    let judge = |fail: bool| match (judged, fail) {
        (false, _) => CheckOutcome::Reported,
        (true, true) => CheckOutcome::Fail,
        (true, false) => CheckOutcome::Pass,
    };
    let metric = d.nested.metric;
    let mut out = Vec::new();

    // 7. Re-estimate: the held-out cohort when there is one, else nested CV.
    let (est, lo, hi, how) = match &d.external {
        Some(e) => (
            e.estimate,
            e.ci_lower,
            e.ci_upper,
            format!(
                "trained on {} development rows, tested on {} validation rows ({})",
                e.n_development, e.n_validation, e.ci_method
            ),
        ),
        None => (
            d.nested.estimate,
            d.nested.ci_lower,
            d.nested.ci_upper,
            format!("repeated nested cross-validation ({})", d.nested.ci_method),
        ),
    };
    let c = claimed(claim);
    let mut re = match c {
        Some(v) if hi.is_finite() => CheckResult::new(
            CheckId::ReEstimate,
            judge(v > hi),
            "fails when the claimed value is above the upper end of the re-estimate's 95% \
             interval",
            format!(
                "Re-estimated on the data, the {metric} is {est:.3} (95% CI {lo:.3} to {hi:.3}; \
                 {how}); the claimed {v:.3} is {} it.",
                if v > hi { "above" } else { "within or below" }
            ),
        )
        .fig("claimed", v),
        _ => CheckResult::new(
            CheckId::ReEstimate,
            CheckOutcome::Reported,
            "judged only for a single AUC or C-index with an interval",
            format!("Re-estimated on the data, the {metric} is {est:.3} ({how})."),
        ),
    };
    re = re
        .fig("estimate", est)
        .fig("ci_lower", lo)
        .fig("ci_upper", hi)
        .fig("nested_cv_estimate", d.nested.estimate)
        .fig("leaky_cv_estimate", d.leaky.estimate)
        .fig("leak_gain", d.leaky.estimate - d.nested.estimate)
        .fig("undefined_folds", d.nested.undefined_folds as f64)
        .fig("n", d.n as f64)
        .fig("positives", d.n_positive as f64)
        .fig("features", d.p as f64);
    re.notes.push(format!("Pipeline: {}.", d.pipeline));
    re.notes.push(format!(
        "With ranking on all rows before the folds (the leak) the same pipeline reaches \
         {:.3}: the leak adds {:+.3} on these data.",
        d.leaky.estimate,
        d.leaky.estimate - d.nested.estimate
    ));
    re.notes.extend(d.notes.iter().cloned());
    out.push(re);

    // 8. Permutation null. A negative claim ("no useful model") is contradicted when the
    // features do beat permuted outcomes.
    let pm = &d.permutation;
    let (perm_outcome, perm_rule) = if judged {
        (judge(pm.p_value >= 0.05), "fails at p >= 0.05")
    } else if pm.p_value < 0.05 {
        (
            CheckOutcome::Fail,
            "for a negative claim, fails at p < 0.05",
        )
    } else {
        (
            CheckOutcome::Pass,
            "for a negative claim, fails at p < 0.05",
        )
    };
    out.push(
        CheckResult::new(
            CheckId::PermutationNull,
            perm_outcome,
            perm_rule,
            format!(
                "With the outcome permuted {} times and the whole pipeline rerun, the nested \
                 estimate reached the observed {:.3} in {} permutations (p = {:.3}; null mean \
                 {:.3}).",
                pm.permutations, pm.observed, pm.exceedances, pm.p_value, pm.null_mean
            ),
        )
        .fig("p_value", pm.p_value)
        .fig("observed", pm.observed)
        .fig("null_mean", pm.null_mean)
        .fig("permutations", pm.permutations as f64),
    );

    // 9. Volume baseline.
    out.push(match &d.volume {
        Some((col, v)) => CheckResult::new(
            CheckId::VolumeBaseline,
            judge(d.nested.estimate <= v.estimate),
            "fails when the signature's nested estimate does not exceed the volume-only model's",
            format!(
                "Tumour volume alone ({col}) reaches {:.3} under the same resampling; the \
                 signature {:.3}.",
                v.estimate, d.nested.estimate
            ),
        )
        .fig("volume_estimate", v.estimate)
        .fig("signature_estimate", d.nested.estimate)
        .fig("difference", d.nested.estimate - v.estimate),
        None => CheckResult::new(
            CheckId::VolumeBaseline,
            CheckOutcome::NotAssessable,
            "needs a volume column",
            format!("No volume column (set data.volume, or include one of {VOLUME_COLUMNS:?})."),
        ),
    });

    // 10. Selected-feature stability.
    out.push(match d.stability {
        Some((robust, found)) if found > 0 => {
            let share = robust as f64 / found as f64;
            CheckResult::new(
                CheckId::SelectedStability,
                judge(share < 0.5),
                "fails when fewer than half of the selected features are robust",
                format!(
                    "{robust} of the {found} selected features found in the stability table \
                     are robust ({:.0}%).",
                    100.0 * share
                ),
            )
            .fig("robust", robust as f64)
            .fig("found", found as f64)
            .fig("share", share)
        }
        _ => CheckResult::new(
            CheckId::SelectedStability,
            CheckOutcome::NotAssessable,
            "needs data.selected and data.stability",
            "No stability table or no published selected features to check.".to_string(),
        ),
    });
    out
}
