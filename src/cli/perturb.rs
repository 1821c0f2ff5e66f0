//! `radaudit perturb`: re-extract every case of a cohort under the perturbations of the
//! config's `[perturbation]` plan, as a long table for `radaudit stability`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::extract::NamesArg;
use crate::features::config::{ExtractConfig, Names};
use crate::features::extract::read_cohort;
use crate::perturb::chain::Plan;
use crate::perturb::run::{self, RunOptions};
use crate::perturb::PerturbError;

/// Example lines shown after `radaudit perturb --help`.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit perturb --cohort examples/perturb-cohort.csv \\
      --config examples/perturb-zwanenburg.toml --out long.csv --seed 1
  radaudit stability --input long.csv --out stability.csv --plots plots/

The config is an extraction TOML with a [perturbation] table, e.g.
  [perturbation]
  repeats = 2
  rotation = [-10.0, 0.0, 10.0]
  noise = [1.0]                  # x the wavelet-MAD noise estimate
  volume = [-0.1, 0.0, 0.1]
  contour = [true]
Rows: case x setting x replicate, plus perturbation = none. An interrupted
run resumes from LONG.csv.parts/ when rerun with the same arguments.";

/// Arguments of `radaudit perturb`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cohort CSV: case_id,image,mask[,label] (paths relative to the file).
    #[arg(long, value_name = "COHORT.csv")]
    pub cohort: PathBuf,
    /// Extraction TOML with a [perturbation] plan.
    #[arg(long, value_name = "CFG.toml")]
    pub config: String,
    /// Output long table (CSV).
    #[arg(long, value_name = "LONG.csv")]
    pub out: PathBuf,
    /// Also write every perturbed image and mask (NIfTI) below this folder.
    #[arg(long, value_name = "DIR")]
    pub save_perturbed: Option<PathBuf>,
    /// Seed of the random streams (noise, contour randomisation).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Feature names: canonical (family.feature) or pyradiomics.
    #[arg(long, value_enum, default_value = "canonical")]
    pub names: NamesArg,
}

/// Environment variable for fault injection: stop after N finished items.
pub const ABORT_ENV: &str = "RADAUDIT_ABORT_AFTER";

/// Runs `perturb`.
///
/// # Errors
/// Invalid config or plan, unreadable cohort, a checkpoint from another run, I/O.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = ExtractConfig::load(&args.config)?;
    let plan = Plan::from_config(&config).with_context(|| format!("--config {}", args.config))?;
    let cases = read_cohort(&args.cohort)?;
    let abort_after = match std::env::var(ABORT_ENV) {
        Ok(v) => Some(
            v.parse::<usize>()
                .with_context(|| format!("{ABORT_ENV}={v} is not a count"))?,
        ),
        Err(_) => None,
    };
    let opts = RunOptions {
        seed: args.seed,
        names: match args.names {
            NamesArg::Canonical => Names::Canonical,
            NamesArg::Pyradiomics => Names::Pyradiomics,
        },
        save_perturbed: args.save_perturbed.clone(),
        abort_after,
    };

    let settings = plan.settings();
    let per_case = run::items(&plan, &settings).len();
    tracing::info!(
        cases = cases.len(),
        settings = settings.len(),
        items_per_case = per_case,
        seed = args.seed,
        "perturbation run"
    );
    let bar = super::progress_bar((cases.len() * per_case) as u64, "perturbing");
    let started = std::time::Instant::now();
    let result = run::run(&cases, &config, &plan, &opts, &args.out, &|| bar.inc(1));
    bar.finish_and_clear();
    let summary = match result {
        Ok(s) => s,
        Err(e @ PerturbError::Interrupted { .. }) => {
            eprintln!("radaudit: {e}");
            return Ok(ExitCode::from(super::EXIT_INPUT));
        }
        Err(e) => return Err(e).with_context(|| format!("writing {}", args.out.display())),
    };
    let busy = summary.perturb_seconds + summary.extract_seconds;
    tracing::info!(
        items = summary.items,
        resumed = summary.resumed,
        computed = summary.computed,
        wall_seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
        perturb_share = format!("{:.3}", summary.perturb_seconds / busy.max(1e-12)),
        perturb_seconds = format!("{:.2}", summary.perturb_seconds),
        extract_seconds = format!("{:.2}", summary.extract_seconds),
        load_seconds = format!("{:.2}", summary.load_seconds),
        "long table written to {}",
        args.out.display()
    );
    let failed = summary.failed_items.len() + summary.failed_cases.len();
    if failed > 0 {
        tracing::warn!(
            failed_items = summary.failed_items.len(),
            failed_cases = summary.failed_cases.len(),
            "some items have no rows in the table"
        );
        return Ok(ExitCode::from(super::EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}
