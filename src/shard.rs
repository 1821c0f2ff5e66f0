//! Stable sharding of long runs, content-hashed part outputs and their merge (Slurm job
//! arrays).
//!
//! A long command (`extract --cohort`, `perturb`, `null`, `audit DIR`) is a list of
//! *items* (cases, perturbations, replicates, scenario files) in output order, each with a
//! stable id, plus the settings that change the result. `--shard I/N` runs part `I` of
//! `N` (0-based, like `SLURM_ARRAY_TASK_ID`): the items it owns, written as one part file.
//! `radaudit merge` reads the `N` part files and writes exactly what a single run writes.
//!
//! # Which part owns an item
//! Rendezvous, or highest-random-weight, hashing (Thaler & Ravishankar 1998, IEEE/ACM
//! Trans. Netw. 6:1): item `id` goes to the shard `s` in `0..N` with the largest weight
//!
//! ```text
//! h(id)    = first 8 bytes, big-endian, of sha256("radaudit-shard/1\0" || id)
//! w(id, s) = mix(h(id) + (s + 1) * 0x9E3779B97F4A7C15)      (wrapping u64 arithmetic)
//! ```
//!
//! where `mix` is the SplitMix64 finaliser (Steele, Lea & Flood 2014, OOPSLA), so
//! `w(id, 0..N)` are the first `N` outputs of SplitMix64 seeded with `h(id)`: one SHA-256
//! per item and a few integer operations per shard, so a part of a run of a million
//! replicates in 1000 parts finds its items in about a second. Ties, which need a 64-bit
//! collision, go to the lower `s`. The
//! owner depends only on the item's own id and on `N`, never on the other items, so adding
//! cases to a cohort or replicates to a budget leaves every existing item where it was:
//! only the parts that receive new items change. Plain `hash(id) mod N` has that property
//! too; rendezvous hashing was chosen because it also keeps work in place when `N`
//! changes: going from `N` to `N + 1` parts moves only the `1 / (N + 1)` of the items that
//! the new part wins (hash mod N moves about `N / (N + 1)` of them). Its cost, `N` hashes
//! per item, is microseconds for the at most 1001 tasks of a Slurm array. Like any hash it
//! balances parts only on average: with few items (5 scenario files on 5 parts) some parts
//! get none and others two or three.
//!
//! # Part files
//! A part is one JSON file in the folder `<out>.parts/`, named
//! `part-IIII-of-NNNN-<key>.json`, where `<key>` is the first 16 hex digits of the *part
//! key*
//!
//! ```text
//! sha256("radaudit-part/1\n" || version || "\n" || command || "\n" || settings || "\n"
//!        || for each owned item: id || "\t" || input || "\n")
//! ```
//!
//! with `settings` the canonical JSON of the validated settings that change results and
//! `input` the SHA-256 of the item's input files ([`hash_path`]). A part whose file exists
//! and is complete (it parses and its stored key matches) is skipped, so resubmitting an
//! array redoes only missing parts; the file is written atomically (temporary file, then
//! rename), so a killed part leaves no part file, never a truncated one. A truncated or
//! corrupt file (written by other means) is recomputed with a warning. Each part also
//! records the *run key* (the settings and every item id of the whole run, without input
//! hashes, so a part never reads other parts' inputs); `merge` refuses parts whose run keys
//! differ. A part skipped because its items did not change, in a run whose item list did
//! (a case added elsewhere), has its run key and item positions refreshed in place.
//!
//! # Wiring a command
//! A command joins in three steps (see `cli::extract`, `cli::perturb`, `cli::null`,
//! `cli::audit`):
//! 1. its `Args` get `shard: Option<ShardSpec>` (`--shard I/N`);
//! 2. when sharded, `run` builds a [`Plan`] (command name, canonical settings JSON, item
//!    ids in output order, `cli::shard_argv()`) and calls [`run_part`] with an input
//!    hasher and a per-item `compute` returning JSON (floats through [`f64_text`], which
//!    keeps every bit);
//! 3. a `merge(&Merged, out)` rebuilds the single-run output from `Merged::items` (in
//!    output order; the command's arguments via `cli::reparse(&merged.argv)`), with one
//!    line each in `cli::merge::run` and `cli::slurm`'s list of commands.
//!
//! For `perturb` (`cli::perturb`) the items are `(case, perturbation, replicate)` with
//! ids like `lung1/none/1` or `lung1/rot=10;noise=1/2` (replicates numbered from 1, as in
//! the long table), so a cohort of 2,000 cases x 100 perturbations splits finer than by
//! case; the input of an item is its case's image, mask and label hash (cached per case),
//! its data its features through [`f64_text`], and the merge writes the header and the
//! rows in item order. A part reads and crops each of its cases once.
//!
//! For `cv --permutations R` the items are the permutations `perm/0..R` plus `observed`;
//! the merge computes the permutation p-value from all of them.
//!
//! # Testing hook
//! With `RADAUDIT_FAULT_ABORT_AFTER=K` in the environment a part aborts the process
//! (`SIGABRT`, no cleanup) once `K` of its items are computed, before the part file is
//! written: a kill in the middle of a part, for tests of resubmission.
//!
//! # Limitations
//! The part is the unit of resumability: a part killed midway is recomputed from its first
//! item. Choose more parts for long runs.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::table::{write_atomic, TableError};

/// The `format` field of every part file; bump when the layout changes meaning.
pub const PART_FORMAT: &str = "radaudit-part/1";

/// Environment variable of the testing hook (module docs).
pub const FAULT_ENV: &str = "RADAUDIT_FAULT_ABORT_AFTER";

/// Part `index` of `count` (`--shard I/N`, 0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    index: usize,
    count: usize,
}

/// A unit of work of a sharded run: its stable id and position in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Subcommand name (`extract`, `null`, `audit`, ...).
    pub command: String,
    /// Canonical JSON of the validated settings that change results.
    pub settings: serde_json::Value,
    /// Every item id of the whole run, in output order (unique).
    pub ids: Vec<String>,
    /// The command line that made the part (without `--shard`), for `merge` to rebuild
    /// the command's settings exactly.
    pub argv: Vec<String>,
}

/// One part file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// [`PART_FORMAT`].
    pub format: String,
    /// radaudit version that wrote it.
    pub radaudit_version: String,
    /// Subcommand.
    pub command: String,
    /// The command line without `--shard`.
    pub argv: Vec<String>,
    /// Canonical settings (see [`Plan::settings`]).
    pub settings: serde_json::Value,
    /// Hash of the settings and every item id of the run (hex).
    pub run_key: String,
    /// Hash of the settings and this part's items with their inputs (hex).
    pub part_key: String,
    /// This part's index.
    pub shard_index: usize,
    /// Parts in the run.
    pub shard_count: usize,
    /// Items in the whole run.
    pub items_total: usize,
    /// This part's items, in output order.
    pub items: Vec<PartItem>,
}

/// One computed item of a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartItem {
    /// Position in the whole run's output.
    pub index: usize,
    /// Stable id.
    pub id: String,
    /// SHA-256 of the item's inputs (empty when it has none).
    pub input: String,
    /// The command's result for this item.
    pub data: serde_json::Value,
}

/// What [`run_part`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The part was computed and written to this file.
    Written(PathBuf),
    /// A complete part with the same key already existed.
    Skipped(PathBuf),
}

/// Every item of a run, gathered from its parts by [`read_parts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// Subcommand.
    pub command: String,
    /// The command line of the first part (without `--shard`).
    pub argv: Vec<String>,
    /// Canonical settings.
    pub settings: serde_json::Value,
    /// Every item, in output order (`items[k].index == k`).
    pub items: Vec<PartItem>,
}

/// Errors of sharded runs and merges.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `I/N` with `0 <= I < N`.
    #[error("--shard {given:?}: {problem}; expected I/N with 0 <= I < N, e.g. 0/4")]
    Spec { given: String, problem: String },
    /// Two items share an id.
    #[error("item id {0:?} appears twice; sharding needs unique ids")]
    DuplicateId(String),
    /// A file or folder cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A part file cannot be written.
    #[error(transparent)]
    Write(#[from] TableError),
    /// A part file is not a complete part.
    #[error("{}: not a complete radaudit part file ({reason})", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// Parts of different runs given to one merge.
    #[error(
        "{}: {problem} (first part: {}); merge only the parts of one run",
        path.display(),
        first.display()
    )]
    Mismatch {
        path: PathBuf,
        first: PathBuf,
        problem: String,
    },
    /// Two files for one part index.
    #[error("{} and {} are both part {index} of {count}", a.display(), b.display())]
    DuplicatePart {
        a: PathBuf,
        b: PathBuf,
        index: usize,
        count: usize,
    },
    /// Part indices missing from a merge.
    #[error("missing part(s) {missing} of {count}: expected files {pattern} in {}", dir.display())]
    MissingParts {
        missing: String,
        count: usize,
        pattern: String,
        dir: PathBuf,
    },
    /// No part files given.
    #[error("no part files given")]
    NoParts,
    /// An item could not be computed.
    #[error("item {id}: {message}")]
    Item { id: String, message: String },
}

impl ShardSpec {
    /// Part `index` of `count`.
    ///
    /// # Errors
    /// [`ShardError::Spec`] unless `0 <= index < count`.
    pub fn new(index: usize, count: usize) -> Result<Self, ShardError> {
        let bad = |problem: &str| ShardError::Spec {
            given: format!("{index}/{count}"),
            problem: problem.to_string(),
        };
        if count == 0 {
            return Err(bad("N is 0"));
        }
        if index >= count {
            return Err(bad("I is not below N (parts are numbered from 0)"));
        }
        Ok(Self { index, count })
    }

    /// This part's index `I`.
    pub fn index(self) -> usize {
        self.index
    }

    /// Parts in the run `N`.
    pub fn count(self) -> usize {
        self.count
    }

    /// Whether this part owns the item `id` ([`owner`]).
    pub fn owns(self, id: &str) -> bool {
        owner(id, self.count) == self.index
    }
}

impl FromStr for ShardSpec {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| ShardError::Spec {
            given: s.to_string(),
            problem: problem.to_string(),
        };
        let (i, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let i = i.trim().parse().map_err(|_| bad("I is not a number"))?;
        let n = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        Self::new(i, n).map_err(|_| bad("I must be below N and N at least 1"))
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Plan {
    /// A plan; `ids` in output order.
    ///
    /// # Errors
    /// [`ShardError::DuplicateId`] when two items share an id.
    pub fn new(
        command: &str,
        settings: serde_json::Value,
        ids: Vec<String>,
        argv: Vec<String>,
    ) -> Result<Self, ShardError> {
        let mut seen = std::collections::BTreeSet::new();
        for id in &ids {
            if !seen.insert(id.as_str()) {
                return Err(ShardError::DuplicateId(id.clone()));
            }
        }
        Ok(Self {
            command: command.to_string(),
            settings,
            ids,
            argv,
        })
    }

    /// The positions of the items part `spec` owns, ascending.
    pub fn owned(&self, spec: ShardSpec) -> Vec<usize> {
        (0..self.ids.len())
            .filter(|&k| spec.owns(&self.ids[k]))
            .collect()
    }

    /// The run key: settings and every item id (hex SHA-256).
    pub fn run_key(&self) -> String {
        let mut h = self.hasher("radaudit-run/1");
        for id in &self.ids {
            h.update(id.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }

    /// The part key of a part holding `items` as `(id, input hash)` (module docs).
    pub fn part_key(&self, items: &[(&str, &str)]) -> String {
        let mut h = self.hasher(PART_FORMAT);
        for (id, input) in items {
            h.update(id.as_bytes());
            h.update(b"\t");
            h.update(input.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }

    fn hasher(&self, tag: &str) -> Sha256 {
        let mut h = Sha256::new();
        for field in [
            tag,
            env!("CARGO_PKG_VERSION"),
            &self.command,
            &self.settings.to_string(),
        ] {
            h.update(field.as_bytes());
            h.update(b"\n");
        }
        h
    }
}

/// The owner of item `id` among `count` parts (rendezvous hashing, module docs).
///
/// # Panics
/// Never; `count = 0` returns 0.
pub fn owner(id: &str, count: usize) -> usize {
    let mut h = Sha256::new();
    h.update(b"radaudit-shard/1\0");
    h.update(id.as_bytes());
    let d = h.finalize();
    let h_id = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    let weight = |s: usize| splitmix64(h_id.wrapping_add((s as u64 + 1).wrapping_mul(GOLDEN)));
    let mut best = (0, 0u64);
    for s in 0..count {
        let w = weight(s);
        if s == 0 || w > best.1 {
            best = (s, w);
        }
    }
    best.0
}

/// SplitMix64's increment, `2^64 / phi` (Steele, Lea & Flood 2014).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Steele, Lea & Flood 2014, "Fast splittable
/// pseudorandom number generators", OOPSLA; the finaliser of MurmurHash3 variant 13).
fn splitmix64(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The folder of the part files of output `out`: `<out>.parts`.
pub fn part_dir(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".parts");
    PathBuf::from(name)
}

/// The file name prefix of part `spec`: `part-IIII-of-NNNN-`.
pub fn part_prefix(spec: ShardSpec) -> String {
    format!("part-{:04}-of-{:04}-", spec.index, spec.count)
}

/// The path of part `spec` with key `part_key` in `dir`.
pub fn part_path(dir: &Path, spec: ShardSpec, part_key: &str) -> PathBuf {
    let short = &part_key[..part_key.len().min(16)];
    dir.join(format!("{}{short}.json", part_prefix(spec)))
}

/// SHA-256 (hex) of a file's bytes, or of a folder: every file below it, in sorted
/// relative-path order, as `path NUL hash NL` lines (DICOM series are folders).
///
/// # Errors
/// [`ShardError::Read`] naming the path that cannot be read.
pub fn hash_path(path: &Path) -> Result<String, ShardError> {
    let read = |source| ShardError::Read {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        let mut files = Vec::new();
        list_files(path, path, &mut files)?;
        files.sort();
        let mut h = Sha256::new();
        for rel in files {
            h.update(rel.as_bytes());
            h.update(b"\0");
            h.update(hash_path(&path.join(&rel))?.as_bytes());
            h.update(b"\n");
        }
        return Ok(hex(&h.finalize()));
    }
    let mut f = std::fs::File::open(path).map_err(read)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(read)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 (hex) of some text (for combining input hashes).
pub fn hash_text(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Runs part `spec` of `plan`, unless a complete part with the same key exists.
///
/// `input(k)` hashes the inputs of item `k` ([`hash_path`]; empty text when there are
/// none); `compute(k)` computes item `k`'s result. Items run in parallel and are stored in
/// output order. The part goes to `part_dir(out)` (module docs); parts of the same index
/// with another key (superseded by new inputs or settings) are removed after it is
/// written.
///
/// # Errors
/// The first input or item error ([`ShardError::Item`] naming the item), or a write error.
pub fn run_part<E, I, C>(
    plan: &Plan,
    spec: ShardSpec,
    out: &Path,
    input: I,
    compute: C,
) -> Result<Outcome, ShardError>
where
    E: fmt::Display,
    I: Fn(usize) -> Result<String, E> + Sync,
    C: Fn(usize) -> Result<serde_json::Value, E> + Sync,
{
    let owned = plan.owned(spec);
    let inputs: Vec<String> = owned
        .par_iter()
        .map(|&k| input(k).map_err(|e| item_error(plan, k, e)))
        .collect::<Result<_, _>>()?;
    let keyed: Vec<(&str, &str)> = owned
        .iter()
        .zip(&inputs)
        .map(|(&k, i)| (plan.ids[k].as_str(), i.as_str()))
        .collect();
    let part_key = plan.part_key(&keyed);
    let dir = part_dir(out);
    let path = part_path(&dir, spec, &part_key);

    // Resume: a complete part with this key is kept (refreshed if the run grew).
    if path.exists() {
        match read_part(&path) {
            Ok(part) if part.part_key == part_key => {
                refresh(plan, spec, &path, part)?;
                tracing::info!("part {spec}: {} exists, skipping", path.display());
                return Ok(Outcome::Skipped(path));
            }
            Ok(_) => tracing::warn!("{}: key differs from its name; recomputing", path.display()),
            Err(e) => tracing::warn!("{e}; recomputing"),
        }
    }

    let data = compute_items(plan, &owned, &compute)?;
    let items = owned
        .iter()
        .zip(inputs)
        .zip(data)
        .map(|((&k, input), data)| PartItem {
            index: k,
            id: plan.ids[k].clone(),
            input,
            data,
        })
        .collect();
    let part = Part {
        format: PART_FORMAT.to_string(),
        radaudit_version: env!("CARGO_PKG_VERSION").to_string(),
        command: plan.command.clone(),
        argv: plan.argv.clone(),
        settings: plan.settings.clone(),
        run_key: plan.run_key(),
        part_key,
        shard_index: spec.index,
        shard_count: spec.count,
        items_total: plan.ids.len(),
        items,
    };
    write_part(&path, &part)?;
    remove_superseded(&dir, spec, &path);
    tracing::info!(
        "part {spec}: {} items written to {}",
        part.items.len(),
        path.display()
    );
    Ok(Outcome::Written(path))
}

/// Reads the parts of one run and gathers their items in output order.
///
/// # Errors
/// [`ShardError::Corrupt`] for a file that is not a complete part, [`ShardError::Mismatch`]
/// for parts of another command, other settings or another item list,
/// [`ShardError::DuplicatePart`], [`ShardError::MissingParts`] naming the missing indices.
pub fn read_parts(paths: &[PathBuf]) -> Result<Merged, ShardError> {
    let first_path = paths.first().ok_or(ShardError::NoParts)?;
    let first = read_part(first_path)?;
    let mismatch = |path: &Path, problem: String| ShardError::Mismatch {
        path: path.to_path_buf(),
        first: first_path.clone(),
        problem,
    };

    let mut by_index: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut items: Vec<Option<PartItem>> = vec![None; first.items_total];
    for path in paths {
        let part = if path == first_path {
            first.clone()
        } else {
            read_part(path)?
        };
        if part.command != first.command {
            return Err(mismatch(
                path,
                format!("a part of `{}`, not `{}`", part.command, first.command),
            ));
        }
        if part.settings != first.settings {
            return Err(mismatch(path, "made with other settings".into()));
        }
        if part.run_key != first.run_key || part.items_total != first.items_total {
            return Err(mismatch(
                path,
                "made for another list of items (cohort, replicates or scenarios)".into(),
            ));
        }
        if part.shard_count != first.shard_count {
            return Err(mismatch(
                path,
                format!(
                    "from a run in {} parts, not {}",
                    part.shard_count, first.shard_count
                ),
            ));
        }
        if let Some(other) = by_index.insert(part.shard_index, path.clone()) {
            return Err(ShardError::DuplicatePart {
                a: other,
                b: path.clone(),
                index: part.shard_index,
                count: part.shard_count,
            });
        }
        for item in part.items {
            let slot = items
                .get_mut(item.index)
                .ok_or_else(|| ShardError::Corrupt {
                    path: path.clone(),
                    reason: format!("item index {} beyond {}", item.index, first.items_total),
                })?;
            if slot.is_some() {
                return Err(ShardError::Corrupt {
                    path: path.clone(),
                    reason: format!("item {} is also in another part", item.id),
                });
            }
            *slot = Some(item);
        }
    }

    let count = first.shard_count;
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        let dir = first_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let first_missing = ShardSpec::new(missing[0].parse().unwrap_or(0), count)?;
        return Err(ShardError::MissingParts {
            missing: missing.join(", "),
            count,
            pattern: format!("{}*.json", part_prefix(first_missing)),
            dir,
        });
    }
    let items = items
        .into_iter()
        .enumerate()
        .map(|(k, item)| {
            item.ok_or_else(|| ShardError::Corrupt {
                path: first_path.clone(),
                reason: format!("no part holds item {k} although all parts are present"),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Merged {
        command: first.command,
        argv: first.argv,
        settings: first.settings,
        items,
    })
}

/// Reads and checks one part file.
///
/// # Errors
/// [`ShardError::Read`] or [`ShardError::Corrupt`].
pub fn read_part(path: &Path) -> Result<Part, ShardError> {
    let text = std::fs::read_to_string(path).map_err(|source| ShardError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |reason: String| ShardError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let part: Part = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if part.format != PART_FORMAT {
        return Err(corrupt(format!(
            "format {:?}, expected {PART_FORMAT:?}",
            part.format
        )));
    }
    if part.radaudit_version != env!("CARGO_PKG_VERSION") {
        return Err(corrupt(format!(
            "written by radaudit {}, this is {}",
            part.radaudit_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let spec =
        ShardSpec::new(part.shard_index, part.shard_count).map_err(|e| corrupt(e.to_string()))?;
    if let Some(item) = part.items.iter().find(|i| !spec.owns(&i.id)) {
        return Err(corrupt(format!(
            "item {} does not belong to part {spec}",
            item.id
        )));
    }

    // The stored key must be the key of the stored items and settings.
    let plan = Plan {
        command: part.command.clone(),
        settings: part.settings.clone(),
        ids: Vec::new(),
        argv: Vec::new(),
    };
    let keyed: Vec<(&str, &str)> = part
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.input.as_str()))
        .collect();
    if plan.part_key(&keyed) != part.part_key {
        return Err(corrupt("its items do not hash to its part key".into()));
    }
    Ok(part)
}

/// A float as text that parses back to the same bits (`NaN`, `inf` included).
pub fn f64_text(x: f64) -> String {
    format!("{x:?}")
}

/// Parses [`f64_text`].
///
/// # Errors
/// The text when it is not a float.
pub fn parse_f64_text(s: &str) -> Result<f64, String> {
    s.parse().map_err(|_| format!("{s:?} is not a number"))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn item_error(plan: &Plan, k: usize, e: impl fmt::Display) -> ShardError {
    ShardError::Item {
        id: plan.ids[k].clone(),
        message: e.to_string(),
    }
}

/// Computes the owned items in parallel (order kept), honouring the testing hook.
fn compute_items<E, C>(
    plan: &Plan,
    owned: &[usize],
    compute: &C,
) -> Result<Vec<serde_json::Value>, ShardError>
where
    E: fmt::Display,
    C: Fn(usize) -> Result<serde_json::Value, E> + Sync,
{
    let abort_after: Option<usize> = std::env::var(FAULT_ENV).ok().and_then(|v| v.parse().ok());
    let done = AtomicUsize::new(0);
    owned
        .par_iter()
        .map(|&k| {
            let v = compute(k).map_err(|e| item_error(plan, k, e))?;
            let n = done.fetch_add(1, Ordering::SeqCst) + 1;
            if abort_after.is_some_and(|a| n >= a) {
                tracing::error!("{FAULT_ENV}: aborting after {n} items (testing hook)");
                std::process::abort();
            }
            Ok(v)
        })
        .collect()
}

/// Writes a part atomically.
fn write_part(path: &Path, part: &Part) -> Result<(), ShardError> {
    let mut text = serde_json::to_string(part).map_err(|e| ShardError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    text.push('\n');
    Ok(write_atomic(path, text.as_bytes())?)
}

/// Brings a skipped part up to date with a run whose item list changed elsewhere: new run
/// key, item count and item positions (its own items and results are unchanged).
fn refresh(plan: &Plan, spec: ShardSpec, path: &Path, mut part: Part) -> Result<(), ShardError> {
    let run_key = plan.run_key();
    if part.run_key == run_key {
        return Ok(());
    }
    let position: BTreeMap<&str, usize> = plan
        .ids
        .iter()
        .enumerate()
        .map(|(k, id)| (id.as_str(), k))
        .collect();
    for item in &mut part.items {
        item.index =
            position
                .get(item.id.as_str())
                .copied()
                .ok_or_else(|| ShardError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("item {} is not in the run", item.id),
                })?;
    }
    part.items.sort_by_key(|i| i.index);
    part.run_key = run_key;
    part.items_total = plan.ids.len();
    part.argv = plan.argv.clone();
    tracing::info!(
        "part {spec}: refreshing {} for the new item list",
        path.display()
    );
    write_part(path, &part)
}

/// Removes other files of the same part index in `dir` (older keys), keeping `keep`.
fn remove_superseded(dir: &Path, spec: ShardSpec, keep: &Path) {
    let prefix = part_prefix(spec);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if p != keep && name.starts_with(&prefix) && name.ends_with(".json") {
            match std::fs::remove_file(&p) {
                Ok(()) => tracing::info!("removed superseded part {}", p.display()),
                Err(e) => tracing::warn!("cannot remove superseded part {}: {e}", p.display()),
            }
        }
    }
}

/// Relative paths (with `/`) of the files below `dir`.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ShardError> {
    let read = |source| ShardError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let p = entry.map_err(read)?.path();
        if p.is_dir() {
            list_files(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|r| r.to_string()).collect()
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // Seed 0: the first outputs of the reference C implementation (Vigna,
        // splitmix64.c): 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f.
        let out: Vec<u64> = (1..=3u64)
            .map(|i| splitmix64(i.wrapping_mul(GOLDEN)))
            .collect();
        assert_eq!(
            out,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
    }

    #[test]
    fn spec_parses_and_rejects() {
        let s: ShardSpec = "3/8".parse().unwrap();
        assert_eq!((s.index(), s.count()), (3, 8));
        assert_eq!(s.to_string(), "3/8");
        for bad in ["8/8", "1/0", "x/2", "2", "-1/3"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_item_has_exactly_one_owner_and_parts_are_balanced() {
        // 4000 items over 8 parts: each part's share is Binomial(4000, 1/8), mean 500,
        // sd 21; 5 sd either side fails with probability < 1e-5 per part.
        let ids = ids(4000);
        let mut counts = [0usize; 8];
        for id in &ids {
            let o = owner(id, 8);
            counts[o] += 1;
            let owners = (0..8)
                .filter(|&i| ShardSpec::new(i, 8).unwrap().owns(id))
                .count();
            assert_eq!(owners, 1);
        }
        for c in counts {
            assert!((395..=605).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn adding_a_part_moves_only_the_items_the_new_part_wins() {
        // Rendezvous property: from N to N + 1 parts an item either stays or moves to N.
        let ids = ids(2000);
        let mut moved = 0;
        for id in &ids {
            let (a, b) = (owner(id, 7), owner(id, 8));
            assert!(a == b || b == 7, "{id}: {a} -> {b}");
            moved += usize::from(a != b);
        }
        // Expected 2000 / 8 = 250 (sd 15).
        assert!((175..=325).contains(&moved), "{moved}");
    }

    #[test]
    fn owner_is_independent_of_other_items() {
        let a = Plan::new("x", serde_json::json!({}), ids(10), vec![]).unwrap();
        let b = Plan::new("x", serde_json::json!({}), ids(50), vec![]).unwrap();
        let spec = ShardSpec::new(1, 3).unwrap();
        let owned_a = a.owned(spec);
        let owned_b: Vec<usize> = b.owned(spec).into_iter().filter(|&k| k < 10).collect();
        assert_eq!(owned_a, owned_b);
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let e = Plan::new(
            "x",
            serde_json::json!({}),
            vec!["a".into(), "a".into()],
            vec![],
        );
        assert!(matches!(e, Err(ShardError::DuplicateId(id)) if id == "a"));
    }

    #[test]
    fn float_text_round_trips_bits() {
        for x in [0.1, 1.0 / 3.0, -2.5e-300, f64::MAX, f64::INFINITY, 5e-324] {
            assert_eq!(parse_f64_text(&f64_text(x)).unwrap().to_bits(), x.to_bits());
        }
        assert!(parse_f64_text(&f64_text(f64::NAN)).unwrap().is_nan());
    }

    #[test]
    fn part_key_changes_with_settings_and_inputs() {
        let p = Plan::new("x", serde_json::json!({"a": 1}), ids(2), vec![]).unwrap();
        let q = Plan::new("x", serde_json::json!({"a": 2}), ids(2), vec![]).unwrap();
        let k = p.part_key(&[("0", "h0")]);
        assert_ne!(k, q.part_key(&[("0", "h0")]));
        assert_ne!(k, p.part_key(&[("0", "h1")]));
        assert_eq!(k, p.part_key(&[("0", "h0")]));
    }

    #[test]
    fn parts_merge_in_order_and_resume() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        let plan = Plan::new("x", serde_json::json!({"s": 1}), ids(30), vec![]).unwrap();
        let compute = |k: usize| Ok::<_, String>(serde_json::json!(k * k));
        let none = |_: usize| Ok::<_, String>(String::new());
        let mut paths = Vec::new();
        for i in 0..3 {
            let spec = ShardSpec::new(i, 3).unwrap();
            match run_part(&plan, spec, &out, none, compute).unwrap() {
                Outcome::Written(p) => paths.push(p),
                Outcome::Skipped(p) => panic!("{} skipped on a first run", p.display()),
            }
        }
        let merged = read_parts(&paths).unwrap();
        let values: Vec<u64> = merged
            .items
            .iter()
            .map(|i| i.data.as_u64().unwrap())
            .collect();
        assert_eq!(values, (0..30u64).map(|k| k * k).collect::<Vec<_>>());

        // A second run skips; a missing part is named.
        let spec = ShardSpec::new(1, 3).unwrap();
        let fail = |_: usize| Err::<serde_json::Value, _>("must not run".to_string());
        assert!(matches!(
            run_part(&plan, spec, &out, none, fail).unwrap(),
            Outcome::Skipped(_)
        ));
        let e = read_parts(&paths[..2]).unwrap_err().to_string();
        assert!(e.contains("missing part(s) 2 of 3"), "{e}");

        // A truncated part is recomputed, not trusted.
        let text = std::fs::read_to_string(&paths[1]).unwrap();
        std::fs::write(&paths[1], &text[..text.len() / 2]).unwrap();
        assert!(read_parts(&paths).is_err());
        assert!(matches!(
            run_part(&plan, spec, &out, none, compute).unwrap(),
            Outcome::Written(_)
        ));
        assert_eq!(read_parts(&paths).unwrap(), merged);
    }

    #[test]
    fn parts_of_other_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        let a = Plan::new("x", serde_json::json!({"s": 1}), ids(10), vec![]).unwrap();
        let b = Plan::new("x", serde_json::json!({"s": 2}), ids(10), vec![]).unwrap();
        let compute = |k: usize| Ok::<_, String>(serde_json::json!(k));
        let none = |_: usize| Ok::<_, String>(String::new());
        let s0 = ShardSpec::new(0, 2).unwrap();
        let s1 = ShardSpec::new(1, 2).unwrap();
        let Outcome::Written(p0) = run_part(&a, s0, &out, none, compute).unwrap() else {
            panic!()
        };
        let Outcome::Written(p1) = run_part(&b, s1, &out, none, compute).unwrap() else {
            panic!()
        };
        let e = read_parts(&[p0, p1.clone()]).unwrap_err().to_string();
        assert!(e.contains("other settings"), "{e}");
        assert!(e.contains(&p1.display().to_string()), "{e}");
    }

    #[test]
    fn a_grown_run_keeps_unchanged_parts() {
        // Adding items re-runs only the parts that receive them; the others are refreshed.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        let small = Plan::new("x", serde_json::json!({}), ids(12), vec![]).unwrap();
        let mut grown_ids = ids(12);
        grown_ids.insert(0, "new".into());
        let grown = Plan::new("x", serde_json::json!({}), grown_ids, vec![]).unwrap();
        let compute = |k: usize| Ok::<_, String>(serde_json::json!(k));
        let none = |_: usize| Ok::<_, String>(String::new());
        let new_owner = owner("new", 3);
        for i in 0..3 {
            run_part(&small, ShardSpec::new(i, 3).unwrap(), &out, none, compute).unwrap();
        }
        let mut paths = Vec::new();
        for i in 0..3 {
            let o = run_part(&grown, ShardSpec::new(i, 3).unwrap(), &out, none, compute).unwrap();
            match o {
                Outcome::Written(p) => {
                    assert_eq!(i, new_owner);
                    paths.push(p);
                }
                Outcome::Skipped(p) => {
                    assert_ne!(i, new_owner);
                    paths.push(p);
                }
            }
        }
        let merged = read_parts(&paths).unwrap();
        let got: Vec<&str> = merged.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            got,
            grown.ids.iter().map(String::as_str).collect::<Vec<_>>()
        );
        // Only one file per part index remains.
        assert_eq!(std::fs::read_dir(part_dir(&out)).unwrap().count(), 3);
    }
}
