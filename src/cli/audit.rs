//! `radaudit audit SCENARIO.toml|DIR --out DIR`: the verdict per claim, with reports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{EXIT_FOUND, EXIT_INPUT};
use crate::audit::run::{self, Options};
use crate::audit::scenario::{Scenario, ScenarioError};
use crate::audit::verdict::Verdict;
use crate::report;

/// When to exit with code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 when any claim is fragile or does not survive.
    Fragile,
    /// Exit 1 when any claim does not survive.
    DoesNotSurvive,
}

/// Audit published claims described by scenario files.
///
/// Example:
///   radaudit audit scenarios/liver-review --out reports/liver-review
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A scenario file, or a folder searched for *.toml scenario files.
    pub scenarios: PathBuf,
    /// Output folder: one subfolder per claim and the index README.md.
    #[arg(long)]
    pub out: PathBuf,
    /// Most null replicates per simulated design (sequential stopping may use fewer).
    #[arg(long, default_value_t = Options::default().reps)]
    pub reps: usize,
    /// Seed of every random stream.
    #[arg(long, default_value_t = Options::default().seed)]
    pub seed: u64,
    /// Exit with code 1 when a claim reaches this verdict or worse.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

/// Runs the audit and writes the reports.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.reps >= 19, "--reps must be at least 19 (p < 0.05 needs 19 replicates)");
    let files = run::scenario_files(&args.scenarios)
        .with_context(|| format!("cannot list scenarios in {}", args.scenarios.display()))?;
    anyhow::ensure!(!files.is_empty(), "no *.toml scenario files in {}", args.scenarios.display());
    let opts = Options { reps: args.reps, seed: args.seed };

    // Parse every file first; bad ones are reported and the rest still run.
    let mut errors: Vec<ScenarioError> = Vec::new();
    let mut scenarios = Vec::new();
    for f in &files {
        match Scenario::from_file(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                tracing::error!("{e}");
                errors.push(e);
            }
        }
    }
    check_unique_slugs(&mut scenarios, &mut errors);

    let progress = super::progress_bar(scenarios.len() as u64, "auditing claims");
    let mut audits = Vec::new();
    for s in &scenarios {
        match run::audit(s, &opts) {
            Ok(a) => {
                tracing::info!("{}: {}", a.scenario.slug(), a.verdict.as_str());
                report::claim::write(&args.out, &a)
                    .with_context(|| format!("writing the report of {}", s.slug()))?;
                audits.push(a);
            }
            Err(e) => {
                tracing::error!("{e}");
                errors.push(e);
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    report::index::write(&args.out, &audits, &errors)
        .with_context(|| format!("writing {}", args.out.join("README.md").display()))?;

    for a in &audits {
        println!("{}\t{}", a.scenario.slug(), a.verdict.as_str());
    }
    if !errors.is_empty() {
        eprintln!("radaudit: {} scenario file(s) could not be audited:", errors.len());
        for e in &errors {
            eprintln!("  {e}");
        }
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    let worst = |v: Verdict| audits.iter().any(|a| a.verdict == v);
    let found = match args.fail_on {
        None => false,
        Some(FailOn::DoesNotSurvive) => worst(Verdict::DoesNotSurvive),
        Some(FailOn::Fragile) => worst(Verdict::DoesNotSurvive) || worst(Verdict::Fragile),
    };
    Ok(if found { ExitCode::from(EXIT_FOUND) } else { ExitCode::SUCCESS })
}

/// Two scenarios with the same study and claim id would overwrite one report folder.
fn check_unique_slugs(scenarios: &mut Vec<Scenario>, errors: &mut Vec<ScenarioError>) {
    let mut seen = std::collections::BTreeSet::new();
    scenarios.retain(|s| {
        if seen.insert(s.slug()) {
            true
        } else {
            errors.push(ScenarioError {
                file: s.path.clone(),
                key: "claim.id".into(),
                problem: format!("{} is used by another scenario file", s.slug()),
            });
            false
        }
    });
}
