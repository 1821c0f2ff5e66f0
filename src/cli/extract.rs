//! `radaudit extract`: IBSI (or PyRadiomics-compatible) features of one image and mask,
//! or of every case of a cohort file, as a wide feature table (DESIGN.md, "File
//! formats"). Cohort cases run in parallel; a failing case is reported and skipped, and
//! the exit code is then 2.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rayon::prelude::*;
use serde_json::json;

use crate::features::config::{ExtractConfig, Names};
use crate::features::extract::{extract_files, read_cohort, rename_for, wide_csv};
use crate::features::FeatureList;
use crate::shard::{self, f64_text, hash_path, hash_text, parse_f64_text, Merged, Plan};
use crate::shard::{ShardError, ShardSpec};
use crate::table::write_atomic;

const AFTER_HELP: &str = "\
Examples:
  radaudit extract --image ct.nii.gz --mask gtv.nii.gz --config ibsi-c --out f.csv
  radaudit extract --cohort cohort.csv --config pyradiomics-default \\
      --names pyradiomics --out features.csv

--config takes a preset (ibsi-digital-phantom, ibsi-a .. ibsi-e,
pyradiomics-default) or a TOML file. The cohort CSV has the header
case_id,image,mask[,label]; paths are relative to the cohort file.

With --shard I/N (cohorts only) the run extracts part I of N of the cases
into FILE.csv.parts/; `radaudit merge FILE.csv.parts/*.json --out FILE.csv`
then writes the table a single run writes. Finished parts are skipped.";

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
    /// Run part I of N of the cohort's cases (0-based) into OUT.parts/.
    #[arg(long, value_name = "I/N", requires_all = ["cohort", "out"])]
    pub shard: Option<ShardSpec>,
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

    if let (Some(spec), Some(cohort), Some(out)) = (args.shard, &args.cohort, &args.out) {
        return run_shard(spec, cohort, out, &config, names);
    }

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

/// Part `spec` of the cohort's cases (module `shard`). A case is keyed by the hashes of
/// its image, mask and label; a failing case is stored as failed, as a single run leaves it
/// out of the table, and reported by the merge.
fn run_shard(
    spec: ShardSpec,
    cohort: &Path,
    out: &Path,
    config: &ExtractConfig,
    names: Names,
) -> anyhow::Result<ExitCode> {
    let cases = read_cohort(cohort)?;
    let settings = json!({"config": config, "names": names});
    let ids = cases.iter().map(|c| c.id.clone()).collect();
    let plan = Plan::new("extract", settings, ids, super::shard_argv())?;
    // An unreadable file fails its case (as in a single run), not the part; its key
    // changes once the file can be read.
    let hash = |p: &Path| hash_path(p).unwrap_or_else(|e| format!("unreadable ({e})"));
    let inputs = |k: usize| {
        let c = &cases[k];
        let text = format!(
            "image {}\nmask {}\nlabel {}\n",
            hash(&c.image),
            hash(&c.mask),
            c.label
        );
        Ok::<_, ShardError>(hash_text(&text))
    };
    let outcome = shard::run_part(&plan, spec, out, inputs, |k| {
        let c = &cases[k];
        Ok(match extract_files(&c.image, &c.mask, c.label, config) {
            Ok(f) => {
                let pairs: Vec<[String; 2]> = rename_for(f, names, &config.filters)
                    .into_iter()
                    .map(|(n, v)| [n, f64_text(v)])
                    .collect();
                json!({ "features": pairs })
            }
            Err(e) => {
                tracing::error!("case {}: {e}", c.id);
                json!({ "error": e.to_string() })
            }
        })
    })?;
    super::report_part(&outcome);
    Ok(ExitCode::SUCCESS)
}

/// Writes the single-run table of a sharded cohort run from its merged parts; exit code 2
/// when cases failed, as in a single run.
///
/// # Errors
/// Malformed part data, write errors.
pub fn merge(merged: &Merged, out: &Path) -> anyhow::Result<ExitCode> {
    let mut rows: Vec<(String, FeatureList)> = Vec::new();
    let mut failed = 0;
    for item in &merged.items {
        if let Some(e) = item.data["error"].as_str() {
            tracing::error!("case {}: {e}", item.id);
            failed += 1;
            continue;
        }
        let pairs = item.data["features"]
            .as_array()
            .with_context(|| format!("case {}: no features in its part", item.id))?;
        let feats = pairs
            .iter()
            .map(|p| {
                let name = p[0].as_str().unwrap_or_default().to_string();
                let value = p[1].as_str().unwrap_or_default();
                parse_f64_text(value).map(|v| (name, v))
            })
            .collect::<Result<FeatureList, String>>()
            .map_err(|e| anyhow::anyhow!("case {}: {e}", item.id))?;
        rows.push((item.id.clone(), feats));
    }
    if failed > 0 {
        tracing::warn!(
            "{failed} of {} cases failed and are not in the table",
            merged.items.len()
        );
    }
    write_atomic(out, wide_csv(&rows).as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
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
