//! The items of the CLEAR and RQS checklists that the audit can answer from a scenario and
//! its checks, with the answer for the study at the headline corner.
//!
//! - CLEAR: Kocak B et al. (2023), "CheckList for EvaluAtion of Radiomics research (CLEAR)",
//!   Insights Imaging 14:75.
//! - RQS: Lambin P et al. (2017), "Radiomics: the bridge between medical imaging and
//!   personalized medicine", Nat Rev Clin Oncol 14:749-762 (Radiomics Quality Score).
//!
//! Only items answerable from what the scenario states are listed; the rest of both
//! checklists needs the paper itself.

use crate::audit::check::{CheckId, Outcome};
use crate::audit::corner::{self, Selection, Validation};
use crate::audit::run::ClaimAudit;

/// One checklist item with the audit's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub checklist: &'static str,
    pub item: &'static str,
    pub answer: String,
}

fn outcome_of(a: &ClaimAudit, id: CheckId) -> Option<Outcome> {
    a.headline
        .checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.outcome)
}

/// The answerable items for `a` (empty when the headline design cannot be built).
pub fn items(a: &ClaimAudit) -> Vec<Item> {
    let s = &a.scenario;
    let Ok(d) = corner::design(&corner::corners(s).headline) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |checklist, item, answer: String| {
        out.push(Item {
            checklist,
            item,
            answer,
        })
    };

    push(
        "RQS",
        "Feature reduction or adjustment for multiple testing",
        match d.selection {
            Selection::Univariate | Selection::Lasso | Selection::Mrmr => format!(
                "yes: {} of {} candidates kept",
                d.selected_features, d.candidate_features
            ),
            Selection::None => "no: every candidate enters the model".to_string(),
            Selection::Unknown => "not reported".to_string(),
        },
    );
    push(
        "RQS",
        "Validation",
        match d.validation {
            Validation::Apparent => "none: apparent performance only".to_string(),
            Validation::RandomSplit | Validation::CrossValidation | Validation::Bootstrap => {
                "internal only (same cohort)".to_string()
            }
            Validation::Temporal => "temporal (later patients)".to_string(),
            Validation::External => "external cohort".to_string(),
        },
    );
    push(
        "RQS",
        "Discrimination statistics with uncertainty",
        match (s.claim.ci, d.validation) {
            (Some((l, h)), _) => format!("reported with an interval ({l} to {h})"),
            (None, Validation::CrossValidation | Validation::Bootstrap) => {
                "resampled, no interval reported".to_string()
            }
            (None, _) => "no interval reported".to_string(),
        },
    );
    push(
        "RQS",
        "Comparison to gold standard or clinical model",
        match s.claim.baseline {
            Some(b) => format!("yes: comparator {b}"),
            None => "not reported".to_string(),
        },
    );
    push(
        "RQS",
        "Open science and data",
        if s.data.is_some() {
            "feature table available (used by checks 7-10)".to_string()
        } else {
            "no data given to the audit".to_string()
        },
    );
    push(
        "CLEAR",
        "Sample size justification",
        match outcome_of(a, CheckId::DevelopmentSize) {
            Some(Outcome::Pass) => "meets Riley et al. (2020) for the selected features".into(),
            Some(Outcome::Fail) => "below Riley et al. (2020) for the selected features".into(),
            _ => "not judged for this design".into(),
        },
    );
    let leaks: Vec<&str> = [
        (
            !d.selection_inside_validation,
            "selection outside the validation",
        ),
        (
            d.preprocessing_before_split,
            "preprocessing fitted before the split",
        ),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    push(
        "CLEAR",
        "Data partitioning without leakage",
        if leaks.is_empty() {
            "no leak stated or assumed at the headline corner".to_string()
        } else {
            format!("leak: {}", leaks.join(", "))
        },
    );
    push(
        "CLEAR",
        "External validation",
        match d.validation {
            Validation::Temporal | Validation::External => "yes".to_string(),
            _ => "no".to_string(),
        },
    );
    push(
        "CLEAR",
        "Comparison with a simple baseline (tumour volume)",
        match outcome_of(a, CheckId::VolumeBaseline) {
            Some(Outcome::Pass) => "the signature beats volume alone (check 9)".into(),
            Some(Outcome::Fail) => "volume alone does as well (check 9)".into(),
            Some(Outcome::Reported) => "computed, not judged (check 9)".into(),
            _ => "not evaluated (needs the data)".into(),
        },
    );
    out
}
