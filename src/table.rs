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
    /// Two header cells name the same column.
    #[error("{path}: column {column:?} appears twice in the header")]
    DuplicateColumn { path: PathBuf, column: String },
    /// The output path is one of the inputs.
    #[error("refusing to write {path}: it is an input of this run (choose another --out)")]
    OverwriteInput { path: PathBuf },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not well-formed CSV (unclosed quote, wrong number of fields).
    #[error("{path}, line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A required column is absent from the header.
    #[error("{path}: no column {column:?} (header: {found})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        found: String,
    },
    /// A cell holds a value of the wrong kind (empty, NaN, not a number).
    #[error("{path}, line {line}, column {column:?}: {value:?} is not {expected}")]
    BadValue {
        path: PathBuf,
        line: usize,
        column: String,
        value: String,
        expected: String,
    },
    /// The table has a header but no data rows.
    #[error("{path}: no data rows")]
    Empty { path: PathBuf },
}

/// The files this process has read as input, canonicalised: outputs may never replace one.
fn inputs() -> &'static std::sync::Mutex<std::collections::BTreeSet<PathBuf>> {
    static INPUTS: std::sync::OnceLock<std::sync::Mutex<std::collections::BTreeSet<PathBuf>>> =
        std::sync::OnceLock::new();
    INPUTS.get_or_init(Default::default)
}

/// Records `path` as an input of this process; [`write_atomic`] then refuses to write it.
/// Every reader of user files calls this (images, tables, cohorts, configs, scenarios).
pub fn note_input(path: &Path) {
    if let (Ok(p), Ok(mut set)) = (std::fs::canonicalize(path), inputs().lock()) {
        set.insert(p);
    }
}

/// Whether `path` names a file this process read as input.
pub fn is_input(path: &Path) -> bool {
    let Ok(p) = std::fs::canonicalize(path) else {
        return false;
    };
    inputs().lock().map(|set| set.contains(&p)).unwrap_or(false)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed and
/// synced, then renamed over the target. Parent folders are created. A file this process
/// read as input ([`note_input`]) is never replaced.
///
/// An existing target that is not a regular file (`/dev/null`, `/dev/stdout`, a named
/// pipe) is written in place: renaming over it would replace the device with a file.
///
/// # Errors
/// [`TableError::Write`] naming the target when any step fails; the target is then left
/// as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TableError> {
    let wrap = |source| TableError::Write {
        path: path.to_path_buf(),
        source,
    };
    if is_input(path) {
        return Err(TableError::OverwriteInput {
            path: path.to_path_buf(),
        });
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(wrap);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(wrap)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
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
/// `NaN`, `inf` and `-inf` spelled out; magnitudes below 1e-6 or from 1e15 up in
/// scientific notation (`3.095876765e-193`), which every CSV reader parses, rather than
/// hundreds of zeros.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    let r = round_sig(x, OUTPUT_SIG_DIGITS);
    if r == 0.0 {
        return "0".to_string();
    }
    if r.abs() < 1e-6 || r.abs() >= 1e15 {
        return format!("{r:e}");
    }
    format!("{r}")
}

/// One row of a long perturbation table, with names interned as indices into
/// [`LongTable`]'s lists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongRecord {
    /// Index into [`LongTable::cases`].
    pub case: u32,
    /// Index into [`LongTable::raters`].
    pub rater: u32,
    /// Index into [`LongTable::features`].
    pub feature: u32,
    pub value: f64,
    /// Line of the source file (1 = header), for error messages.
    pub line: u32,
}

/// A long perturbation table `case_id,perturbation,replicate,feature,value` (DESIGN.md,
/// "File formats"), read in one pass with names interned in order of first appearance.
///
/// Each (perturbation, replicate) pair is one rater; `none` rows are one more rater.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LongTable {
    /// The file (or a label) the table came from, for error messages.
    pub source: PathBuf,
    pub cases: Vec<String>,
    /// (perturbation, replicate) pairs.
    pub raters: Vec<(String, String)>,
    pub features: Vec<String>,
    pub records: Vec<LongRecord>,
}

/// The columns of the long format, in order.
pub const LONG_COLUMNS: [&str; 5] = ["case_id", "perturbation", "replicate", "feature", "value"];

/// Interns strings into a list, giving each its first-appearance index.
#[derive(Default)]
struct Interner {
    index: std::collections::HashMap<String, u32>,
}

impl Interner {
    fn get(&mut self, list: &mut Vec<String>, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = list.len() as u32;
        self.index.insert(s.to_string(), i);
        list.push(s.to_string());
        i
    }
}

/// A CSV syntax error at `(line, message)` of `path`.
fn csv_error(path: &Path, (line, message): (usize, String)) -> TableError {
    TableError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// A reader over `text` positioned after its header row, and the header.
///
/// # Errors
/// [`TableError::Empty`] when there is no header; [`TableError::Csv`] when it is malformed.
fn open_csv<'a>(text: &'a str, path: &Path) -> Result<(CsvReader<'a>, Vec<String>), TableError> {
    let mut reader = CsvReader::new(text);
    let mut header = Vec::new();
    match reader.next_record(&mut header) {
        None => Err(TableError::Empty {
            path: path.to_path_buf(),
        }),
        Some(r) => {
            r.map_err(|e| csv_error(path, e))?;
            // Two columns of one name cannot be told apart downstream.
            let mut seen = std::collections::BTreeSet::new();
            if let Some(dup) = header.iter().find(|h| !seen.insert(h.trim().to_string())) {
                return Err(TableError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: dup.trim().to_string(),
                });
            }
            Ok((reader, header))
        }
    }
}

/// A whole CSV file as its header and its records (each with the line it starts on).
///
/// # Errors
/// [`TableError::Io`] when the file cannot be read, [`TableError::Empty`] without a
/// header, [`TableError::Csv`] for a malformed record.
pub fn read_records(path: &Path) -> Result<(Vec<String>, Vec<(usize, Vec<String>)>), TableError> {
    let text = read_text(path)?;
    let (mut reader, header) = open_csv(&text, path)?;
    let mut records = Vec::new();
    let mut rec = Vec::new();
    while let Some(r) = reader.next_record(&mut rec) {
        let line = r.map_err(|e| csv_error(path, e))?;
        records.push((line, rec.clone()));
    }
    Ok((header, records))
}

/// A minimal RFC 4180 CSV record reader: comma separated, `"`-quoted fields with `""`
/// escapes, quoted line breaks, LF or CRLF line ends. Fields are kept as text.
struct CsvReader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> CsvReader<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        CsvReader {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// Reads the next record into `out` (cleared first); returns the line it started on,
    /// `None` at the end. Blank lines are skipped.
    fn next_record(&mut self, out: &mut Vec<String>) -> Option<Result<usize, (usize, String)>> {
        let bytes = self.text.as_bytes();
        // Skip blank lines.
        while self.pos < bytes.len() && (bytes[self.pos] == b'\n' || bytes[self.pos] == b'\r') {
            if bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        out.clear();
        let start_line = self.line;
        let mut field = String::new();
        loop {
            // One field.
            if self.pos < bytes.len() && bytes[self.pos] == b'"' {
                self.pos += 1;
                loop {
                    let Some(rel) = self.text[self.pos..].find('"') else {
                        return Some(Err((start_line, "unclosed quote".to_string())));
                    };
                    let chunk = &self.text[self.pos..self.pos + rel];
                    self.line += chunk.matches('\n').count();
                    field.push_str(chunk);
                    self.pos += rel + 1;
                    if self.pos < bytes.len() && bytes[self.pos] == b'"' {
                        field.push('"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.pos < bytes.len() && !matches!(bytes[self.pos], b',' | b'\n' | b'\r') {
                    return Some(Err((self.line, "text after a closing quote".to_string())));
                }
            } else {
                let rest = &self.text[self.pos..];
                let end = rest.find([',', '\n', '\r']).unwrap_or(rest.len());
                field.push_str(&rest[..end]);
                self.pos += end;
            }
            out.push(std::mem::take(&mut field));

            // Separator or end of record.
            if self.pos >= bytes.len() {
                return Some(Ok(start_line));
            }
            match bytes[self.pos] {
                b',' => self.pos += 1,
                b'\r' => {
                    self.pos += 1;
                    if self.pos < bytes.len() && bytes[self.pos] == b'\n' {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Some(Ok(start_line));
                }
                _ => {
                    self.pos += 1;
                    self.line += 1;
                    return Some(Ok(start_line));
                }
            }
        }
    }
}

/// Parses a finite number from a CSV cell, naming file, line and column when it is not.
fn parse_finite(cell: &str, path: &Path, line: usize, column: &str) -> Result<f64, TableError> {
    let bad = || TableError::BadValue {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: cell.to_string(),
        expected: "a finite number (empty, NaN and inf are rejected)".to_string(),
    };
    let v: f64 = cell.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() {
        return Err(bad());
    }
    Ok(v)
}

fn read_text(path: &Path) -> Result<String, TableError> {
    note_input(path);
    std::fs::read_to_string(path).map_err(|source| TableError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the header and returns each requested column's position.
fn header_positions(
    header: &[String],
    wanted: &[&str],
    path: &Path,
) -> Result<Vec<usize>, TableError> {
    wanted
        .iter()
        .map(|w| {
            header
                .iter()
                .position(|h| h.trim() == *w)
                .ok_or_else(|| TableError::MissingColumn {
                    path: path.to_path_buf(),
                    column: (*w).to_string(),
                    found: header.join(","),
                })
        })
        .collect()
}

/// Reads a long perturbation table from `path` (see [`parse_long`]).
///
/// # Errors
/// [`TableError::Read`] and everything [`parse_long`] returns.
pub fn read_long(path: &Path) -> Result<LongTable, TableError> {
    parse_long(&read_text(path)?, path)
}

/// Parses a long perturbation table `case_id,perturbation,replicate,feature,value` in one
/// pass. Columns are found by name (others are ignored); ID columns are kept as text
/// (`"007"` stays `"007"`); `value` must be a finite number.
///
/// # Errors
/// [`TableError::MissingColumn`]; [`TableError::Csv`] for malformed CSV or a row with the
/// wrong number of fields; [`TableError::BadValue`] naming file, line and column for an
/// empty, NaN, infinite or non-numeric value or an empty ID; [`TableError::Empty`].
pub fn parse_long(text: &str, path: &Path) -> Result<LongTable, TableError> {
    let csv_err = |e| csv_error(path, e);
    let (mut reader, header) = open_csv(text, path)?;
    let pos = header_positions(&header, &LONG_COLUMNS, path)?;

    let mut t = LongTable {
        source: path.to_path_buf(),
        ..LongTable::default()
    };
    let (mut ci, mut ri, mut fi) = (
        Interner::default(),
        Interner::default(),
        Interner::default(),
    );
    let mut rater_names: Vec<String> = Vec::new();
    let mut rec = Vec::new();
    while let Some(r) = reader.next_record(&mut rec) {
        let line = r.map_err(csv_err)?;
        if rec.len() != header.len() {
            return Err(TableError::Csv {
                path: path.to_path_buf(),
                line,
                message: format!("{} fields, header has {}", rec.len(), header.len()),
            });
        }
        for (p, name) in pos.iter().zip(LONG_COLUMNS).take(4) {
            if rec[*p].trim().is_empty() {
                return Err(TableError::BadValue {
                    path: path.to_path_buf(),
                    line,
                    column: name.to_string(),
                    value: String::new(),
                    expected: "a non-empty identifier".to_string(),
                });
            }
        }
        let value = parse_finite(&rec[pos[4]], path, line, "value")?;
        let case = ci.get(&mut t.cases, rec[pos[0]].trim());
        // A rater is the (perturbation, replicate) pair; the unit separator cannot occur
        // in CSV text we accept as an identifier, so the joined key is unambiguous.
        let key = format!("{}\u{1f}{}", rec[pos[1]].trim(), rec[pos[2]].trim());
        let before = rater_names.len();
        let rater = ri.get(&mut rater_names, &key);
        if rater_names.len() > before {
            t.raters.push((
                rec[pos[1]].trim().to_string(),
                rec[pos[2]].trim().to_string(),
            ));
        }
        let feature = fi.get(&mut t.features, rec[pos[3]].trim());
        t.records.push(LongRecord {
            case,
            rater,
            feature,
            value,
            line: line as u32,
        });
    }
    if t.records.is_empty() {
        return Err(TableError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(t)
}

/// Writes a long table as CSV text (`case_id,perturbation,replicate,feature,value`),
/// quoting fields that need it and rounding values with [`fmt_num`].
pub fn long_to_csv(t: &LongTable) -> String {
    let mut out = String::with_capacity(t.records.len() * 32 + 64);
    out.push_str(&LONG_COLUMNS.join(","));
    out.push('\n');
    for r in &t.records {
        let (p, rep) = &t.raters[r.rater as usize];
        let fields = [
            csv_field(&t.cases[r.case as usize]),
            csv_field(p),
            csv_field(rep),
            csv_field(&t.features[r.feature as usize]),
            fmt_num(r.value),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a CSV field when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// How to turn a wide table of repeated extractions into the long format.
#[derive(Debug, Clone, PartialEq)]
pub struct WideImport {
    /// The column naming the case (patient, phantom, subject).
    pub case_col: String,
    /// The column naming the rater: reader, session (test/retest), extraction run.
    pub rater_col: String,
    /// Optional column numbering replicates within a rater (else replicate `0`).
    pub replicate_col: Option<String>,
    /// Further non-feature columns to skip.
    pub ignore: Vec<String>,
}

/// Column-name prefixes and names skipped by [`wide_to_long`] as tool metadata:
/// PyRadiomics' `diagnostics_*`, `Image`, `Mask`; MIRP's `img_data_*` and `id_*` settings
/// and identifiers.
pub const WIDE_METADATA_PREFIXES: [&str; 3] = ["diagnostics_", "img_data_", "id_"];
/// Exact column names skipped by [`wide_to_long`] (PyRadiomics batch output).
pub const WIDE_METADATA_NAMES: [&str; 3] = ["Image", "Mask", "Label"];

/// Reads a wide table (one row per case and rater, one column per feature) from `path`
/// and reshapes it to the long format (see [`wide_to_long`]).
///
/// # Errors
/// [`TableError::Read`] and everything [`wide_to_long`] returns.
pub fn read_wide_as_long(path: &Path, spec: &WideImport) -> Result<LongTable, TableError> {
    wide_to_long(&read_text(path)?, path, spec)
}

/// Reshapes a wide table of repeated extractions (PyRadiomics batch output, MIRP feature
/// tables, test-retest or multi-reader tables) into the long format: each row gives the
/// case (`case_col`), the rater (`rater_col`, becoming `perturbation`) and optionally a
/// replicate (`replicate_col`, else `0`); every other column is a feature, except tool
/// metadata ([`WIDE_METADATA_PREFIXES`], [`WIDE_METADATA_NAMES`]) and `ignore`.
///
/// # Errors
/// [`TableError::MissingColumn`] for an absent case, rater, replicate or ignored column;
/// [`TableError::BadValue`] for a feature cell that is not a finite number (a
/// non-numeric column must be listed in `ignore`); [`TableError::Csv`];
/// [`TableError::Empty`].
pub fn wide_to_long(text: &str, path: &Path, spec: &WideImport) -> Result<LongTable, TableError> {
    let csv_err = |e| csv_error(path, e);
    let (mut reader, header) = open_csv(text, path)?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut id_cols: Vec<&str> = vec![spec.case_col.as_str(), spec.rater_col.as_str()];
    if let Some(r) = &spec.replicate_col {
        id_cols.push(r.as_str());
    }
    let pos = header_positions(&header, &id_cols, path)?;
    let ignore: Vec<&str> = spec.ignore.iter().map(String::as_str).collect();
    header_positions(&header, &ignore, path)?;
    let is_feature = |name: &str| {
        !id_cols.contains(&name)
            && !ignore.contains(&name)
            && !WIDE_METADATA_NAMES.contains(&name)
            && !WIDE_METADATA_PREFIXES.iter().any(|p| name.starts_with(p))
    };
    let feature_cols: Vec<usize> = (0..header.len())
        .filter(|&c| is_feature(&header[c]))
        .collect();

    let mut t = LongTable {
        source: path.to_path_buf(),
        ..LongTable::default()
    };
    t.features = feature_cols.iter().map(|&c| header[c].clone()).collect();
    let (mut ci, mut ri) = (Interner::default(), Interner::default());
    let mut rater_names: Vec<String> = Vec::new();
    let mut rec = Vec::new();
    while let Some(r) = reader.next_record(&mut rec) {
        let line = r.map_err(csv_err)?;
        if rec.len() != header.len() {
            return Err(TableError::Csv {
                path: path.to_path_buf(),
                line,
                message: format!("{} fields, header has {}", rec.len(), header.len()),
            });
        }
        for (p, name) in pos.iter().zip(&id_cols) {
            if rec[*p].trim().is_empty() {
                return Err(TableError::BadValue {
                    path: path.to_path_buf(),
                    line,
                    column: name.to_string(),
                    value: String::new(),
                    expected: "a non-empty identifier".to_string(),
                });
            }
        }
        let case = ci.get(&mut t.cases, rec[pos[0]].trim());
        let p = rec[pos[1]].trim().to_string();
        let rep = pos
            .get(2)
            .map_or("0".to_string(), |&c| rec[c].trim().to_string());
        let key = format!("{p}\u{1f}{rep}");
        let before = rater_names.len();
        let rater = ri.get(&mut rater_names, &key);
        if rater_names.len() > before {
            t.raters.push((p, rep));
        }
        for (f, &c) in feature_cols.iter().enumerate() {
            let value = parse_finite(&rec[c], path, line, &header[c])?;
            t.records.push(LongRecord {
                case,
                rater,
                feature: f as u32,
                value,
                line: line as u32,
            });
        }
    }
    if t.records.is_empty() {
        return Err(TableError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(t)
}

/// What to do with missing cells (empty, `NA`, `N/A`, `NaN`, `null`) in feature columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPolicy {
    /// Stop at the first missing cell, naming file, line and column.
    Error,
    /// Drop rows where every feature is missing, then columns with any missing cell.
    Drop,
    /// Drop every row with a missing feature cell.
    DropRows,
    /// Drop every column with a missing cell.
    DropColumns,
}

/// How to read a wide feature table for modelling.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTableSpec {
    /// The identifier column (kept as text); `None` = rows are numbered.
    pub id_col: Option<String>,
    /// Numeric non-feature columns (outcome, time, event, fold), returned separately.
    pub numeric_cols: Vec<String>,
    /// Text non-feature columns returned separately (e.g. a cohort column).
    pub text_cols: Vec<String>,
    /// Columns to skip: exact names, or prefixes ending in `*`.
    pub ignore: Vec<String>,
    /// Missing-cell policy for feature columns.
    pub missing: MissingPolicy,
}

/// A wide feature table read for modelling.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// The file it came from.
    pub source: PathBuf,
    /// Row identifiers (`row<line>` when the id column is absent or empty).
    pub ids: Vec<String>,
    /// File line of each row (1 = header).
    pub lines: Vec<usize>,
    /// Feature names (headers trimmed).
    pub names: Vec<String>,
    /// `n x p` feature values, finite.
    pub x: ndarray::Array2<f64>,
    /// The requested numeric columns, by name, aligned with the rows.
    pub numeric: std::collections::BTreeMap<String, Vec<f64>>,
    /// The requested text columns, by name (trimmed), aligned with the rows.
    pub text: std::collections::BTreeMap<String, Vec<String>>,
    /// What was dropped and why, for the report.
    pub notes: Vec<String>,
}

/// Whether a cell marks a missing value: empty, `NA`, `N/A`, `NaN` or `null` (any case).
fn is_missing(cell: &str) -> bool {
    let c = cell.trim();
    c.is_empty()
        || ["na", "n/a", "nan", "null"]
            .iter()
            .any(|m| c.eq_ignore_ascii_case(m))
}

/// Reads a wide feature table (see [`parse_feature_table`]).
///
/// # Errors
/// [`TableError::Read`] and everything [`parse_feature_table`] returns.
pub fn read_feature_table(
    path: &Path,
    spec: &FeatureTableSpec,
) -> Result<FeatureTable, TableError> {
    parse_feature_table(&read_text(path)?, path, spec)
}

/// Parses a wide feature table: header names are trimmed (a warning names any that had
/// stray spaces), fully empty records are skipped with a warning, the id, numeric and
/// text columns named in `spec` are taken out, ignored columns are skipped, and every
/// other column must be numeric. Missing cells follow `spec.missing`.
///
/// # Errors
/// [`TableError::MissingColumn`] for a named column that is absent;
/// [`TableError::Csv`] for a ragged row; [`TableError::BadValue`] naming file, line and
/// column for text in a feature column (hint: `--ignore`), a missing numeric outcome
/// cell, or a missing feature cell under [`MissingPolicy::Error`] (hint: `--missing`);
/// [`TableError::Empty`] when no row or no feature column is left.
pub fn parse_feature_table(
    text: &str,
    path: &Path,
    spec: &FeatureTableSpec,
) -> Result<FeatureTable, TableError> {
    let (mut reader, raw_header) = open_csv(text, path)?;
    let header: Vec<String> = raw_header.iter().map(|h| h.trim().to_string()).collect();
    for (raw, h) in raw_header.iter().zip(&header) {
        if raw != h {
            tracing::warn!(
                "{}: header {raw:?} has stray spaces; read as {h:?}",
                path.display()
            );
        }
    }
    let named = |list: &[String]| -> Result<Vec<usize>, TableError> {
        let wanted: Vec<&str> = list.iter().map(String::as_str).collect();
        header_positions(&header, &wanted, path)
    };
    let id_pos = match &spec.id_col {
        Some(c) => Some(named(std::slice::from_ref(c))?[0]),
        None => None,
    };
    let num_pos = named(&spec.numeric_cols)?;
    let text_pos = named(&spec.text_cols)?;
    let ignored = |h: &str| {
        spec.ignore.iter().any(|g| match g.strip_suffix('*') {
            Some(prefix) => h.starts_with(prefix),
            None => h == g,
        })
    };
    let feat_pos: Vec<usize> = (0..header.len())
        .filter(|&c| {
            Some(c) != id_pos
                && !num_pos.contains(&c)
                && !text_pos.contains(&c)
                && !ignored(&header[c])
        })
        .collect();

    // Pass 1: cells, with missing cells as NaN.
    let mut ids = Vec::new();
    let mut lines = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut numeric: Vec<Vec<f64>> = vec![Vec::new(); num_pos.len()];
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); text_pos.len()];
    let mut notes = Vec::new();
    let mut rec = Vec::new();
    while let Some(r) = reader.next_record(&mut rec) {
        let line = r.map_err(|e| csv_error(path, e))?;
        if rec.iter().all(|c| c.trim().is_empty()) {
            tracing::warn!("{}, line {line}: empty row skipped", path.display());
            notes.push(format!("line {line}: empty row skipped"));
            continue;
        }
        if rec.len() != header.len() {
            return Err(TableError::Csv {
                path: path.to_path_buf(),
                line,
                message: format!("{} fields, header has {}", rec.len(), header.len()),
            });
        }
        let id = id_pos
            .map(|c| rec[c].trim().to_string())
            .unwrap_or_default();
        ids.push(if id.is_empty() {
            format!("row{line}")
        } else {
            id
        });
        lines.push(line);
        for (k, &c) in num_pos.iter().enumerate() {
            numeric[k].push(parse_finite(&rec[c], path, line, &header[c])?);
        }
        for (k, &c) in text_pos.iter().enumerate() {
            texts[k].push(rec[c].trim().to_string());
        }
        let mut row = Vec::with_capacity(feat_pos.len());
        for &c in &feat_pos {
            let cell = &rec[c];
            if is_missing(cell) {
                if spec.missing == MissingPolicy::Error {
                    return Err(TableError::BadValue {
                        path: path.to_path_buf(),
                        line,
                        column: header[c].clone(),
                        value: cell.clone(),
                        expected: "a number (missing cell; use --missing drop, drop-rows or \
                                   drop-columns, or --ignore the column)"
                            .to_string(),
                    });
                }
                row.push(f64::NAN);
                continue;
            }
            match cell.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => row.push(v),
                _ => {
                    return Err(TableError::BadValue {
                        path: path.to_path_buf(),
                        line,
                        column: header[c].clone(),
                        value: cell.chars().take(60).collect(),
                        expected: "a finite number (a text column must be listed with \
                                   --ignore)"
                            .to_string(),
                    })
                }
            }
        }
        values.push(row);
    }

    // Pass 2: the missing-cell policy.
    let p = feat_pos.len();
    let mut keep_row = vec![true; values.len()];
    let mut keep_col = vec![true; p];
    let row_missing = |row: &Vec<f64>| row.iter().filter(|v| v.is_nan()).count();
    match spec.missing {
        MissingPolicy::Error => {}
        MissingPolicy::DropRows => {
            for (i, row) in values.iter().enumerate() {
                if row_missing(row) > 0 {
                    keep_row[i] = false;
                }
            }
        }
        MissingPolicy::DropColumns => {}
        MissingPolicy::Drop => {
            for (i, row) in values.iter().enumerate() {
                if p > 0 && row_missing(row) == p {
                    keep_row[i] = false;
                }
            }
        }
    }
    for (i, k) in keep_row.iter().enumerate() {
        if !k {
            let msg = format!(
                "line {}: row {:?} dropped ({} missing feature cells)",
                lines[i],
                ids[i],
                row_missing(&values[i])
            );
            tracing::warn!("{}: {msg}", path.display());
            notes.push(msg);
        }
    }
    if matches!(
        spec.missing,
        MissingPolicy::Drop | MissingPolicy::DropColumns
    ) {
        for (j, k) in keep_col.iter_mut().enumerate() {
            let miss = (0..values.len())
                .filter(|&i| keep_row[i] && values[i][j].is_nan())
                .count();
            if miss > 0 {
                *k = false;
                let msg = format!(
                    "column {:?} dropped ({miss} missing cells)",
                    header[feat_pos[j]]
                );
                tracing::warn!("{}: {msg}", path.display());
                notes.push(msg);
            }
        }
    }

    let rows: Vec<usize> = (0..values.len()).filter(|&i| keep_row[i]).collect();
    let cols: Vec<usize> = (0..p).filter(|&j| keep_col[j]).collect();
    if rows.is_empty() || cols.is_empty() {
        return Err(TableError::Empty {
            path: path.to_path_buf(),
        });
    }
    let x =
        ndarray::Array2::from_shape_fn((rows.len(), cols.len()), |(i, j)| values[rows[i]][cols[j]]);
    let pick = |v: &Vec<f64>| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    Ok(FeatureTable {
        source: path.to_path_buf(),
        ids: rows.iter().map(|&i| ids[i].clone()).collect(),
        lines: rows.iter().map(|&i| lines[i]).collect(),
        names: cols.iter().map(|&j| header[feat_pos[j]].clone()).collect(),
        x,
        numeric: spec
            .numeric_cols
            .iter()
            .zip(&numeric)
            .map(|(n, v)| (n.trim().to_string(), pick(v)))
            .collect(),
        text: spec
            .text_cols
            .iter()
            .zip(&texts)
            .map(|(n, v)| {
                (
                    n.trim().to_string(),
                    rows.iter().map(|&i| v[i].clone()).collect(),
                )
            })
            .collect(),
        notes,
    })
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

    #[cfg(unix)]
    #[test]
    fn write_atomic_writes_a_pipe_in_place() {
        // A named pipe stands in for /dev/null: renaming over a device (as root) would
        // turn it into a regular file.
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the pipe was replaced by a file");
    }

    #[test]
    fn fmt_num_spells_non_finite() {
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(3.095_876_765_286_9e-193), "3.095876765e-193");
        assert_eq!(fmt_num(2.5e20), "2.5e20");
        assert_eq!(fmt_num(0.000_001), "0.000001");
        assert_eq!("3.095876765e-193".parse::<f64>().unwrap(), 3.095876765e-193);
    }

    #[test]
    fn write_atomic_replaces_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub").join("t.csv");
        write_atomic(&p, b"a,b\n1,2\n").expect("first write");
        write_atomic(&p, b"x\n").expect("second write");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "x\n");
        let leftovers = std::fs::read_dir(p.parent().expect("parent"))
            .expect("dir")
            .count();
        assert_eq!(leftovers, 1, "no temporary file may remain");
    }
    #[test]
    fn parse_long_interns_ids_as_text() {
        let text = "case_id,perturbation,replicate,feature,value\n\
                    007,none,0,glcm.a,1.5\n\
                    007,noise,1,glcm.a,1.25\n\
                    \"0,8\",none,0,glcm.a,2\r\n";
        let t = parse_long(text, Path::new("t.csv")).expect("parse");
        assert_eq!(t.cases, vec!["007", "0,8"]);
        assert_eq!(t.raters.len(), 2);
        assert_eq!(t.records[2].value, 2.0);
        assert_eq!(t.records[2].line, 4);
        let again = parse_long(&long_to_csv(&t), Path::new("t.csv")).expect("round trip");
        assert_eq!(again.records, t.records);
    }

    #[test]
    fn parse_long_rejects_nan_and_empty_with_position() {
        for bad in ["NaN", "", "inf", "x"] {
            let text = format!(
                "case_id,perturbation,replicate,feature,value\na,none,0,f,1\nb,none,0,f,{bad}\n"
            );
            let err = parse_long(&text, Path::new("long.csv")).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("long.csv") && msg.contains("line 3"), "{msg}");
            assert!(msg.contains("\"value\""), "{msg}");
        }
    }

    #[test]
    fn parse_long_rejects_missing_column_and_ragged_row() {
        let err = parse_long("case_id,feature,value\na,f,1\n", Path::new("x.csv")).unwrap_err();
        assert!(matches!(err, TableError::MissingColumn { .. }), "{err}");
        let text = "case_id,perturbation,replicate,feature,value\na,none,0,f\n";
        let err = parse_long(text, Path::new("x.csv")).unwrap_err();
        assert!(matches!(err, TableError::Csv { line: 2, .. }), "{err}");
    }

    #[test]
    fn wide_to_long_skips_metadata_and_reshapes() {
        let text = "Image,Mask,diagnostics_Versions_PyRadiomics,case,reader,\
                    original_firstorder_Mean,original_glcm_Contrast\n\
                    a.nrrd,a_m.nrrd,v3,p1,r1,10,0.5\n\
                    a.nrrd,a_m.nrrd,v3,p1,r2,11,0.75\n";
        let spec = WideImport {
            case_col: "case".into(),
            rater_col: "reader".into(),
            replicate_col: None,
            ignore: vec![],
        };
        let t = wide_to_long(text, Path::new("w.csv"), &spec).expect("reshape");
        assert_eq!(
            t.features,
            vec!["original_firstorder_Mean", "original_glcm_Contrast"]
        );
        assert_eq!(
            t.raters,
            vec![("r1".into(), "0".into()), ("r2".into(), "0".into())]
        );
        assert_eq!(t.records.len(), 4);
        assert_eq!(t.records[3].value, 0.75);
    }

    fn spec(missing: MissingPolicy) -> FeatureTableSpec {
        FeatureTableSpec {
            id_col: Some("id".into()),
            numeric_cols: vec!["y".into()],
            text_cols: vec![],
            ignore: vec!["info_*".into()],
            missing,
        }
    }

    #[test]
    fn feature_table_trims_headers_skips_empty_rows_and_ignores_text() {
        let text = " id ,y, f1 ,info_a,f2\n a,1,0.5,\"x, y\",2\n,,,,\nb,0,1.5,z,NA\n c,1,2,w,3\n";
        let t = parse_feature_table(text, Path::new("t.csv"), &spec(MissingPolicy::Drop)).unwrap();
        assert_eq!(t.names, vec!["f1"]);
        assert_eq!(t.ids, vec!["a", "b", "c"]);
        assert_eq!(t.numeric["y"], vec![1.0, 0.0, 1.0]);
        assert!(t.notes.iter().any(|n| n.contains("empty row")));
        assert!(t.notes.iter().any(|n| n.contains("\"f2\" dropped")));
    }

    #[test]
    fn feature_table_errors_name_file_line_and_column() {
        let text = "id,y,f1,f2\na,1,0.5,2\nb,0,,3\n";
        let err =
            parse_feature_table(text, Path::new("h.csv"), &spec(MissingPolicy::Error)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("h.csv") && msg.contains("line 3") && msg.contains("\"f1\""),
            "{msg}"
        );
        assert!(msg.contains("--missing"), "{msg}");
        let text = "id,y,f1,f2\na,1,0.5,abc\n";
        let err =
            parse_feature_table(text, Path::new("h.csv"), &spec(MissingPolicy::Drop)).unwrap_err();
        assert!(err.to_string().contains("--ignore"), "{err}");
        let text = "id,y,f1\na,,0.5\n";
        let err =
            parse_feature_table(text, Path::new("h.csv"), &spec(MissingPolicy::Drop)).unwrap_err();
        assert!(err.to_string().contains("\"y\""), "{err}");
    }
}
