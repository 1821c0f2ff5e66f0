//! Corners of the assumptions: each a full assignment of the design keys, and the typed
//! design the checks read.
//!
//! The headline corner takes every reported value, the midpoint of each assumed numeric
//! range (rounded to a whole number for counts) and the first listed value of each assumed
//! enum or boolean. The other corners take each assumption at its extremes (low and high,
//! or every listed value). When the full factorial would exceed [`MAX_FACTORIAL`] corners,
//! assumptions are varied one at a time around the headline corner instead, and the report
//! says so.

use std::collections::BTreeMap;

use super::scenario::{Scenario, Spec, Value};

/// Largest number of corners built as a full factorial.
pub const MAX_FACTORIAL: usize = 64;

/// One assignment of every design key.
pub type Corner = BTreeMap<String, Value>;

/// The statistical model family stated by the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Logistic,
    Cox,
    RandomForest,
    Svm,
    Deep,
    Unknown,
}

/// The validation design stated by the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    Apparent,
    RandomSplit,
    CrossValidation,
    Bootstrap,
    Temporal,
    External,
}

/// The feature selection stated by the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Univariate,
    Lasso,
    Mrmr,
    None,
    Unknown,
}

/// The design of one corner, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub n_development: u64,
    /// Events in the development cohort (from events or prevalence x n).
    pub events_development: Option<u64>,
    pub n_validation: Option<u64>,
    /// Events behind the claimed value in the validation cohort (else the development
    /// prevalence applied to `n_validation`).
    pub events_validation: Option<u64>,
    pub n_lesions: Option<u64>,
    pub candidate_features: u64,
    pub selected_features: u64,
    pub selection: Selection,
    pub model: ModelKind,
    pub validation: Validation,
    pub selection_inside_validation: bool,
    pub folds: u64,
    pub preprocessing_before_split: bool,
    pub models_compared: u64,
    pub feature_correlation: f64,
}

impl Design {
    /// Development prevalence (events / n), when events are known.
    pub fn prevalence(&self) -> Option<f64> {
        self.events_development
            .map(|e| e as f64 / self.n_development as f64)
    }

    /// Events in the validation cohort: reported, else development prevalence x n.
    pub fn validation_events(&self) -> Option<u64> {
        match (self.events_validation, self.n_validation, self.prevalence()) {
            (Some(e), _, _) => Some(e),
            (None, Some(n), Some(q)) => Some(((n as f64) * q).round().max(1.0) as u64),
            _ => None,
        }
    }
}

/// The corners of a scenario: the headline first, then the others without repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Corners {
    pub headline: Corner,
    /// Every corner, the headline at index 0.
    pub all: Vec<Corner>,
    /// True when assumptions were varied one at a time (too many for a factorial).
    pub one_at_a_time: bool,
}

/// Builds the headline corner and the corners of the assumptions.
pub fn corners(s: &Scenario) -> Corners {
    let headline: Corner = s
        .design
        .iter()
        .map(|(k, spec)| (k.clone(), middle(k, spec)))
        .collect();
    let assumed: Vec<(&String, Vec<Value>)> = s
        .design
        .iter()
        .filter_map(|(k, spec)| {
            let ext = extremes(spec);
            (!ext.is_empty()).then_some((k, ext))
        })
        .collect();

    let total: usize = assumed.iter().map(|(_, v)| v.len()).product();
    let one_at_a_time = total > MAX_FACTORIAL;
    let mut all = vec![headline.clone()];
    let mut push = |c: Corner| {
        if !all.contains(&c) {
            all.push(c);
        }
    };
    if one_at_a_time {
        for (k, vals) in &assumed {
            for v in vals {
                let mut c = headline.clone();
                c.insert((*k).clone(), v.clone());
                push(c);
            }
        }
    } else {
        // Odometer over the extremes of every assumption, in key order.
        let mut idx = vec![0usize; assumed.len()];
        loop {
            let mut c = headline.clone();
            for ((k, vals), &i) in assumed.iter().zip(&idx) {
                c.insert((*k).clone(), vals[i].clone());
            }
            push(c);
            let mut pos = 0;
            while pos < idx.len() {
                idx[pos] += 1;
                if idx[pos] < assumed[pos].1.len() {
                    break;
                }
                idx[pos] = 0;
                pos += 1;
            }
            if pos == idx.len() {
                break;
            }
        }
    }
    Corners {
        headline,
        all,
        one_at_a_time,
    }
}

/// True for keys that hold whole numbers.
pub fn is_count(key: &str) -> bool {
    !matches!(
        key,
        "prevalence_development"
            | "feature_correlation"
            | "median_followup"
            | "event_rate"
            | "time_horizon"
    )
}

fn middle(key: &str, spec: &Spec) -> Value {
    match spec {
        Spec::Fixed(v) => v.clone(),
        Spec::Range(lo, hi) => {
            let m = 0.5 * (lo + hi);
            Value::Num(if is_count(key) { m.round() } else { m })
        }
        Spec::Choices(vals) => vals[0].clone(),
    }
}

fn extremes(spec: &Spec) -> Vec<Value> {
    match spec {
        Spec::Fixed(_) => Vec::new(),
        Spec::Range(lo, hi) => vec![Value::Num(*lo), Value::Num(*hi)],
        Spec::Choices(vals) => vals.clone(),
    }
}

/// Errors turning a corner into a design.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct DesignError {
    pub key: String,
    pub problem: String,
}

/// Reads the typed design of a corner, applying AUDIT.md's defaults.
///
/// # Errors
/// [`DesignError`] when events reach n at this corner (possible when both are assumed).
pub fn design(c: &Corner) -> Result<Design, DesignError> {
    let num = |k: &str| match c.get(k) {
        Some(Value::Num(x)) => Some(*x),
        _ => None,
    };
    let count = |k: &str| num(k).map(|x| x.round() as u64);
    let text = |k: &str| match c.get(k) {
        Some(Value::Text(s)) => s.as_str(),
        _ => "unknown",
    };
    let flag = |k: &str, default: bool| match c.get(k) {
        Some(Value::Bool(b)) => *b,
        _ => default,
    };

    let n_development = count("n_development").unwrap_or(0);
    let events_development = count("events_development").or_else(|| {
        num("prevalence_development").map(|q| (q * n_development as f64).round() as u64)
    });
    if let Some(e) = events_development {
        if e >= n_development || e == 0 {
            return Err(DesignError {
                key: "events_development".into(),
                problem: format!("{e} events on {n_development} patients leaves one class empty"),
            });
        }
    }
    let d = Design {
        n_development,
        events_development,
        n_validation: count("n_validation"),
        events_validation: count("events_validation"),
        n_lesions: count("n_lesions"),
        candidate_features: count("candidate_features").unwrap_or(0),
        selected_features: count("selected_features").unwrap_or(0),
        selection: match text("selection") {
            "univariate" => Selection::Univariate,
            "lasso" => Selection::Lasso,
            "mrmr" => Selection::Mrmr,
            "none" => Selection::None,
            _ => Selection::Unknown,
        },
        model: match text("model") {
            "logistic" => ModelKind::Logistic,
            "cox" => ModelKind::Cox,
            "random-forest" => ModelKind::RandomForest,
            "svm" => ModelKind::Svm,
            "deep" => ModelKind::Deep,
            _ => ModelKind::Unknown,
        },
        validation: match text("validation") {
            "apparent" => Validation::Apparent,
            "random-split" => Validation::RandomSplit,
            "cross-validation" => Validation::CrossValidation,
            "bootstrap" => Validation::Bootstrap,
            "temporal" => Validation::Temporal,
            _ => Validation::External,
        },
        selection_inside_validation: flag("selection_inside_validation", true),
        folds: count("folds").unwrap_or(5),
        preprocessing_before_split: flag("preprocessing_before_split", false),
        models_compared: count("models_compared").unwrap_or(1).max(1),
        feature_correlation: num("feature_correlation").unwrap_or(0.0),
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(assumptions: &str) -> Scenario {
        let text = format!(
            r#"
[study]
id = "s"
[claim]
id = "c"
metric = "auc"
value = 0.8
cohort = "training"
[design]
n_development = 100
events_development = 40
selection = "univariate"
model = "logistic"
validation = "apparent"
[assumptions]
{assumptions}
"#
        );
        Scenario::from_str(Path::new("t.toml"), &text).expect("valid")
    }

    #[test]
    fn headline_takes_midpoints_and_first_choices() {
        let s = scenario(
            "candidate_features = [100, 1501]\nselected_features = [2, 9]\n\
             selection_inside_validation = [false, true]",
        );
        let c = corners(&s);
        assert_eq!(c.headline["candidate_features"], Value::Num(801.0));
        assert_eq!(c.headline["selected_features"], Value::Num(6.0));
        assert_eq!(
            c.headline["selection_inside_validation"],
            Value::Bool(false)
        );
        // 2 x 2 x 2 extremes plus the headline.
        assert_eq!(c.all.len(), 9);
        assert!(!c.one_at_a_time);
    }

    #[test]
    fn many_assumptions_fall_back_to_one_at_a_time() {
        let s = scenario(
            "candidate_features = [100, 1500]\nselected_features = [2, 9]\n\
             n_validation = [30, 60]\nfolds = [3, 10]\nmodels_compared = [1, 5]\n\
             feature_correlation = [0.0, 0.5]\nselection_inside_validation = [true, false]",
        );
        let c = corners(&s);
        assert!(c.one_at_a_time);
        // 7 assumptions x 2 extremes, less the choice `true` that is the headline's own.
        assert_eq!(c.all.len(), 1 + 7 * 2 - 1);
    }

    #[test]
    fn design_applies_defaults_and_prevalence() {
        let s = scenario("candidate_features = [100, 100]\nselected_features = [5, 5]");
        let d = design(&corners(&s).headline).expect("design");
        assert_eq!(d.events_development, Some(40));
        assert_eq!(d.folds, 5);
        assert_eq!(d.models_compared, 1);
        assert!(d.selection_inside_validation);
        assert!(!d.preprocessing_before_split);
        assert_eq!(d.validation, Validation::Apparent);
    }
}
