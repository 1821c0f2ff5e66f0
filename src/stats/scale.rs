//! Power-of-two rescaling of ratings whose magnitude would overflow or underflow sums of
//! squares.
//!
//! The ICC and the CCC are ratios of (co)variances, so dividing every rating by the same
//! positive constant leaves them unchanged. With ratings near `1e155` the squared
//! deviations reach `1e310` and overflow to infinity; near `1e-170` they underflow to
//! zero. Dividing by a power of two is exact in binary floating point (no rounding, as long
//! as nothing becomes subnormal), so a rescaled table gives bit for bit the results the
//! unscaled one would give if the arithmetic had unlimited range.

/// Largest and smallest magnitudes left as they are: `2^64` and `2^-64` (about `1.8e19`
/// and `5.4e-20`), far from the range where sums of squares of thousands of values
/// overflow (`~1e150`) or underflow (`~1e-150`).
const LIMIT_EXP: i32 = 64;

/// The power of two to multiply every value by (1 when the largest finite `|value|` is
/// within `[2^-64, 2^64]`, or zero, or there is none); otherwise `2^-e` with `e` the
/// binary exponent of the largest `|value|`, which brings it into `[1, 2)`.
pub fn pow2_factor<'a>(values: impl IntoIterator<Item = &'a f64>) -> f64 {
    let max = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    if max == 0.0 || (max >= 2f64.powi(-LIMIT_EXP) && max <= 2f64.powi(LIMIT_EXP)) {
        return 1.0;
    }
    // `log2().floor()` may be off by one at exact powers of two: any power of two is exact,
    // so that only moves the scaled maximum to [0.5, 4).
    let e = (max.log2().floor() as i32).clamp(-1000, 1000);
    2f64.powi(-e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_magnitudes_are_left_alone() {
        assert_eq!(pow2_factor(&[1.0, -3e10, 2e-12]), 1.0);
        assert_eq!(pow2_factor(&[0.0, 0.0]), 1.0);
        assert_eq!(pow2_factor(&[f64::NAN]), 1.0);
    }

    #[test]
    fn huge_and_tiny_magnitudes_come_near_one_exactly() {
        for x in [3e200, -7e155, 4e-170, 1e300] {
            let s = pow2_factor(&[x, x / 3.0]);
            let scaled = (x * s).abs();
            assert!((0.5..4.0).contains(&scaled), "{x}: {scaled}");
            // A power of two: scaling back is exact.
            assert_eq!((x * s) / s, x);
            assert_eq!(s.log2().fract(), 0.0);
        }
    }
}
