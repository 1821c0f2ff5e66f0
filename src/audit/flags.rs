//! Check 5, design flags: choices in the study design that are known to inflate reported
//! performance or to leave it untested (AUDIT.md, check 5).
//!
//! Each flag cites the methodological source that makes it a concern. The check fails
//! when any flag is raised; AUDIT.md makes a failed check 5 "fragile", never "does not
//! survive" on its own.

use super::check::{CheckId, CheckResult, Outcome};
use super::corner::{Design, Selection, Validation};
use super::scenario::{Claim, Cohort};

/// One raised flag: a short name and why it matters.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub name: &'static str,
    pub why: String,
}

/// Lists the flags raised by a design.
pub fn flags(claim: &Claim, d: &Design) -> Vec<Flag> {
    let mut out = Vec::new();
    let apparent = claim.cohort == Cohort::Training || d.validation == Validation::Apparent;
    let selects = !matches!(d.selection, Selection::None);

    if apparent {
        out.push(Flag {
            name: "apparent performance",
            why: "the figure was measured on the patients the model was developed on, so it \
                  includes all of the model's optimism (Steyerberg 2019, ch. 17)"
                .into(),
        });
    }
    if !d.selection_inside_validation && selects && !apparent {
        out.push(Flag {
            name: "selection outside the validation",
            why: "features were selected on all patients before the split or cross-validation, \
                  so the held-out patients informed the model (Ambroise & McLachlan 2002, PNAS \
                  99:6562)"
                .into(),
        });
    }
    if d.preprocessing_before_split {
        out.push(Flag {
            name: "preprocessing before the split",
            why: "normalisation, harmonisation or oversampling was fitted on all patients, so \
                  information leaked into the validation data"
                .into(),
        });
    }
    if d.validation == Validation::RandomSplit {
        out.push(Flag {
            name: "random split only",
            why: "a random split of one cohort is a weak, high-variance form of internal \
                  validation (Steyerberg & Harrell 2016, J Clin Epidemiol 69:245)"
                .into(),
        });
    }
    if !matches!(d.validation, Validation::External | Validation::Temporal)
        && claim.cohort != Cohort::External
    {
        out.push(Flag {
            name: "no external or temporal validation",
            why: "the model was never tested on patients from another centre or period (TRIPOD \
                  type 3-4 validation absent)"
                .into(),
        });
    }
    let patients = d.n_development + d.n_validation.unwrap_or(0);
    if let Some(lesions) = d.n_lesions {
        if lesions > patients {
            out.push(Flag {
                name: "lesions analysed as independent patients",
                why: format!(
                    "{lesions} lesions from {patients} patients: lesions of one patient are \
                     correlated, so the effective sample size is smaller than reported"
                ),
            });
        }
    }
    if d.models_compared > 1 {
        out.push(Flag {
            name: "several models compared, best reported",
            why: format!(
                "{} models, endpoints or cohorts were tried and the best was reported, which \
                 selects on noise (the null check simulates the best of {})",
                d.models_compared, d.models_compared
            ),
        });
    }
    out
}

/// Check 5: fails when any flag is raised.
pub fn check(claim: &Claim, d: &Design) -> CheckResult {
    let raised = flags(claim, d);
    let threshold = "fails when any design flag is raised";
    if raised.is_empty() {
        return CheckResult::new(
            CheckId::DesignFlags,
            Outcome::Pass,
            threshold,
            "The design raises none of the flags radaudit checks (selection or preprocessing \
             outside the validation, random split only, no external validation, lesions as \
             patients, several models compared)."
                .into(),
        )
        .fig("flags", 0.0);
    }
    let names: Vec<&str> = raised.iter().map(|f| f.name).collect();
    let mut r = CheckResult::new(
        CheckId::DesignFlags,
        Outcome::Fail,
        threshold,
        format!("The design raises {} flag(s): {}.", raised.len(), names.join("; ")),
    )
    .fig("flags", raised.len() as f64);
    for f in raised {
        r = r.note(format!("{}: {}", f.name, f.why));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::corner::ModelKind;
    use crate::audit::scenario::{ClaimValue, Direction, Metric};

    fn claim(cohort: Cohort) -> Claim {
        Claim {
            id: "c".into(),
            metric: Metric::Auc,
            value: ClaimValue::Single(0.8),
            ci: None,
            sd: None,
            cohort,
            direction: Direction::Positive,
            baseline: None,
            note: String::new(),
        }
    }

    fn design(validation: Validation) -> Design {
        Design {
            n_development: 1000,
            events_development: Some(500),
            n_validation: Some(400),
            events_validation: Some(200),
            n_lesions: None,
            candidate_features: 10,
            selected_features: 10,
            selection: Selection::None,
            model: ModelKind::Logistic,
            validation,
            selection_inside_validation: true,
            folds: 5,
            preprocessing_before_split: false,
            models_compared: 1,
            feature_correlation: 0.0,
        }
    }

    #[test]
    fn external_prespecified_design_raises_no_flag() {
        let r = check(&claim(Cohort::External), &design(Validation::External));
        assert_eq!(r.outcome, Outcome::Pass);
    }

    #[test]
    fn random_split_with_leak_raises_three_flags() {
        let mut d = design(Validation::RandomSplit);
        d.selection = Selection::Univariate;
        d.selection_inside_validation = false;
        let names: Vec<_> = flags(&claim(Cohort::Validation), &d).iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            vec![
                "selection outside the validation",
                "random split only",
                "no external or temporal validation"
            ]
        );
    }

    #[test]
    fn lesions_above_patients_are_flagged() {
        let mut d = design(Validation::External);
        d.n_development = 90;
        d.n_validation = None;
        d.n_lesions = Some(140);
        let r = check(&claim(Cohort::External), &d);
        assert_eq!(r.outcome, Outcome::Fail);
        assert!(r.sentence.contains("lesions analysed as independent patients"));
    }
}
