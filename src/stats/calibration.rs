//! Calibration of predicted probabilities on held-out rows: the Brier score, the
//! calibration intercept (calibration-in-the-large) and the calibration slope.
//!
//! Conventions: `lp` is the model's linear predictor (log-odds) on the held-out rows and
//! `y` the observed labels (`true` = case). A perfectly calibrated model has intercept 0
//! and slope 1; a slope below 1 means predictions too extreme (overfitting).

use thiserror::Error;

/// Errors of the calibration measures.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrationError {
    /// Inputs differ in length or are empty.
    #[error("{what}: {a} predictions and {b} labels; expected equal, non-zero lengths")]
    Length {
        what: &'static str,
        a: usize,
        b: usize,
    },
    /// A prediction is NaN or infinite.
    #[error("prediction {value} at index {index} is not finite")]
    NonFinite { index: usize, value: f64 },
    /// One class only: the logistic recalibration has no finite solution.
    #[error("calibration needs both classes; got {n1} cases of {n}")]
    SingleClass { n1: usize, n: usize },
    /// The predictions separate the classes completely: no finite slope exists.
    #[error("predictions separate the classes completely; the calibration slope is infinite")]
    Separated,
    /// Newton's method did not converge (e.g. separable predictions).
    #[error("calibration fit did not converge after {iterations} iterations")]
    NotConverged { iterations: usize },
}

fn check(lp: &[f64], y: &[bool], what: &'static str) -> Result<usize, CalibrationError> {
    if lp.len() != y.len() || lp.is_empty() {
        return Err(CalibrationError::Length {
            what,
            a: lp.len(),
            b: y.len(),
        });
    }
    if let Some((index, &value)) = lp.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CalibrationError::NonFinite { index, value });
    }
    Ok(y.iter().filter(|&&v| v).count())
}

fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// Brier score of probabilities `p` for labels `y`.
///
/// # Formula
/// `BS = (1/n) sum_i (p_i - y_i)^2`.
///
/// # Reference
/// Brier (1950), Monthly Weather Review 78:1.
///
/// # Errors
/// [`CalibrationError::Length`], [`CalibrationError::NonFinite`].
pub fn brier(p: &[f64], y: &[bool]) -> Result<f64, CalibrationError> {
    check(p, y, "Brier score")?;
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(pi, &yi)| {
            let d = pi - if yi { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    Ok(s / p.len() as f64)
}

/// Calibration slope: `b` of the logistic regression `logit P(y) = a + b lp`.
///
/// # Formula
/// Maximum likelihood for `(a, b)` by Newton's method on the 2 x 2 information.
///
/// # Reference
/// Cox (1958), Biometrika 45:562; Van Calster et al. (2019), BMC Med 17:230
/// ("Calibration: the Achilles heel of predictive analytics").
///
/// # Errors
/// Length, non-finite, single class, [`CalibrationError::Separated`] when every case
/// scores above every control (or below), or no convergence.
///
/// # Degenerate cases
/// Constant `lp` has no slope: [`CalibrationError::NotConverged`] (singular information).
pub fn calibration_slope(lp: &[f64], y: &[bool]) -> Result<f64, CalibrationError> {
    let n1 = check(lp, y, "calibration slope")?;
    if n1 == 0 || n1 == y.len() {
        return Err(CalibrationError::SingleClass { n1, n: y.len() });
    }
    let (mut case_min, mut case_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut ctrl_min, mut ctrl_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (&x, &yi) in lp.iter().zip(y) {
        if yi {
            (case_min, case_max) = (case_min.min(x), case_max.max(x));
        } else {
            (ctrl_min, ctrl_max) = (ctrl_min.min(x), ctrl_max.max(x));
        }
    }
    if case_min > ctrl_max || case_max < ctrl_min {
        return Err(CalibrationError::Separated);
    }
    let loglik = |a: f64, b: f64| -> f64 {
        lp.iter()
            .zip(y)
            .map(|(&x, &yi)| {
                let eta = a + b * x;
                let log1p_exp = if eta > 0.0 {
                    eta + (-eta).exp().ln_1p()
                } else {
                    eta.exp().ln_1p()
                };
                if yi {
                    eta - log1p_exp
                } else {
                    -log1p_exp
                }
            })
            .sum()
    };
    let (mut a, mut b) = (0.0f64, 1.0f64);
    let mut ll = loglik(a, b);
    for it in 0..200 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &yi) in lp.iter().zip(y) {
            let p = sigmoid(a + b * x);
            let r = if yi { 1.0 } else { 0.0 } - p;
            let w = p * (1.0 - p);
            g0 += r;
            g1 += r * x;
            h00 += w;
            h01 += w * x;
            h11 += w * x * x;
        }
        let det = h00 * h11 - h01 * h01;
        if !(det > 1e-300) {
            return Err(CalibrationError::NotConverged { iterations: it });
        }
        let da = (h11 * g0 - h01 * g1) / det;
        let db = (h00 * g1 - h01 * g0) / det;

        // Newton step, halved while the log-likelihood decreases.
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let (na, nb) = (a + step * da, b + step * db);
            let nll = loglik(na, nb);
            if nll.is_finite() && nll >= ll - 1e-12 * ll.abs().max(1.0) {
                (a, b, ll) = (na, nb, nll);
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted || !(a.is_finite() && b.is_finite()) || b.abs() > 1e6 {
            return Err(CalibrationError::NotConverged { iterations: it });
        }
        if (step * da).abs().max((step * db).abs()) < 1e-10 * (1.0 + b.abs()) {
            return Ok(b);
        }
    }
    Err(CalibrationError::NotConverged { iterations: 200 })
}

/// Calibration intercept (calibration-in-the-large): `a` of `logit P(y) = a + lp` with
/// `lp` as an offset.
///
/// # Formula
/// Maximum likelihood for `a` (one-parameter Newton): `sum_i (y_i - expit(a + lp_i)) = 0`.
///
/// # Reference
/// Van Calster et al. (2016), J Clin Epidemiol 74:167, "A calibration hierarchy for risk
/// models" (calibration-in-the-large).
///
/// # Errors
/// Length, non-finite, single class or no convergence.
pub fn calibration_intercept(lp: &[f64], y: &[bool]) -> Result<f64, CalibrationError> {
    let n1 = check(lp, y, "calibration intercept")?;
    if n1 == 0 || n1 == y.len() {
        return Err(CalibrationError::SingleClass { n1, n: y.len() });
    }
    let mut a = 0.0f64;
    for _ in 0..200 {
        let (mut g, mut h) = (0.0, 0.0);
        for (&x, &yi) in lp.iter().zip(y) {
            let p = sigmoid(a + x);
            g += if yi { 1.0 } else { 0.0 } - p;
            h += p * (1.0 - p);
        }
        if !(h > 0.0) {
            break;
        }
        // Damped step: the score is monotone in a, so clipping keeps Newton safe.
        let d = (g / h).clamp(-5.0, 5.0);
        a += d;
        if d.abs() < 1e-12 * (1.0 + a.abs()) {
            return Ok(a);
        }
    }
    Err(CalibrationError::NotConverged { iterations: 200 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brier_by_hand() {
        // (0.2^2 + 0.4^2 + 0.1^2) / 3 = 0.07
        let b = brier(&[0.8, 0.4, 0.1], &[true, false, false]).unwrap();
        assert!((b - 0.07).abs() < 1e-15);
    }

    #[test]
    fn perfectly_calibrated_lp_has_slope_one_intercept_zero() {
        // Labels drawn exactly in proportion: for lp values l with 1000 rows each, the
        // share of cases equals expit(l) (rounded counts), so the MLE is close to (0, 1).
        let mut lp = Vec::new();
        let mut y = Vec::new();
        for &l in &[-2.0f64, -1.0, 0.0, 1.0, 2.0] {
            let k = (1000.0 * sigmoid(l)).round() as usize;
            for i in 0..1000 {
                lp.push(l);
                y.push(i < k);
            }
        }
        let s = calibration_slope(&lp, &y).unwrap();
        let a = calibration_intercept(&lp, &y).unwrap();
        assert!((s - 1.0).abs() < 2e-3, "{s}");
        assert!(a.abs() < 2e-3, "{a}");
    }

    #[test]
    fn doubled_lp_halves_the_slope() {
        // Scaling the predictor by 2 scales the fitted slope by 1/2 exactly.
        let lp: Vec<f64> = (0..40).map(|i| (i as f64 - 20.0) / 10.0).collect();
        let y: Vec<bool> = (0..40).map(|i| (i * 7) % 10 < i / 4).collect();
        let s1 = calibration_slope(&lp, &y).unwrap();
        let lp2: Vec<f64> = lp.iter().map(|v| 2.0 * v).collect();
        let s2 = calibration_slope(&lp2, &y).unwrap();
        assert!((s1 - 2.0 * s2).abs() < 1e-9, "{s1} {s2}");
    }

    #[test]
    fn separated_predictions_have_no_slope() {
        let err = calibration_slope(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]);
        assert_eq!(err.unwrap_err(), CalibrationError::Separated);
    }

    #[test]
    fn single_class_is_an_error() {
        let err = calibration_slope(&[0.1, 0.2], &[true, true]).unwrap_err();
        assert_eq!(err, CalibrationError::SingleClass { n1: 2, n: 2 });
    }
}
