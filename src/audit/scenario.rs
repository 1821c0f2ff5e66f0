//! The scenario file: one published claim, its design, the assumptions that stand in for
//! what the paper does not report, and the sources of every value (AUDIT.md, "Scenario
//! file").
//!
//! Parsing is strict: an unknown metric, a value outside [0, 1], events above n or a
//! missing required key is an error naming the file and the key. Keys of `[design]` may
//! instead appear in `[assumptions]` as a numeric range `[low, high]` or, for enums and
//! booleans, a list of values to try; the first listed value is the one the headline
//! verdict uses for lists, the midpoint for ranges.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// What the claim measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Area under the ROC curve (binary outcome).
    Auc,
    /// Harrell's concordance index (time-to-event outcome).
    CIndex,
    /// Proportion correctly classified.
    Accuracy,
    /// A sensitivity and specificity pair.
    SensitivitySpecificity,
    /// No figure reported (e.g. "no added value").
    None,
}

impl Metric {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "auc" => Self::Auc,
            "c-index" => Self::CIndex,
            "accuracy" => Self::Accuracy,
            "sensitivity-specificity" => Self::SensitivitySpecificity,
            "none" => Self::None,
            _ => return None,
        })
    }

    /// The name used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auc => "auc",
            Self::CIndex => "c-index",
            Self::Accuracy => "accuracy",
            Self::SensitivitySpecificity => "sensitivity-specificity",
            Self::None => "none",
        }
    }
}

/// The cohort the claimed value was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    Training,
    Validation,
    Test,
    External,
}

impl Cohort {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "training" => Self::Training,
            "validation" => Self::Validation,
            "test" => Self::Test,
            "external" => Self::External,
            _ => return None,
        })
    }

    /// The name used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Training => "training",
            Self::Validation => "validation",
            Self::Test => "test",
            Self::External => "external",
        }
    }
}

/// Whether the paper claims a working model or the absence of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Positive,
    Negative,
}

/// The claimed figure: one value, or a sensitivity/specificity pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClaimValue {
    Single(f64),
    Pair(f64, f64),
}

/// The `[study]` table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Study {
    pub id: String,
    pub title: String,
    pub citation: String,
    pub modality: String,
    pub outcome: String,
}

/// The `[claim]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub id: String,
    pub metric: Metric,
    pub value: ClaimValue,
    /// Reported 95% interval of the claimed value.
    pub ci: Option<(f64, f64)>,
    /// Reported standard deviation (claims reported as mean +/- sd).
    pub sd: Option<f64>,
    pub cohort: Cohort,
    pub direction: Direction,
    /// The comparator's value (clinical model, TNM), when reported.
    pub baseline: Option<f64>,
    /// Free text: how the figure was read from the paper.
    pub note: String,
}

/// The kind of value a design key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    Fraction,
    Bool,
    Enum(&'static [&'static str]),
    /// Informational (shown in the report, not used by the checks): text or number.
    Info,
}

/// Allowed values of `selection`.
pub const SELECTIONS: &[&str] = &["univariate", "lasso", "mrmr", "none", "unknown"];
/// Allowed values of `model`.
pub const MODELS: &[&str] = &["logistic", "cox", "random-forest", "svm", "deep", "unknown"];
/// Allowed values of `validation`.
pub const VALIDATIONS: &[&str] = &[
    "apparent",
    "random-split",
    "cross-validation",
    "bootstrap",
    "temporal",
    "external",
];

/// Every `[design]` key radaudit knows, with its kind and whether it is required.
const DESIGN_KEYS: &[(&str, Kind, bool)] = &[
    ("n_development", Kind::Count, true),
    ("events_development", Kind::Count, false),
    ("prevalence_development", Kind::Fraction, false),
    ("n_validation", Kind::Count, false),
    ("events_validation", Kind::Count, false),
    ("n_lesions", Kind::Count, false),
    ("candidate_features", Kind::Count, true),
    ("selected_features", Kind::Count, true),
    ("selection", Kind::Enum(SELECTIONS), true),
    ("model", Kind::Enum(MODELS), true),
    ("validation", Kind::Enum(VALIDATIONS), true),
    ("selection_inside_validation", Kind::Bool, false),
    ("folds", Kind::Count, false),
    ("preprocessing_before_split", Kind::Bool, false),
    ("models_compared", Kind::Count, false),
    ("feature_correlation", Kind::Fraction, false),
    ("median_followup", Kind::Info, false),
    ("event_rate", Kind::Info, false),
    ("time_horizon", Kind::Info, false),
];

/// A single design value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Bool(bool),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{}", crate::table::fmt_num(*x)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => write!(f, "{s}"),
        }
    }
}

/// How a design key is known: from the paper, or as an assumption to vary.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// Reported (or defaulted) value.
    Fixed(Value),
    /// Assumed numeric range `[low, high]`.
    Range(f64, f64),
    /// Assumed alternatives; the first is the headline's.
    Choices(Vec<Value>),
}

/// A parsed, validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from, as given.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes (hex).
    pub file_hash: String,
    pub study: Study,
    pub claim: Claim,
    /// Every design key, fixed or assumed.
    pub design: BTreeMap<String, Spec>,
    /// `[sources]`: where each value comes from.
    pub sources: BTreeMap<String, String>,
    /// `[thresholds]`: overrides of the audit's default thresholds.
    pub thresholds: BTreeMap<String, f64>,
    /// `[data]`: the study's feature table, when available (checks 7-10).
    pub data: Option<crate::audit::data::DataSpec>,
}

/// A scenario that cannot be audited, with the file and key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {key}: {problem}", file.display())]
pub struct ScenarioError {
    pub file: PathBuf,
    /// The offending key as `table.key` (or `-` for the whole file).
    pub key: String,
    pub problem: String,
}

impl Scenario {
    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// [`ScenarioError`] naming the file and the key: unreadable file, TOML syntax, a
    /// missing required key, a value of the wrong type, a figure outside [0, 1], an
    /// unknown metric/cohort/selection/model/validation, events above n, an inverted range.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        crate::table::note_input(path);
        let bytes = std::fs::read(path).map_err(|e| err(path, "-", format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| err(path, "-", "file is not UTF-8 text".to_string()))?;
        let mut s = Self::from_str(path, &text)?;
        s.file_hash = hex(&Sha256::digest(&bytes));
        Ok(s)
    }

    /// Parses scenario text; `path` is used in error messages only.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, ScenarioError> {
        let root: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(path, "-", syntax_message(&e)))?;
        let p = Parser { path, root: &root };
        for table in root.keys() {
            let known = [
                "study",
                "claim",
                "design",
                "assumptions",
                "sources",
                "thresholds",
                "data",
            ];
            if !known.contains(&table.as_str()) {
                return Err(p.err(
                    table,
                    "unknown table (expected study, claim, design, \
                    assumptions, sources, thresholds, data)",
                ));
            }
        }

        let study = p.study()?;
        let claim = p.claim()?;
        let design = p.design()?;
        let sources = p.string_table("sources")?;
        let thresholds = p.number_table("thresholds")?;
        let data = match p.table("data")? {
            Some(t) => Some(crate::audit::data::DataSpec::parse(path, t)?),
            None => None,
        };
        let s = Scenario {
            path: path.to_path_buf(),
            file_hash: hex(&Sha256::digest(text.as_bytes())),
            study,
            claim,
            design,
            sources,
            thresholds,
            data,
        };
        s.check_consistency()?;
        Ok(s)
    }

    /// The `study--claim` folder name of this scenario's report.
    pub fn slug(&self) -> String {
        format!("{}--{}", self.study.id, self.claim.id)
    }

    /// Keys that are assumed rather than reported, in key order.
    pub fn assumed_keys(&self) -> Vec<&str> {
        self.design
            .iter()
            .filter(|(_, s)| !matches!(s, Spec::Fixed(_)))
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// Cross-key rules: events below n at every corner of the assumptions, selected
    /// features at most the candidates, a validation cohort for validation claims.
    fn check_consistency(&self) -> Result<(), ScenarioError> {
        let e = |key: &str, problem: String| err(&self.path, key, problem);
        let hi = |k: &str| self.design.get(k).map(spec_max);
        let lo = |k: &str| self.design.get(k).map(spec_min);
        if let (Some(ev), Some(n)) = (hi("events_development"), lo("n_development")) {
            if ev.is_some_and(|ev| n.is_some_and(|n| ev >= n)) {
                return Err(e(
                    "design.events_development",
                    format!(
                        "events ({}) must be fewer than n_development ({})",
                        fmt_opt(ev),
                        fmt_opt(n)
                    ),
                ));
            }
        }
        if let (Some(ev), Some(n)) = (hi("events_validation"), lo("n_validation")) {
            if ev.is_some_and(|ev| n.is_some_and(|n| ev >= n)) {
                return Err(e(
                    "design.events_validation",
                    format!(
                        "events ({}) must be fewer than n_validation ({})",
                        fmt_opt(ev),
                        fmt_opt(n)
                    ),
                ));
            }
        }
        if !self.design.contains_key("events_development")
            && !self.design.contains_key("prevalence_development")
            && self.claim.metric != Metric::None
        {
            return Err(e(
                "design.events_development",
                "missing: give events_development or prevalence_development (in [design] \
                 or [assumptions])"
                    .to_string(),
            ));
        }
        if let (Some(Some(k)), Some(Some(p))) = (lo("selected_features"), hi("candidate_features"))
        {
            if k > p {
                return Err(e(
                    "design.selected_features",
                    format!(
                        "selected features ({}) exceed the candidates ({})",
                        fmt_opt(Some(k)),
                        fmt_opt(Some(p))
                    ),
                ));
            }
        }
        if let Some(Some(k)) = lo("selected_features") {
            if k < 1.0 && self.claim.metric != Metric::None {
                return Err(e(
                    "design.selected_features",
                    "must be at least 1".to_string(),
                ));
            }
        }
        if let Some(Some(f)) = lo("folds") {
            if f < 2.0 {
                return Err(e("design.folds", format!("must be at least 2, got {f}")));
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    path: &'a Path,
    root: &'a toml::Table,
}

impl Parser<'_> {
    fn err(&self, key: &str, problem: &str) -> ScenarioError {
        err(self.path, key, problem.to_string())
    }

    fn table(&self, name: &str) -> Result<Option<&toml::Table>, ScenarioError> {
        match self.root.get(name) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(self.err(name, "must be a table")),
        }
    }

    fn required_table(&self, name: &str) -> Result<&toml::Table, ScenarioError> {
        self.table(name)?
            .ok_or_else(|| self.err(name, "missing table"))
    }

    fn string(
        &self,
        t: &toml::Table,
        table: &str,
        key: &str,
    ) -> Result<Option<String>, ScenarioError> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.err(
                &format!("{table}.{key}"),
                &format!("expected a string, found {}", v.type_str()),
            )),
        }
    }

    fn required_string(
        &self,
        t: &toml::Table,
        table: &str,
        key: &str,
    ) -> Result<String, ScenarioError> {
        let s = self
            .string(t, table, key)?
            .ok_or_else(|| self.err(&format!("{table}.{key}"), "missing required key"))?;
        if s.trim().is_empty() {
            return Err(self.err(&format!("{table}.{key}"), "must not be empty"));
        }
        Ok(s)
    }

    fn study(&self) -> Result<Study, ScenarioError> {
        let t = self.required_table("study")?;
        let id = self.required_string(t, "study", "id")?;
        check_slug(self, "study.id", &id)?;
        Ok(Study {
            id,
            title: self.string(t, "study", "title")?.unwrap_or_default(),
            citation: self.string(t, "study", "citation")?.unwrap_or_default(),
            modality: self.string(t, "study", "modality")?.unwrap_or_default(),
            outcome: self.string(t, "study", "outcome")?.unwrap_or_default(),
        })
    }

    fn claim(&self) -> Result<Claim, ScenarioError> {
        let t = self.required_table("claim")?;
        let id = self.required_string(t, "claim", "id")?;
        check_slug(self, "claim.id", &id)?;
        let metric_s = self.required_string(t, "claim", "metric")?;
        let metric = Metric::parse(&metric_s).ok_or_else(|| {
            self.err(
                "claim.metric",
                &format!(
                    "unknown metric {metric_s:?} (expected auc, c-index, accuracy, \
                 sensitivity-specificity or none)"
                ),
            )
        })?;
        let cohort_s = self.required_string(t, "claim", "cohort")?;
        let cohort = Cohort::parse(&cohort_s).ok_or_else(|| {
            self.err(
                "claim.cohort",
                &format!(
                    "unknown cohort {cohort_s:?} (expected training, validation, test or external)"
                ),
            )
        })?;
        let direction = match self.string(t, "claim", "direction")?.as_deref() {
            None | Some("positive") => Direction::Positive,
            Some("negative") => Direction::Negative,
            Some(other) => {
                return Err(self.err(
                    "claim.direction",
                    &format!("unknown direction {other:?} (expected positive or negative)"),
                ))
            }
        };
        let value = self.claim_value(t, metric)?;
        let ci = match t.get("ci") {
            None => None,
            Some(v) => {
                let pair = number_pair(v)
                    .ok_or_else(|| self.err("claim.ci", "expected [lower, upper] numbers"))?;
                check_unit(self, "claim.ci", pair.0)?;
                check_unit(self, "claim.ci", pair.1)?;
                if pair.0 > pair.1 {
                    return Err(self.err(
                        "claim.ci",
                        &format!("lower {} above upper {}", pair.0, pair.1),
                    ));
                }
                Some(pair)
            }
        };
        let sd = match t.get("sd") {
            None => None,
            Some(v) => {
                let x = number(v).ok_or_else(|| self.err("claim.sd", "expected a number"))?;
                if !(x.is_finite() && x >= 0.0) {
                    return Err(self.err("claim.sd", &format!("must be >= 0, got {x}")));
                }
                Some(x)
            }
        };
        let baseline = match t.get("baseline") {
            None => None,
            Some(v) => {
                let x = number(v).ok_or_else(|| self.err("claim.baseline", "expected a number"))?;
                check_unit(self, "claim.baseline", x)?;
                Some(x)
            }
        };
        for key in t.keys() {
            let known = [
                "id",
                "metric",
                "value",
                "ci",
                "sd",
                "cohort",
                "direction",
                "baseline",
                "note",
            ];
            if !known.contains(&key.as_str()) {
                return Err(self.err(&format!("claim.{key}"), "unknown key"));
            }
        }
        Ok(Claim {
            id,
            metric,
            value,
            ci,
            sd,
            cohort,
            direction,
            baseline,
            note: self.string(t, "claim", "note")?.unwrap_or_default(),
        })
    }

    fn claim_value(&self, t: &toml::Table, metric: Metric) -> Result<ClaimValue, ScenarioError> {
        let v = t.get("value");
        match (metric, v) {
            (Metric::None, None) => Ok(ClaimValue::Single(f64::NAN)),
            (_, None) => Err(self.err("claim.value", "missing required key")),
            (Metric::SensitivitySpecificity, Some(v)) => {
                let (a, b) = number_pair(v).ok_or_else(|| {
                    self.err("claim.value", "expected [sensitivity, specificity]")
                })?;
                check_unit(self, "claim.value", a)?;
                check_unit(self, "claim.value", b)?;
                Ok(ClaimValue::Pair(a, b))
            }
            (_, Some(v)) => {
                let x = number(v).ok_or_else(|| {
                    self.err(
                        "claim.value",
                        &format!("expected a number, found {}", v.type_str()),
                    )
                })?;
                check_unit(self, "claim.value", x)?;
                Ok(ClaimValue::Single(x))
            }
        }
    }

    fn design(&self) -> Result<BTreeMap<String, Spec>, ScenarioError> {
        let design = self.required_table("design")?;
        let empty = toml::Table::new();
        let assumptions = self.table("assumptions")?.unwrap_or(&empty);
        for (table, t) in [("design", design), ("assumptions", assumptions)] {
            for key in t.keys() {
                if !DESIGN_KEYS.iter().any(|(k, _, _)| k == key) {
                    return Err(self.err(&format!("{table}.{key}"), "unknown design key"));
                }
            }
        }

        let mut out = BTreeMap::new();
        for &(key, kind, required) in DESIGN_KEYS {
            let fixed = design.get(key);
            let assumed = assumptions.get(key);
            let spec = match (fixed, assumed) {
                (Some(_), Some(_)) => {
                    return Err(self.err(
                        &format!("assumptions.{key}"),
                        "given in both [design] and [assumptions]; keep one",
                    ))
                }
                (Some(v), None) => Spec::Fixed(self.value(&format!("design.{key}"), kind, v)?),
                (None, Some(v)) => self.assumption(&format!("assumptions.{key}"), kind, v)?,
                (None, None) if required => {
                    return Err(self.err(
                        &format!("design.{key}"),
                        "missing required key (give it in [design] or [assumptions])",
                    ))
                }
                (None, None) => continue,
            };
            out.insert(key.to_string(), spec);
        }
        Ok(out)
    }

    fn value(&self, key: &str, kind: Kind, v: &toml::Value) -> Result<Value, ScenarioError> {
        match kind {
            Kind::Bool => match v {
                toml::Value::Boolean(b) => Ok(Value::Bool(*b)),
                _ => Err(self.err(
                    key,
                    &format!("expected true or false, found {}", v.type_str()),
                )),
            },
            Kind::Enum(allowed) => match v {
                toml::Value::String(s) if allowed.contains(&s.as_str()) => {
                    Ok(Value::Text(s.clone()))
                }
                _ => Err(self.err(
                    key,
                    &format!("expected one of {}, found {v}", allowed.join(", ")),
                )),
            },
            Kind::Info => match v {
                toml::Value::String(s) => Ok(Value::Text(s.clone())),
                _ => match number(v) {
                    Some(x) if x.is_finite() => Ok(Value::Num(x)),
                    _ => Err(self.err(key, "expected a number or a text")),
                },
            },
            Kind::Count | Kind::Fraction => {
                let x = number(v).ok_or_else(|| {
                    self.err(key, &format!("expected a number, found {}", v.type_str()))
                })?;
                self.check_number(key, kind, x)?;
                Ok(Value::Num(x))
            }
        }
    }

    fn check_number(&self, key: &str, kind: Kind, x: f64) -> Result<(), ScenarioError> {
        let ok = match kind {
            Kind::Count => x.is_finite() && x >= 0.0 && x.fract() == 0.0,
            Kind::Fraction => (0.0..=1.0).contains(&x),
            _ => true,
        };
        if ok {
            return Ok(());
        }
        let want = match kind {
            Kind::Count => "a whole number >= 0",
            _ => "a number in [0, 1]",
        };
        Err(self.err(key, &format!("expected {want}, got {x}")))
    }

    fn assumption(&self, key: &str, kind: Kind, v: &toml::Value) -> Result<Spec, ScenarioError> {
        let items = match v {
            toml::Value::Array(a) if !a.is_empty() => a,
            _ => {
                return Err(self.err(
                    key,
                    "an assumption is a list: [low, high] for numbers, \
                    the values to try for enums and booleans",
                ))
            }
        };
        match kind {
            Kind::Count | Kind::Fraction => {
                let (lo, hi) = number_pair(v)
                    .ok_or_else(|| self.err(key, "expected a numeric range [low, high]"))?;
                self.check_number(key, kind, lo)?;
                self.check_number(key, kind, hi)?;
                if lo > hi {
                    return Err(self.err(key, &format!("range is inverted: [{lo}, {hi}]")));
                }
                Ok(if lo == hi {
                    Spec::Fixed(Value::Num(lo))
                } else {
                    Spec::Range(lo, hi)
                })
            }
            Kind::Bool | Kind::Enum(_) | Kind::Info => {
                let mut vals = Vec::new();
                for item in items {
                    let val = self.value(key, kind, item)?;
                    if !vals.contains(&val) {
                        vals.push(val);
                    }
                }
                Ok(if vals.len() == 1 {
                    Spec::Fixed(vals.remove(0))
                } else {
                    Spec::Choices(vals)
                })
            }
        }
    }

    fn string_table(&self, name: &str) -> Result<BTreeMap<String, String>, ScenarioError> {
        let mut out = BTreeMap::new();
        if let Some(t) = self.table(name)? {
            for (k, v) in t {
                match v {
                    toml::Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    _ => return Err(self.err(&format!("{name}.{k}"), "expected a string")),
                }
            }
        }
        Ok(out)
    }

    fn number_table(&self, name: &str) -> Result<BTreeMap<String, f64>, ScenarioError> {
        let mut out = BTreeMap::new();
        if let Some(t) = self.table(name)? {
            for (k, v) in t {
                let x = number(v)
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| self.err(&format!("{name}.{k}"), "expected a number"))?;
                out.insert(k.clone(), x);
            }
        }
        Ok(out)
    }
}

fn err(path: &Path, key: &str, problem: String) -> ScenarioError {
    ScenarioError {
        file: path.to_path_buf(),
        key: key.to_string(),
        problem,
    }
}

fn syntax_message(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    format!("TOML syntax error: {msg}")
}

fn check_slug(p: &Parser<'_>, key: &str, id: &str) -> Result<(), ScenarioError> {
    let ok = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.');
    if ok && !id.starts_with('.') {
        Ok(())
    } else {
        Err(p.err(
            key,
            &format!("{id:?} must use a-z, 0-9, '-', '_' or '.' (it names a folder)"),
        ))
    }
}

fn check_unit(p: &Parser<'_>, key: &str, x: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(p.err(key, &format!("{x} is outside [0, 1]")))
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn number_pair(v: &toml::Value) -> Option<(f64, f64)> {
    match v {
        toml::Value::Array(a) if a.len() == 2 => Some((number(&a[0])?, number(&a[1])?)),
        _ => None,
    }
}

fn spec_min(s: &Spec) -> Option<f64> {
    match s {
        Spec::Fixed(Value::Num(x)) => Some(*x),
        Spec::Range(lo, _) => Some(*lo),
        _ => None,
    }
}

fn spec_max(s: &Spec) -> Option<f64> {
    match s {
        Spec::Fixed(Value::Num(x)) => Some(*x),
        Spec::Range(_, hi) => Some(*hi),
        _ => None,
    }
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map(crate::table::fmt_num)
        .unwrap_or_else(|| "?".to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[study]
id = "toy-study"
[claim]
id = "validation-auc"
metric = "auc"
value = 0.84
cohort = "validation"
[design]
n_development = 92
events_development = 40
n_validation = 46
candidate_features = 1500
selected_features = 6
selection = "univariate"
model = "logistic"
validation = "random-split"
[assumptions]
selection_inside_validation = [true, false]
"#;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_str(Path::new("toy.toml"), text)
    }

    #[test]
    fn good_scenario_parses_with_assumption_choices() {
        let s = parse(GOOD).expect("valid scenario");
        assert_eq!(s.slug(), "toy-study--validation-auc");
        assert_eq!(s.claim.value, ClaimValue::Single(0.84));
        assert_eq!(
            s.design["selection_inside_validation"],
            Spec::Choices(vec![Value::Bool(true), Value::Bool(false)])
        );
        assert_eq!(s.assumed_keys(), vec!["selection_inside_validation"]);
    }

    #[test]
    fn missing_required_key_names_it() {
        let text = GOOD.replace("candidate_features = 1500\n", "");
        let e = parse(&text).expect_err("missing key");
        assert_eq!(e.key, "design.candidate_features");
        assert!(e
            .to_string()
            .starts_with("toy.toml: design.candidate_features: missing"));
    }

    #[test]
    fn value_outside_unit_interval_is_rejected() {
        let e = parse(&GOOD.replace("value = 0.84", "value = 1.84")).expect_err("out of range");
        assert_eq!(e.key, "claim.value");
        assert!(e.problem.contains("outside [0, 1]"));
    }

    #[test]
    fn unknown_metric_is_rejected() {
        let e = parse(&GOOD.replace("\"auc\"", "\"f1\"")).expect_err("unknown metric");
        assert_eq!(e.key, "claim.metric");
    }

    #[test]
    fn events_above_n_are_rejected() {
        let e = parse(&GOOD.replace("events_development = 40", "events_development = 140"))
            .expect_err("events > n");
        assert_eq!(e.key, "design.events_development");
    }

    #[test]
    fn events_range_reaching_n_is_rejected() {
        let text =
            GOOD.replace("events_development = 40\n", "") + "events_development = [30, 92]\n";
        let e = parse(&text).expect_err("events range reaches n");
        assert_eq!(e.key, "design.events_development");
    }

    #[test]
    fn inverted_range_is_rejected() {
        let text =
            GOOD.replace("candidate_features = 1500\n", "") + "candidate_features = [1500, 100]\n";
        let e = parse(&text).expect_err("inverted range");
        assert_eq!(e.key, "assumptions.candidate_features");
    }

    #[test]
    fn key_in_both_tables_is_rejected() {
        let text = GOOD.to_string() + "selected_features = [3, 9]\n";
        let e = parse(&text).expect_err("duplicate key");
        assert_eq!(e.key, "assumptions.selected_features");
    }

    #[test]
    fn sensitivity_specificity_needs_a_pair() {
        let text = GOOD.replace("metric = \"auc\"", "metric = \"sensitivity-specificity\"");
        let e = parse(&text).expect_err("single value for a pair metric");
        assert_eq!(e.key, "claim.value");
        let ok = text.replace("value = 0.84", "value = [0.85, 0.92]");
        assert_eq!(
            parse(&ok).expect("pair").claim.value,
            ClaimValue::Pair(0.85, 0.92)
        );
    }

    #[test]
    fn toml_syntax_error_names_the_file() {
        let e = parse("[study\nid = 1").expect_err("syntax");
        assert_eq!(e.key, "-");
        assert!(e.problem.starts_with("TOML syntax error"));
    }
}
