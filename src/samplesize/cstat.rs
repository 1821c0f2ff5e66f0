//! Cox-Snell R-squared implied by a reported C-statistic and outcome proportion.
//!
//! Riley, Van Calster & Collins (2021, Stat Med 40:859) assume the linear predictor is
//! normal with equal variance in events and non-events (binormal), so that
//! `C = Phi(mu / sqrt(2))`, i.e. the mean difference is `mu = sqrt(2) Phi^-1(C)` with unit
//! variances. They fit a logistic calibration model to one simulated sample of 10^6 and
//! read R2_CS off its likelihood-ratio statistic. Under the binormal model the logistic
//! model of the outcome on the linear predictor is *exactly* right, so as n grows the
//! per-observation log-likelihood ratio converges to the mutual information between the
//! outcome and the predictor; we compute that expectation by numerical integration
//! instead of simulation, which removes the Monte Carlo error and the seed.

use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// Errors of the C-statistic conversion.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CstatError {
    /// C outside [0.5, 1).
    #[error("C-statistic {value} must lie in [0.5, 1) (a C below 0.5 is a reversed model)")]
    InvalidC { value: f64 },
    /// Prevalence outside (0, 1).
    #[error("prevalence {value} must lie strictly between 0 and 1")]
    InvalidPrevalence { value: f64 },
}

/// Cox-Snell R-squared of a binary-outcome model from its C-statistic and prevalence.
///
/// # Formula
/// With `mu = sqrt(2) Phi^-1(C)`, events' linear predictor `X ~ N(mu, 1)` (proportion
/// `phi`) and non-events' `X ~ N(0, 1)`, the true risk is logistic in X:
/// `logit P(Y = 1 | x) = ln(phi / (1 - phi)) + mu x - mu^2 / 2`. The expected
/// log-likelihood per observation is
/// `l_1 = phi E_{N(mu,1)}[ln p(x)] + (1 - phi) E_{N(0,1)}[ln(1 - p(x))]`, the null model's
/// `l_0 = phi ln(phi) + (1 - phi) ln(1 - phi)`, so `LR / n -> 2 (l_1 - l_0)` and
/// `R2_CS = 1 - exp(-LR / n) = 1 - exp(-2 (l_1 - l_0))`.
/// The two normal expectations are computed by composite Simpson's rule over +/- 12 SD
/// with 4000 panels (error far below 1e-10 for these smooth integrands).
///
/// # Reference
/// Riley RD, Van Calster B, Collins GS (2021) A note on estimating the Cox-Snell R2 from
/// a reported C statistic (AUROC) to inform sample size calculations for developing a
/// prediction model with a binary outcome. Stat Med 40:859-864 (their simulation-based
/// approach, in pmsampsize as `cstat2rsq`, estimates the same quantity).
///
/// # Errors
/// [`CstatError::InvalidC`] unless `0.5 <= C < 1`; [`CstatError::InvalidPrevalence`].
///
/// # Degenerate cases
/// C = 0.5 gives R2_CS = 0 (no information).
pub fn r2cs_from_cstat(c: f64, prevalence: f64) -> Result<f64, CstatError> {
    if !(0.5..1.0).contains(&c) {
        return Err(CstatError::InvalidC { value: c });
    }
    if !(prevalence > 0.0 && prevalence < 1.0) {
        return Err(CstatError::InvalidPrevalence { value: prevalence });
    }
    let phi = prevalence;
    let mu = std::f64::consts::SQRT_2 * Normal::standard().inverse_cdf(c);

    // Log-odds of the true risk at x.
    let alpha = (phi / (1.0 - phi)).ln() - mu * mu / 2.0;
    let eta = |x: f64| alpha + mu * x;

    // ln p = -softplus(-eta); ln(1 - p) = -softplus(eta).
    let l_events = normal_expectation(mu, 1.0, |x| -softplus(-eta(x)));
    let l_non_events = normal_expectation(0.0, 1.0, |x| -softplus(eta(x)));
    let l_1 = phi * l_events + (1.0 - phi) * l_non_events;
    let l_0 = phi * phi.ln() + (1.0 - phi) * (1.0 - phi).ln();

    // l_1 >= l_0 in exact arithmetic; clamp rounding noise at C = 0.5.
    let lr_per_n = (2.0 * (l_1 - l_0)).max(0.0);
    Ok(1.0 - (-lr_per_n).exp())
}

/// `ln(1 + e^z)` without overflow.
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `E[f(X)]` for `X ~ N(mean, sd^2)` by composite Simpson's rule over `mean +/- 12 sd`.
pub(crate) fn normal_expectation(mean: f64, sd: f64, f: impl Fn(f64) -> f64) -> f64 {
    const PANELS: usize = 4000;
    const WIDTH: f64 = 12.0;
    let h = 2.0 * WIDTH / PANELS as f64;
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    let mut sum = 0.0;
    for i in 0..=PANELS {
        let z = -WIDTH + i as f64 * h;
        let weight = if i == 0 || i == PANELS {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        sum += weight * f(mean + sd * z) * norm * (-0.5 * z * z).exp();
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};

    /// Fits logistic regression of y on x (intercept + slope) by Newton's method and
    /// returns the likelihood-ratio statistic against the intercept-only model.
    fn logistic_lr(x: &[f64], y: &[bool]) -> f64 {
        let n = x.len() as f64;
        let events = y.iter().filter(|&&v| v).count() as f64;
        let (mut b0, mut b1) = ((events / (n - events)).ln(), 0.0);
        for _ in 0..12 {
            let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&xi, &yi) in x.iter().zip(y) {
                let p = 1.0 / (1.0 + (-(b0 + b1 * xi)).exp());
                let r = if yi { 1.0 } else { 0.0 } - p;
                let w = p * (1.0 - p);
                g0 += r;
                g1 += r * xi;
                h00 += w;
                h01 += w * xi;
                h11 += w * xi * xi;
            }
            let det = h00 * h11 - h01 * h01;
            b0 += (h11 * g0 - h01 * g1) / det;
            b1 += (h00 * g1 - h01 * g0) / det;
        }
        let ll: f64 = x
            .iter()
            .zip(y)
            .map(|(&xi, &yi)| {
                let eta = b0 + b1 * xi;
                if yi {
                    -softplus(-eta)
                } else {
                    -softplus(eta)
                }
            })
            .sum();
        let ll0 = events * (events / n).ln() + (n - events) * (1.0 - events / n).ln();
        2.0 * (ll - ll0)
    }

    #[test]
    fn matches_a_seeded_simulation_of_riley_2021() {
        // Independent check by the paper's own route: simulate the binormal linear
        // predictor (here n = 200,000 from a seeded stream), fit the logistic model, and
        // take R2_CS = 1 - exp(-LR / n). The simulation's standard error of LR / n is about
        // sqrt(2 I / n) (< 0.002 here); the tolerance 0.006 is three of those.
        for (c, phi) in [(0.8, 0.174), (0.7, 0.3), (0.9, 0.05)] {
            let mut rng = crate::stats::rng::stream(11, &format!("cstat/{c}/{phi}"));
            let n = 200_000;
            let mu = std::f64::consts::SQRT_2 * Normal::standard().inverse_cdf(c);
            let mut x = Vec::with_capacity(n);
            let mut y = Vec::with_capacity(n);
            for _ in 0..n {
                let event = rng.random::<f64>() < phi;
                let z: f64 = StandardNormal.sample(&mut rng);
                x.push(if event { mu + z } else { z });
                y.push(event);
            }
            let r2_sim = 1.0 - (-logistic_lr(&x, &y) / n as f64).exp();
            let r2 = r2cs_from_cstat(c, phi).unwrap();
            assert!(
                (r2 - r2_sim).abs() < 0.006,
                "C {c}, phi {phi}: {r2} vs {r2_sim}"
            );
        }
    }

    #[test]
    fn no_discrimination_gives_zero() {
        assert!(r2cs_from_cstat(0.5, 0.2).unwrap().abs() < 1e-12);
    }

    #[test]
    fn symmetric_in_prevalence() {
        // Swapping which class is the event (phi -> 1 - phi) and mirroring the predictor
        // leaves the mutual information, hence R2_CS, unchanged.
        let a = r2cs_from_cstat(0.81, 0.23).unwrap();
        let b = r2cs_from_cstat(0.81, 0.77).unwrap();
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn below_maximum_and_increasing_in_c() {
        let phi = 0.174;
        let max = crate::samplesize::riley::max_r2cs_binary(phi).unwrap();
        let mut last = 0.0;
        for c in [0.6, 0.7, 0.8, 0.9, 0.99] {
            let r2 = r2cs_from_cstat(c, phi).unwrap();
            assert!(r2 > last && r2 < max, "C {c}: {r2}");
            last = r2;
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(
            r2cs_from_cstat(0.4, 0.2),
            Err(CstatError::InvalidC { value: 0.4 })
        );
        assert_eq!(
            r2cs_from_cstat(1.0, 0.2),
            Err(CstatError::InvalidC { value: 1.0 })
        );
        assert!(matches!(
            r2cs_from_cstat(0.8, 0.0),
            Err(CstatError::InvalidPrevalence { .. })
        ));
        assert!(matches!(
            r2cs_from_cstat(f64::NAN, 0.2),
            Err(CstatError::InvalidC { .. })
        ));
    }
}
