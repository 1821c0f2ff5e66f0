//! `radaudit cv`: repeated stratified nested cross-validation of a penalised model on a
//! feature table, with the leaky counterpart, a permutation null and external validation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::ValueEnum;
use serde_json::{json, Value};

use crate::checkpoint::{self, Checkpoint, ItemStore, NoStore, RunKey};
use crate::model::cox::Ties;
use crate::model::cv::{
    external_validation, family_label, nested_cv, permutation_test_resumable, CvDesign, CvResult,
    Dataset, ExternalResult, PermutationResult,
};
use crate::model::pipeline::{Family, LambdaRule, Outcome, Pipeline, Ranker};
use crate::report::cv_plot;
use crate::shard::hash_path;
use crate::table::{
    read_feature_table, round_sig, write_atomic, FeatureTable, FeatureTableSpec, MissingPolicy,
    OUTPUT_SIG_DIGITS,
};

/// Version of the JSON layout written by `radaudit cv`.
pub const SCHEMA_VERSION: u32 = 1;

/// Examples shown after `radaudit cv --help`.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit cv --table wdbc.csv --outcome diagnosis --out cv.json --plots plots/
  radaudit cv --table WORC-Melanoma.csv --outcome Target --id ID \\
      --permutations 100 --repeats 2 --out melanoma.json
  radaudit cv --table HarvardRT.csv --external-table Maastro.csv \\
      --outcome surv2yr --id id --ignore 'general_info_*' --ignore logit_0 \\
      --ignore logit_1 --missing drop --out hosny.json
  radaudit cv --table rossi.csv --time week --event arrest --model cox-l1 \\
      --selection none --out rossi.json

Default pipeline: univariate |t| (or Cox score) filter to 20 features, then
L1-penalised logistic (or Cox) with lambda tuned by inner CV. --leaky also
runs the filter on all rows and reports both.

With --permutations, finished permutations are kept in OUT.checkpoint; an
interrupted run resumes from it when rerun with the same arguments and
inputs (a checkpoint of other arguments is refused, naming what differs),
and it is removed when the run finishes. A rerun with more --permutations
keeps the finished ones and adds the others; one with fewer uses the first.";

/// Elastic-net mixings tried by the enet models when `--alpha` is not given.
pub const DEFAULT_ALPHA: [f64; 3] = [0.1, 0.5, 0.9];

/// Model and penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    LogisticL1,
    LogisticL2,
    LogisticEnet,
    CoxL1,
    CoxL2,
    CoxEnet,
}

/// Ranking step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelectionArg {
    /// |t| for binary, Cox score for survival outcomes.
    Univariate,
    T,
    Wilcoxon,
    CoxScore,
    Mrmr,
    Lasso,
    None,
}

/// Missing-cell policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingArg {
    Error,
    Drop,
    DropRows,
    DropColumns,
}

/// Arguments of `radaudit cv`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Wide feature table (CSV): id, outcome and feature columns.
    #[arg(long, value_name = "T.csv")]
    pub table: PathBuf,
    /// Binary outcome column (0/1).
    #[arg(long, value_name = "COL", conflicts_with_all = ["time", "event"])]
    pub outcome: Option<String>,
    /// Survival time column.
    #[arg(long, value_name = "COL", requires = "event")]
    pub time: Option<String>,
    /// Event indicator column (1 = event, 0 = censored).
    #[arg(long, value_name = "COL", requires = "time")]
    pub event: Option<String>,
    /// Identifier column (default: case_id, id or ID when present).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Columns to skip; a trailing * matches a prefix (repeatable).
    #[arg(long, value_name = "COL")]
    pub ignore: Vec<String>,
    /// Missing feature cells (drop: empty rows, then columns).
    #[arg(long, value_enum, default_value = "error")]
    pub missing: MissingArg,
    /// Model and penalty (default logistic-l1 or cox-l1 by outcome).
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Tied event times of Cox models.
    #[arg(long, default_value = "efron", value_parser = ["efron", "breslow"])]
    pub ties: String,
    /// Elastic-net mixings tried by logistic-enet and cox-enet (comma separated;
    /// default 0.1,0.5,0.9); an error with other models, which ignore it.
    #[arg(long, value_delimiter = ',', value_name = "A")]
    pub alpha: Option<Vec<f64>>,
    /// Ranking step before the model.
    #[arg(long, value_enum, default_value = "univariate")]
    pub selection: SelectionArg,
    /// Features kept after ranking; a list is tuned (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "20")]
    pub k: Vec<usize>,
    /// Drop ranked features whose |Pearson r| with a kept one reaches this.
    #[arg(long, value_name = "R")]
    pub prune_correlation: Option<f64>,
    /// Robust-feature list (one name a line, from stability --select).
    #[arg(long, value_name = "ROBUST.txt")]
    pub robust_features: Option<PathBuf>,
    /// Lambdas on the path.
    #[arg(long, default_value_t = 50)]
    pub n_lambda: usize,
    /// lambda_min / lambda_max (default 1e-4 when n > p, else 1e-2).
    #[arg(long)]
    pub lambda_min_ratio: Option<f64>,
    /// Fixed scikit-learn C, no tuning (lambda = 1 / (C n_train)).
    #[arg(long, value_name = "C")]
    pub c: Option<f64>,
    /// Do not standardise features inside the training rows.
    #[arg(long)]
    pub no_standardize: bool,
    /// Outer folds.
    #[arg(long, default_value_t = 5)]
    pub outer: usize,
    /// Inner folds.
    #[arg(long, default_value_t = 5)]
    pub inner: usize,
    /// Repeats of the outer split.
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    /// Column giving each row's outer fold (0..outer-1); one repeat.
    #[arg(long, value_name = "COL")]
    pub folds_column: Option<String>,
    /// Also run with the ranking fitted on all rows, and report both.
    #[arg(long)]
    pub leaky: bool,
    /// y-permutations of the whole pipeline.
    #[arg(long, value_name = "R")]
    pub permutations: Option<usize>,
    /// Repeats per permutation run (default: --repeats).
    #[arg(long)]
    pub permutation_repeats: Option<usize>,
    /// Bootstrap samples of the BBC-CV interval (0 = none).
    #[arg(long, default_value_t = 200)]
    pub bbc_resamples: usize,
    /// Validation cohort with the same columns: train on --table, test here.
    #[arg(long, value_name = "T2.csv", conflicts_with = "cohort_column")]
    pub external_table: Option<PathBuf>,
    /// Column marking development and validation rows.
    #[arg(long, value_name = "COL", requires = "development")]
    pub cohort_column: Option<String>,
    /// Value of --cohort-column marking development rows (others validate).
    #[arg(long, value_name = "VALUE")]
    pub development: Option<String>,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output JSON.
    #[arg(long, value_name = "CV.json")]
    pub out: PathBuf,
    /// Write SVG plots (roc.svg, calibration.svg, permutation.svg) here.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
}

/// Runs `radaudit cv`.
///
/// # Errors
/// Input errors (file, column, row named) and pipeline failures.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let survival = args.time.is_some();
    if !survival && args.outcome.is_none() {
        bail!("give --outcome COL (binary) or --time COL --event COL (survival)");
    }
    let pipe_template = pipeline(&args, survival)?;
    if args.permutations == Some(0) {
        bail!("--permutations 0: give at least 1 permutation, or leave it out");
    }

    // Tables.
    let dev_table = read(&args, &args.table)?;
    let (dev_table, val_table) = match (&args.external_table, &args.cohort_column) {
        (Some(p), _) => {
            let v = read(&args, p)?;
            let (a, b) = align(dev_table, v);
            (a, Some(b))
        }
        (None, Some(col)) => {
            let dev_value = args.development.clone().unwrap_or_default();
            let (a, b) = split_by_cohort(&dev_table, col, &dev_value)?;
            (a, Some(b))
        }
        _ => (dev_table, None),
    };
    let dev = dataset(&args, &dev_table)?;
    let mut pipe = pipe_template;
    if let Some(path) = &args.robust_features {
        pipe.prefilter = Some(prefilter(path, &dev_table.names)?);
    }
    let given_folds = match &args.folds_column {
        Some(col) => Some(
            dev_table.numeric[col]
                .iter()
                .map(|&v| v as usize)
                .collect::<Vec<usize>>(),
        ),
        None => None,
    };
    let design = CvDesign {
        outer: args.outer,
        inner: args.inner,
        repeats: args.repeats,
        seed: args.seed,
        leaky: false,
        given_folds,
        bbc_resamples: args.bbc_resamples,
    };

    // Finished permutations of an interrupted run are reused (module `checkpoint`), also by
    // a rerun with another --permutations.
    let ck = match args.permutations {
        Some(r) => Some(Checkpoint::open(
            &args.out,
            &run_key(&args, r)?,
            checkpoint::abort_after_from_env()?,
        )?),
        None => None,
    };

    // Nested (and leaky) runs.
    tracing::info!(
        "{}: {} rows x {} features; {}x{} nested CV, {} repeats",
        args.table.display(),
        dev.outcome.len(),
        dev.names.len(),
        args.outer,
        args.inner,
        args.repeats
    );
    let nested = nested_cv(&dev, &pipe, &design).context("nested cross-validation")?;
    let leaky = if args.leaky {
        let mut d = design.clone();
        d.leaky = true;
        Some(nested_cv(&dev, &pipe, &d).context("leaky cross-validation")?)
    } else {
        None
    };
    let main = leaky.as_ref().unwrap_or(&nested);

    let perm = match args.permutations {
        Some(r) => {
            let mut d = design.clone();
            d.leaky = args.leaky;
            d.repeats = args.permutation_repeats.unwrap_or(args.repeats);
            d.bbc_resamples = 0;
            let observed = if d.repeats == design.repeats {
                main.estimate
            } else {
                // The observed value must come from the same design as the null.
                let mut o = d.clone();
                o.given_folds = design.given_folds.clone();
                nested_cv(&dev, &pipe, &o)?.estimate
            };
            let store: &dyn ItemStore = match &ck {
                Some(c) => c,
                None => &NoStore,
            };
            Some(
                permutation_test_resumable(&dev, &pipe, &d, r, observed, store)
                    .context("permutation test")?,
            )
        }
        None => None,
    };

    let external = match &val_table {
        Some(v) => {
            let val = dataset(&args, v)?;
            Some(external_validation(&dev, &val, &pipe, &design).context("external validation")?)
        }
        None => None,
    };

    // Output.
    let out = result_json(
        &args,
        &dev_table,
        &pipe,
        &design,
        &nested,
        leaky.as_ref(),
        perm.as_ref(),
        external.as_ref(),
    );
    let text = serde_json::to_string_pretty(&round_json(out))? + "\n";
    write_atomic(&args.out, text.as_bytes())?;
    if let Some(dir) = &args.plots {
        write_plots(dir, &dev, main, perm.as_ref())?;
    }
    summary_log(main, &nested, perm.as_ref(), external.as_ref());
    if let Some(c) = ck {
        c.finish()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The key of a run's checkpoint: every argument that changes a permutation's estimate,
/// and the input files by content (a moved table is the same table).
///
/// `--permutations` is the item count, not part of the key: permutation `i` draws its
/// outcomes and folds only from streams labelled `cv/perm/{i}`
/// ([`permutation_test_resumable`]), so its estimate does not depend on the total. A rerun
/// with more permutations keeps the finished ones and computes the others; one with fewer
/// uses the first ones, exactly those an uninterrupted run with the smaller count draws.
/// The p-value is computed afresh from the permutations of the run.
fn run_key(args: &Args, permutations: usize) -> anyhow::Result<RunKey> {
    let table = hash_path(&args.table)?;
    let mut key =
        RunKey::new("cv")
            .setting("", &key_settings(args))
            .input("table", &args.table, &table);
    if let Some(p) = &args.external_table {
        key = key.input("external table", p, &hash_path(p)?);
    }
    if let Some(p) = &args.robust_features {
        key = key.input("robust features", p, &hash_path(p)?);
    }
    Ok(key.items("permutations", permutations))
}

/// The settings of [`run_key`], named after the arguments: every field of [`Args`] but
/// those in `NOT_SETTINGS` (a unit test holds the two lists together).
fn key_settings(args: &Args) -> Value {
    let name = |v: Option<clap::builder::PossibleValue>| v.map(|v| v.get_name().to_string());
    json!({
        "outcome": args.outcome,
        "time": args.time,
        "event": args.event,
        "id": args.id,
        "ignore": args.ignore,
        "missing": name(args.missing.to_possible_value()),
        "model": args.model.and_then(|m| name(m.to_possible_value())),
        "ties": args.ties,
        "alpha": args.alpha.clone().unwrap_or_else(|| DEFAULT_ALPHA.to_vec()),
        "selection": name(args.selection.to_possible_value()),
        "k": args.k,
        "prune_correlation": args.prune_correlation,
        "n_lambda": args.n_lambda,
        "lambda_min_ratio": args.lambda_min_ratio,
        "c": args.c,
        "no_standardize": args.no_standardize,
        "outer": args.outer,
        "inner": args.inner,
        "repeats": args.repeats,
        "folds_column": args.folds_column,
        "leaky": args.leaky,
        "permutation_repeats": args.permutation_repeats,
        "bbc_resamples": args.bbc_resamples,
        "cohort_column": args.cohort_column,
        "development": args.development,
        "seed": args.seed,
    })
}

/// The arguments of [`Args`] that are not settings of [`run_key`]: inputs (keyed by
/// content), outputs, and the item count.
#[cfg(test)]
const NOT_SETTINGS: [&str; 6] = [
    "table",
    "external_table",
    "robust_features",
    "out",
    "plots",
    "permutations",
];

fn pipeline(args: &Args, survival: bool) -> anyhow::Result<Pipeline> {
    let model = args.model.unwrap_or(if survival {
        ModelArg::CoxL1
    } else {
        ModelArg::LogisticL1
    });
    let ties = if args.ties == "breslow" {
        Ties::Breslow
    } else {
        Ties::Efron
    };
    let enet = matches!(model, ModelArg::LogisticEnet | ModelArg::CoxEnet);
    if let (Some(alpha), false) = (&args.alpha, enet) {
        // Silently ignoring it would report a model other than the one asked for.
        let given: Vec<String> = alpha.iter().map(f64::to_string).collect();
        bail!(
            "--alpha {}: model {}{} does not mix penalties (only logistic-enet and \
             cox-enet use --alpha); leave --alpha out or choose an enet --model",
            given.join(","),
            model
                .to_possible_value()
                .map_or(String::new(), |v| v.get_name().to_string()),
            if args.model.is_none() {
                " (the default)"
            } else {
                ""
            }
        );
    }
    let mixings = || args.alpha.clone().unwrap_or_else(|| DEFAULT_ALPHA.to_vec());
    let (family, alpha) = match model {
        ModelArg::LogisticL1 => (Family::Logistic, vec![1.0]),
        ModelArg::LogisticL2 => (Family::Logistic, vec![0.0]),
        ModelArg::LogisticEnet => (Family::Logistic, mixings()),
        ModelArg::CoxL1 => (Family::Cox(ties), vec![1.0]),
        ModelArg::CoxL2 => (Family::Cox(ties), vec![0.0]),
        ModelArg::CoxEnet => (Family::Cox(ties), mixings()),
    };
    let ranker = match (args.selection, survival) {
        (SelectionArg::Univariate, false) | (SelectionArg::T, _) => Ranker::T,
        (SelectionArg::Univariate, true) | (SelectionArg::CoxScore, _) => Ranker::CoxScore,
        (SelectionArg::Wilcoxon, _) => Ranker::Wilcoxon,
        (SelectionArg::Mrmr, _) => Ranker::Mrmr,
        (SelectionArg::Lasso, _) => Ranker::Lasso,
        (SelectionArg::None, _) => Ranker::None,
    };
    let lambda = match args.c {
        Some(c) => LambdaRule::FixedC(c),
        None => LambdaRule::Path {
            n_lambda: args.n_lambda,
            min_ratio: args.lambda_min_ratio,
        },
    };
    Ok(Pipeline {
        prefilter: None,
        ranker,
        prune_correlation: args.prune_correlation,
        k_grid: args.k.clone(),
        alpha_grid: alpha,
        family,
        lambda,
        standardize: !args.no_standardize,
    })
}

fn read(args: &Args, path: &Path) -> anyhow::Result<FeatureTable> {
    let mut numeric: Vec<String> = Vec::new();
    numeric.extend(args.outcome.clone());
    numeric.extend(args.time.clone());
    numeric.extend(args.event.clone());
    if path == args.table {
        numeric.extend(args.folds_column.clone());
    }
    let id = match &args.id {
        Some(i) => Some(i.clone()),
        None => {
            let header = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let first = header.lines().next().unwrap_or("").to_string();
            ["case_id", "id", "ID"]
                .iter()
                .find(|c| first.split(',').any(|h| h.trim() == **c))
                .map(|c| c.to_string())
        }
    };
    let spec = FeatureTableSpec {
        id_col: id,
        numeric_cols: numeric,
        text_cols: args.cohort_column.iter().cloned().collect(),
        ignore: args.ignore.clone(),
        missing: match args.missing {
            MissingArg::Error => MissingPolicy::Error,
            MissingArg::Drop => MissingPolicy::Drop,
            MissingArg::DropRows => MissingPolicy::DropRows,
            MissingArg::DropColumns => MissingPolicy::DropColumns,
        },
    };
    Ok(read_feature_table(path, &spec)?)
}

/// Restricts two tables to their common feature columns, in the first table's order.
fn align(mut a: FeatureTable, mut b: FeatureTable) -> (FeatureTable, FeatureTable) {
    let common: Vec<String> = a
        .names
        .iter()
        .filter(|n| b.names.contains(n))
        .cloned()
        .collect();
    let dropped = a.names.len() + b.names.len() - 2 * common.len();
    if dropped > 0 {
        tracing::warn!(
            "{} feature columns are not in both tables and are left out; {} remain",
            dropped,
            common.len()
        );
    }
    for t in [&mut a, &mut b] {
        let idx: Vec<usize> = common
            .iter()
            .map(|n| {
                t.names
                    .iter()
                    .position(|m| m == n)
                    .expect("invariant: common name")
            })
            .collect();
        t.x = t.x.select(ndarray::Axis(1), &idx);
        t.names = common.clone();
    }
    (a, b)
}

fn split_by_cohort(
    t: &FeatureTable,
    col: &str,
    dev_value: &str,
) -> anyhow::Result<(FeatureTable, FeatureTable)> {
    let cohort = &t.text[col];
    let pick = |dev: bool| -> FeatureTable {
        let rows: Vec<usize> = (0..cohort.len())
            .filter(|&i| (cohort[i] == dev_value) == dev)
            .collect();
        FeatureTable {
            source: t.source.clone(),
            ids: rows.iter().map(|&i| t.ids[i].clone()).collect(),
            lines: rows.iter().map(|&i| t.lines[i]).collect(),
            names: t.names.clone(),
            x: t.x.select(ndarray::Axis(0), &rows),
            numeric: t
                .numeric
                .iter()
                .map(|(k, v)| (k.clone(), rows.iter().map(|&i| v[i]).collect()))
                .collect(),
            text: BTreeMap::new(),
            notes: Vec::new(),
        }
    };
    let (d, v) = (pick(true), pick(false));
    if d.ids.is_empty() || v.ids.is_empty() {
        bail!(
            "{}: column {col:?} gives {} development rows ({dev_value:?}) and {} validation rows; \
             need both",
            t.source.display(),
            d.ids.len(),
            v.ids.len()
        );
    }
    Ok((d, v))
}

fn binary_column(t: &FeatureTable, col: &str) -> anyhow::Result<Vec<bool>> {
    t.numeric[col]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v == 0.0 || v == 1.0 {
                Ok(v == 1.0)
            } else {
                bail!(
                    "{}, line {}, column {col:?}: {v} is not 0 or 1",
                    t.source.display(),
                    t.lines[i]
                )
            }
        })
        .collect()
}

fn dataset(args: &Args, t: &FeatureTable) -> anyhow::Result<Dataset> {
    let outcome = match (&args.outcome, &args.time, &args.event) {
        (Some(o), _, _) => Outcome::Binary(binary_column(t, o)?),
        (None, Some(tc), Some(ec)) => {
            let time = t.numeric[tc].clone();
            if let Some(i) = time.iter().position(|&v| v < 0.0) {
                bail!(
                    "{}, line {}, column {tc:?}: negative time",
                    t.source.display(),
                    t.lines[i]
                );
            }
            Outcome::Survival {
                time,
                event: binary_column(t, ec)?,
            }
        }
        _ => bail!("give --outcome COL or --time COL --event COL"),
    };
    check_both_classes(args, t, &outcome)?;
    Ok(Dataset {
        x: t.x.clone(),
        names: t.names.clone(),
        outcome,
    })
}

/// A binary outcome with one class, or survival data without an event (or without a
/// censored row, which still leaves a C-index), cannot be cross-validated: the error names
/// the file, the column and what it holds.
fn check_both_classes(args: &Args, t: &FeatureTable, outcome: &Outcome) -> anyhow::Result<()> {
    let file = t.source.display();
    match (outcome, &args.outcome, &args.event) {
        (Outcome::Binary(y), Some(col), _) => {
            let cases = y.iter().filter(|&&v| v).count();
            if cases == 0 || cases == y.len() {
                bail!(
                    "{file}, column {col:?}: only one class ({} in all {} rows); a binary \
                     outcome needs both 0 and 1",
                    u8::from(cases > 0),
                    y.len()
                );
            }
        }
        (Outcome::Survival { event, .. }, _, Some(col)) => {
            if !event.iter().any(|&e| e) {
                bail!(
                    "{file}, column {col:?}: no events (all {} rows censored); survival \
                     needs at least one event per fold",
                    event.len()
                );
            }
        }
        _ => {}
    }
    Ok(())
}

fn prefilter(path: &Path, names: &[String]) -> anyhow::Result<Vec<usize>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut cols = Vec::new();
    let mut missing = 0;
    for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match names.iter().position(|n| n == name) {
            Some(c) => cols.push(c),
            None => missing += 1,
        }
    }
    if missing > 0 {
        tracing::warn!(
            "{}: {missing} robust features are not columns of the table",
            path.display()
        );
    }
    if cols.is_empty() {
        bail!(
            "{}: none of the robust features is a column of the table",
            path.display()
        );
    }
    cols.sort_unstable();
    cols.dedup();
    Ok(cols)
}

fn cv_json(r: &CvResult) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    let name = if r.metric == "auc" {
        "auc_mean"
    } else {
        "c_index_mean"
    };
    v[name] = json!(r.estimate);
    v
}

#[allow(clippy::too_many_arguments)]
fn result_json(
    args: &Args,
    table: &FeatureTable,
    pipe: &Pipeline,
    design: &CvDesign,
    nested: &CvResult,
    leaky: Option<&CvResult>,
    perm: Option<&PermutationResult>,
    external: Option<&ExternalResult>,
) -> Value {
    let main = leaky.unwrap_or(nested);
    let mut out = cv_json(main);
    out["schema_version"] = json!(SCHEMA_VERSION);
    out["table"] = json!(args
        .table
        .file_name()
        .map(|s| s.to_string_lossy().into_owned()));
    out["n_rows"] = json!(table.ids.len());
    out["n_features"] = json!(table.names.len());
    out["input_notes"] = json!(table.notes);
    out["design"] = json!({
        "outer": design.outer, "inner": design.inner,
        "repeats": if design.given_folds.is_some() { 1 } else { design.repeats },
        "given_folds": args.folds_column, "seed": design.seed,
        "stratified_by": if args.outcome.is_some() { "class" } else { "event indicator" },
    });
    out["pipeline"] = json!({
        "model": family_label(pipe.family),
        "penalty": "glmnet scaling: (1/n) negative log(-partial) likelihood + lambda (alpha |b|_1 + (1 - alpha)/2 |b|_2^2)",
        "alpha_grid": pipe.alpha_grid,
        "lambda": pipe.lambda,
        "ranker": pipe.ranker,
        "k_grid": pipe.k_grid,
        "prune_correlation": pipe.prune_correlation,
        "prefilter_columns": pipe.prefilter.as_ref().map(Vec::len),
        "standardize": pipe.standardize,
        "inner_criterion": if args.outcome.is_some() { "mean inner-fold AUC" } else { "mean inner-fold Harrell C" },
        "uno_tau": "none: all held-out event times; censoring Kaplan-Meier estimated on the held-out fold",
        "harrell_convention": "risk = linear predictor (higher = earlier event); tied risk 1/2; event vs censored at the same time comparable",
    });
    if let Some(l) = leaky {
        out["comparison"] = json!({
            "nested_estimate": nested.estimate,
            "nested_ci_lower": nested.ci_lower,
            "nested_ci_upper": nested.ci_upper,
            "leaky_estimate": l.estimate,
            "inflation": l.estimate - nested.estimate,
            "nested": cv_json(nested)["summaries"].clone(),
        });
    }
    if let Some(p) = perm {
        out["permutation"] = serde_json::to_value(p).unwrap_or(Value::Null);
        // The null reruns the reported pipeline (leaky when --leaky) on permuted outcomes.
        out["permutation"]["leaky"] = json!(args.leaky);
        out["permutation"]["repeats"] = json!(args.permutation_repeats.unwrap_or(args.repeats));
    }
    if let Some(e) = external {
        out["external"] = serde_json::to_value(e).unwrap_or(Value::Null);
        out["external"]["table"] = json!(args
            .external_table
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned()));
    }
    out
}

/// Rounds every number to the output precision; non-finite numbers become null.
fn round_json(v: Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                let r = round_sig(f, OUTPUT_SIG_DIGITS);
                serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(round_json).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, round_json(v))).collect()),
        other => other,
    }
}

fn write_plots(
    dir: &Path,
    data: &Dataset,
    r: &CvResult,
    perm: Option<&PermutationResult>,
) -> anyhow::Result<()> {
    let strata = data.outcome.strata();
    let first: Vec<_> = r.folds.iter().filter(|f| f.repeat == 0).collect();
    let curves: Vec<(String, Vec<f64>, Vec<bool>)> = first
        .iter()
        .map(|f| {
            let auc = f.metrics.values().next().copied().flatten();
            (
                format!(
                    "fold {} ({})",
                    f.fold + 1,
                    auc.map_or("undefined".to_string(), |a| format!(
                        "{}{a:.3}",
                        if r.metric == "auc" { "AUC " } else { "" }
                    ))
                ),
                f.scores.clone(),
                f.rows.iter().map(|&i| strata[i]).collect(),
            )
        })
        .collect();
    let title = match data.outcome {
        Outcome::Binary(_) => "ROC of the outer folds (repeat 1)",
        Outcome::Survival { .. } => "ROC of the outer folds for the event indicator (repeat 1)",
    };
    write_atomic(
        &dir.join("roc.svg"),
        cv_plot::roc_svg(&curves, title).as_bytes(),
    )?;
    if let Outcome::Binary(y) = &data.outcome {
        let mut p = Vec::new();
        let mut yy = Vec::new();
        for f in &first {
            p.extend(f.scores.iter().map(|&e| 1.0 / (1.0 + (-e).exp())));
            yy.extend(f.rows.iter().map(|&i| y[i]));
        }
        let svg = cv_plot::calibration_svg(
            &p,
            &yy,
            10,
            "Calibration of out-of-fold predictions (repeat 1)",
        );
        write_atomic(&dir.join("calibration.svg"), svg.as_bytes())?;
    }
    if let Some(p) = perm {
        let svg = cv_plot::permutation_svg(&p.values, p.observed, r.metric, p.p_value);
        write_atomic(&dir.join("permutation.svg"), svg.as_bytes())?;
    }
    Ok(())
}

fn summary_log(
    main: &CvResult,
    nested: &CvResult,
    perm: Option<&PermutationResult>,
    ext: Option<&ExternalResult>,
) {
    tracing::info!(
        "{} {}: {:.4} [{:.4}, {:.4}] ({}), {} undefined folds",
        if main.leaky { "leaky" } else { "nested" },
        main.metric,
        main.estimate,
        main.ci_lower,
        main.ci_upper,
        main.ci_method,
        main.undefined_folds
    );
    if main.leaky {
        tracing::info!("nested {}: {:.4}", nested.metric, nested.estimate);
    }
    if let Some(p) = perm {
        tracing::info!(
            "permutation null: mean {:.4}, {} of {} >= observed, p = {:.4}",
            p.null_mean,
            p.exceedances,
            p.permutations,
            p.p_value
        );
    }
    if let Some(e) = ext {
        tracing::info!(
            "external validation {}: {:.4} [{:.4}, {:.4}] ({})",
            e.metric,
            e.estimate,
            e.ci_lower,
            e.ci_upper,
            e.ci_method
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    /// The required arguments of `cv` and nothing else.
    const MINIMAL_ARGV: [&str; 7] = [
        "cv",
        "--table",
        "t.csv",
        "--outcome",
        "y",
        "--out",
        "o.json",
    ];

    #[test]
    fn every_argument_is_a_key_setting_or_listed_as_none() {
        // A new argument that changes results must not be left out of the checkpoint's key.
        let args = Cli::try_parse_from(MINIMAL_ARGV).unwrap().args;
        let debug = format!("{args:#?}");
        let fields: BTreeSet<String> = debug
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .filter_map(|l| l.split_once(':').map(|(name, _)| name))
            .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string)
            .collect();
        let mut listed: BTreeSet<String> = key_settings(&args)
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(fields.len() > 20, "{fields:?}");
        for f in NOT_SETTINGS {
            assert!(
                listed.insert(f.to_string()),
                "{f} is both a setting and not one"
            );
        }
        assert_eq!(fields, listed);
    }

    #[test]
    fn alpha_is_refused_for_models_without_mixing() {
        let parse = |extra: &[&str]| {
            let argv: Vec<&str> = MINIMAL_ARGV.iter().chain(extra).copied().collect();
            Cli::try_parse_from(argv).unwrap().args
        };
        let e = pipeline(&parse(&["--alpha", "0.5"]), false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--alpha 0.5: model logistic-l1 (the default)"),
            "{e}"
        );
        let e = pipeline(&parse(&["--model", "cox-l2", "--alpha", "0.2,0.7"]), true)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--alpha 0.2,0.7: model cox-l2 does not mix"),
            "{e}"
        );

        // The enet models take it, and use the default grid without it.
        let p = pipeline(
            &parse(&["--model", "logistic-enet", "--alpha", "0.3"]),
            false,
        );
        assert_eq!(p.unwrap().alpha_grid, [0.3]);
        let p = pipeline(&parse(&["--model", "cox-enet"]), true).unwrap();
        assert_eq!(p.alpha_grid, DEFAULT_ALPHA);
        assert_eq!(pipeline(&parse(&[]), false).unwrap().alpha_grid, [1.0]);
    }
}
