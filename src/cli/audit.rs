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
use crate::checkpoint::{self, Checkpoint, ItemStore};
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
/// An interrupted run resumes from DIR.checkpoint (next to DIR) when rerun
/// with the same arguments and files; it is removed when the run finishes.
/// A rerun with another --reps is refused (every report depends on it).
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
    // Checked before the claims run (minutes), not when the first report is written.
    anyhow::ensure!(
        !args.out.is_file(),
        "--out {}: is a file; the audit writes a folder of reports (choose another --out)",
        args.out.display()
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

    // Finished scenario files of an interrupted run are reused (module `checkpoint`): each
    // item is what a sharded run stores, so the reports are written as `merge` writes them.
    let ids = item_ids(&args, &files);
    let ck = Checkpoint::open(
        &args.out,
        &run_key(&args, &files, &parsed, &ids)?,
        checkpoint::abort_after_from_env()?,
    )?;
    // Reports are drafted in a folder of this process beside the checkpoint, so two runs
    // with the same output never share one; drafts of killed runs are removed.
    remove_stale_staging(ck.path());
    let mut staging = ck.path().as_os_str().to_os_string();
    staging.push(format!(".staging-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    let progress = super::progress_bar(files.len() as u64, "auditing claims");
    let mut items = Vec::new();
    // Claims are audited in parallel, a chunk at a time (each draws only from its own
    // seeded streams, so results do not depend on the order), and checkpointed in file
    // order, so a stop after N items always leaves the same N.
    let chunk = 2 * rayon::current_num_threads().max(1);
    for block in (0..ids.len()).collect::<Vec<_>>().chunks(chunk) {
        let done: Vec<_> = block
            .par_iter()
            .map(|&k| {
                let d = match ck.get(&ids[k]) {
                    Some(d) => Ok((d, true)),
                    None => audit_item(&parsed[k], &opts, &staging.join(k.to_string()))
                        .map(|d| (d, false)),
                };
                progress.inc(1);
                d
            })
            .collect();
        for (&k, d) in block.iter().zip(done) {
            let (data, stored) = d?;
            if !stored {
                ck.put(&ids[k], &data)?;
            } else if !is_item(&data) {
                // An edited or damaged record: say where it is rather than "no slug".
                anyhow::bail!(ck.malformed(
                    &ids[k],
                    "(no error, or no slug, index row and report files)"
                ));
            }
            items.push(PartItem {
                index: k,
                id: ids[k].clone(),
                input: String::new(),
                data,
            });
        }
    }
    progress.finish_and_clear();
    let _ = std::fs::remove_dir_all(&staging);
    let code = write_items(&args, &items, &args.out)?;
    ck.finish()?;
    Ok(code)
}

/// Removes the draft folders (`<checkpoint>.staging-<pid>`) that processes no longer
/// running left beside `checkpoint`. Liveness is read from `/proc`; where there is none,
/// drafts are left alone (they never enter an output).
fn remove_stale_staging(checkpoint: &Path) {
    let (Some(dir), Some(name)) = (checkpoint.parent(), checkpoint.file_name()) else {
        return;
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!("{}.staging", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        // "" is the folder of an earlier version; "-<pid>" one per process.
        let alive = rest
            .strip_prefix('-')
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a stored item holds what [`write_items`] reads: an error, or a slug, an index
/// row and the report files.
fn is_item(data: &serde_json::Value) -> bool {
    ["invalid", "duplicate", "failed"]
        .iter()
        .any(|k| data[k].is_string())
        || (data["slug"].is_string()
            && data["files"].is_object()
            && serde_json::from_value::<IndexRow>(data["row"].clone()).is_ok())
}

/// The id of each scenario file: its path below the scenarios argument, so the folder can
/// move.
fn item_ids(args: &Args, files: &[PathBuf]) -> Vec<String> {
    files
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
        .collect()
}

/// The key of a run's checkpoint: the settings; per scenario file its content, its
/// parse status and its keys (so a refusal names the value that changed, e.g.
/// `a.toml: claim.value`); and the tables its `[data]` reads.
///
/// `--reps` stays in the key: an item is a scenario's whole report, built from null
/// simulations of up to `--reps` replicates whose stopping point and p-value depend on
/// that count, so a finished scenario cannot be extended to more replicates.
fn run_key(
    args: &Args,
    files: &[PathBuf],
    parsed: &[Parsed],
    ids: &[String],
) -> anyhow::Result<checkpoint::RunKey> {
    let mut key = checkpoint::RunKey::new("audit")
        .setting("seed", &args.seed)
        .setting_fixed(
            "reps",
            &args.reps,
            "each finished scenario's report is built from null simulations of up to \
             --reps replicates, whose stopping point and p-value depend on that count, \
             so it cannot be extended",
        );
    for (k, id) in ids.iter().enumerate() {
        key = key.input(&format!("scenario {id}"), &files[k], &hash_path(&files[k])?);
        let status = match &parsed[k] {
            Parsed::Ready(_) => "ready",
            Parsed::Invalid(_) => "invalid",
            Parsed::Duplicate(_) => "duplicate",
        };
        key = key.setting(&format!("{id}: status"), &status);
        // The keys of a file that is TOML at all (the parse status covers the others).
        let text = std::fs::read_to_string(&files[k]).unwrap_or_default();
        if let Ok(table) = toml::from_str::<toml::Table>(&text) {
            key = key.setting(&format!("{id}:"), &table);
        }
        if let Parsed::Ready(s) = &parsed[k] {
            let Some(d) = &s.data else { continue };
            let tables = [
                ("table", Some(&d.table)),
                ("validation_table", d.validation_table.as_ref()),
                ("stability", d.stability.as_ref()),
            ];
            for (what, path) in tables {
                let Some(t) = path else { continue };
                // An unreadable table fails the scenario; its message is in the item.
                let h = hash_path(t).unwrap_or_else(|e| format!("unreadable ({e})"));
                key = key.input(&format!("{id} [data] {what}"), t, &h);
            }
        }
    }
    Ok(key)
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
    let ids = item_ids(args, files);
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
    write_items(&args, &merged.items, out)
}

/// Writes the reports and index from every scenario file's item (a sharded run's merged
/// parts, or a single run's items), with the exit code of a single run.
fn write_items(args: &Args, items: &[PartItem], out: &Path) -> anyhow::Result<ExitCode> {
    let text = |item: &PartItem, key: &str| item.data[key].as_str().map(str::to_string);

    let mut invalid = Vec::new();
    let mut duplicate = Vec::new();
    let mut failed = Vec::new();
    let mut claims = Vec::new();
    for item in items {
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
    finish(args, &claims, &errors)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn drafts_of_dead_processes_are_removed_and_live_ones_kept() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ck = dir.path().join("out.checkpoint");
        let own = dir
            .path()
            .join(format!("out.checkpoint.staging-{}", std::process::id()));
        // Pid 0 is never a process of /proc; the plain name is an older version's draft.
        let dead = dir.path().join("out.checkpoint.staging-0");
        let old = dir.path().join("out.checkpoint.staging");
        let other = dir.path().join("other.checkpoint.staging-0");
        for d in [&own, &dead, &old, &other] {
            std::fs::create_dir(d).unwrap();
        }
        super::remove_stale_staging(&ck);
        assert!(own.exists() && other.exists());
        assert!(!dead.exists() && !old.exists());
    }
}
