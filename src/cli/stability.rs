//! `radaudit stability`: ICC per feature over perturbation replicates, readers or sessions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::report::stability_plot::write_stability_plots;
use crate::stats::icc::{IccForm, MissingMethod};
use crate::stats::stability::{
    form_rationale, robust_features, screen, to_csv, Rule, StabilityConfig,
};
use crate::table::{long_to_csv, read_long, read_wide_as_long, write_atomic, WideImport};

/// Example lines shown after `radaudit stability --help`.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit stability --input long.csv --out stability.csv --select robust.txt
  radaudit stability --wide retest.csv --case-col PatientID --rater-col session \\
      --icc 3,1 --rule lower --out stability.csv --plots plots/

Each (perturbation, replicate) pair is one rater; `none` rows are one more.
Default ICC(1,1): random perturbation draws have no systematic rater.";

/// Arguments of `radaudit stability`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Long table: case_id,perturbation,replicate,feature,value.
    #[arg(
        long,
        value_name = "LONG.csv",
        conflicts_with = "wide",
        required_unless_present = "wide"
    )]
    pub input: Option<PathBuf>,
    /// Wide table instead (one row per case and rater; PyRadiomics, MIRP, test-retest).
    #[arg(long, value_name = "T.csv", requires_all = ["case_col", "rater_col"])]
    pub wide: Option<PathBuf>,
    /// Wide table: the case column.
    #[arg(long, value_name = "COL")]
    pub case_col: Option<String>,
    /// Wide table: the rater column (reader, session, extraction run).
    #[arg(long, value_name = "COL")]
    pub rater_col: Option<String>,
    /// Wide table: optional replicate column.
    #[arg(long, value_name = "COL")]
    pub replicate_col: Option<String>,
    /// Wide table: further non-feature columns to skip (repeatable).
    #[arg(long, value_name = "COL")]
    pub ignore: Vec<String>,
    /// Wide table: also write the reshaped long table here.
    #[arg(long, value_name = "LONG.csv")]
    pub long_out: Option<PathBuf>,
    /// ICC form(s): 1,1 (default) 2,1 3,1 1,k 2,k 3,k or A,1 C,1 A,k C,k (repeatable).
    #[arg(long = "icc", value_name = "FORM", default_value = "1,1")]
    pub icc: Vec<String>,
    /// Robust when the rule's statistic is at least this.
    #[arg(long, default_value_t = 0.75)]
    pub threshold: f64,
    /// point: the ICC must reach the threshold; lower: its interval's lower bound must.
    #[arg(long, default_value = "point", value_parser = ["point", "lower"])]
    pub rule: String,
    /// Missing ratings: listwise (drop the case), keep (unbalanced ANOVA, Method III) or
    /// reml (REML variance components, profile-likelihood intervals).
    #[arg(long, default_value = "listwise", value_parser = ["listwise", "keep", "reml"])]
    pub missing: String,
    /// Interval level.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Output stability table (CSV).
    #[arg(long, value_name = "STABILITY.csv")]
    pub out: PathBuf,
    /// Write the robust features, one per line (robust under every form asked).
    #[arg(long, value_name = "ROBUST.txt")]
    pub select: Option<PathBuf>,
    /// Write SVG plots into this folder.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
}

/// Validates the arguments into a configuration.
fn config(args: &Args) -> anyhow::Result<StabilityConfig> {
    let mut forms = Vec::new();
    for s in &args.icc {
        let f: IccForm = s.parse().with_context(|| format!("--icc {s}"))?;
        if !forms.contains(&f) {
            forms.push(f);
        }
    }
    Ok(StabilityConfig {
        forms,
        threshold: args.threshold,
        rule: args.rule.parse::<Rule>()?,
        missing: args.missing.parse::<MissingMethod>()?,
        confidence: args.confidence,
    })
}

/// Runs `radaudit stability`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cfg = config(&args)?;

    let table = match (&args.input, &args.wide) {
        (Some(p), _) => read_long(p).with_context(|| format!("reading {}", p.display()))?,
        (None, Some(p)) => {
            let spec = WideImport {
                case_col: args.case_col.clone().context("--wide needs --case-col")?,
                rater_col: args.rater_col.clone().context("--wide needs --rater-col")?,
                replicate_col: args.replicate_col.clone(),
                ignore: args.ignore.clone(),
            };
            let t =
                read_wide_as_long(p, &spec).with_context(|| format!("reading {}", p.display()))?;
            if let Some(out) = &args.long_out {
                write_atomic(out, long_to_csv(&t).as_bytes())
                    .with_context(|| format!("writing {}", out.display()))?;
            }
            t
        }
        (None, None) => anyhow::bail!("give --input LONG.csv or --wide T.csv"),
    };
    tracing::info!(
        cases = table.cases.len(),
        raters = table.raters.len(),
        features = table.features.len(),
        "read table"
    );
    for &f in &cfg.forms {
        tracing::info!(
            "{} = McGraw-Wong {}: {}",
            f.shrout_fleiss(),
            f.mcgraw_wong(),
            form_rationale(f)
        );
    }

    let report = screen(&table, &cfg).context("stability screen")?;
    write_atomic(&args.out, to_csv(&report).as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;

    let failed = report.rows.iter().filter(|r| r.estimate.is_err()).count();
    let warned = report
        .rows
        .iter()
        .filter(|r| r.estimate.as_ref().is_ok_and(|e| !e.warnings.is_empty()))
        .count();
    let dropped_max = report.rows.iter().map(|r| r.dropped).max().unwrap_or(0);
    let robust = robust_features(&report);
    tracing::info!(
        robust = robust.len(),
        features = report.n_features,
        failed,
        with_warnings = warned,
        most_cases_dropped = dropped_max,
        "stability table written to {}",
        args.out.display()
    );
    if failed > 0 {
        tracing::warn!("{failed} feature rows have no ICC (see the note column)");
    }

    if let Some(sel) = &args.select {
        let mut text = robust.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        write_atomic(sel, text.as_bytes()).with_context(|| format!("writing {}", sel.display()))?;
    }
    if let Some(dir) = &args.plots {
        let files = write_stability_plots(&report, dir)
            .with_context(|| format!("writing plots to {}", dir.display()))?;
        tracing::info!(files = files.len(), "plots written to {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
