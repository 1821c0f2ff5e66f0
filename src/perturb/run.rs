//! A perturbation run over a cohort: every case x setting x replicate plus the
//! unperturbed extraction (`perturbation = "none"`), as the long table of DESIGN.md
//! (`case_id,perturbation,replicate,feature,value`).
//!
//! Cases run in parallel, and the items of a case (its settings and replicates) in
//! parallel within it; each item draws from its own named streams, so the table does
//! not depend on the number of threads.
//!
//! # Resuming
//! Every finished item is written at once (atomically) to a checkpoint folder beside the
//! output (`LONG.csv.parts/`), as its rows already formatted, with a manifest holding
//! what determines the result (cohort rows, config with its plan, names, seed). A rerun
//! with the same manifest skips the finished items; the table is then assembled from the
//! parts in the fixed order (case, `none`, settings, replicates), so an interrupted and
//! resumed run writes the same bytes as an uninterrupted one. A folder from another run
//! is refused, naming what differs. The folder is removed once the table is written.
//!
//! This checkpoint serves one process. To spread a run over machines, `radaudit perturb
//! --shard I/N` computes part of the items (`cli::perturb`, module `shard`), and
//! `radaudit merge` writes the table this run writes.
//!
//! An item whose perturbation fails (e.g. an erosion that empties a small ROI) is logged
//! and recorded as failed in its part, so it is not retried; a case that cannot be read
//! writes no parts and is retried by a rerun.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use super::chain::{self, CaseBase, Plan, Setting};
use super::{PerturbError, Sample};
use crate::checkpoint::{KeyMatch, RunKey};
use crate::features::config::{ExtractConfig, Names};
use crate::features::extract::{extract_in_frame, rename, Case};
use crate::features::FeatureList;
use crate::image::{self, DataType, Mask, Volume};
use crate::preprocess::Frame;
use crate::table::{csv_field, fmt_num, write_atomic, LONG_COLUMNS};

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Seed of every stream.
    pub seed: u64,
    /// Feature names in the table.
    pub names: Names,
    /// Write every perturbed image and mask (NIfTI) below this folder.
    pub save_perturbed: Option<PathBuf>,
    /// Fault injection: stop after this many items finished in this run.
    pub abort_after: Option<usize>,
}

/// What a run did (for the log; nothing here goes into the table).
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Items in the run (all cases).
    pub items: usize,
    /// Items found finished in the checkpoint.
    pub resumed: usize,
    /// Items computed now.
    pub computed: usize,
    /// Items whose perturbation or extraction failed: (case, perturbation, replicate,
    /// reason).
    pub failed_items: Vec<(String, String, usize, String)>,
    /// Cases that could not be read: (case, reason).
    pub failed_cases: Vec<(String, String)>,
    /// Seconds spent perturbing (summed over threads).
    pub perturb_seconds: f64,
    /// Seconds spent extracting (summed over threads).
    pub extract_seconds: f64,
    /// Seconds spent reading and cropping cases (summed over threads).
    pub load_seconds: f64,
}

/// One item of a case: the setting (`None` = unperturbed) and the 1-based replicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Index into the plan's settings, or `None` for `none`.
    pub setting: Option<usize>,
    /// Replicate, from 1.
    pub replicate: usize,
}

/// The items of every case, in table order: `none`, then each setting's replicates.
pub fn items(plan: &Plan, settings: &[Setting]) -> Vec<Item> {
    let mut out = vec![Item {
        setting: None,
        replicate: 1,
    }];
    for (i, s) in settings.iter().enumerate() {
        for r in 1..=plan.replicates(s) {
            out.push(Item {
                setting: Some(i),
                replicate: r,
            });
        }
    }
    out
}

/// The checkpoint folder of output `out`.
pub fn checkpoint_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "perturb".into());
    out.with_file_name(format!("{name}.parts"))
}

/// Reads a case and prepares its [`CaseBase`] (crop, centre, noise level).
///
/// # Errors
/// Reading or validating the image and mask; [`PerturbError::Noise`] when the plan
/// estimates noise and the image has no usable block.
pub fn load_case(
    case: &Case,
    config: &ExtractConfig,
    plan: &Plan,
) -> Result<(CaseBase, Frame), PerturbError> {
    use crate::features::extract::ExtractError;
    let img = image::read_volume(&case.image).map_err(ExtractError::from)?;
    let mask = image::read_mask(&case.mask).map_err(ExtractError::from)?;
    let roi =
        image::roi(&img, &mask, case.label, &image::RoiRules::default()).map_err(|reason| {
            ExtractError::MaskFile {
                image: case.image.clone(),
                mask: case.mask.clone(),
                reason,
            }
        })?;
    drop(mask);

    let base = CaseBase::new(&img, &roi.mask, config, plan, None)?;
    if let Some(sigma) = base.noise_sigma {
        tracing::info!(case = %case.id, sigma, "noise level (wavelet MAD around the ROI)");
    }
    let frame = base.frame;
    Ok((base, frame))
}

/// The perturbation column of an item: `none` or the setting's name.
pub fn item_label(item: Item, settings: &[Setting]) -> String {
    item.setting
        .map_or_else(|| "none".to_string(), |i| settings[i].name())
}

/// Perturbs and extracts one item; returns its CSV rows and the perturbation and
/// extraction times.
///
/// # Errors
/// The perturbation's or the extraction's error.
#[allow(clippy::too_many_arguments)]
pub fn run_item(
    case: &str,
    base: &CaseBase,
    frame: &Frame,
    config: &ExtractConfig,
    plan: &Plan,
    settings: &[Setting],
    item: Item,
    opts: &RunOptions,
) -> Result<(String, f64, f64), PerturbError> {
    let (feats, perturb_s, extract_s) =
        item_features(case, base, frame, config, plan, settings, item, opts)?;
    let label = item_label(item, settings);
    Ok((
        long_rows(case, &label, item.replicate, &feats),
        perturb_s,
        extract_s,
    ))
}

/// Perturbs and extracts one item; returns its features (named as `opts.names` asks, in
/// table order) and the perturbation and extraction times.
///
/// # Errors
/// The perturbation's or the extraction's error.
#[allow(clippy::too_many_arguments)]
pub fn item_features(
    case: &str,
    base: &CaseBase,
    frame: &Frame,
    config: &ExtractConfig,
    plan: &Plan,
    settings: &[Setting],
    item: Item,
    opts: &RunOptions,
) -> Result<(FeatureList, f64, f64), PerturbError> {
    let t0 = Instant::now();
    let label = item_label(item, settings);
    let (perturbed, cfg) = match item.setting {
        None => (None, None),
        Some(i) => {
            let s = &settings[i];
            let p = chain::apply(plan, base, s, opts.seed, case, item.replicate)?;
            (Some(p), Some(chain::config_for(config, s)))
        }
    };
    let (sample, frame): (&Sample, &Frame) = match &perturbed {
        Some((s, f)) => (s, f),
        None => (&base.sample, frame),
    };
    let perturb_s = t0.elapsed().as_secs_f64();
    if let Some(dir) = &opts.save_perturbed {
        save(dir, case, &label, item.replicate, sample)?;
    }

    let t1 = Instant::now();
    let feats = extract_in_frame(
        &sample.image,
        &sample.roi,
        cfg.as_ref().unwrap_or(config),
        frame,
    )?;
    let extract_s = t1.elapsed().as_secs_f64();
    Ok((rename(feats, opts.names), perturb_s, extract_s))
}

/// The long-table rows of one item (`case_id,perturbation,replicate,feature,value`, one
/// line per feature).
pub fn long_rows(case: &str, label: &str, replicate: usize, feats: &[(String, f64)]) -> String {
    let prefix = format!("{},{},{},", csv_field(case), csv_field(label), replicate);
    let mut rows = String::new();
    for (name, v) in feats {
        rows.push_str(&prefix);
        rows.push_str(&csv_field(name));
        rows.push(',');
        rows.push_str(&fmt_num(*v));
        rows.push('\n');
    }
    rows
}

/// The long table's header line (with its newline).
pub fn long_header() -> String {
    let mut text = LONG_COLUMNS.join(",");
    text.push('\n');
    text
}

/// Runs every item of every case and writes the long table to `out` (atomically);
/// `progress` is called once per finished (or skipped) item.
///
/// # Errors
/// [`PerturbError::StaleCheckpoint`] when the checkpoint folder is from another run;
/// [`PerturbError::Interrupted`] when `abort_after` stopped the run; I/O errors of the
/// checkpoint and the output. Failing cases and items are not errors: they are in the
/// summary (and logged).
pub fn run(
    cases: &[Case],
    config: &ExtractConfig,
    plan: &Plan,
    opts: &RunOptions,
    out: &Path,
    progress: &(dyn Fn() + Sync),
) -> Result<RunSummary, PerturbError> {
    let settings = plan.settings();
    let items = items(plan, &settings);
    let dir = checkpoint_dir(out);
    open_checkpoint(&dir, &manifest(cases, config, opts))?;

    let summary = Mutex::new(RunSummary {
        items: cases.len() * items.len(),
        ..Default::default()
    });
    let finished = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<PerturbError>> = Mutex::new(None);

    cases.par_iter().enumerate().for_each(|(ci, case)| {
        let todo: Vec<(usize, Item)> = items
            .iter()
            .copied()
            .enumerate()
            .filter(|(ii, _)| !part_path(&dir, ci, *ii).exists())
            .collect();
        let resumed = items.len() - todo.len();
        summary
            .lock()
            .expect("invariant: no panic while locked")
            .resumed += resumed;
        for _ in 0..resumed {
            progress();
        }
        if todo.is_empty() || stop.load(Ordering::SeqCst) {
            return;
        }

        let t0 = Instant::now();
        let (base, frame) = match load_case(case, config, plan) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("case {}: {e}", case.id);
                let mut s = summary.lock().expect("invariant: no panic while locked");
                s.failed_cases.push((case.id.clone(), e.to_string()));
                return;
            }
        };
        summary
            .lock()
            .expect("invariant: no panic while locked")
            .load_seconds += t0.elapsed().as_secs_f64();

        todo.par_iter().for_each(|&(ii, item)| {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let label = item_label(item, &settings);
            let part = match run_item(&case.id, &base, &frame, config, plan, &settings, item, opts)
            {
                Ok((rows, tp, te)) => {
                    let mut s = summary.lock().expect("invariant: no panic while locked");
                    s.perturb_seconds += tp;
                    s.extract_seconds += te;
                    s.computed += 1;
                    rows
                }
                Err(e @ (PerturbError::Image(_) | PerturbError::Table(_))) => {
                    // Writing perturbed images failed: an I/O problem, not the item's.
                    stop.store(true, Ordering::SeqCst);
                    first_error.lock().expect("invariant").get_or_insert(e);
                    return;
                }
                Err(e) => {
                    tracing::error!(
                        "case {} perturbation {label} replicate {}: {e}",
                        case.id,
                        item.replicate
                    );
                    let reason = e.to_string();
                    let mut s = summary.lock().expect("invariant: no panic while locked");
                    s.failed_items.push((
                        case.id.clone(),
                        label.clone(),
                        item.replicate,
                        reason.clone(),
                    ));
                    s.computed += 1;
                    format!("# failed: {}\n", reason.replace('\n', " "))
                }
            };
            if let Err(e) = write_atomic(&part_path(&dir, ci, ii), part.as_bytes()) {
                stop.store(true, Ordering::SeqCst);
                first_error
                    .lock()
                    .expect("invariant")
                    .get_or_insert(e.into());
                return;
            }
            progress();
            let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
            if opts.abort_after.is_some_and(|a| n >= a) {
                stop.store(true, Ordering::SeqCst);
            }
        });
    });

    if let Some(e) = first_error
        .into_inner()
        .expect("invariant: no panic while locked")
    {
        return Err(e);
    }
    if stop.load(Ordering::SeqCst) {
        return Err(PerturbError::Interrupted {
            finished: finished.load(Ordering::SeqCst),
        });
    }

    // Assemble in table order.
    let mut text = long_header();
    for ci in 0..cases.len() {
        for ii in 0..items.len() {
            let p = part_path(&dir, ci, ii);
            let Ok(part) = std::fs::read_to_string(&p) else {
                continue; // a case that could not be read
            };
            for line in part.lines().filter(|l| !l.starts_with('#')) {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    write_atomic(out, text.as_bytes())?;
    std::fs::remove_dir_all(&dir).map_err(|source| PerturbError::Io { path: dir, source })?;
    Ok(summary
        .into_inner()
        .expect("invariant: no panic while locked"))
}

/// The part file of item `ii` of case `ci`.
fn part_path(dir: &Path, ci: usize, ii: usize) -> PathBuf {
    dir.join(format!("{ci:06}-{ii:06}.part"))
}

/// The key of everything that determines the table, field by field (module
/// `crate::checkpoint`), so a refusal names what changed.
fn manifest(cases: &[Case], config: &ExtractConfig, opts: &RunOptions) -> RunKey {
    // streams v2: noise keyed by scan voxel and steps on their boxes (2026-12-05); parts
    // of a v1 run would mix two noise streams.
    let mut key = RunKey::new("perturb")
        .setting("streams", &"v2")
        .setting("config", config)
        .setting("seed", &opts.seed)
        .setting("names", &format!("{:?}", opts.names));
    for (k, c) in cases.iter().enumerate() {
        let row = format!(
            "{} {} {} {}",
            c.id,
            c.image.display(),
            c.mask.display(),
            c.label
        );
        key = key.setting(&format!("cohort row {}", k + 1), &row);
    }
    key
}

/// Creates the checkpoint folder with its manifest, or checks an existing one.
fn open_checkpoint(dir: &Path, manifest: &RunKey) -> Result<(), PerturbError> {
    let file = dir.join("manifest");
    if dir.exists() && !file.exists() && holds_shard_parts(dir) {
        return Err(PerturbError::ShardedParts {
            dir: dir.to_path_buf(),
        });
    }
    if dir.exists() {
        let found = std::fs::read_to_string(&file).unwrap_or_default();
        let reason = match manifest.compare_text(&found) {
            KeyMatch::Same => None,
            KeyMatch::Differs(d) => Some(d.join("; ")),
            KeyMatch::Unreadable(r) => Some(r),
        };
        if let Some(reason) = reason {
            return Err(PerturbError::StaleCheckpoint {
                dir: dir.to_path_buf(),
                reason,
            });
        }
        tracing::info!("resuming from {}", dir.display());
        return Ok(());
    }
    write_atomic(&file, format!("{}\n", manifest.header()).as_bytes())?;
    Ok(())
}

/// Whether `dir` holds part files of a sharded run (`part-*.json`, module `shard`), which
/// share the folder name `OUT.parts` with this checkpoint.
fn holds_shard_parts(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("part-") && name.ends_with(".json")
        })
}

/// Writes a perturbed sample as `DIR/<case>/<setting>__r<replicate>_{image,mask}.nii.gz`.
fn save(
    dir: &Path,
    case: &str,
    label: &str,
    replicate: usize,
    s: &Sample,
) -> Result<(), PerturbError> {
    let clean = |t: &str| -> String {
        t.chars()
            .filter_map(|c| match c {
                '=' => None,
                ';' => Some('_'),
                ':' => Some('x'),
                c if c.is_ascii_alphanumeric() || "-._".contains(c) => Some(c),
                _ => Some('_'),
            })
            .collect()
    };
    let base = dir.join(clean(case));
    let stem = format!("{}__r{replicate}", clean(label));
    let image = Volume {
        data: s.image.data.clone(),
        geometry: s.image.geometry.clone(),
    };
    image::write_nifti(
        &base.join(format!("{stem}_image.nii.gz")),
        &image,
        DataType::F32,
    )?;
    let mask = Mask {
        labels: s.roi.mapv(i64::from),
        geometry: s.image.geometry.clone(),
    };
    image::write_nifti_mask(&base.join(format!("{stem}_mask.nii.gz")), &mask)?;
    Ok(())
}
