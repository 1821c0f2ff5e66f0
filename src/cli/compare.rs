//! `radaudit compare`: our feature table against a reference, with tolerances.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::compare::{compare, read_table, to_csv, Status, ToleranceRules};
use crate::table::write_atomic;

/// Example lines shown after `radaudit compare --help`.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit compare --ours ours.csv --reference earlier.csv --tolerances tol.csv --out cmp.csv
  radaudit compare --ours phantom.csv --reference reference_values.csv \\
      --reference-config digital_phantom

Exit code 1 when a feature drifts or a reference feature is missing from ours.
Tolerance: the reference's own, else --tolerances (pattern,kind,value), else 3 significant
digits.";

/// Arguments of `radaudit compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Our feature table (wide: case_id then features).
    #[arg(long, value_name = "A.csv")]
    pub ours: PathBuf,
    /// The reference: a wide table, PyRadiomics' baseline layout or the IBSI reference.
    #[arg(long, value_name = "B.csv")]
    pub reference: PathBuf,
    /// The configuration to use from an IBSI reference file.
    #[arg(long, value_name = "C")]
    pub reference_config: Option<String>,
    /// Tolerance rules: pattern,kind,value (kind abs, rel or sig).
    #[arg(long, value_name = "T.csv")]
    pub tolerances: Option<PathBuf>,
    /// Reference features missing from ours do not count as drift.
    #[arg(long)]
    pub allow_missing: bool,
    /// Write the comparison here (CSV).
    #[arg(long, value_name = "CMP.csv")]
    pub out: Option<PathBuf>,
}

/// Runs `radaudit compare`.
///
/// # Errors
/// Unreadable or malformed tables and tolerance files (exit 2 via the caller).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ours =
        read_table(&args.ours, None).with_context(|| format!("reading {}", args.ours.display()))?;
    let reference = read_table(&args.reference, args.reference_config.as_deref())
        .with_context(|| format!("reading {}", args.reference.display()))?;
    anyhow::ensure!(
        !reference.values.is_empty(),
        "{}: no feature values found",
        args.reference.display()
    );
    let rules = match &args.tolerances {
        Some(p) => ToleranceRules::read(p).with_context(|| format!("reading {}", p.display()))?,
        None => ToleranceRules::default(),
    };
    let rows = compare(&ours, &reference, &rules);
    if let Some(out) = &args.out {
        write_atomic(out, to_csv(&rows).as_bytes())
            .with_context(|| format!("writing {}", out.display()))?;
    }

    // Summary on stdout: counts, then every drifted and missing feature.
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (matched, drift, missing, extra) = (
        count(Status::Match),
        count(Status::Drift),
        count(Status::Missing),
        count(Status::Extra),
    );
    println!("match {matched}, drift {drift}, missing {missing}, only in ours {extra}");
    for r in rows
        .iter()
        .filter(|r| matches!(r.status, Status::Drift | Status::Missing))
    {
        let f = |v: Option<f64>| v.map(crate::table::fmt_num).unwrap_or_else(|| "-".into());
        println!(
            "{}\t{}\t{}\tours {}\treference {}\t{}",
            r.status.as_str(),
            r.case,
            r.feature,
            f(r.ours),
            f(r.reference),
            r.tolerance
        );
    }
    let failed = drift > 0 || (missing > 0 && !args.allow_missing);
    Ok(if failed {
        ExitCode::from(super::EXIT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}
