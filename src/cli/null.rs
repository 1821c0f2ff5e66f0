//! `radaudit null`: the null distribution of a stated pipeline on random features.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use serde_json::json;

use crate::checkpoint::{self, Checkpoint, RunKey};
use crate::model::select::Selection;
use crate::null::{
    self, FeatureCorrelation, ModelKind, NullDesign, NullResult, RepValue, StopRule, Validation,
};
use crate::shard::{self, f64_text, parse_f64_text, Merged, Plan, ShardSpec};
use crate::table::{round_sig, write_atomic, OUTPUT_SIG_DIGITS};

/// Version of the JSON layout written by `radaudit null`.
pub const SCHEMA_VERSION: u32 = 1;

/// Selection step (`lasso` and `mrmr` are simulated by the univariate filter for now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelectionArg {
    Univariate,
    Lasso,
    Mrmr,
    None,
}

/// Model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    Logistic,
    Cox,
}

/// Validation design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DesignArg {
    Apparent,
    Split,
    Cv,
    External,
    Bootstrap,
}

/// Simulate the stated pipeline on random features and compare a claimed value.
///
/// Example:
///   radaudit null --n 100 --prevalence 0.5 --candidates 1000 --selected 10 \
///     --selection univariate --model logistic --design cv --folds 5 --leaky \
///     --claimed 0.80 --reps 1000 --seed 1 --out null.json --plot null.svg
///
/// An interrupted run resumes from null.json.checkpoint when rerun with the
/// same arguments (it is removed when the run finishes). A rerun with a
/// larger --reps keeps the finished replicates and adds the others; one with
/// a smaller --reps uses the first ones.
///
/// With --shard I/N the run computes part I of N of the replicates into
/// null.json.parts/ and `radaudit merge` writes null.json. A sharded run
/// computes all --reps replicates (a fixed budget); the merge replays the
/// sequential stopping rule over them in order, so it writes what a single
/// run writes.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Development rows (patients).
    #[arg(long)]
    pub n: usize,
    /// Candidate features screened.
    #[arg(long)]
    pub candidates: usize,
    /// Prevalence of cases (binary) or fraction with an event (survival).
    #[arg(long, conflicts_with = "events", required_unless_present = "events")]
    pub prevalence: Option<f64>,
    /// Cases (binary) or events (survival) among the n rows.
    #[arg(long)]
    pub events: Option<usize>,
    /// Features kept by the selection (not needed with --selection none).
    #[arg(long)]
    pub selected: Option<usize>,
    /// Selection step.
    #[arg(long, value_enum, default_value = "univariate")]
    pub selection: SelectionArg,
    /// Model: logistic (metric AUC) or cox (metric Harrell's C).
    #[arg(long, value_enum, default_value = "logistic")]
    pub model: ModelArg,
    /// Validation design.
    #[arg(long, value_enum)]
    pub design: DesignArg,
    /// Training fraction of a random split.
    #[arg(long, default_value_t = 0.7)]
    pub train_fraction: f64,
    /// Folds of cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Rows of the external cohort.
    #[arg(long)]
    pub n_validation: Option<usize>,
    /// Cases or events of the external cohort (default: development prevalence).
    #[arg(long)]
    pub events_validation: Option<usize>,
    /// Bootstrap samples per replicate (design bootstrap).
    #[arg(long, default_value_t = 50)]
    pub resamples: usize,
    /// Selection on all rows before the split or folds.
    #[arg(long)]
    pub leaky: bool,
    /// SMOTE oversampling on all rows before the split (binary outcomes).
    #[arg(long)]
    pub preprocessing_before_split: bool,
    /// Independent pipelines tried; the best is reported.
    #[arg(long, default_value_t = 1)]
    pub models_compared: usize,
    /// Correlation of random features within a block.
    #[arg(long, default_value_t = 0.0)]
    pub feature_correlation: f64,
    /// Features per correlated block (0: one block).
    #[arg(long, default_value_t = 10)]
    pub correlation_block: usize,
    /// Inverse penalty C of the L2 logistic / ridge Cox fit.
    #[arg(long, default_value_t = 1.0)]
    pub penalty_c: f64,
    /// Claimed value to test against the null.
    #[arg(long)]
    pub claimed: Option<f64>,
    /// Replicates (fewer when sequential stopping ends the run early).
    #[arg(long, default_value_t = 1000)]
    pub reps: usize,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output JSON file.
    #[arg(long)]
    pub out: PathBuf,
    /// Optional SVG histogram of the null distribution.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Run part I of N of the replicates (0-based) into OUT.parts/ (the merge writes
    /// --plot).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
}

/// Validates the arguments into a [`NullDesign`].
pub fn design_from_args(a: &Args) -> anyhow::Result<NullDesign> {
    let events = match (a.events, a.prevalence) {
        (Some(e), _) => e,
        (None, Some(q)) => NullDesign::events_from_prevalence(a.n, q)?,
        (None, None) => anyhow::bail!("give --prevalence or --events"),
    };
    let selection = match a.selection {
        SelectionArg::Univariate => Selection::Univariate,
        SelectionArg::Lasso => Selection::Lasso,
        SelectionArg::Mrmr => Selection::Mrmr,
        SelectionArg::None => Selection::None,
    };
    let selected = match (selection, a.selected) {
        (Selection::None, s) => s.unwrap_or(a.candidates),
        (_, Some(s)) => s,
        (_, None) => anyhow::bail!("--selected is required unless --selection none"),
    };
    let model = match a.model {
        ModelArg::Logistic => ModelKind::Logistic,
        ModelArg::Cox => ModelKind::Cox,
    };
    let validation = match a.design {
        DesignArg::Apparent => Validation::Apparent,
        DesignArg::Split => Validation::Split {
            train_fraction: a.train_fraction,
        },
        DesignArg::Cv => Validation::Cv { folds: a.folds },
        DesignArg::Bootstrap => Validation::Bootstrap {
            resamples: a.resamples,
        },
        DesignArg::External => {
            let n_validation = a
                .n_validation
                .context("--design external needs --n-validation")?;
            let events_validation = a.events_validation.unwrap_or_else(|| {
                (n_validation as f64 * events as f64 / a.n as f64).round() as usize
            });
            Validation::External {
                n_validation,
                events_validation,
            }
        }
    };
    let mut d = NullDesign::new(
        a.n,
        events,
        a.candidates,
        selected,
        selection,
        model,
        validation,
    );
    d.leaky_selection = a.leaky;
    d.preprocessing_before_split = a.preprocessing_before_split;
    d.models_compared = a.models_compared;
    d.feature_correlation = FeatureCorrelation {
        rho: a.feature_correlation,
        block: a.correlation_block,
    };
    d.penalty_c = a.penalty_c;
    d.validate()?;
    Ok(d)
}

/// The JSON document of a run (numbers rounded to 10 significant digits).
pub fn result_json(
    design: &NullDesign,
    result: &NullResult,
    seed: u64,
    rule: &StopRule,
) -> serde_json::Value {
    let r = |x: f64| round_sig(x, OUTPUT_SIG_DIGITS);
    let q = &result.quantiles;
    json!({
        "schema_version": SCHEMA_VERSION,
        "radaudit_version": env!("CARGO_PKG_VERSION"),
        "metric": result.metric,
        "design": design,
        "seed": seed,
        "stop_rule": rule,
        "reps_requested": result.reps_requested,
        "reps_used": result.reps_used,
        "stop_reason": result.stop_reason,
        "mean": r(result.mean),
        "sd": r(result.sd),
        "quantiles": {
            "q025": r(q.q025),
            "q50": r(q.q50),
            "q95": r(q.q95),
            "q975": r(q.q975),
            "q99": r(q.q99),
        },
        "claimed": result.claimed.map(r),
        "exceedances": result.exceedances,
        "p_value": result.p_value.map(r),
        "p_value_mc_se": result.p_mc_se.map(r),
        "undefined_parts": result.undefined_parts,
        "notes": result.notes,
        "values": result.values.iter().map(|&v| r(v)).collect::<Vec<_>>(),
    })
}

/// Runs `radaudit null`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let design = design_from_args(&args).context("invalid null design")?;
    // AUC and C-index live in [0, 1]; a value outside cannot be compared with a null.
    if let Some(c) = args.claimed {
        anyhow::ensure!(
            (0.0..=1.0).contains(&c),
            "--claimed {c} is outside [0, 1] (an AUC or C-index)"
        );
    }
    anyhow::ensure!(args.reps >= 1, "--reps 0: give at least 1 replicate");
    let rule = StopRule::default();
    if let Some(spec) = args.shard {
        return run_shard(&args, &design, &rule, spec);
    }

    // Finished replicates of an interrupted run are reused (module `checkpoint`), also by a
    // rerun with another --reps.
    let ck = Checkpoint::open(
        &args.out,
        &run_key(&args, &design, &rule),
        checkpoint::abort_after_from_env()?,
    )?;

    // Hidden when stderr is not a terminal or with --quiet.
    let bar = super::progress_bar(args.reps as u64, "null replicates");
    let mut progress = |done: usize, _planned: usize| bar.set_position(done as u64);
    let result = null::run_null_resumable(
        &design,
        args.reps,
        args.seed,
        args.claimed,
        &rule,
        &mut progress,
        &ck,
    )
    .context("null simulation failed")?;
    bar.finish_and_clear();
    write_result(&args, &design, &result, &rule, &args.out)?;
    ck.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// The key of a run's checkpoint: the settings that change a replicate's value.
///
/// `--reps` is the item count, not part of the key: replicate `r` draws only from stream
/// `null/{r}` ([`null::run_null_resumable`]), so its value does not depend on the total,
/// and a rerun with more replicates keeps the finished ones and computes the others. A
/// rerun with fewer uses the first ones, which are exactly the replicates an uninterrupted
/// run with the smaller count draws (the sequential stopping rule is replayed by the run
/// over the values in order, so it reaches the same stopping point either way).
fn run_key(args: &Args, design: &NullDesign, rule: &StopRule) -> RunKey {
    RunKey::new("null")
        .setting("design", design)
        .setting("seed", &args.seed)
        .setting("claimed", &args.claimed.map(f64_text))
        .setting("stop_rule", rule)
        .items("replicates", args.reps)
}

/// The settings that change the result (the parts' fingerprint of a sharded run).
fn run_settings(args: &Args, design: &NullDesign, rule: &StopRule) -> serde_json::Value {
    json!({
        "design": design,
        "reps": args.reps,
        "seed": args.seed,
        "claimed": args.claimed.map(f64_text),
        "stop_rule": rule,
    })
}

/// Part `spec` of the replicates `0..reps` (module `shard`): each replicate's value and
/// undefined parts, for [`merge`].
fn run_shard(
    args: &Args,
    design: &NullDesign,
    rule: &StopRule,
    spec: ShardSpec,
) -> anyhow::Result<ExitCode> {
    let settings = run_settings(args, design, rule);
    let ids = (0..args.reps).map(|r| r.to_string()).collect();
    let plan = Plan::new("null", settings, ids, super::shard_argv())?;
    let no_inputs = |_: usize| Ok::<_, null::NullError>(String::new());
    let outcome = shard::run_part(&plan, spec, &args.out, no_inputs, |r| {
        let v = null::replicate_detail(design, args.seed, r)?;
        Ok(json!({"value": f64_text(v.value), "undefined": v.undefined}))
    })?;
    super::report_part(&outcome);
    Ok(ExitCode::SUCCESS)
}

/// Writes the single-run JSON of a sharded run from its merged parts.
///
/// # Errors
/// Parts whose command line no longer parses, malformed replicate values, write errors.
pub fn merge(merged: &Merged, out: &Path) -> anyhow::Result<ExitCode> {
    let super::Command::Null(args) = super::reparse(&merged.argv)? else {
        anyhow::bail!("the parts' command line is not `null`");
    };
    let design = design_from_args(&args).context("invalid null design in the parts")?;
    let rule = StopRule::default();
    let replicates = merged
        .items
        .iter()
        .map(|item| {
            let value = item.data["value"]
                .as_str()
                .ok_or_else(|| "no value".to_string())
                .and_then(parse_f64_text);
            let undefined = item.data["undefined"].as_u64().ok_or("no undefined count");
            match (value, undefined) {
                (Ok(value), Ok(u)) => Ok(RepValue {
                    value,
                    undefined: u as usize,
                }),
                (Err(e), _) => anyhow::bail!("replicate {}: {e}", item.id),
                (_, Err(e)) => anyhow::bail!("replicate {}: {e}", item.id),
            }
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let result = null::summarise_replicates(&design, args.reps, args.claimed, &rule, &replicates)
        .context("null simulation failed")?;
    write_result(&args, &design, &result, &rule, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Logs the summary and writes the result JSON to `out` (and the plot of `--plot`).
fn write_result(
    args: &Args,
    design: &NullDesign,
    result: &NullResult,
    rule: &StopRule,
    out: &Path,
) -> anyhow::Result<()> {
    tracing::info!(
        reps = result.reps_used,
        mean = result.mean,
        q95 = result.quantiles.q95,
        "null simulation done ({:?})",
        result.stop_reason
    );
    let doc = result_json(design, result, args.seed, rule);
    let mut text = serde_json::to_string_pretty(&doc).context("serialising the result")?;
    text.push('\n');
    write_atomic(out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    if let Some(path) = &args.plot {
        let svg = crate::report::plot::null_histogram_svg(
            &result.values,
            args.claimed,
            result.quantiles.q95,
            result.metric,
        );
        write_atomic(path, svg.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
