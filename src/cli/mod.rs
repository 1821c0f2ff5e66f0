//! Command-line interface: clap definitions, one module per subcommand; dispatch only.
//!
//! Each subcommand module has an `Args` struct (clap derive) and a `run` function that
//! validates the arguments into a library configuration, calls the library, and writes
//! what it returns. Exit codes: 0 done; 1 the check found what was asked for (`--fail-on`,
//! drift in `compare`); 2 usage or input error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub mod audit;

pub mod compare;

pub mod cv;

pub mod extract;

pub mod inspect;

pub mod perturb;

pub mod samplesize;

pub mod stability;

pub mod null;

pub mod merge;

pub mod slurm;

/// Exit code: the check found what `--fail-on` or `compare` looks for.
pub const EXIT_FOUND: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_INPUT: u8 = 2;

/// Options shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Only errors on stderr; no progress bar.
    #[arg(long, global = true)]
    pub quiet: bool,
}

/// radaudit: audits radiomics studies for rigor and robustness.
#[derive(Debug, Parser)]
#[command(name = "radaudit", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit published claims: a verdict per claim with reports.
    #[command(
        after_help = "Example:\n  radaudit audit scenarios/liver-review --out reports/liver-review\n  \
        radaudit audit my-claim.toml --out reports/mine --reps 2000 --fail-on does-not-survive"
    )]
    Audit(audit::Args),
    /// IBSI or PyRadiomics-compatible features of an image or a cohort.
    Extract(extract::Args),
    /// Show what radaudit reads from an image (and mask): geometry, values, labels, ROI.
    Inspect(inspect::Args),
    /// Re-extract a cohort under seeded perturbations (long table for stability).
    #[command(after_help = perturb::AFTER_HELP)]
    Perturb(perturb::Args),
    /// Sample sizes: Riley development and validation criteria, reliability (Bonett).
    Samplesize(samplesize::Args),
    /// ICC per feature over perturbation replicates, readers or sessions.
    #[command(after_help = stability::AFTER_HELP)]
    Stability(stability::Args),
    /// Null distribution of a stated pipeline on random features.
    #[command(
        after_help = "Example:\n  radaudit null --n 100 --prevalence 0.5 --candidates 1000 --selected 10 \\\n    \
        --selection univariate --model logistic --design cv --folds 5 --claimed 0.80 \\\n    \
        --reps 1000 --out null.json --plot null.svg"
    )]
    Null(null::Args),
    /// Nested cross-validation of a penalised model on a feature table.
    #[command(after_help = cv::AFTER_HELP)]
    Cv(cv::Args),
    /// Compare a feature table with a reference, feature by feature (exit 1 on drift).
    #[command(after_help = compare::AFTER_HELP)]
    Compare(compare::Args),
    /// Join the part outputs of a sharded run (--shard I/N) into the single-run output.
    #[command(after_help = merge::AFTER_HELP)]
    Merge(merge::Args),
    /// Write (and submit) a Slurm job array running a long command in parts, then merge.
    #[command(after_help = slurm::AFTER_HELP)]
    Slurm(slurm::Args),
}

/// Sets up logging (stderr, `RADAUDIT_LOG` or `--quiet`) and the thread pool.
fn init(common: &Common) -> anyhow::Result<()> {
    let _ = QUIET.set(common.quiet);
    let default = if common.quiet { "error" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RADAUDIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
    if let Some(n) = common.threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        // Far above any machine this runs on; larger values only exhaust memory.
        anyhow::ensure!(
            n <= 1024,
            "--threads {n} is above 1024; leave it out to use every core"
        );
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    Ok(())
}

/// Parses the command line and runs the subcommand; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Err(e) = init(&cli.common) {
        eprintln!("radaudit: {}", error_text(&e));
        return ExitCode::from(EXIT_INPUT);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("radaudit: {}", error_text(&e));
            ExitCode::from(EXIT_INPUT)
        }
    }
}

/// An error and its causes joined by `": "`, leaving out a cause whose text the message
/// already holds (many errors print their source themselves, e.g. `"{path}: {source}"`,
/// which `{:#}` would repeat).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Audit(a) => audit::run(a),
        Command::Extract(args) => extract::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Perturb(args) => perturb::run(args),
        Command::Samplesize(args) => samplesize::run(args),
        Command::Stability(args) => stability::run(args),
        Command::Null(args) => null::run(args),
        Command::Cv(args) => cv::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Slurm(args) => slurm::run(args),
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with `--quiet`.
pub fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if !std::io::IsTerminal::is_terminal(&std::io::stderr())
        || QUIET.get().copied().unwrap_or(false)
    {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// The command line of this process without the program name and `--shard` (stored in
/// part files so `merge` rebuilds the command's settings exactly).
pub fn shard_argv() -> Vec<String> {
    strip_shard(std::env::args().skip(1))
}

/// `args` without `--shard X` / `--shard=X`.
fn strip_shard(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for a in args {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if a == "--shard" {
            skip_next = true;
        } else if !a.starts_with("--shard=") {
            out.push(a);
        }
    }
    out
}

/// Parses a stored command line (see [`shard_argv`]) back into its subcommand.
///
/// # Errors
/// When the stored arguments no longer parse (a part from another radaudit version).
pub fn reparse(argv: &[String]) -> anyhow::Result<Command> {
    let full = std::iter::once("radaudit".to_string()).chain(argv.iter().cloned());
    Cli::try_parse_from(full)
        .map(|c| c.command)
        .map_err(|e| anyhow::anyhow!("the parts' command line does not parse: {e}"))
}

/// Logs what a part run did.
pub fn report_part(outcome: &crate::shard::Outcome) {
    match outcome {
        crate::shard::Outcome::Written(p) => tracing::info!("wrote part {}", p.display()),
        crate::shard::Outcome::Skipped(p) => {
            tracing::info!("part already complete, skipped: {}", p.display())
        }
    }
}

/// Set once from `--quiet`.
static QUIET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn a_cause_the_message_already_prints_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(crate::table::TableError::Write {
            path: "a.csv".into(),
            source: io,
        })
        .context("writing a.csv");
        assert_eq!(error_text(&e), "writing a.csv: cannot write a.csv: gone");
    }

    #[test]
    fn causes_the_message_does_not_print_are_kept() {
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&e), "outer: inner");
    }
}
