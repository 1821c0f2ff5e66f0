//! Intervals for a single binomial proportion (sensitivity, specificity, prevalence).

use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// A proportion with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionInterval {
    /// The observed proportion `x / n`.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// Errors of the proportion functions.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProportionError {
    /// No trials.
    #[error("a proportion needs at least 1 trial; got n = 0")]
    NoTrials,
    /// More successes than trials.
    #[error("successes {successes} exceed trials {n}")]
    SuccessesExceedTrials { successes: u64, n: u64 },
    /// Confidence level outside (0, 1).
    #[error("confidence level {level} must lie strictly between 0 and 1")]
    InvalidLevel { level: f64 },
}

/// Wilson score interval for a binomial proportion.
///
/// # Formula
/// With `p = x / n`, `z` the `(1 + level) / 2` standard normal quantile:
/// `(2 n p + z^2 -/+ z sqrt(z^2 + 4 n p (1 - p))) / (2 (n + z^2))`,
/// the two roots of `|p - pi| = z sqrt(pi (1 - pi) / n)`. No continuity correction.
///
/// # Reference
/// Wilson EB (1927) J Am Stat Assoc 22:209; Newcombe RG (1998) Stat Med 17:857, method 3
/// (Table I gives worked examples).
///
/// # Errors
/// [`ProportionError::NoTrials`], [`ProportionError::SuccessesExceedTrials`],
/// [`ProportionError::InvalidLevel`].
///
/// # Degenerate cases
/// `x = 0` gives lower limit 0 and `x = n` upper limit 1, with a non-zero width.
pub fn wilson(successes: u64, n: u64, level: f64) -> Result<ProportionInterval, ProportionError> {
    if n == 0 {
        return Err(ProportionError::NoTrials);
    }
    if successes > n {
        return Err(ProportionError::SuccessesExceedTrials { successes, n });
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(ProportionError::InvalidLevel { level });
    }

    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let (x, nf) = (successes as f64, n as f64);
    let p = x / nf;
    let centre = 2.0 * nf * p + z * z;
    let half = z * (z * z + 4.0 * nf * p * (1.0 - p)).sqrt();
    let denom = 2.0 * (nf + z * z);

    // The exact ends: at x = 0 the lower root is 0 and at x = n the upper root is 1.
    let lower = if successes == 0 {
        0.0
    } else {
        (centre - half) / denom
    };
    let upper = if successes == n {
        1.0
    } else {
        (centre + half) / denom
    };
    Ok(ProportionInterval {
        estimate: p,
        lower,
        upper,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newcombe_1998_table_i_examples() {
        // Newcombe (1998) Stat Med 17:857, Table I, method 3 (score, no continuity
        // correction), printed to 4 decimals: tolerance half a unit in the 4th decimal.
        let cases = [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ];
        for (x, n, lo, hi) in cases {
            let w = wilson(x, n, 0.95).unwrap();
            assert!((w.lower - lo).abs() <= 5e-5, "{x}/{n}: lower {}", w.lower);
            assert!((w.upper - hi).abs() <= 5e-5, "{x}/{n}: upper {}", w.upper);
        }
    }

    #[test]
    fn all_successes_reach_one() {
        let w = wilson(10, 10, 0.95).unwrap();
        assert_eq!((w.estimate, w.upper), (1.0, 1.0));
        assert!(w.lower > 0.6 && w.lower < 0.8, "{}", w.lower);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(wilson(1, 0, 0.95).unwrap_err(), ProportionError::NoTrials);
        assert_eq!(
            wilson(5, 4, 0.95).unwrap_err(),
            ProportionError::SuccessesExceedTrials { successes: 5, n: 4 }
        );
        assert!(matches!(
            wilson(1, 4, 1.0).unwrap_err(),
            ProportionError::InvalidLevel { .. }
        ));
    }
}
