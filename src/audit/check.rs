//! The result of one audit check: outcome, figures, threshold, and the sentence a reviewer
//! can paste into a review.

use serde::Serialize;

/// How a check came out at one corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The check passed.
    Pass,
    /// The check failed.
    Fail,
    /// Computed and shown, but not judged (AUDIT.md says so for this design).
    Reported,
    /// Could not be computed; the reason is in the summary.
    NotAssessable,
}

impl Outcome {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Reported => "reported",
            Outcome::NotAssessable => "not assessable",
        }
    }
}

/// Which check (AUDIT.md numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// 1. Null check.
    Null,
    /// 2. Precision.
    Precision,
    /// 3. Development sample size.
    DevelopmentSize,
    /// 4. Validation sample size.
    ValidationSize,
    /// 5. Design flags.
    DesignFlags,
    /// 6. Baseline increment.
    BaselineIncrement,
    /// 7. Re-estimate on the study's data (`[data]`).
    ReEstimate,
    /// 8. Permutation null on the study's data.
    PermutationNull,
    /// 9. Volume-only baseline on the study's data.
    VolumeBaseline,
    /// 10. Robustness of the study's selected features.
    SelectedStability,
}

impl CheckId {
    /// AUDIT.md's number.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The heading used in reports.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Null => "Null check",
            CheckId::Precision => "Precision",
            CheckId::DevelopmentSize => "Development sample size",
            CheckId::ValidationSize => "Validation sample size",
            CheckId::DesignFlags => "Design flags",
            CheckId::BaselineIncrement => "Baseline increment",
            CheckId::ReEstimate => "Re-estimate on the data",
            CheckId::PermutationNull => "Permutation null on the data",
            CheckId::VolumeBaseline => "Volume-only baseline",
            CheckId::SelectedStability => "Selected-feature stability",
        }
    }
}

/// One named figure of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub name: String,
    /// Rounded to 10 significant digits when serialised.
    #[serde(serialize_with = "ser_round")]
    pub value: f64,
}

/// A check's result at one corner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub outcome: Outcome,
    /// The rule applied, e.g. "fails at p >= 0.05".
    pub threshold: String,
    /// One sentence a reviewer can paste into a review.
    pub sentence: String,
    /// The figures behind it.
    pub figures: Vec<Figure>,
    /// Further notes (methods, substitutions, warnings).
    pub notes: Vec<String>,
}

impl CheckResult {
    /// A result with no figures yet.
    pub fn new(id: CheckId, outcome: Outcome, threshold: &str, sentence: String) -> Self {
        Self {
            id,
            outcome,
            threshold: threshold.to_string(),
            sentence,
            figures: vec![],
            notes: vec![],
        }
    }

    /// Adds a figure.
    pub fn fig(mut self, name: &str, value: f64) -> Self {
        self.figures.push(Figure {
            name: name.to_string(),
            value,
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    /// The value of a named figure.
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.figures
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }
}

fn ser_round<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(crate::table::round_sig(*x, crate::table::OUTPUT_SIG_DIGITS))
    } else {
        s.serialize_none()
    }
}
