//! The outcome of a cohort: binary labels or right-censored survival times, one entry per
//! row of the feature matrix. Shared by the modelling pipeline ([`crate::model::pipeline`],
//! [`crate::model::cv`]) and the null simulations ([`crate::null::sim`]).

/// The outcome of a cohort.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Binary labels (`true` = case).
    Binary(Vec<bool>),
    /// Right-censored survival: observed times and event indicators (`false` = censored).
    Survival { time: Vec<f64>, event: Vec<bool> },
}

impl Outcome {
    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            Outcome::Binary(y) => y.len(),
            Outcome::Survival { time, .. } => time.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stratum of each row for stratified splits: the class (binary) or the event
    /// indicator (survival).
    pub fn strata(&self) -> &[bool] {
        match self {
            Outcome::Binary(y) => y,
            Outcome::Survival { event, .. } => event,
        }
    }

    /// The same outcome with rows reordered: row `i` takes the outcome of `perm[i]`.
    pub fn permuted(&self, perm: &[usize]) -> Outcome {
        match self {
            Outcome::Binary(y) => Outcome::Binary(perm.iter().map(|&i| y[i]).collect()),
            Outcome::Survival { time, event } => Outcome::Survival {
                time: perm.iter().map(|&i| time[i]).collect(),
                event: perm.iter().map(|&i| event[i]).collect(),
            },
        }
    }

    /// The outcome of the given rows.
    pub fn subset(&self, rows: &[usize]) -> Outcome {
        self.permuted(rows)
    }

    /// The rows of `self` followed by those of `other`.
    ///
    /// # Panics
    /// When one outcome is binary and the other survival (a caller bug: cohorts of one
    /// design share the outcome type).
    pub fn concat(&self, other: &Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Binary(a), Outcome::Binary(b)) => {
                Outcome::Binary(a.iter().chain(b).copied().collect())
            }
            (
                Outcome::Survival {
                    time: t1,
                    event: e1,
                },
                Outcome::Survival {
                    time: t2,
                    event: e2,
                },
            ) => Outcome::Survival {
                time: t1.iter().chain(t2).copied().collect(),
                event: e1.iter().chain(e2).copied().collect(),
            },
            _ => unreachable!("invariant: cohorts of one design share the outcome type"),
        }
    }
}
