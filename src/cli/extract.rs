//! `radaudit extract`: IBSI (or PyRadiomics-compatible) features of one image and mask,
//! or of every case of a cohort file, as a wide feature table (DESIGN.md, "File
//! formats"). Cohort cases run in parallel; a failing case is reported and skipped, and
//! the exit code is then 2.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;

use crate::features::config::{ExtractConfig, Names};
use crate::features::extract::{extract_files, read_cohort, rename_for, wide_csv};
use crate::features::FeatureList;
use crate::table::write_atomic;

const AFTER_HELP: &str = "\
Examples:
  radaudit extract --image ct.nii.gz --mask gtv.nii.gz --config ibsi-c --out f.csv
  radaudit extract --cohort cohort.csv --config pyradiomics-default \\
      --names pyradiomics --out features.csv

--config takes a preset (ibsi-digital-phantom, ibsi-a .. ibsi-e,
pyradiomics-default) or a TOML file. The cohort CSV has the header
case_id,image,mask[,label]; paths are relative to the cohort file.";

/// Arguments of `radaudit extract`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Image (.nii, .nii.gz, .nrrd, .nhdr or a DICOM folder).
    #[arg(long, required_unless_present = "cohort", conflicts_with = "cohort")]
    pub image: Option<PathBuf>,
    /// Mask on the image grid.
    #[arg(long, required_unless_present = "cohort", conflicts_with = "cohort")]
    pub mask: Option<PathBuf>,
    /// ROI label (single image; cohort files carry their own).
    #[arg(long, default_value_t = 1)]
    pub label: i64,
    /// Cohort CSV: case_id,image,mask[,label].
    #[arg(long)]
    pub cohort: Option<PathBuf>,
    /// Preset name or TOML configuration.
    #[arg(long, default_value = "ibsi-c")]
    pub config: String,
    /// Column names: canonical (family.feature) or pyradiomics.
    #[arg(long, value_enum, default_value = "canonical")]
    pub names: NamesArg,
    /// Output CSV (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Case id for a single image (default: the image file name).
    #[arg(long)]
    pub case_id: Option<String>,
}

/// `--names` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NamesArg {
    /// `family.feature`.
    Canonical,
    /// PyRadiomics column names.
    Pyradiomics,
}

/// Runs `extract`.
///
/// # Errors
/// Invalid configuration, unreadable inputs (single image), unwritable output.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = ExtractConfig::load(&args.config)?;
    let names = match args.names {
        NamesArg::Canonical => Names::Canonical,
        NamesArg::Pyradiomics => Names::Pyradiomics,
    };

    let (rows, failed) = match &args.cohort {
        Some(cohort) => run_cohort(cohort, &config, names)?,
        None => {
            let image = args.image.clone().context("--image is required")?;
            let mask = args.mask.clone().context("--mask is required")?;
            let feats = extract_files(&image, &mask, args.label, &config)
                .with_context(|| format!("extracting {}", image.display()))?;
            let id = args.case_id.clone().unwrap_or_else(|| {
                image
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            (vec![(id, rename_for(feats, names, &config.filters))], 0)
        }
    };

    let text = wide_csv(&rows);
    match &args.out {
        Some(out) => write_atomic(out, text.as_bytes())
            .with_context(|| format!("writing {}", out.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}

/// Extracts every case (in parallel); failures are logged and counted.
fn run_cohort(
    cohort: &std::path::Path,
    config: &ExtractConfig,
    names: Names,
) -> anyhow::Result<(Vec<(String, FeatureList)>, usize)> {
    let cases = read_cohort(cohort)?;
    let bar = super::progress_bar(cases.len() as u64, "extracting");
    let results: Vec<Option<(String, FeatureList)>> = cases
        .par_iter()
        .map(|case| {
            let r = extract_files(&case.image, &case.mask, case.label, config);
            bar.inc(1);
            match r {
                Ok(f) => Some((case.id.clone(), rename_for(f, names, &config.filters))),
                Err(e) => {
                    tracing::error!("case {}: {e}", case.id);
                    None
                }
            }
        })
        .collect();
    bar.finish_and_clear();
    let failed = results.iter().filter(|r| r.is_none()).count();
    if failed > 0 {
        tracing::warn!(
            "{failed} of {} cases failed and are not in the table",
            cases.len()
        );
    }
    Ok((results.into_iter().flatten().collect(), failed))
}
