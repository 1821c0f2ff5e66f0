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
//! The first line of the file is a header holding the command and a *fingerprint*:
//! SHA-256 of the radaudit version, the command, the canonical settings JSON and the
//! SHA-256 of every input file ([`fingerprint`]). A checkpoint whose header differs (other
//! inputs, other settings, another command or radaudit version, or not a checkpoint) is
//! **refused** with [`CheckpointError::Mismatch`], which names the file and tells to rerun
//! with the same arguments or delete it: silently discarding hours of finished items, or
//! silently mixing items of two runs, would both be worse than asking. The thread count
//! is not part of the fingerprint (results do not depend on it).
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

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::table::{write_atomic, TableError};

/// The `format` field of a checkpoint header; bump when the layout changes meaning.
pub const FORMAT: &str = "radaudit-checkpoint/1";

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
    /// The file belongs to another run.
    #[error(
        "{}: checkpoint of another run ({reason}); rerun with the same inputs and \
         settings to resume it, or delete it to start over",
        path.display()
    )]
    Mismatch { path: PathBuf, reason: String },
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

/// The fingerprint of a run: SHA-256 (hex) of the radaudit version, `command`, the
/// canonical JSON of `settings` and each `(name, sha256)` input in the order given.
pub fn fingerprint(command: &str, settings: &Value, inputs: &[(String, String)]) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update(b"\n");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(b"\n");
    h.update(command.as_bytes());
    h.update(b"\n");
    h.update(settings.to_string().as_bytes());
    for (name, hash) in inputs {
        h.update(format!("\n{name}\t{hash}").as_bytes());
    }
    crate::shard::hex(&h.finalize())
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
    /// Opens the checkpoint of output `out` for a run of `command` with `fingerprint`:
    /// reads the items an interrupted run finished, or creates the file.
    ///
    /// # Errors
    /// [`CheckpointError::Mismatch`] when the file is from another run; I/O errors.
    pub fn open(
        out: &Path,
        command: &str,
        fingerprint: &str,
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
        let header = json!({"format": FORMAT, "command": command, "fingerprint": fingerprint});
        let mut found = BTreeMap::new();
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| CheckpointError::Io {
                path: path.clone(),
                source,
            })?;
            found = read_records(&path, &text, command, fingerprint)?;
            tracing::info!(
                "resuming from {}: {} finished items",
                path.display(),
                found.len()
            );
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

/// The records of a checkpoint's text after checking its header.
fn read_records(
    path: &Path,
    text: &str,
    command: &str,
    fingerprint: &str,
) -> Result<BTreeMap<String, Value>, CheckpointError> {
    let mismatch = |reason: &str| CheckpointError::Mismatch {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let mut lines = text.split_inclusive('\n');
    let header: Value = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| mismatch("not a radaudit checkpoint"))?;
    if header["format"] != FORMAT {
        return Err(mismatch("not a radaudit checkpoint of this version"));
    }
    if header["command"] != command {
        let other = header["command"].as_str().unwrap_or("?");
        return Err(mismatch(&format!("made by `radaudit {other}`")));
    }
    if header["fingerprint"] != fingerprint {
        return Err(mismatch("its inputs or settings differ from this run's"));
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
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_reopen_and_a_torn_line_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
        ck.put("0", &json!("0.5")).unwrap();
        ck.put("1", &json!({"v": 1})).unwrap();
        drop(ck);
        let path = path_for(&out);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"id\":\"2\",\"da");
        std::fs::write(&path, text).unwrap();

        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
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
        let first = Checkpoint::open(&out, "null", "abc", None).unwrap();
        let second = Checkpoint::open(&out, "null", "abc", None).unwrap();
        first.finish().unwrap();
        second.finish().unwrap();
        assert!(!path_for(&out).exists());
    }

    #[test]
    fn a_run_that_records_nothing_leaves_no_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        drop(Checkpoint::open(&out, "null", "abc", None).unwrap());
        assert!(!path_for(&out).exists(), "header-only checkpoint left");

        // One record is kept, and so are records found by an earlier run.
        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
        ck.put("0", &json!("0.5")).unwrap();
        drop(ck);
        assert!(path_for(&out).exists());
        drop(Checkpoint::open(&out, "null", "abc", None).unwrap());
        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
        assert_eq!(ck.resumed(), 1);
    }

    #[test]
    fn a_malformed_record_names_the_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
        let m = ck.malformed("replicate 3", &json!({"value": "abc"}).to_string());
        assert!(m.contains("out.json.checkpoint: replicate 3"), "{m}");
        assert!(m.contains("delete the checkpoint"), "{m}");
    }

    #[test]
    fn another_runs_checkpoint_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.json");
        // A run with one finished item (a run with none removes its file when it stops).
        let ck = Checkpoint::open(&out, "null", "abc", None).unwrap();
        ck.put("0", &json!("0.5")).unwrap();
        drop(ck);
        let e = Checkpoint::open(&out, "null", "abd", None).unwrap_err();
        assert!(e.to_string().contains("inputs or settings differ"), "{e}");
        let e = Checkpoint::open(&out, "cv", "abc", None).unwrap_err();
        assert!(e.to_string().contains("made by `radaudit null`"), "{e}");
        std::fs::write(path_for(&out), "hello\n").unwrap();
        let e = Checkpoint::open(&out, "null", "abc", None).unwrap_err();
        assert!(e.to_string().contains("not a radaudit checkpoint"), "{e}");
    }

    #[test]
    fn fingerprint_changes_with_settings_and_inputs() {
        let a = fingerprint("cv", &json!({"seed": 1}), &[("t".into(), "h".into())]);
        assert_ne!(
            a,
            fingerprint("cv", &json!({"seed": 2}), &[("t".into(), "h".into())])
        );
        assert_ne!(
            a,
            fingerprint("cv", &json!({"seed": 1}), &[("t".into(), "g".into())])
        );
        assert_eq!(
            a,
            fingerprint("cv", &json!({"seed": 1}), &[("t".into(), "h".into())])
        );
    }
}
