//! `radaudit audit SCENARIO.toml|DIR --out DIR`: the verdict per claim, with reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::json;

use super::{EXIT_FOUND, EXIT_INPUT};
use crate::audit::run::{self, Options};
use crate::audit::scenario::{Scenario, ScenarioError};
use crate::audit::verdict::Verdict;
use crate::report;
use crate::report::index::IndexRow;
use crate::shard::{self, hash_path, hash_text, Merged, PartItem, Plan, ShardError, ShardSpec};
use crate::table::write_atomic;

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
///
/// With --shard I/N the run audits part I of N of the scenario files into
/// DIR.parts/; `radaudit merge DIR.parts/*.json --out DIR` then writes the
/// reports and index a single run writes.
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
    /// Run part I of N of the scenario files (0-based) into OUT.parts/.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
}

/// A scenario file after parsing every file of the run.
enum Parsed {
    /// Valid and its claim's slug is unique.
    Ready(Box<Scenario>),
    /// The file is invalid.
    Invalid(ScenarioError),
    /// Valid, but an earlier file has the same study and claim id.
    Duplicate(ScenarioError),
}

/// Runs the audit and writes the reports.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.reps >= 19,
        "--reps must be at least 19 (p < 0.05 needs 19 replicates)"
    );
    let files = run::scenario_files(&args.scenarios)
        .with_context(|| format!("cannot list scenarios in {}", args.scenarios.display()))?;
    anyhow::ensure!(
        !files.is_empty(),
        "no *.toml scenario files in {}",
        args.scenarios.display()
    );
    let opts = Options {
        reps: args.reps,
        seed: args.seed,
    };

    // Parse every file first; bad ones are reported and the rest still run.
    let parsed = parse_all(&files);
    if let Some(spec) = args.shard {
        return run_shard(&args, &files, &parsed, &opts, spec);
    }
    let mut errors: Vec<String> = ordered_errors(&parsed);

    let ready: Vec<&Scenario> = parsed
        .iter()
        .filter_map(|p| match p {
            Parsed::Ready(s) => Some(s.as_ref()),
            _ => None,
        })
        .collect();
    let progress = super::progress_bar(ready.len() as u64, "auditing claims");
    let mut claims: Vec<(IndexRow, String)> = Vec::new();
    // Claims are audited in parallel (each draws only from its own seeded streams, so the
    // results do not depend on the order) and written in file order.
    let audits: Vec<_> = ready
        .par_iter()
        .map(|&s| {
            let a = run::audit(s, &opts);
            progress.inc(1);
            (s, a)
        })
        .collect();
    for (s, audit) in audits {
        match audit {
            Ok(a) => {
                tracing::info!("{}: {}", a.scenario.slug(), a.verdict.as_str());
                report::claim::write(&args.out, &a)
                    .with_context(|| format!("writing the report of {}", s.slug()))?;
                claims.push((IndexRow::from_audit(&a), a.scenario.slug()));
            }
            Err(e) => {
                tracing::error!("{e}");
                errors.push(e.to_string());
            }
        }
    }
    progress.finish_and_clear();
    finish(&args, &claims, &errors)
}

/// Writes the index, prints one `slug<TAB>verdict` line per claim, lists the scenario
/// errors and picks the exit code.
fn finish(
    args: &Args,
    claims: &[(IndexRow, String)],
    errors: &[String],
) -> anyhow::Result<ExitCode> {
    let rows: Vec<IndexRow> = claims.iter().map(|(r, _)| r.clone()).collect();
    report::index::write_rows(&args.out, &rows, errors)
        .with_context(|| format!("writing {}", args.out.join("README.md").display()))?;

    for (row, slug) in claims {
        println!("{slug}\t{}", row.verdict);
    }
    if !errors.is_empty() {
        eprintln!(
            "radaudit: {} scenario file(s) could not be audited:",
            errors.len()
        );
        for e in errors {
            eprintln!("  {e}");
        }
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    let worst = |v: Verdict| rows.iter().any(|r| r.verdict == v.as_str());
    let found = match args.fail_on {
        None => false,
        Some(FailOn::DoesNotSurvive) => worst(Verdict::DoesNotSurvive),
        Some(FailOn::Fragile) => worst(Verdict::DoesNotSurvive) || worst(Verdict::Fragile),
    };
    Ok(if found {
        ExitCode::from(EXIT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}

/// Parses every file; of two valid scenarios with the same slug, the later one is a
/// duplicate (it would overwrite the first one's report folder).
fn parse_all(files: &[PathBuf]) -> Vec<Parsed> {
    let mut seen = std::collections::BTreeSet::new();
    files
        .iter()
        .map(|f| match Scenario::from_file(f) {
            Err(e) => {
                tracing::error!("{e}");
                Parsed::Invalid(e)
            }
            Ok(s) if !seen.insert(s.slug()) => Parsed::Duplicate(ScenarioError {
                file: s.path.clone(),
                key: "claim.id".into(),
                problem: format!("{} is used by another scenario file", s.slug()),
            }),
            Ok(s) => Parsed::Ready(Box::new(s)),
        })
        .collect()
}

/// The index lists invalid files first, then duplicates, then failed audits, each in file
/// order.
fn ordered_errors(parsed: &[Parsed]) -> Vec<String> {
    let invalid = parsed.iter().filter_map(|p| match p {
        Parsed::Invalid(e) => Some(e.to_string()),
        _ => None,
    });
    let duplicate = parsed.iter().filter_map(|p| match p {
        Parsed::Duplicate(e) => Some(e.to_string()),
        _ => None,
    });
    invalid.chain(duplicate).collect()
}

/// Part `spec` of the scenario files (module `shard`): per file its parse error, or its
/// report files and index row, keyed by the file's hash. Files are identified by their
/// path below the scenarios argument, so the folder can move.
fn run_shard(
    args: &Args,
    files: &[PathBuf],
    parsed: &[Parsed],
    opts: &Options,
    spec: ShardSpec,
) -> anyhow::Result<ExitCode> {
    let ids = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&args.scenarios).unwrap_or(f);
            let id = rel.to_string_lossy().replace('\\', "/");
            if id.is_empty() {
                f.to_string_lossy().into_owned()
            } else {
                id
            }
        })
        .collect();
    let settings = json!({"reps": opts.reps, "seed": opts.seed});
    let plan = Plan::new("audit", settings, ids, super::shard_argv())?;
    let staging = shard::part_dir(&args.out).join(format!(".staging-{}", std::process::id()));
    let outcome = shard::run_part(
        &plan,
        spec,
        &args.out,
        |k| input_hash(&files[k], &parsed[k]),
        |k| audit_item(&parsed[k], opts, &staging.join(k.to_string())),
    );
    let _ = std::fs::remove_dir_all(&staging);
    super::report_part(&outcome?);
    Ok(ExitCode::SUCCESS)
}

/// The file's hash and its parse status: whether a valid file is a duplicate depends on
/// the files before it, so a change there must redo this file's part too.
fn input_hash(file: &Path, parsed: &Parsed) -> Result<String, ShardError> {
    let status = match parsed {
        Parsed::Ready(_) => "ready",
        Parsed::Invalid(_) => "invalid",
        Parsed::Duplicate(_) => "duplicate",
    };
    Ok(hash_text(&format!("{}\n{status}\n", hash_path(file)?)))
}

/// One scenario file's entry in a part.
fn audit_item(
    parsed: &Parsed,
    opts: &Options,
    staging: &Path,
) -> Result<serde_json::Value, ShardError> {
    let s = match parsed {
        Parsed::Invalid(e) => return Ok(json!({ "invalid": e.to_string() })),
        Parsed::Duplicate(e) => return Ok(json!({ "duplicate": e.to_string() })),
        Parsed::Ready(s) => s,
    };
    let a = match run::audit(s, opts) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            return Ok(json!({ "failed": e.to_string() }));
        }
    };
    tracing::info!("{}: {}", a.scenario.slug(), a.verdict.as_str());

    // The report files are written as a single run writes them, then stored as text.
    report::claim::write(staging, &a)?;
    let folder = staging.join(a.scenario.slug());
    let read = |source, path: &Path| ShardError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&folder).map_err(|e| read(e, &folder))? {
        let path = entry.map_err(|e| read(e, &folder))?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| read(e, &path))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        files.insert(name.unwrap_or_default(), text);
    }
    let _ = std::fs::remove_dir_all(staging);
    Ok(json!({
        "slug": a.scenario.slug(),
        "row": IndexRow::from_audit(&a),
        "files": files,
    }))
}

/// Writes the reports and index of a sharded audit from its merged parts, with the exit
/// code of a single run.
///
/// # Errors
/// Parts whose command line no longer parses, malformed part data, write errors.
pub fn merge(merged: &Merged, out: &Path) -> anyhow::Result<ExitCode> {
    let super::Command::Audit(mut args) = super::reparse(&merged.argv)? else {
        anyhow::bail!("the parts' command line is not `audit`");
    };
    args.out = out.to_path_buf();
    let text = |item: &PartItem, key: &str| item.data[key].as_str().map(str::to_string);

    let mut invalid = Vec::new();
    let mut duplicate = Vec::new();
    let mut failed = Vec::new();
    let mut claims = Vec::new();
    for item in &merged.items {
        if let Some(e) = text(item, "invalid") {
            invalid.push(e);
        } else if let Some(e) = text(item, "duplicate") {
            duplicate.push(e);
        } else if let Some(e) = text(item, "failed") {
            failed.push(e);
        } else {
            let slug =
                text(item, "slug").with_context(|| format!("{}: no slug in its part", item.id))?;
            let row: IndexRow = serde_json::from_value(item.data["row"].clone())
                .with_context(|| format!("{}: no index row in its part", item.id))?;
            let files = item.data["files"]
                .as_object()
                .with_context(|| format!("{}: no report files in its part", item.id))?;
            for (name, content) in files {
                let path = out.join(&slug).join(name);
                write_atomic(&path, content.as_str().unwrap_or_default().as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            tracing::info!("{slug}: {}", row.verdict);
            claims.push((row, slug));
        }
    }
    let errors: Vec<String> = invalid.into_iter().chain(duplicate).chain(failed).collect();
    finish(&args, &claims, &errors)
}
