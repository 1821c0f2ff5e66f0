//! `radaudit perturb`: re-extract every case of a cohort under the perturbations of the
//! config's `[perturbation]` plan, as a long table for `radaudit stability`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use super::extract::NamesArg;
use crate::features::config::{ExtractConfig, Names};
use crate::features::extract::{read_cohort, Case};
use crate::perturb::chain::{CaseBase, Plan};
use crate::perturb::run::{self, Item, RunOptions};
use crate::perturb::PerturbError;
use crate::preprocess::Frame;
use crate::shard::{self, f64_text, hash_path, hash_text, parse_f64_text, Merged, ShardSpec};
use crate::table::write_atomic;

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
run resumes from LONG.csv.parts/ when rerun with the same arguments.

With --shard I/N the run computes part I of N of the items (case, setting,
replicate) into LONG.csv.parts/; `radaudit merge LONG.csv.parts/part-*.json
--out LONG.csv` then writes the table a single run writes. Finished parts are
skipped; `radaudit slurm perturb ... --parts N --submit` runs the parts as a
Slurm job array.";

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
    /// Run part I of N of the items (case, setting, replicate; 0-based) into OUT.parts/.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
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

    if let Some(spec) = args.shard {
        return run_shard(spec, &cases, &config, &plan, &opts, &args.out);
    }

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

/// The id of an item in a sharded run: `case/perturbation/replicate`, the key of its rows
/// in the long table (e.g. `lung1/none/1`, `lung1/rot=10;noise=1/2`). Setting names hold
/// no `/`, so the id is unique whenever the case ids are.
fn item_id(case: &str, label: &str, replicate: usize) -> String {
    format!("{case}/{label}/{replicate}")
}

/// A case's image and mask, read and cropped once per part, and released when its last
/// item of the part is done.
enum Loaded {
    Pending,
    Ready(Arc<(CaseBase, Frame)>),
    Failed(String),
    Released,
}

/// Part `spec` of the items (module `shard`): one item per (case, setting, replicate),
/// `none` included, in table order. An item's input is the hash of its case's image,
/// mask and label (the config, seed and names are the run's settings); its data are its
/// features with bit-exact values, or the reason it failed (a case that cannot be read
/// fails each of its items), which a single run logs and leaves out of the table.
fn run_shard(
    spec: ShardSpec,
    cases: &[Case],
    config: &ExtractConfig,
    plan: &Plan,
    opts: &RunOptions,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let settings = plan.settings();
    let per_case = run::items(plan, &settings);
    let items: Vec<(usize, Item)> = (0..cases.len())
        .flat_map(|ci| per_case.iter().map(move |&it| (ci, it)))
        .collect();
    let ids = items
        .iter()
        .map(|&(ci, it)| {
            let label = run::item_label(it, &settings);
            item_id(&cases[ci].id, &label, it.replicate)
        })
        .collect();
    let run_settings = json!({
        "config": config,
        "seed": opts.seed,
        "names": opts.names,
    });
    let splan = shard::Plan::new("perturb", run_settings, ids, super::shard_argv())?;

    // Input hashes, once per case. An unreadable file fails its case's items (as in a
    // single run), not the part; the key changes once the file can be read.
    let hashes: Vec<OnceLock<String>> = cases.iter().map(|_| OnceLock::new()).collect();
    let inputs = |k: usize| {
        let ci = items[k].0;
        let h = hashes[ci].get_or_init(|| {
            let c = &cases[ci];
            let hash = |p: &Path| hash_path(p).unwrap_or_else(|e| format!("unreadable ({e})"));
            let text = format!(
                "image {}\nmask {}\nlabel {}\n",
                hash(&c.image),
                hash(&c.mask),
                c.label
            );
            hash_text(&text)
        });
        Ok::<_, PerturbError>(h.clone())
    };

    // Each case is loaded once by the first of its items to run; the others wait on its
    // lock. `load_case` must not call into rayon: a worker holding the lock could steal
    // another item of the same case and wait on itself.
    let owned = splan.owned(spec);
    let remaining: Vec<AtomicUsize> = cases.iter().map(|_| AtomicUsize::new(0)).collect();
    for &k in &owned {
        remaining[items[k].0].fetch_add(1, Ordering::SeqCst);
    }
    let loaded: Vec<Mutex<Loaded>> = cases.iter().map(|_| Mutex::new(Loaded::Pending)).collect();
    let load = |ci: usize| -> Result<Arc<(CaseBase, Frame)>, String> {
        let mut slot = loaded[ci].lock().expect("invariant: no panic while locked");
        if let Loaded::Pending = *slot {
            *slot = match run::load_case(&cases[ci], config, plan) {
                Ok(b) => Loaded::Ready(Arc::new(b)),
                Err(e) => {
                    tracing::error!("case {}: {e}", cases[ci].id);
                    Loaded::Failed(e.to_string())
                }
            };
        }
        match &*slot {
            Loaded::Ready(b) => Ok(Arc::clone(b)),
            Loaded::Failed(e) => Err(e.clone()),
            _ => unreachable!("invariant: a case is released after its last item"),
        }
    };
    let release = |ci: usize| {
        if remaining[ci].fetch_sub(1, Ordering::SeqCst) == 1 {
            *loaded[ci].lock().expect("invariant: no panic while locked") = Loaded::Released;
        }
    };

    let bar = super::progress_bar(owned.len() as u64, "perturbing (part)");
    let started = Instant::now();
    let computed = AtomicUsize::new(0);
    let outcome = shard::run_part(&splan, spec, out, inputs, |k| {
        let (ci, item) = items[k];
        let case = &cases[ci];
        let label = run::item_label(item, &settings);
        let mut data = json!({
            "case": case.id,
            "perturbation": label,
            "replicate": item.replicate,
        });
        let result = load(ci).map(|base| {
            let (b, frame) = &*base;
            run::item_features(&case.id, b, frame, config, plan, &settings, item, opts)
        });
        release(ci);
        bar.inc(1);
        computed.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(Ok((feats, _, _))) => {
                let pairs: Vec<[String; 2]> =
                    feats.into_iter().map(|(n, v)| [n, f64_text(v)]).collect();
                data["features"] = json!(pairs);
            }
            // Writing perturbed images failed: an I/O problem, not the item's.
            Ok(Err(e @ (PerturbError::Image(_) | PerturbError::Table(_)))) => return Err(e),
            Ok(Err(e)) => {
                tracing::error!(
                    "case {} perturbation {label} replicate {}: {e}",
                    case.id,
                    item.replicate
                );
                data["error"] = json!(e.to_string());
            }
            // Logged once by `load`.
            Err(e) => data["error"] = json!(format!("case {}: {e}", case.id)),
        }
        Ok(data)
    })?;
    bar.finish_and_clear();
    let n = computed.load(Ordering::SeqCst);
    if n > 0 {
        let wall = started.elapsed().as_secs_f64();
        tracing::info!(
            items = n,
            wall_seconds = format!("{wall:.1}"),
            seconds_per_item = format!("{:.2}", wall / n as f64),
            "part {spec} computed"
        );
    }
    super::report_part(&outcome);
    Ok(ExitCode::SUCCESS)
}

/// Writes the long table of a sharded perturbation run from its merged parts: the header
/// and every item's rows in item order, exactly as a single run; exit code 2 when items
/// failed, as in a single run.
///
/// # Errors
/// Malformed part data, write errors.
pub fn merge(merged: &Merged, out: &Path) -> anyhow::Result<ExitCode> {
    let mut text = run::long_header();
    let mut failed = 0;
    for item in &merged.items {
        let d = &item.data;
        let bad = || anyhow::anyhow!("item {}: malformed part data", item.id);
        if let Some(e) = d["error"].as_str() {
            tracing::error!("item {}: {e}", item.id);
            failed += 1;
            continue;
        }
        let case = d["case"].as_str().ok_or_else(bad)?;
        let label = d["perturbation"].as_str().ok_or_else(bad)?;
        let replicate = d["replicate"].as_u64().ok_or_else(bad)? as usize;
        let feats = d["features"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|p| {
                let name = p[0].as_str().unwrap_or_default().to_string();
                parse_f64_text(p[1].as_str().unwrap_or_default()).map(|v| (name, v))
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| anyhow::anyhow!("item {}: {e}", item.id))?;
        text.push_str(&run::long_rows(case, label, replicate, &feats));
    }
    write_atomic(out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    if failed > 0 {
        tracing::warn!(
            "{failed} of {} items failed and have no rows in the table",
            merged.items.len()
        );
        return Ok(ExitCode::from(super::EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}
