//! Checkpoints of long single-process runs: `null` (replicates), `cv --permutations`
//! (permutations) and `audit` (scenario files).
//!
//! A run is a list of *items* with stable ids (`"17"`, `"perm/17"`, a scenario file's
//! path), each computed independently from its own random stream, so an item's result
//! does not depend on which items ran before it or on the thread count. Every finished
//! item is appended, as one JSON line `{"id": ..., "data": ...}` with floats in their
//! exact text ([`crate::shard::f64_text`]), to the file `OUT.checkpoint` beside the output
//! `OUT`. A rerun with the same inputs and settings reads the file, reuses the finished
//! items and computes the others; the output is then assembled from all items in item
//! order, so an interrupted and resumed run writes the same bytes as an uninterrupted one.
//! The file is removed once the output is written.
//!
//! # Validity
//! The first line of the file is a header holding the run's [`RunKey`]: the command, the
//! radaudit version, every setting that changes an item's result (by name, nested
//! settings flattened to dotted names such as `design.folds`) and the path and SHA-256 of
//! every input file. A checkpoint whose key differs from the run's is **refused** with
//! [`CheckpointError::Mismatch`], which names the file, lists each differing setting or
//! input (`seed: checkpoint 7, this run 8`, `table t.csv changed (sha256 ...)`) and tells
//! to rerun with the checkpoint's settings or delete it: silently discarding hours of
//! finished items, or silently mixing items of two runs, would both be worse than asking.
//! Inputs are compared by content, not by path (a moved table is the same table). The
//! thread count is not part of the key (results do not depend on it). A file that is not
//! a checkpoint, or one of an earlier layout ([`FORMAT`]), is refused with
//! [`CheckpointError::Unreadable`].
//!
//! # Item counts
//! Where items are independent seeded streams (`null` replicate `r` draws from
//! `null/{r}`, `cv` permutation `i` from `cv/perm/{i}`), the number of items asked for is
//! not part of the key ([`RunKey::items`]): item `i` is the same whatever the total, so a
//! rerun with *more* replicates or permutations keeps the finished ones and computes only
//! the new ones, and writes what an uninterrupted run with the larger count writes. A rerun
//! with *fewer* uses the first ones (by the same argument it writes what an uninterrupted
//! run with the smaller count writes) and ignores the others, which stay in the file until
//! the run finishes. Refusing would only throw finished work away. Where an item's result
//! depends on the total (`audit`: each scenario's report is built from `--reps` null
//! replicates), the count stays in the key and the refusal says why
//! ([`RunKey::setting_fixed`]).
//!
//! # Crashes
//! A record is written with a single `write` call on a file opened for appending, so a
//! killed process leaves at most one torn last line. On opening, the records are read up
//! to the first line that does not parse (warned about, then dropped) and the file is
//! rewritten atomically ([`write_atomic`]) with the header and the complete records. The
//! outputs themselves are only ever written with [`write_atomic`].
//!
//! # Testing hook
//! With `RADAUDIT_ABORT_AFTER=N` in the environment ([`ABORT_ENV`]) the process aborts
//! (`SIGABRT`, no cleanup) right after its `N`-th record is written: a kill at a fixed
//! point, for tests of resumption (`radaudit perturb` reads the same variable and stops
//! gracefully instead, see `crate::perturb::run`).
//!
//! # Limitations
//! Records are not `fsync`ed one by one: a process kill loses nothing, a power failure
//! may lose the records still in the operating system's cache (they are recomputed).
//! `cv` keeps only its permutations; the nested and leaky runs before them are
//! recomputed on a resume.
// TODO(checkpoint): keep cv's outer folds too, once fold results can be read back.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::table::{write_atomic, TableError};

/// The `format` field of a checkpoint header; bump when the layout changes meaning.
///
/// 2: the header holds the run's key field by field ([`RunKey`]) instead of one hash, so a
/// mismatch can name what differs; the item count left the key.
pub const FORMAT: &str = "radaudit-checkpoint/2";

/// Differences listed in a refusal before the rest are only counted.
const MAX_LISTED: usize = 8;

/// Characters of a setting's value shown in a refusal.
const MAX_VALUE_CHARS: usize = 60;

/// Environment variable of the testing hook (module docs).
pub const ABORT_ENV: &str = "RADAUDIT_ABORT_AFTER";

/// Where finished items are looked up and recorded.
pub trait ItemStore: Sync {
    /// The stored result of item `id`, when it finished in an earlier run.
    fn get(&self, id: &str) -> Option<Value>;
    /// Records the result of item `id`.
    ///
    /// # Errors
    /// When the record cannot be written.
    fn put(&self, id: &str, data: &Value) -> Result<(), CheckpointError>;

    /// The message for a stored record of item `what` that does not hold what the item
    /// needs (`record`: the record or what is wrong with it): a store backed by a file
    /// names it and tells how to start over.
    fn malformed(&self, what: &str, record: &str) -> String {
        format!("{what}: malformed record {record}")
    }
}

/// A store that remembers nothing (runs without a checkpoint).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

impl ItemStore for NoStore {
    fn get(&self, _id: &str) -> Option<Value> {
        None
    }

    fn put(&self, _id: &str, _data: &Value) -> Result<(), CheckpointError> {
        Ok(())
    }
}

/// What identifies a run (module docs, Validity): its command, the radaudit version,
/// every setting that changes an item's result, its input files by content, and the item
/// count, which is not compared ([`RunKey::items`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunKey {
    command: String,
    /// Setting name -> its value as shown in a refusal (strings bare, `none` for null,
    /// other values as compact JSON), compared as text so floats need no round trip.
    settings: BTreeMap<String, String>,
    /// Input name -> its path as given and its SHA-256 (hex); compared by hash only.
    inputs: BTreeMap<String, (String, String)>,
    /// Why a change of a setting cannot be resumed, for settings that look extendable.
    fixed: BTreeMap<String, String>,
    /// What the items are called and how many this run asks for.
    items: Option<(String, usize)>,
}

/// How a stored header compares with a run's key ([`RunKey::compare_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    /// Same command, version, settings and inputs.
    Same,
    /// A checkpoint of another run; one line per differing field.
    Differs(Vec<String>),
    /// Not a checkpoint, or one of another layout; why.
    Unreadable(String),
}

/// An open checkpoint file (module docs).
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    /// Items finished by earlier runs.
    found: BTreeMap<String, Value>,
    /// The file, opened for appending, and the records written by this process (`None`
    /// when the output is a device such as `/dev/stdout`: no checkpoint then).
    file: Option<Mutex<(File, usize)>>,
    abort_after: Option<usize>,
}

/// Errors of checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file belongs to another run; `differences` names each differing field.
    #[error(
        "{}: checkpoint of another run: {}; rerun with the checkpoint's settings and \
         inputs to resume it, or delete it to start over",
        path.display(),
        list(differences)
    )]
    Mismatch {
        path: PathBuf,
        differences: Vec<String>,
    },
    /// The file is not a checkpoint, or one of a layout this version cannot check.
    #[error(
        "{}: {reason}; delete it to start over (its items are recomputed), or choose \
         another output",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },
    /// The file cannot be read or appended to.
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be (re)written.
    #[error(transparent)]
    Write(#[from] TableError),
    /// `RADAUDIT_ABORT_AFTER` is not a count.
    #[error("{ABORT_ENV}={0:?} is not a count")]
    Hook(String),
}

/// The checkpoint file of output `out`: `OUT.checkpoint` in the same folder.
pub fn path_for(out: &Path) -> PathBuf {
    // `components` drops a trailing `/`, so `reports/x/` gets `reports/x.checkpoint`.
    let mut name = out.components().as_path().as_os_str().to_os_string();
    name.push(".checkpoint");
    PathBuf::from(name)
}

impl RunKey {
    /// The key of a run of `radaudit COMMAND`, with no settings or inputs yet.
    pub fn new(command: &str) -> Self {
        Self {
            command: command.to_string(),
            ..Self::default()
        }
    }

    /// Adds setting `name` with `value`. An object is flattened into one setting per
    /// leaf, named `name.key` (`name key` when `name` ends with `:`; no prefix when `name`
    /// is empty), so a refusal names the leaf that differs; arrays are one setting.
    pub fn setting(mut self, name: &str, value: &impl Serialize) -> Self {
        let value = serde_json::to_value(value)
            .unwrap_or_else(|e| Value::String(format!("(not serialisable: {e})")));
        flatten(name, &value, &mut self.settings);
        self
    }

    /// [`RunKey::setting`] for a setting whose change cannot be resumed although it looks
    /// like a count that could be extended: a refusal adds `why`.
    pub fn setting_fixed(mut self, name: &str, value: &impl Serialize, why: &str) -> Self {
        self.fixed.insert(name.to_string(), why.to_string());
        self.setting(name, value)
    }

    /// Adds input file `name` read from `path` with content hash `sha256`.
    pub fn input(mut self, name: &str, path: &Path, sha256: &str) -> Self {
        let path = path.display().to_string();
        self.inputs
            .insert(name.to_string(), (path, sha256.to_string()));
        self
    }

    /// Sets the number of items this run asks for (`noun`: what they are). It is shown in
    /// the log but not compared: the run's items must be independent of their total
    /// (module docs, Item counts).
    pub fn items(mut self, noun: &str, count: usize) -> Self {
        self.items = Some((noun.to_string(), count));
        self
    }

    /// The header line's JSON.
    pub fn header(&self) -> Value {
        let inputs: Map<String, Value> = self
            .inputs
            .iter()
            .map(|(name, (path, hash))| (name.clone(), json!({"path": path, "sha256": hash})))
            .collect();
        let mut h = json!({
            "format": FORMAT,
            "command": self.command,
            "radaudit_version": env!("CARGO_PKG_VERSION"),
            "settings": self.settings,
            "inputs": inputs,
        });
        if let Some((noun, count)) = &self.items {
            h["items"] = json!({"noun": noun, "count": count});
        }
        h
    }

    /// Compares the header line `text` of a checkpoint with this key.
    pub fn compare_text(&self, text: &str) -> KeyMatch {
        match serde_json::from_str::<Value>(text.trim()) {
            Ok(header) => self.compare(&header),
            Err(_) => KeyMatch::Unreadable(
                "not a radaudit checkpoint (no readable header; an earlier radaudit may \
                 have written it)"
                    .to_string(),
            ),
        }
    }

    /// Compares a checkpoint's header with this key, field by field.
    pub fn compare(&self, header: &Value) -> KeyMatch {
        let format = header["format"].as_str().unwrap_or("");
        if !format.starts_with("radaudit-checkpoint/") {
            return KeyMatch::Unreadable("not a radaudit checkpoint".to_string());
        }
        if format != FORMAT {
            return KeyMatch::Unreadable(format!(
                "checkpoint layout {format} of another radaudit version (this one reads \
                 {FORMAT}), so its items cannot be checked against this run"
            ));
        }
        let other = header["command"].as_str().unwrap_or("?");
        if other != self.command {
            return KeyMatch::Differs(vec![format!(
                "made by `radaudit {other}`, this run is `radaudit {}`",
                self.command
            )]);
        }

        let mut d = Vec::new();
        let version = header["radaudit_version"].as_str().unwrap_or("?");
        if version != env!("CARGO_PKG_VERSION") {
            d.push(format!(
                "radaudit version: checkpoint {version}, this run {}",
                env!("CARGO_PKG_VERSION")
            ));
        }
        let stored = text_map(&header["settings"]);
        for name in union(stored.keys(), self.settings.keys()) {
            let (a, b) = (stored.get(name), self.settings.get(name));
            if a == b {
                continue;
            }
            let shown = |v: Option<&String>| v.map_or("(not set)".to_string(), |v| clip(v));
            let mut line = format!("{name}: checkpoint {}, this run {}", shown(a), shown(b));
            if let Some(why) = self.fixed.get(name) {
                line.push_str(&format!(" ({why})"));
            }
            d.push(line);
        }
        d.extend(self.input_differences(&header["inputs"]));
        if d.is_empty() {
            KeyMatch::Same
        } else {
            KeyMatch::Differs(d)
        }
    }

    /// The differing inputs of a stored `inputs` object, one line each.
    fn input_differences(&self, stored: &Value) -> Vec<String> {
        let stored: BTreeMap<String, (String, String)> = stored
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let text = |f: &str| v[f].as_str().unwrap_or("?").to_string();
                (k.clone(), (text("path"), text("sha256")))
            })
            .collect();
        let short = |h: &str| h.chars().take(12).collect::<String>();
        let mut d = Vec::new();
        for name in union(stored.keys(), self.inputs.keys()) {
            match (stored.get(name), self.inputs.get(name)) {
                (Some((pa, ha)), Some((pb, hb))) if ha != hb => d.push(if pa == pb {
                    format!(
                        "{name} {pa} changed (sha256 {} in the checkpoint, {} now)",
                        short(ha),
                        short(hb)
                    )
                } else {
                    format!(
                        "{name}: checkpoint {pa} (sha256 {}), this run {pb} (sha256 {})",
                        short(ha),
                        short(hb)
                    )
                }),
                (Some((pa, _)), None) => d.push(format!(
                    "{name} {pa}: in the checkpoint's run, not in this one"
                )),
                (None, Some((pb, _))) => {
                    d.push(format!("{name} {pb}: not in the checkpoint's run"))
                }
                _ => {}
            }
        }
        d
    }
}

/// The count of the testing hook ([`ABORT_ENV`]), when set.
///
/// # Errors
/// [`CheckpointError::Hook`] when the variable is set but not a count.
pub fn abort_after_from_env() -> Result<Option<usize>, CheckpointError> {
    match std::env::var(ABORT_ENV) {
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| CheckpointError::Hook(v)),
        Err(_) => Ok(None),
    }
}

impl Checkpoint {
    /// Opens the checkpoint of output `out` for a run with `key`: reads the items an
    /// interrupted run finished, or creates the file.
    ///
    /// # Errors
    /// [`CheckpointError::Mismatch`] when the file is from another run,
    /// [`CheckpointError::Unreadable`] when it is not a checkpoint of this layout; I/O
    /// errors.
    pub fn open(
        out: &Path,
        key: &RunKey,
        abort_after: Option<usize>,
    ) -> Result<Self, CheckpointError> {
        let path = path_for(out);
        if std::fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Ok(Self {
                path,
                found: BTreeMap::new(),
                file: None,
                abort_after,
            });
        }
        let header = key.header();
        let mut found = BTreeMap::new();
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| CheckpointError::Io {
                path: path.clone(),
                source,
            })?;
            let stored;
            (found, stored) = read_records(&path, &text, key)?;
            tracing::info!(
                "resuming from {}: {} finished items",
                path.display(),
                found.len()
            );
            log_count_change(&path, &stored, key);
        }

        // (Re)write the header and the complete records, dropping a torn last line.
        let mut text = header.to_string() + "\n";
        for (id, data) in &found {
            text.push_str(&json!({"id": id, "data": data}).to_string());
            text.push('\n');
        }
        write_atomic(&path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|source| CheckpointError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(Self {
            path,
            found,
            file: Some(Mutex::new((file, 0))),
            abort_after,
        })
    }

    /// Items finished by earlier runs.
    pub fn resumed(&self) -> usize {
        self.found.len()
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file once the output is written. A file already gone is fine: a
    /// second run with the same output and settings, started while this one ran, wrote
    /// the same output and removed it first (runs are deterministic and outputs atomic).
    ///
    /// # Errors
    /// When the file cannot be removed.
    pub fn finish(mut self) -> Result<(), CheckpointError> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        drop(file);
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(
                    "{}: already removed (another run with the same output finished first)",
                    self.path.display()
                );
                Ok(())
            }
            r => r.map_err(|source| CheckpointError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// A run that stops with an error before recording any item (settings found invalid
/// after the checkpoint was opened) removes its header-only file: left behind, it would
/// make the corrected rerun fail as "checkpoint of another run".
impl Drop for Checkpoint {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        let written = file.lock().map(|g| g.1).unwrap_or(1);
        drop(file);
        if written == 0 && self.found.is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl ItemStore for Checkpoint {
    fn get(&self, id: &str) -> Option<Value> {
        self.found.get(id).cloned()
    }

    fn put(&self, id: &str, data: &Value) -> Result<(), CheckpointError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let line = json!({"id": id, "data": data}).to_string() + "\n";
        let mut guard = file.lock().expect("invariant: no panic while locked");
        let (file, written) = &mut *guard;
        file.write_all(line.as_bytes())
            .map_err(|source| CheckpointError::Io {
                path: self.path.clone(),
                source,
            })?;
        *written += 1;

        // Testing hook: a kill at a fixed point, with the lock held so no record is torn.
        if self.abort_after.is_some_and(|n| *written >= n) {
            std::process::abort();
        }
        Ok(())
    }

    fn malformed(&self, what: &str, record: &str) -> String {
        format!(
            "{}: {what}: malformed record {record}; delete the checkpoint to start over",
            self.path.display()
        )
    }
}

/// The records of a checkpoint's text and its header, after checking the header against
/// the run's `key`.
fn read_records(
    path: &Path,
    text: &str,
    key: &RunKey,
) -> Result<(BTreeMap<String, Value>, Value), CheckpointError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    let header: Value = serde_json::from_str(first.trim()).unwrap_or(Value::Null);
    match key.compare_text(first) {
        KeyMatch::Same => {}
        KeyMatch::Differs(differences) => {
            return Err(CheckpointError::Mismatch {
                path: path.to_path_buf(),
                differences,
            })
        }
        KeyMatch::Unreadable(reason) => {
            return Err(CheckpointError::Unreadable {
                path: path.to_path_buf(),
                reason,
            })
        }
    }

    let mut found = BTreeMap::new();
    for (k, line) in lines.enumerate() {
        let record: Option<(String, Value)> = line
            .ends_with('\n')
            .then(|| serde_json::from_str::<Value>(line).ok())
            .flatten()
            .and_then(|v| Some((v["id"].as_str()?.to_string(), v["data"].clone())));
        match record {
            Some((id, data)) => {
                found.insert(id, data);
            }
            None => {
                tracing::warn!(
                    "{}, line {}: incomplete record (the run was killed while writing \
                     it); it and any later lines are recomputed",
                    path.display(),
                    k + 2
                );
                break;
            }
        }
    }
    Ok((found, header))
}

/// Logs a rerun that asks for another number of items than the checkpoint's run (module
/// docs, Item counts: the finished items are kept either way).
fn log_count_change(path: &Path, stored: &Value, key: &RunKey) {
    let (Some((noun, now)), Some(before)) = (&key.items, stored["items"]["count"].as_u64()) else {
        return;
    };
    let before = before as usize;
    if *now > before {
        tracing::info!(
            "{}: extending the run from {before} to {now} {noun}; the finished ones are kept",
            path.display()
        );
    } else if *now < before {
        tracing::info!(
            "{}: the checkpoint's run asked for {before} {noun}, this one for {now}; the \
             finished ones among the first {now} are used, the others ignored",
            path.display()
        );
    }
}

/// Adds the leaves of `value` under `name` to `out` ([`RunKey::setting`]).
fn flatten(name: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let child = match name {
                    "" => k.clone(),
                    n if n.ends_with(':') => format!("{n} {k}"),
                    n => format!("{n}.{k}"),
                };
                flatten(&child, v, out);
            }
        }
        Value::String(text) => {
            out.insert(name.to_string(), text.clone());
        }
        Value::Null => {
            out.insert(name.to_string(), "none".to_string());
        }
        other => {
            out.insert(name.to_string(), other.to_string());
        }
    }
}

/// The text values of a stored `settings` object.
fn text_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect()
}

/// The names in either of two sorted key lists, sorted, each once.
fn union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<&'a String> {
    let mut all: Vec<&String> = a.chain(b).collect();
    all.sort();
    all.dedup();
    all
}

/// A setting's value cut to [`MAX_VALUE_CHARS`] characters.
fn clip(v: &str) -> String {
    if v.chars().count() <= MAX_VALUE_CHARS {
        v.to_string()
    } else {
        let head: String = v.chars().take(MAX_VALUE_CHARS).collect();
        format!("{head}...")
    }
}

/// The differences of a refusal, the first [`MAX_LISTED`] of them, then a count.
fn list(differences: &[String]) -> String {
    let mut text = differences
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if differences.len() > MAX_LISTED {
        text.push_str(&format!("; and {} more", differences.len() - MAX_LISTED));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of a `null` run with `seed`.
    fn key(seed: u64) -> RunKey {
        RunKey::new("null").setting("seed", &seed)
    }

    /// A checkpoint of `key` with one finished item (a run with none removes its file).
    fn one_item(out: &Path, key: &RunKey) {
        let ck = Checkpoint::open(out, key, None).unwrap();
        ck.put("0", &json!("0.5")).unwrap();
    }

    fn differences(m: KeyMatch) -> Vec<String> {
        match m {
            KeyMatch::Differs(d) => d,
            other => panic!("expected differences, got {other:?}"),
        }
    }

    #[test]
    fn records_survive_a_reopen_and_a_torn_line_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let ck = Checkpoint::open(&out, &key(1), None).unwrap();
        ck.put("0", &json!("0.5")).unwrap();
        ck.put("1", &json!({"v": 1})).unwrap();
        drop(ck);
        let path = path_for(&out);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"id\":\"2\",\"da");
        std::fs::write(&path, text).unwrap();

        let ck = Checkpoint::open(&out, &key(1), None).unwrap();
        assert_eq!(ck.resumed(), 2);
        assert_eq!(ck.get("0"), Some(json!("0.5")));
        assert_eq!(ck.get("1"), Some(json!({"v": 1})));
        assert_eq!(ck.get("2"), None);
        ck.finish().unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_checkpoint_removed_by_a_concurrent_run_finishes() {
        // Two runs with the same output and settings at once: the first to finish removes
        // the file; the second must still succeed (it wrote the same output).
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let first = Checkpoint::open(&out, &key(1), None).unwrap();
        let second = Checkpoint::open(&out, &key(1), None).unwrap();
        first.finish().unwrap();
        second.finish().unwrap();
        assert!(!path_for(&out).exists());
    }

    #[test]
    fn a_run_that_records_nothing_leaves_no_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        drop(Checkpoint::open(&out, &key(1), None).unwrap());
        assert!(!path_for(&out).exists(), "header-only checkpoint left");

        // One record is kept, and so are records found by an earlier run.
        one_item(&out, &key(1));
        assert!(path_for(&out).exists());
        drop(Checkpoint::open(&out, &key(1), None).unwrap());
        let ck = Checkpoint::open(&out, &key(1), None).unwrap();
        assert_eq!(ck.resumed(), 1);
    }

    #[test]
    fn a_malformed_record_names_the_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let ck = Checkpoint::open(&out, &key(1), None).unwrap();
        let m = ck.malformed("replicate 3", &json!({"value": "abc"}).to_string());
        assert!(m.contains("out.json.checkpoint: replicate 3"), "{m}");
        assert!(m.contains("delete the checkpoint"), "{m}");
    }

    #[test]
    fn another_runs_checkpoint_is_refused_naming_the_field() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        one_item(&out, &key(7));

        let e = Checkpoint::open(&out, &key(8), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("out.json.checkpoint: checkpoint of another run"),
            "{e}"
        );
        assert!(e.contains("seed: checkpoint 7, this run 8;"), "{e}");
        assert!(e.contains("rerun with the checkpoint's settings"), "{e}");
        assert!(e.contains("or delete it to start over"), "{e}");

        let e = Checkpoint::open(&out, &RunKey::new("cv").setting("seed", &7), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("made by `radaudit null`, this run is `radaudit cv`"),
            "{e}"
        );

        // The refused checkpoint is kept as it was.
        assert_eq!(Checkpoint::open(&out, &key(7), None).unwrap().resumed(), 1);
    }

    #[test]
    fn a_foreign_file_is_refused_as_unreadable() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        std::fs::write(path_for(&out), "hello\n").unwrap();
        let e = Checkpoint::open(&out, &key(1), None).unwrap_err();
        assert!(matches!(e, CheckpointError::Unreadable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("not a radaudit checkpoint"), "{e}");
        assert!(e.contains("delete it to start over"), "{e}");
    }

    #[test]
    fn an_old_format_checkpoint_is_refused_with_its_layout() {
        // The header of format 1 held one hash; its items cannot be checked field by field.
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let v1 = "{\"format\":\"radaudit-checkpoint/1\",\"command\":\"null\",\
                  \"fingerprint\":\"abc\"}\n{\"id\":\"0\",\"data\":\"0.5\"}\n";
        std::fs::write(path_for(&out), v1).unwrap();
        let e = Checkpoint::open(&out, &key(1), None).unwrap_err();
        assert!(matches!(e, CheckpointError::Unreadable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("out.json.checkpoint: checkpoint layout radaudit-checkpoint/1"));
        assert!(e.contains("this one reads radaudit-checkpoint/2"), "{e}");
        assert!(e.contains("delete it to start over"), "{e}");
        assert_eq!(std::fs::read_to_string(path_for(&out)).unwrap(), v1);
    }

    #[test]
    fn a_changed_input_is_named_with_its_path_and_hashes() {
        let t = Path::new("/data/t.csv");
        let run = |path: &Path, hash: &str| RunKey::new("cv").input("table", path, hash);
        let stored = run(t, &"a".repeat(64)).header();

        let d = differences(run(t, &"b".repeat(64)).compare(&stored));
        assert_eq!(
            d,
            [format!(
                "table /data/t.csv changed (sha256 {} in the checkpoint, {} now)",
                "a".repeat(12),
                "b".repeat(12)
            )]
        );

        // Inputs are compared by content: a moved table is the same table.
        let moved = Path::new("/elsewhere/t.csv");
        assert_eq!(run(moved, &"a".repeat(64)).compare(&stored), KeyMatch::Same);
        let d = differences(run(moved, &"c".repeat(64)).compare(&stored));
        assert!(
            d[0].starts_with("table: checkpoint /data/t.csv (sha256 aaaa")
                && d[0].contains("this run /elsewhere/t.csv (sha256 cccc"),
            "{d:?}"
        );

        // An input on one side only.
        let d = differences(RunKey::new("cv").compare(&stored));
        assert_eq!(
            d,
            ["table /data/t.csv: in the checkpoint's run, not in this one"]
        );
    }

    #[test]
    fn nested_settings_are_named_by_their_leaf() {
        let run = |folds: usize| {
            RunKey::new("null")
                .setting(
                    "design",
                    &json!({"n": 40, "validation": {"kind": "cv", "folds": folds}}),
                )
                .setting("claimed", &None::<String>)
        };
        let d = differences(run(5).compare(&run(4).header()));
        assert_eq!(d, ["design.validation.folds: checkpoint 4, this run 5"]);

        // A prefix ending in `:` joins with a space; a new setting shows as not set.
        let a = RunKey::new("audit").setting("a.toml:", &json!({"claim": {"value": 0.8}}));
        let b = RunKey::new("audit").setting("a.toml:", &json!({"claim": {"value": 0.75}}));
        let d = differences(b.compare(&a.header()));
        assert_eq!(d, ["a.toml: claim.value: checkpoint 0.8, this run 0.75"]);
        let c = b.setting("seed", &3);
        let d = differences(c.compare(&a.header()));
        assert!(
            d.contains(&"seed: checkpoint (not set), this run 3".to_string()),
            "{d:?}"
        );
    }

    #[test]
    fn settings_compare_as_text_so_floats_need_no_round_trip() {
        // 0.1 + 0.2 has a 17-digit shortest text; the stored text must match exactly, and
        // the next float up must not.
        let x: f64 = 0.1 + 0.2;
        let a = RunKey::new("null").setting("c", &x);
        let header: Value = serde_json::from_str(&a.header().to_string()).unwrap();
        assert_eq!(a.compare(&header), KeyMatch::Same);
        let b = RunKey::new("null").setting("c", &f64::from_bits(x.to_bits() + 1));
        assert_eq!(differences(b.compare(&header)).len(), 1);
    }

    #[test]
    fn a_fixed_setting_says_why_it_cannot_be_resumed() {
        let run = |reps: usize| RunKey::new("audit").setting_fixed("reps", &reps, "because");
        let d = differences(run(60).compare(&run(40).header()));
        assert_eq!(d, ["reps: checkpoint 40, this run 60 (because)"]);
    }

    #[test]
    fn the_item_count_is_not_compared_and_items_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        one_item(&out, &key(1).items("replicates", 10));

        for count in [20, 5] {
            let ck = Checkpoint::open(&out, &key(1).items("replicates", count), None).unwrap();
            assert_eq!(ck.resumed(), 1, "count {count}");
            assert_eq!(ck.get("0"), Some(json!("0.5")));
        }
        // The rewritten header holds the last run's count.
        let text = std::fs::read_to_string(path_for(&out)).unwrap();
        let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(header["items"], json!({"noun": "replicates", "count": 5}));
    }

    #[test]
    fn a_long_list_of_differences_is_cut() {
        let many = |v: usize| {
            (0..12).fold(RunKey::new("audit"), |k, i| {
                k.setting(&format!("s{i:02}"), &v)
            })
        };
        let e = CheckpointError::Mismatch {
            path: PathBuf::from("x.checkpoint"),
            differences: differences(many(2).compare(&many(1).header())),
        }
        .to_string();
        assert!(
            e.contains("s07: checkpoint 1, this run 2; and 4 more;"),
            "{e}"
        );
        assert!(!e.contains("s08"), "{e}");
    }
}
