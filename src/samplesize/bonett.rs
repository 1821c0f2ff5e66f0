//! Sample size for a reliability (ICC) study from the desired confidence-interval width.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// Result of Bonett's calculation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilitySize {
    /// Planning value of the ICC.
    pub rho: f64,
    /// Raters (or repeated measurements) per subject.
    pub k: u32,
    /// Desired full width of the interval.
    pub width: f64,
    /// Confidence level.
    pub level: f64,
    /// Unrounded sample size from the formula.
    pub n_exact: f64,
    /// Subjects required (ceiling).
    pub n: u64,
}

/// Errors of the reliability sample size.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BonettError {
    /// A value outside its domain.
    #[error("{name} = {value} is invalid: expected {expected}")]
    OutOfRange {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// Fewer than two raters.
    #[error("k = {k} raters: an ICC needs at least 2 ratings per subject")]
    TooFewRaters { k: u32 },
}

/// Subjects needed to estimate an ICC with a confidence interval of a given width.
///
/// # Formula
/// `n = 8 z^2 (1 - rho)^2 (1 + (k - 1) rho)^2 / (k (k - 1) w^2) + 1`, with
/// `z` the `(1 + level) / 2` standard normal quantile, `rho` the planning ICC, `k` ratings
/// per subject and `w` the desired interval width; rounded up.
///
/// # Reference
/// Bonett DG (2002) Sample size requirements for estimating intraclass correlations with
/// desired precision. Stat Med 21:1331-1335, equation (2). (Bonett suggests adding
/// `5 rho` subjects when k = 2 and rho >= 0.7 for small samples; that correction is not
/// applied here, as in R `ICC::Nest`.)
///
/// # Errors
/// [`BonettError::OutOfRange`] unless `0 <= rho < 1`, `0 < width < 2`, `0 < level < 1`;
/// [`BonettError::TooFewRaters`] for `k < 2`.
pub fn bonett_icc_n(
    rho: f64,
    k: u32,
    width: f64,
    level: f64,
) -> Result<ReliabilitySize, BonettError> {
    if !(0.0..1.0).contains(&rho) {
        return Err(BonettError::OutOfRange {
            name: "rho",
            value: rho,
            expected: "a planning ICC in [0, 1)",
        });
    }
    if k < 2 {
        return Err(BonettError::TooFewRaters { k });
    }
    if !(width > 0.0 && width < 2.0) {
        return Err(BonettError::OutOfRange {
            name: "width",
            value: width,
            expected: "an interval width in (0, 2)",
        });
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(BonettError::OutOfRange {
            name: "level",
            value: level,
            expected: "a confidence level in (0, 1)",
        });
    }

    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let kf = k as f64;
    let n_exact = 8.0 * z * z * (1.0 - rho).powi(2) * (1.0 + (kf - 1.0) * rho).powi(2)
        / (kf * (kf - 1.0) * width * width)
        + 1.0;
    Ok(ReliabilitySize {
        rho,
        k,
        width,
        level,
        n_exact,
        n: n_exact.ceil() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICC: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/samplesize_icc.csv"
    );

    #[test]
    fn every_reference_row_matches() {
        // samplesize_icc.csv: n_exact to 1e-9 (z differs from R's qnorm in the last bits
        // at most), n_required exactly. Rows include R ICC::Nest (rho 0.7, k 2, w 0.2 ->
        // 101) and the published 51 for rho 0.8, k 2, w 0.2.
        let text = std::fs::read_to_string(ICC).unwrap();
        let mut rows = 0;
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            let rho: f64 = f[2].parse().unwrap();
            let k: u32 = f[4].parse().unwrap();
            let width: f64 = f[5].trim_start_matches("w=").parse().unwrap();
            let n_exact: f64 = f[7].parse().unwrap();
            let n: u64 = f[8].parse().unwrap();
            let r = bonett_icc_n(rho, k, width, 0.95).unwrap();
            assert!(
                (r.n_exact - n_exact).abs() < 1e-9,
                "{}: {}",
                f[0],
                r.n_exact
            );
            assert_eq!(r.n, n, "{}", f[0]);
            rows += 1;
        }
        assert_eq!(rows, 6);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            bonett_icc_n(0.8, 1, 0.2, 0.95),
            Err(BonettError::TooFewRaters { k: 1 })
        );
        assert!(matches!(
            bonett_icc_n(1.0, 2, 0.2, 0.95),
            Err(BonettError::OutOfRange { .. })
        ));
        assert!(matches!(
            bonett_icc_n(0.8, 2, 0.0, 0.95),
            Err(BonettError::OutOfRange { .. })
        ));
    }
}
