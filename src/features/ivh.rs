//! Intensity-volume histogram features (IBSI-1 section 3.5, family code P88C).
//!
//! The intensities `X_gl` of the intensity mask become discretised intensities
//! `X_d,gl` on a total range `G` with interval `w_d`, by one of the three IBSI cases
//! ([`IvhDiscretisation`]). For each `i` in `G` (step `w_d`, absent intensities included):
//! fractional volume `nu_i = 1 - (1/N_v) sum [X_d,gl < i]` and intensity fraction
//! `gamma_i = (i - min G) / (max G - min G)`.
//!
//! Degenerate cases: a total range of one intensity (`max G = min G`) makes `gamma`
//! undefined: the fractions are NaN and the AUC 0 (IBSI's convention for one level),
//! with a warning. An empty intensity mask gives NaN.

use serde::{Deserialize, Serialize};

use super::FeatureList;

/// How IVH intensities are discretised (IBSI-1 section 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IvhDiscretisation {
    /// Discrete calibrated intensities (e.g. CT HU): used as they are, `w_d = 1`,
    /// `G` = the re-segmentation range (its missing bounds from the ROI).
    Calibrated,
    /// Continuous calibrated intensities: fixed bin size from the lower
    /// re-segmentation bound (else the ROI minimum), replaced by the bin centres;
    /// `G = [X_min + w/2, X_max - w/2]`, `w_d = w`.
    BinWidth(f64),
    /// Arbitrary units: fixed bin number over the ROI range, `G = [1, N_g]`, `w_d = 1`.
    BinCount(u32),
}

/// Feature names in output order.
pub const NAMES: [&str; 7] = [
    "ivh.v10",
    "ivh.v90",
    "ivh.i10",
    "ivh.i90",
    "ivh.v10_minus_v90",
    "ivh.i10_minus_i90",
    "ivh.auc",
];

/// The IVH family.
///
/// `range` is the re-segmentation range `(lower, upper)`.
///
/// # Features (IBSI code)
/// - `ivh.v10`, `ivh.v90` (BC2M): largest `nu` with `gamma >= 0.10` (0.90)
/// - `ivh.i10`, `ivh.i90` (GBPN): smallest `i` with `nu_i <= 0.10` (0.90)
/// - `ivh.v10_minus_v90` (DDTU), `ivh.i10_minus_i90` (CNV2)
/// - `ivh.auc`: area under `nu(gamma)` by the trapezoidal rule (no reference value for
///   the CT configurations A and B)
pub fn features(
    x_gl: &[f64],
    method: IvhDiscretisation,
    range: (Option<f64>, Option<f64>),
) -> FeatureList {
    let nan = || NAMES.iter().map(|n| (n.to_string(), f64::NAN)).collect();
    if x_gl.is_empty() {
        tracing::warn!("ivh.*: empty intensity mask; NaN");
        return nan();
    }
    let min = x_gl.iter().copied().fold(f64::INFINITY, f64::min);
    let max = x_gl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = range.0.filter(|v| v.is_finite()).unwrap_or(min);
    let hi = range.1.filter(|v| v.is_finite()).unwrap_or(max);

    // Discretised intensities, total range and interval.
    let (mut x_dgl, g_lo, g_hi, w_d): (Vec<f64>, f64, f64, f64) = match method {
        IvhDiscretisation::Calibrated => (x_gl.to_vec(), lo, hi, 1.0),
        IvhDiscretisation::BinWidth(w) => {
            let x = x_gl
                .iter()
                .map(|&x| lo + (((x - lo) / w).floor() + 0.5) * w)
                .collect();
            (x, lo + 0.5 * w, hi - 0.5 * w, w)
        }
        IvhDiscretisation::BinCount(n_g) => {
            let n = n_g as f64;
            let x = x_gl
                .iter()
                .map(|&x| {
                    if max > min {
                        ((n * (x - min) / (max - min)).floor() + 1.0).min(n)
                    } else {
                        1.0
                    }
                })
                .collect();
            (x, 1.0, n, 1.0)
        }
    };
    x_dgl.sort_by(f64::total_cmp);
    if g_hi <= g_lo {
        tracing::warn!("ivh.*: the total range holds one intensity; fractions NaN, AUC 0");
        let mut out: FeatureList = nan();
        out[6].1 = 0.0;
        return out;
    }

    // nu_i and gamma_i on the grid of G.
    let n_v = x_dgl.len() as f64;
    let k_max = ((g_hi - g_lo) / w_d).round() as usize;
    let eps = 1e-9 * w_d;
    let grid: Vec<(f64, f64, f64)> = (0..=k_max)
        .map(|k| {
            let i = g_lo + k as f64 * w_d;
            let below = x_dgl.partition_point(|&x| x < i - eps) as f64;
            (i, (i - g_lo) / (g_hi - g_lo), 1.0 - below / n_v)
        })
        .collect();

    let v_at = |x: f64| {
        grid.iter()
            .find(|&&(_, g, _)| g >= x - 1e-12)
            .map_or(f64::NAN, |&(_, _, nu)| nu)
    };
    let i_at = |x: f64| {
        grid.iter()
            .find(|&&(_, _, nu)| nu <= x + 1e-12)
            .map_or_else(
                || {
                    tracing::warn!(
                        "ivh.i{}: no intensity holds at most {x} of the volume",
                        x * 100.0
                    );
                    f64::NAN
                },
                |&(i, _, _)| i,
            )
    };
    let (v10, v90, i10, i90) = (v_at(0.1), v_at(0.9), i_at(0.1), i_at(0.9));
    let auc: f64 = grid
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) * (w[0].2 + w[1].2) / 2.0)
        .sum();
    let values = [v10, v90, i10, i90, v10 - v90, i10 - i90, auc];
    NAMES
        .iter()
        .zip(values)
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_width_uses_bin_centres_and_range() {
        // Range [-1000, 400], w 2.5: G = [-998.75, 398.75]; a value of -1000 maps to the
        // first centre, so nu at the first grid point is 1.
        let f = features(
            &[-1000.0, 0.0, 100.0],
            IvhDiscretisation::BinWidth(2.5),
            (Some(-1000.0), Some(400.0)),
        );
        let v10 = f[0].1;
        // gamma >= 0.1 first at i = -998.75 + 0.1 * 1397.5 = -859 (rounded up to a grid
        // point): 2 of 3 voxels are at or above it.
        assert!((v10 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn one_intensity_gives_auc_zero() {
        let f = features(&[3.0, 3.0], IvhDiscretisation::Calibrated, (None, None));
        assert_eq!(f[6].1, 0.0);
        assert!(f[0].1.is_nan());
    }
}
