//! Consistency of feature tables: ours against a reference (another extractor, an earlier
//! version, the IBSI reference values or PyRadiomics' baseline), feature by feature with
//! per-feature tolerances. The rules are `../shared/DESIGN.md`, "compare keys" and
//! "compare tolerance".
//!
//! # Layouts read
//! - *wide*: one row per case, `case_id` (else the first column) then feature columns;
//!   columns named `diagnostics_*`, `Image` or `Mask` (PyRadiomics batch output) and cells
//!   that are not numbers in a column of numbers are reported, not compared.
//! - *PyRadiomics baseline*: header `featureName,<test>,...`, one row per feature, one
//!   column per test (case); `diagnostics_*` rows are skipped.
//! - *IBSI reference*: `family,feature,ibsi_code,config,value,tolerance,...,aggregation,
//!   ...,ibsi_tag`; a feature is our canonical name for (tag, aggregation) from the
//!   feature registries (`stat.mean`, `glcm.joint_max.3d_avg`), else `<ibsi_tag>` or
//!   `<ibsi_tag>|<aggregation>` as written; the row's tolerance is its own, and it applies
//!   to every case of ours.
//!
//! PyRadiomics names are compared as written: `radaudit extract --names pyradiomics` writes
//! them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::table::{fmt_num, read_records, TableError};

/// Errors reading or comparing tables.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The file could not be read as CSV.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The file is CSV but not a feature table of a known layout, or a value is bad.
    #[error("{}: {reason}", path.display())]
    Layout {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// How close a value must be to its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// `|ours - ref| <= a`.
    Abs(f64),
    /// `|ours - ref| <= r |ref|` (absolute 1e-12 when `ref = 0`).
    Rel(f64),
    /// Half a unit in the `d`-th significant digit of `ref`.
    Sig(u32),
}

impl Tolerance {
    /// The allowed absolute difference for reference value `r`.
    pub fn allowed(self, r: f64) -> f64 {
        match self {
            Tolerance::Abs(a) => a,
            Tolerance::Rel(_) if r == 0.0 => 1e-12,
            Tolerance::Rel(q) => q * r.abs(),
            Tolerance::Sig(_) if r == 0.0 => 1e-12,
            Tolerance::Sig(d) => {
                let e = r.abs().log10().floor();
                0.5 * 10f64.powf(e - (d as f64 - 1.0))
            }
        }
    }

    fn describe(self) -> String {
        match self {
            Tolerance::Abs(a) => format!("abs {}", fmt_num(a)),
            Tolerance::Rel(q) => format!("rel {}", fmt_num(q)),
            Tolerance::Sig(d) => format!("sig {d}"),
        }
    }
}

/// A feature table: values by (case, feature); reference tables may carry tolerances.
/// Case `*` applies to every case of the other table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureTable {
    /// `(case, feature) -> (value, own tolerance)`.
    pub values: BTreeMap<(String, String), (f64, Option<Tolerance>)>,
}

fn layout_err(path: &Path, reason: impl Into<String>) -> CompareError {
    CompareError::Layout {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Parses a tolerance: a finite number `>= 0`; else why not (`nan`, `inf`, values that
/// overflow to infinity and negative numbers are refused: a tolerance of infinity or NaN
/// would pass or fail every feature silently).
fn tolerance_value(cell: &str) -> Result<f64, &'static str> {
    let v: f64 = cell
        .parse()
        .map_err(|_| "is not a number; expected a finite number >= 0")?;
    if !v.is_finite() {
        return Err("is not finite; expected a finite number >= 0");
    }
    if v < 0.0 {
        return Err("is negative; expected a finite number >= 0");
    }
    Ok(v)
}

/// Parses a cell: a number, `nan` (any case) as NaN, else `None`.
fn number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    if t.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// Reads a feature table of any layout in the module docs; `config` picks one
/// configuration of an IBSI reference file (required when it holds several).
///
/// # Errors
/// [`CompareError`] for unreadable files, an unknown layout, an IBSI file with several
/// configurations and none picked, or a bad tolerance.
pub fn read_table(path: &Path, config: Option<&str>) -> Result<FeatureTable, CompareError> {
    let (header, records) = read_records(path)?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut t = FeatureTable::default();

    if header.first().map(String::as_str) == Some("featureName") {
        // PyRadiomics baseline: features as rows, tests as columns.
        for (_, rec) in &records {
            let Some(feature) = rec.first() else { continue };
            if feature.starts_with("diagnostics_") {
                continue;
            }
            for (case, cell) in header.iter().zip(rec).skip(1) {
                if let Some(v) = number(cell) {
                    t.values.insert((case.clone(), feature.clone()), (v, None));
                }
            }
        }
        return Ok(t);
    }

    if let (Some(tag), Some(value), Some(cfg)) = (col("ibsi_tag"), col("value"), col("config")) {
        let tol = col("tolerance");
        let agg = col("aggregation");
        let mut configs: Vec<&str> = records.iter().map(|(_, r)| r[cfg].as_str()).collect();
        configs.sort_unstable();
        configs.dedup();
        let chosen = match config {
            Some(c) if configs.contains(&c) => c.to_string(),
            Some(c) => {
                return Err(layout_err(
                    path,
                    format!("no configuration {c:?}; present: {configs:?}"),
                ))
            }
            None if configs.len() == 1 => configs[0].to_string(),
            None => {
                return Err(layout_err(
                    path,
                    format!("holds configurations {configs:?}; pick one with --reference-config"),
                ))
            }
        };
        for (line, rec) in records.iter().filter(|(_, r)| r[cfg] == chosen) {
            let Some(v) = number(&rec[value]) else {
                continue;
            };
            let a = agg.map(|i| rec[i].trim()).unwrap_or("");
            let feature = canonical_name(&rec[tag], a).unwrap_or_else(|| {
                if a.is_empty() {
                    rec[tag].clone()
                } else {
                    format!("{}|{a}", rec[tag])
                }
            });
            let own = match tol.map(|i| rec[i].trim()).filter(|s| !s.is_empty()) {
                Some(s) => Some(Tolerance::Abs(tolerance_value(s).map_err(|why| {
                    layout_err(path, format!("line {line}: tolerance {s:?} {why}"))
                })?)),
                None => None,
            };
            t.values.insert(("*".to_string(), feature), (v, own));
        }
        return Ok(t);
    }

    // Wide: one row per case.
    let id = col("case_id").unwrap_or(0);
    let skip = |h: &str| h.starts_with("diagnostics_") || h == "Image" || h == "Mask";
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // Per column: cells that are not numbers (count, first line, first cell).
    let mut text: BTreeMap<usize, (usize, usize, String)> = BTreeMap::new();
    for (line, rec) in &records {
        let case = rec.get(id).cloned().unwrap_or_default();
        if case.is_empty() {
            return Err(layout_err(path, format!("line {line}: empty case id")));
        }
        if let Some(first) = seen.insert(case.clone(), *line) {
            return Err(layout_err(
                path,
                format!("line {line}: case {case:?} again (first on line {first})"),
            ));
        }
        for (j, (h, cell)) in header.iter().zip(rec).enumerate() {
            if j == id || skip(h) {
                continue;
            }
            match number(cell) {
                Some(v) => {
                    t.values.insert((case.clone(), h.clone()), (v, None));
                }
                None if !cell.trim().is_empty() => {
                    text.entry(j).or_insert((0, *line, cell.clone())).0 += 1;
                }
                None => {}
            }
        }
    }

    // Text in a column is reported once per column, with where it starts.
    for (j, (count, line, cell)) in text {
        tracing::warn!(
            "{}: column {:?}: {count} cell(s) not a number, first {cell:?} on line {line}; \
             not compared",
            path.display(),
            header[j]
        );
    }
    Ok(t)
}

/// Our canonical name of IBSI feature `tag` under `aggregation` (empty for the families
/// without one): the registry's entry, or for texture `<family>.<feature>.<aggregation>`
/// with the tag's dots after the family prefix turned into underscores.
pub fn canonical_name(tag: &str, aggregation: &str) -> Option<String> {
    use crate::features::registry;
    use crate::features::texture::{Aggregation, Family};

    if aggregation.is_empty() {
        return registry::by_ibsi_tag(tag).map(|e| e.name.to_string());
    }
    let (prefix, rest) = tag.split_once('.')?;
    let family = match prefix {
        "cm" => Family::Glcm,
        "rlm" => Family::Glrlm,
        "szm" => Family::Glszm,
        "dzm" => Family::Gldzm,
        "ngt" => Family::Ngtdm,
        "ngl" => Family::Ngldm,
        _ => return None,
    };
    let agg = [
        Aggregation::DIRECTIONAL.as_slice(),
        Aggregation::FREE.as_slice(),
    ]
    .concat()
    .into_iter()
    .find(|a| a.reference_label() == aggregation)?;
    let feature = rest.replace('.', "_");
    family
        .table()
        .iter()
        .any(|i| i.name == feature)
        .then(|| format!("{}.{feature}.{}", family.name(), agg.tag()))
}

/// Tolerance rules from a file `pattern,kind,value`: a feature name, a family `glcm.*` or
/// `*`; kind `abs`, `rel` or `sig`. The most specific pattern wins (exact, then the longest
/// prefix pattern, then `*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToleranceRules {
    rules: Vec<(String, Tolerance)>,
}

impl ToleranceRules {
    /// Reads the rules file.
    ///
    /// # Errors
    /// [`CompareError`] for an unreadable file, missing columns, an unknown kind or a
    /// value that is not a number >= 0 (or, for `sig`, an integer >= 1).
    pub fn read(path: &Path) -> Result<Self, CompareError> {
        let (header, records) = read_records(path)?;
        let want = ["pattern", "kind", "value"];
        if header.iter().map(String::as_str).ne(want) {
            return Err(layout_err(
                path,
                format!("header {header:?}; expected {want:?}"),
            ));
        }
        let mut rules = Vec::new();
        for (line, rec) in records {
            let bad = |what: String| layout_err(path, format!("line {line}: {what}"));
            if rec.len() != 3 {
                return Err(bad(format!(
                    "{} field(s); expected 3 (pattern,kind,value)",
                    rec.len()
                )));
            }
            let pattern = rec[0].trim();
            if pattern.is_empty() {
                return Err(bad(
                    "empty pattern; expected a feature name, a prefix like glcm.* or *".into(),
                ));
            }
            let cell = rec[2].trim();
            let v = tolerance_value(cell).map_err(|why| bad(format!("value {cell:?} {why}")))?;
            let tol = match rec[1].trim() {
                "abs" => Tolerance::Abs(v),
                "rel" => Tolerance::Rel(v),
                "sig" if (1.0..=17.0).contains(&v) && v.fract() == 0.0 => Tolerance::Sig(v as u32),
                "sig" => {
                    return Err(bad(format!(
                        "sig {cell}; expected a whole number of significant digits in 1..=17"
                    )))
                }
                k => return Err(bad(format!("kind {k:?}; expected abs, rel or sig"))),
            };
            rules.push((pattern.to_string(), tol));
        }
        Ok(Self { rules })
    }

    /// The rule for `feature`, if any matches.
    pub fn lookup(&self, feature: &str) -> Option<Tolerance> {
        let mut best: Option<(usize, Tolerance)> = None;
        for (pattern, tol) in &self.rules {
            let score = if pattern == feature {
                usize::MAX
            } else if let Some(prefix) = pattern.strip_suffix('*') {
                if !feature.starts_with(prefix) {
                    continue;
                }
                prefix.len()
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, *tol));
            }
        }
        best.map(|(_, t)| t)
    }
}

/// What a compared feature came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Within tolerance (or both NaN).
    Match,
    /// Outside tolerance, or NaN on one side only.
    Drift,
    /// In the reference, not in ours.
    Missing,
    /// In ours only (listed, not counted).
    Extra,
}

impl Status {
    /// Lower-case name as written in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Drift => "drift",
            Status::Missing => "missing",
            Status::Extra => "extra",
        }
    }
}

/// One compared (case, feature).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Case id.
    pub case: String,
    /// Feature name.
    pub feature: String,
    /// Our value.
    pub ours: Option<f64>,
    /// The reference value.
    pub reference: Option<f64>,
    /// The tolerance applied, described (`abs 0.01`, `sig 3`).
    pub tolerance: String,
    /// Outcome.
    pub status: Status,
}

/// Compares `ours` with `reference` (see the module docs and DESIGN.md): the reference's
/// own tolerance, else `rules`, else 3 significant digits.
pub fn compare(ours: &FeatureTable, reference: &FeatureTable, rules: &ToleranceRules) -> Vec<Row> {
    let our_cases: Vec<&String> = {
        let mut c: Vec<&String> = ours.values.keys().map(|(c, _)| c).collect();
        c.dedup();
        c
    };
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for ((case, feature), &(r, own)) in &reference.values {
        let cases: Vec<&String> = if case == "*" {
            our_cases.clone()
        } else {
            vec![case]
        };
        for c in cases {
            let key = (c.clone(), feature.clone());
            seen.insert(key.clone());
            let tol = own
                .or_else(|| rules.lookup(feature))
                .unwrap_or(Tolerance::Sig(3));
            let (ours_v, status) = match ours.values.get(&key) {
                None => (None, Status::Missing),
                Some(&(o, _)) => {
                    let ok = (o.is_nan() && r.is_nan()) || (o - r).abs() <= tol.allowed(r);
                    (Some(o), if ok { Status::Match } else { Status::Drift })
                }
            };
            rows.push(Row {
                case: c.clone(),
                feature: feature.clone(),
                ours: ours_v,
                reference: Some(r),
                tolerance: tol.describe(),
                status,
            });
        }
    }
    for ((case, feature), &(o, _)) in &ours.values {
        if !seen.contains(&(case.clone(), feature.clone())) {
            rows.push(Row {
                case: case.clone(),
                feature: feature.clone(),
                ours: Some(o),
                reference: None,
                tolerance: String::new(),
                status: Status::Extra,
            });
        }
    }
    rows
}

/// The comparison as CSV: `case,feature,ours,reference,difference,tolerance,status`.
pub fn to_csv(rows: &[Row]) -> String {
    let f = |v: Option<f64>| v.map(fmt_num).unwrap_or_default();
    let mut out = String::from("case,feature,ours,reference,difference,tolerance,status\n");
    for r in rows {
        let diff = match (r.ours, r.reference) {
            (Some(o), Some(x)) => Some(o - x),
            _ => None,
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            crate::table::csv_field(&r.case),
            crate::table::csv_field(&r.feature),
            f(r.ours),
            f(r.reference),
            f(diff),
            r.tolerance,
            r.status.as_str()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits_is_half_a_unit_in_the_third() {
        // 556 -> +-0.5; 0.0123 -> +-0.00005; 3.58e5 -> +-500.
        assert!((Tolerance::Sig(3).allowed(556.0) - 0.5).abs() < 1e-12);
        assert!((Tolerance::Sig(3).allowed(0.0123) - 5e-5).abs() < 1e-15);
        assert!((Tolerance::Sig(3).allowed(-3.58e5) - 500.0).abs() < 1e-9);
        assert_eq!(Tolerance::Rel(0.03).allowed(0.0), 1e-12);
    }

    #[test]
    fn most_specific_rule_wins() {
        let rules = ToleranceRules {
            rules: vec![
                ("*".into(), Tolerance::Sig(2)),
                ("glcm.*".into(), Tolerance::Rel(0.01)),
                ("glcm.joint_max.3d_avg".into(), Tolerance::Abs(0.5)),
            ],
        };
        assert_eq!(
            rules.lookup("glcm.joint_max.3d_avg"),
            Some(Tolerance::Abs(0.5))
        );
        assert_eq!(
            rules.lookup("glcm.contrast.3d_avg"),
            Some(Tolerance::Rel(0.01))
        );
        assert_eq!(rules.lookup("stat.mean"), Some(Tolerance::Sig(2)));
    }
}
