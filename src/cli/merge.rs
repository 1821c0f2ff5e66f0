//! `radaudit merge PARTS... --out FILE`: the output a single run writes, from the part
//! files of a sharded run (`--shard I/N`, module `shard`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::shard;

/// Help text after the options.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit extract --cohort c.csv --out f.csv --shard 0/2   # and 1/2
  radaudit merge f.csv.parts/*.json --out f.csv

Parts made with other settings, for another cohort or in another number of
parts are refused, and missing parts are named. `--out` is the file (a folder
for `audit`) a single run with the parts' command line would write.";

/// Arguments of `radaudit merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Part files (`OUT.parts/part-*.json`).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output file (a folder for `audit`).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `merge`: checks the parts belong to one complete run, then writes its output.
///
/// # Errors
/// Unreadable, corrupt, foreign or missing parts (naming the file or index), write errors.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let merged = shard::read_parts(&args.parts)?;
    tracing::info!(
        "merging {} items of `{}` from {} part file(s)",
        merged.items.len(),
        merged.command,
        args.parts.len()
    );
    match merged.command.as_str() {
        "extract" => super::extract::merge(&merged, &args.out),
        "null" => super::null::merge(&merged, &args.out),
        "perturb" => super::perturb::merge(&merged, &args.out),
        "audit" => super::audit::merge(&merged, &args.out),
        other => anyhow::bail!("parts of `{other}` cannot be merged by this radaudit"),
    }
}
