//! Concordance indices for right-censored survival data: Harrell's C and Uno's C.
//!
//! Direction: the score is a **risk** (higher risk = earlier event), as a Cox linear
//! predictor. Predicted survival times run the other way; pass them to
//! [`harrell_c_predicted_time`], never to [`harrell_c`] (CASE-09 b in `../shared/cases.md`).
//!
//! Comparable pairs (CASE-09, CASE-10): the pair (i, j) is comparable when subject i had
//! the event and either `T_i < T_j`, or `T_i == T_j` and j is censored (the censored
//! subject is taken to have outlived the event). Two events at the same time are not
//! comparable. A comparable pair is concordant when `risk_i > risk_j`, discordant when
//! `risk_i < risk_j`, and a risk tie counts one half. This is the convention of
//! lifelines, scikit-survival and R `survival::concordance`.
//!
//! Pairs are counted in O(N log N) with a Fenwick tree over risk ranks and 64-bit counts
//! (the pair total of N = 10^5 subjects exceeds 2^32, CASE-08).

use std::cmp::Ordering;

use thiserror::Error;

/// Harrell's C with the pair counts behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concordance {
    /// `(concordant + tied_risk / 2) / comparable`.
    pub c: f64,
    /// Comparable pairs where the subject with the event has the higher risk.
    pub concordant: u64,
    /// Comparable pairs where the subject with the event has the lower risk.
    pub discordant: u64,
    /// Comparable pairs with equal risk.
    pub tied_risk: u64,
    /// All comparable pairs (`concordant + discordant + tied_risk`).
    pub comparable: u64,
    /// Comparable pairs with equal times (an event and a censoring at the same time).
    pub tied_time: u64,
}

/// Uno's C with the inverse-probability-of-censoring-weighted sums behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnoConcordance {
    /// `(weighted_concordant + weighted_tied_risk / 2) / weighted_comparable`.
    pub c: f64,
    /// Truncation time: only pairs whose earlier time is `< tau` count (None: no limit).
    pub tau: Option<f64>,
    /// Sum of weights of concordant comparable pairs.
    pub weighted_concordant: f64,
    /// Sum of weights of discordant comparable pairs.
    pub weighted_discordant: f64,
    /// Sum of weights of comparable pairs tied on risk.
    pub weighted_tied_risk: f64,
    /// Sum of weights of all comparable pairs.
    pub weighted_comparable: f64,
    /// Number of comparable pairs (unweighted) with the earlier time below `tau`.
    pub comparable: u64,
}

/// Errors of the concordance functions.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConcordanceError {
    /// Input slices differ in length.
    #[error("time, event and score differ in length: {time}, {event} and {score}")]
    LengthMismatch {
        time: usize,
        event: usize,
        score: usize,
    },
    /// Fewer than two subjects.
    #[error("no comparable pairs: need at least 2 subjects, got {n}")]
    TooFewSubjects { n: usize },
    /// A time is NaN or infinite.
    #[error("time {value} at index {index} is not finite; expected finite times")]
    NonFiniteTime { index: usize, value: f64 },
    /// A score is NaN or infinite.
    #[error("score {value} at index {index} is not finite; expected finite scores")]
    NonFiniteScore { index: usize, value: f64 },
    /// No pair is comparable (no events, or all events tied at the last time).
    #[error("no comparable pairs among {n} subjects with {events} events")]
    NoComparablePairs { n: usize, events: usize },
    /// The truncation time is not a finite number.
    #[error("truncation time tau = {tau} must be finite")]
    InvalidTau { tau: f64 },
}

/// Checks lengths, counts and finiteness.
fn validate(time: &[f64], event: &[bool], score: &[f64]) -> Result<(), ConcordanceError> {
    if time.len() != event.len() || time.len() != score.len() {
        return Err(ConcordanceError::LengthMismatch {
            time: time.len(),
            event: event.len(),
            score: score.len(),
        });
    }
    if time.len() < 2 {
        return Err(ConcordanceError::TooFewSubjects { n: time.len() });
    }
    if let Some((index, &value)) = time.iter().enumerate().find(|(_, t)| !t.is_finite()) {
        return Err(ConcordanceError::NonFiniteTime { index, value });
    }
    if let Some((index, &value)) = score.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(ConcordanceError::NonFiniteScore { index, value });
    }
    Ok(())
}

/// Harrell's concordance index with `risk` as the score (higher = earlier event).
///
/// # Formula
/// `C = (n_conc + n_tied_risk / 2) / n_comparable` over comparable pairs (module doc):
/// i had the event and `T_i < T_j`, or `T_i == T_j` with j censored.
///
/// # Reference
/// Harrell FE, Lee KL, Mark DB (1996) Stat Med 15:361, section 5.5; tie conventions as in
/// R `survival::concordance` (Therneau) and lifelines `concordance_index`.
///
/// # Errors
/// [`ConcordanceError::TooFewSubjects`] (CASE-09 c), [`ConcordanceError::NoComparablePairs`],
/// length mismatch and non-finite input.
///
/// # Degenerate cases
/// Constant risk gives C = 0.5 (all comparable pairs tied, CASE-09 a).
pub fn harrell_c(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
) -> Result<Concordance, ConcordanceError> {
    validate(time, event, risk)?;

    let mut t = Concordance {
        c: f64::NAN,
        concordant: 0,
        discordant: 0,
        tied_risk: 0,
        comparable: 0,
        tied_time: 0,
    };
    for_each_event(time, event, risk, |_, tally| {
        t.concordant += tally.lower;
        t.discordant += tally.higher;
        t.tied_risk += tally.equal;
        t.tied_time += tally.censored_same_time;
    });
    t.comparable = t.concordant + t.discordant + t.tied_risk;

    if t.comparable == 0 {
        let events = event.iter().filter(|&&e| e).count();
        return Err(ConcordanceError::NoComparablePairs {
            n: time.len(),
            events,
        });
    }
    t.c = (2 * t.concordant + t.tied_risk) as f64 / (2 * t.comparable) as f64;
    Ok(t)
}

/// Harrell's C for a score that is a **predicted survival time** (higher = later event).
///
/// Same as [`harrell_c`] on `-predicted_time`: a concordant pair is one where the subject
/// with the event has the *shorter* predicted time.
///
/// # Errors
/// As [`harrell_c`].
pub fn harrell_c_predicted_time(
    time: &[f64],
    event: &[bool],
    predicted_time: &[f64],
) -> Result<Concordance, ConcordanceError> {
    let risk: Vec<f64> = predicted_time.iter().map(|p| -p).collect();
    harrell_c(time, event, &risk)
}

/// Uno's IPCW concordance index with `risk` as the score, truncated at `tau`.
///
/// # Formula
/// `C_tau = sum_{i,j} w_i I(comparable) [I(r_i > r_j) + 1/2 I(r_i = r_j)]
///        / sum_{i,j} w_i I(comparable)`,
/// with `w_i = G(T_i-)^-2` for events with `T_i < tau` (0 otherwise), where `G` is the
/// Kaplan-Meier estimate of the censoring survivor function from the same data,
/// `G(t-) = prod_{s < t} (1 - c_s / r_s)`, `c_s` the censorings at `s` and
/// `r_s = #{T >= s}` (events at `s` are at risk of censoring at `s`).
///
/// Conventions (stated because implementations differ): the left limit `G(T_i-)` is the
/// probability that the event at `T_i` is observed when censoring at a tied time happens
/// after the event; scikit-survival uses `G(T_i)`, which differs only when a censoring
/// coincides with an event time. Comparable pairs follow the Harrell rule of the module
/// doc (a censoring at `T_i` is comparable), as in scikit-survival's
/// `concordance_index_ipcw`; Uno et al. write `T_i < T_j`. `G` comes from the data given
/// (for a test set without its training data). With no censoring `G = 1` and, with no
/// truncation, the result equals Harrell's C.
///
/// # Reference
/// Uno H, Cai T, Pencina MJ, D'Agostino RB, Wei LJ (2011) Stat Med 30:1105, equation (6).
///
/// # Errors
/// As [`harrell_c`], plus [`ConcordanceError::InvalidTau`] for a non-finite `tau`, and
/// [`ConcordanceError::NoComparablePairs`] when no comparable pair starts before `tau`.
///
/// # Degenerate cases
/// Constant risk gives 0.5.
pub fn uno_c(
    time: &[f64],
    event: &[bool],
    risk: &[f64],
    tau: Option<f64>,
) -> Result<UnoConcordance, ConcordanceError> {
    validate(time, event, risk)?;
    if let Some(tau) = tau.filter(|t| !t.is_finite()) {
        return Err(ConcordanceError::InvalidTau { tau });
    }
    let limit = tau.unwrap_or(f64::INFINITY);

    let g_left = censoring_km_left_limits(time, event);

    let mut u = UnoConcordance {
        c: f64::NAN,
        tau,
        weighted_concordant: 0.0,
        weighted_discordant: 0.0,
        weighted_tied_risk: 0.0,
        weighted_comparable: 0.0,
        comparable: 0,
    };
    for_each_event(time, event, risk, |i, tally| {
        if time[i] >= limit {
            return;
        }
        let w = 1.0 / (g_left[i] * g_left[i]);
        u.weighted_concordant += w * tally.lower as f64;
        u.weighted_discordant += w * tally.higher as f64;
        u.weighted_tied_risk += w * tally.equal as f64;
        u.comparable += tally.lower + tally.higher + tally.equal;
    });
    u.weighted_comparable = u.weighted_concordant + u.weighted_discordant + u.weighted_tied_risk;

    if u.comparable == 0 {
        let events = event.iter().filter(|&&e| e).count();
        return Err(ConcordanceError::NoComparablePairs {
            n: time.len(),
            events,
        });
    }
    u.c = (u.weighted_concordant + 0.5 * u.weighted_tied_risk) / u.weighted_comparable;
    Ok(u)
}

/// What one subject with an event meets among the subjects it is comparable with.
#[derive(Debug, Clone, Copy)]
struct Tally {
    /// Comparable subjects with lower risk.
    lower: u64,
    /// Comparable subjects with equal risk.
    equal: u64,
    /// Comparable subjects with higher risk.
    higher: u64,
    /// Comparable subjects censored at the same time.
    censored_same_time: u64,
}

/// Calls `visit(i, tally)` for every subject `i` with an event, in a fixed order.
///
/// Subjects are swept from the latest time to the earliest. A Fenwick tree holds the risk
/// ranks of the subjects "behind" the sweep: all with a later time, plus the censored
/// subjects at the current time, which are inserted before the events at that time are
/// queried; the events at that time are inserted afterwards.
fn for_each_event(time: &[f64], event: &[bool], risk: &[f64], mut visit: impl FnMut(usize, Tally)) {
    let (rank, n_ranks) = dense_ranks(risk);
    let mut tree = Fenwick::new(n_ranks);
    let mut in_tree: u64 = 0;

    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_unstable_by(|&a, &b| time[b].partial_cmp(&time[a]).unwrap_or(Ordering::Equal));

    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && time[order[end]] == time[order[start]] {
            end += 1;
        }
        let group = &order[start..end];

        // Censored subjects at this time are comparable with the events at this time.
        let mut censored_here = 0;
        for &j in group.iter().filter(|&&j| !event[j]) {
            tree.add(rank[j]);
            in_tree += 1;
            censored_here += 1;
        }
        for &i in group.iter().filter(|&&i| event[i]) {
            let below = tree.prefix(rank[i]);
            let up_to = tree.prefix(rank[i] + 1);
            visit(
                i,
                Tally {
                    lower: below,
                    equal: up_to - below,
                    higher: in_tree - up_to,
                    censored_same_time: censored_here,
                },
            );
        }
        for &i in group.iter().filter(|&&i| event[i]) {
            tree.add(rank[i]);
            in_tree += 1;
        }
        start = end;
    }
}

/// Dense 0-based ranks of `values` (ties share a rank) and the number of distinct values.
fn dense_ranks(values: &[f64]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].partial_cmp(&values[b]).unwrap_or(Ordering::Equal));
    let mut rank = vec![0; values.len()];
    let mut r = 0;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && values[i] != values[order[k - 1]] {
            r += 1;
        }
        rank[i] = r;
    }
    (rank, if values.is_empty() { 0 } else { r + 1 })
}

/// Kaplan-Meier left limits of the censoring survivor function, `G(T_i-)` per subject.
fn censoring_km_left_limits(time: &[f64], event: &[bool]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_unstable_by(|&a, &b| time[a].partial_cmp(&time[b]).unwrap_or(Ordering::Equal));

    let mut g_left = vec![1.0; time.len()];
    let mut g = 1.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && time[order[end]] == time[order[start]] {
            end += 1;
        }
        let group = &order[start..end];
        for &i in group {
            g_left[i] = g;
        }
        let at_risk = (order.len() - start) as f64;
        let censored = group.iter().filter(|&&i| !event[i]).count() as f64;
        g *= 1.0 - censored / at_risk;
        start = end;
    }
    g_left
}

/// Fenwick (binary indexed) tree of counts over ranks `0..n`.
struct Fenwick {
    counts: Vec<u64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Self {
            counts: vec![0; n + 1],
        }
    }

    /// Adds one at rank `r`.
    fn add(&mut self, r: usize) {
        let mut k = r + 1;
        while k < self.counts.len() {
            self.counts[k] += 1;
            k += k & k.wrapping_neg();
        }
    }

    /// Count of entries with rank `< r`.
    fn prefix(&self, r: usize) -> u64 {
        let mut k = r;
        let mut s = 0;
        while k > 0 {
            s += self.counts[k];
            k -= k & k.wrapping_neg();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CINDEX: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/cindex_harrell.csv"
    );
    const ROSSI: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/rossi_with_cox_lp.csv"
    );

    /// O(N^2) reference count straight from the definition in the module doc.
    fn brute(time: &[f64], event: &[bool], risk: &[f64]) -> (u64, u64, u64) {
        let (mut conc, mut disc, mut tied) = (0, 0, 0);
        for i in 0..time.len() {
            for j in 0..time.len() {
                let comparable =
                    event[i] && (time[i] < time[j] || (time[i] == time[j] && !event[j]));
                if i == j || !comparable {
                    continue;
                }
                match risk[i].partial_cmp(&risk[j]).unwrap() {
                    Ordering::Greater => conc += 1,
                    Ordering::Less => disc += 1,
                    Ordering::Equal => tied += 1,
                }
            }
        }
        (conc, disc, tied)
    }

    #[test]
    fn hand8_matches_answer_key() {
        // answer_key.toml [cindex.hand8]; cindex_harrell.csv row hand8.
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0];
        let event = [true, true, false, true, true, false, false, true];
        let risk = [5.0, 4.0, 4.0, 3.0, 3.0, 2.0, 2.0, 1.0];
        let c = harrell_c(&time, &event, &risk).unwrap();
        assert_eq!(
            (c.concordant, c.discordant, c.tied_risk, c.tied_time),
            (18, 0, 2, 2)
        );
        assert_eq!(c.comparable, 20);
        assert_eq!(c.c, 0.95);
    }

    #[test]
    fn rossi_matches_reference_counts() {
        // cindex_harrell.csv: lifelines, scikit-survival and R survival agree on the counts.
        let text = std::fs::read_to_string(ROSSI).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let rows: Vec<Vec<f64>> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        let time: Vec<f64> = rows.iter().map(|r| r[col("week")]).collect();
        let event: Vec<bool> = rows.iter().map(|r| r[col("arrest")] == 1.0).collect();
        let score = |name: &str, sign: f64| -> Vec<f64> {
            rows.iter().map(|r| sign * r[col(name)]).collect()
        };

        let refs = std::fs::read_to_string(CINDEX).unwrap();
        let expected = |label: &str| -> (f64, u64, u64, u64, u64) {
            let line = refs.lines().find(|l| l.contains(label)).unwrap();
            let f: Vec<&str> = line.split(',').collect();
            (
                f[6].parse().unwrap(),
                f[7].parse().unwrap(),
                f[8].parse().unwrap(),
                f[9].parse().unwrap(),
                f[10].parse().unwrap(),
            )
        };
        for (label, risk) in [
            ("rossi,cox_lp", score("cox_lp", 1.0)),
            ("rossi,neg_age", score("age", -1.0)),
            ("rossi,prio", score("prio", 1.0)),
        ] {
            let (c_ref, conc, disc, tied, tied_time) = expected(label);
            let c = harrell_c(&time, &event, &risk).unwrap();
            assert_eq!(
                (c.concordant, c.discordant, c.tied_risk, c.tied_time),
                (conc, disc, tied, tied_time),
                "{label}"
            );
            // Reference printed to 15 digits; the ratio of exact integers is exact to 1 ulp.
            assert!((c.c - c_ref).abs() < 1e-13, "{label}: {} vs {c_ref}", c.c);
        }
    }

    #[test]
    fn case09a_tied_risk_gives_half() {
        let c = harrell_c(&[1.0, 2.0, 3.0], &[true; 3], &[5.0; 3]).unwrap();
        assert_eq!((c.c, c.comparable, c.tied_risk), (0.5, 3, 3));
    }

    #[test]
    fn case09b_direction_is_explicit() {
        let time = [1.0, 2.0, 3.0];
        let scores = [3.0, 2.0, 1.0];
        assert_eq!(harrell_c(&time, &[true; 3], &scores).unwrap().c, 1.0);
        assert_eq!(
            harrell_c_predicted_time(&time, &[true; 3], &scores)
                .unwrap()
                .c,
            0.0
        );
    }

    #[test]
    fn case09c_one_subject_is_an_error() {
        let err = harrell_c(&[1.0], &[true], &[0.3]).unwrap_err();
        assert_eq!(err, ConcordanceError::TooFewSubjects { n: 1 });
        assert!(err.to_string().contains("at least 2 subjects"));
    }

    #[test]
    fn case09d_events_at_same_time_are_not_comparable() {
        let c = harrell_c(&[5.0, 5.0, 8.0], &[true; 3], &[0.9, 0.1, 0.5]).unwrap();
        assert_eq!((c.concordant, c.discordant, c.comparable), (1, 1, 2));
        assert_eq!(c.c, 0.5);
    }

    #[test]
    fn case10_event_and_censoring_at_same_time_are_comparable() {
        let time = [5.0, 5.0];
        let event = [true, false];
        assert_eq!(harrell_c(&time, &event, &[0.1, 0.9]).unwrap().c, 0.0);
        assert_eq!(harrell_c(&time, &event, &[0.9, 0.1]).unwrap().c, 1.0);
        assert_eq!(harrell_c(&time, &event, &[0.5, 0.5]).unwrap().c, 0.5);
    }

    #[test]
    fn no_events_is_an_error() {
        let err = harrell_c(&[1.0, 2.0], &[false, false], &[0.1, 0.2]).unwrap_err();
        assert_eq!(err, ConcordanceError::NoComparablePairs { n: 2, events: 0 });
    }

    #[test]
    fn non_finite_inputs_are_errors() {
        let err = harrell_c(&[1.0, f64::NAN], &[true, true], &[0.1, 0.2]).unwrap_err();
        assert!(matches!(
            err,
            ConcordanceError::NonFiniteTime { index: 1, .. }
        ));
        let err = harrell_c(&[1.0, 2.0], &[true, true], &[f64::INFINITY, 0.2]).unwrap_err();
        assert!(matches!(
            err,
            ConcordanceError::NonFiniteScore { index: 0, .. }
        ));
    }

    #[test]
    fn fenwick_counts_match_brute_force() {
        use rand::RngExt;
        let mut rng = crate::stats::rng::stream(3, "concordance/brute");
        for _ in 0..50 {
            let n = rng.random_range(2..80);
            let time: Vec<f64> = (0..n).map(|_| rng.random_range(0..10) as f64).collect();
            let event: Vec<bool> = (0..n).map(|_| rng.random::<bool>()).collect();
            let risk: Vec<f64> = (0..n).map(|_| rng.random_range(0..6) as f64).collect();
            let expected = brute(&time, &event, &risk);
            match harrell_c(&time, &event, &risk) {
                Ok(c) => assert_eq!((c.concordant, c.discordant, c.tied_risk), expected),
                Err(_) => assert_eq!(expected, (0, 0, 0)),
            }
        }
    }

    #[test]
    fn uno_equals_harrell_without_censoring() {
        // G = 1 when nobody is censored, so every weight is 1.
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 6.0];
        let risk = [5.0, 1.0, 4.0, 3.0, 3.5, 2.0];
        let h = harrell_c(&time, &[true; 6], &risk).unwrap();
        let u = uno_c(&time, &[true; 6], &risk, None).unwrap();
        assert_eq!(u.c, h.c);
        assert_eq!(u.comparable, h.comparable);
    }

    #[test]
    fn uno_hand_case_with_censoring() {
        // times 1,2,3,4; subject 1 censored at 2; risks 4,3,1,2.
        // Censoring KM: at s = 2, 3 at risk, 1 censored, so G(3-) = G(4-) = 2/3; G(1-) = 1.
        // Event at 1 (w = 1): 3 comparable, all concordant. Event at 3 (w = 9/4): 1
        // comparable (time 4), discordant. Event at 4: none.
        // Uno C = 3 / (3 + 9/4) = 4/7; Harrell C = 3/4.
        let time = [1.0, 2.0, 3.0, 4.0];
        let event = [true, false, true, true];
        let risk = [4.0, 3.0, 1.0, 2.0];
        let u = uno_c(&time, &event, &risk, None).unwrap();
        assert!((u.c - 4.0 / 7.0).abs() < 1e-15, "{}", u.c);
        assert!((u.weighted_discordant - 2.25).abs() < 1e-15);
        assert_eq!(harrell_c(&time, &event, &risk).unwrap().c, 0.75);

        // Truncation at tau = 2: only the pair starting at time 1 counts.
        let u = uno_c(&time, &event, &risk, Some(2.0)).unwrap();
        assert_eq!((u.c, u.comparable), (1.0, 3));
        let err = uno_c(&time, &event, &risk, Some(1.0)).unwrap_err();
        assert!(matches!(err, ConcordanceError::NoComparablePairs { .. }));
    }

    #[test]
    fn uno_rejects_non_finite_tau() {
        let err = uno_c(&[1.0, 2.0], &[true, true], &[1.0, 0.0], Some(f64::NAN)).unwrap_err();
        assert!(matches!(err, ConcordanceError::InvalidTau { .. }));
    }
}
