//! Reading and writing tables, and the output conventions every writer shares.
//!
//! Outputs are written atomically (a temporary file beside the target, then a rename), so
//! a crash never leaves a half-written table. Numbers in CSV and JSON outputs are rounded
//! to [`OUTPUT_SIG_DIGITS`] significant digits, so last-bit differences between CPUs do not
//! change committed reports (DESIGN.md, "Reproducibility").

use std::io::Write;
use std::path::{Path, PathBuf};

/// Significant digits kept in CSV and JSON outputs.
pub const OUTPUT_SIG_DIGITS: usize = 10;

/// Errors from table input and output.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed and
/// synced, then renamed over the target. Parent folders are created.
///
/// # Errors
/// [`TableError::Write`] naming the target when any step fails; the target is then left
/// as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TableError> {
    let wrap = |source| TableError::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(wrap)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(wrap)
}

/// Rounds `x` to `digits` significant digits (non-finite values pass through).
///
/// Used on every number before it is written, so outputs do not depend on the last bits of
/// floating-point arithmetic.
pub fn round_sig(x: f64, digits: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let s = format!("{:.*e}", digits.saturating_sub(1), x);
    s.parse().unwrap_or(x)
}

/// Formats a number for CSV output: rounded to [`OUTPUT_SIG_DIGITS`], shortest form,
/// `NaN`, `inf` and `-inf` spelled out.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    let r = round_sig(x, OUTPUT_SIG_DIGITS);
    if r == 0.0 {
        return "0".to_string();
    }
    format!("{r}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_sig_keeps_ten_digits() {
        assert_eq!(round_sig(0.123456789012345, 10), 0.1234567890);
        assert_eq!(round_sig(123456.789012345, 10), 123456.7890);
        assert_eq!(round_sig(-2.0 / 3.0, 3), -0.667);
    }

    #[test]
    fn fmt_num_spells_non_finite() {
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
    }

    #[test]
    fn write_atomic_replaces_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub").join("t.csv");
        write_atomic(&p, b"a,b\n1,2\n").expect("first write");
        write_atomic(&p, b"x\n").expect("second write");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "x\n");
        let leftovers = std::fs::read_dir(p.parent().expect("parent")).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file may remain");
    }
}
