//! Verdict rules (AUDIT.md, "Verdict").
//!
//! Per corner: "does not survive" when check 1 or 2 fails; "fragile" when check 3, 4 or 5
//! fails; else "survives". A check that cannot be computed neither passes nor fails; when
//! checks 1 and 2 are both not assessable, the verdict is "not assessable". A negative claim
//! (the paper reports no useful model) survives when the null check does not reject, else
//! it does not survive; checks 2-5 are then reported, not judged.

use serde::Serialize;

use super::check::{CheckId, CheckResult, Outcome};
use super::scenario::Direction;

/// The verdict on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    #[serde(rename = "survives")]
    Survives,
    #[serde(rename = "fragile")]
    Fragile,
    #[serde(rename = "does not survive")]
    DoesNotSurvive,
    #[serde(rename = "not assessable")]
    NotAssessable,
}

impl Verdict {
    /// The words used in reports and in verdict.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Survives => "survives",
            Verdict::Fragile => "fragile",
            Verdict::DoesNotSurvive => "does not survive",
            Verdict::NotAssessable => "not assessable",
        }
    }
}

/// The verdict of one corner from its checks.
pub fn corner_verdict(direction: Direction, checks: &[CheckResult]) -> Verdict {
    let outcome = |id: CheckId| {
        checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.outcome)
            .unwrap_or(Outcome::NotAssessable)
    };
    if direction == Direction::Negative {
        // With data, features that beat permuted outcomes contradict "no useful model".
        if outcome(CheckId::PermutationNull) == Outcome::Fail {
            return Verdict::DoesNotSurvive;
        }
        return match outcome(CheckId::Null) {
            Outcome::Pass => Verdict::Survives,
            Outcome::Fail => Verdict::DoesNotSurvive,
            _ => Verdict::NotAssessable,
        };
    }
    let (null, precision) = (outcome(CheckId::Null), outcome(CheckId::Precision));
    // With data, features that beat no permuted outcome leave nothing to claim, whatever
    // the design says.
    let data_fail = outcome(CheckId::PermutationNull) == Outcome::Fail;
    if null == Outcome::Fail || precision == Outcome::Fail || data_fail {
        return Verdict::DoesNotSurvive;
    }
    if null == Outcome::NotAssessable && precision == Outcome::NotAssessable {
        return Verdict::NotAssessable;
    }
    let minor = [
        CheckId::DevelopmentSize,
        CheckId::ValidationSize,
        CheckId::DesignFlags,
        CheckId::ReEstimate,
        CheckId::VolumeBaseline,
        CheckId::SelectedStability,
    ];
    if minor.iter().any(|&id| outcome(id) == Outcome::Fail) {
        return Verdict::Fragile;
    }
    Verdict::Survives
}

/// The headline verdict: the headline corner's, unless the corners disagree, in which
/// case "fragile" (AUDIT.md).
pub fn headline_verdict(headline: Verdict, corners: &[Verdict]) -> Verdict {
    if corners.iter().all(|&v| v == headline) {
        headline
    } else {
        Verdict::Fragile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: CheckId, outcome: Outcome) -> CheckResult {
        CheckResult::new(id, outcome, "", String::new())
    }

    #[test]
    fn failed_null_check_does_not_survive() {
        let checks = [
            c(CheckId::Null, Outcome::Fail),
            c(CheckId::Precision, Outcome::Pass),
        ];
        assert_eq!(
            corner_verdict(Direction::Positive, &checks),
            Verdict::DoesNotSurvive
        );
    }

    #[test]
    fn failed_sample_size_is_fragile() {
        let checks = [
            c(CheckId::Null, Outcome::Pass),
            c(CheckId::Precision, Outcome::Pass),
            c(CheckId::DevelopmentSize, Outcome::Fail),
        ];
        assert_eq!(
            corner_verdict(Direction::Positive, &checks),
            Verdict::Fragile
        );
    }

    #[test]
    fn reported_checks_do_not_judge() {
        let checks = [
            c(CheckId::Null, Outcome::Pass),
            c(CheckId::Precision, Outcome::Pass),
            c(CheckId::DevelopmentSize, Outcome::Reported),
            c(CheckId::DesignFlags, Outcome::Pass),
        ];
        assert_eq!(
            corner_verdict(Direction::Positive, &checks),
            Verdict::Survives
        );
    }

    #[test]
    fn both_main_checks_unassessable_is_not_assessable() {
        let checks = [
            c(CheckId::Null, Outcome::NotAssessable),
            c(CheckId::Precision, Outcome::NotAssessable),
            c(CheckId::DesignFlags, Outcome::Fail),
        ];
        assert_eq!(
            corner_verdict(Direction::Positive, &checks),
            Verdict::NotAssessable
        );
    }

    #[test]
    fn negative_claim_survives_when_null_not_rejected() {
        let checks = [
            c(CheckId::Null, Outcome::Pass),
            c(CheckId::Precision, Outcome::Fail),
        ];
        assert_eq!(
            corner_verdict(Direction::Negative, &checks),
            Verdict::Survives
        );
        let checks = [c(CheckId::Null, Outcome::Fail)];
        assert_eq!(
            corner_verdict(Direction::Negative, &checks),
            Verdict::DoesNotSurvive
        );
    }

    #[test]
    fn disagreeing_corners_make_the_headline_fragile() {
        let v = headline_verdict(
            Verdict::Survives,
            &[Verdict::Survives, Verdict::DoesNotSurvive],
        );
        assert_eq!(v, Verdict::Fragile);
        let v = headline_verdict(Verdict::DoesNotSurvive, &[Verdict::DoesNotSurvive]);
        assert_eq!(v, Verdict::DoesNotSurvive);
    }
}
