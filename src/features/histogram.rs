//! Intensity histogram features (IBSI-1 section 3.4, family code ZVCW).
//!
//! Symbols: `X_d` the discretised grey levels of the `N_v` voxels in the intensity mask,
//! `N_g` the number of grey levels, `n_i` the count of level `i` and `p_i = n_i / N_v`.
//! The first fifteen features apply the statistical formulas of
//! [`super::statistics`] to `X_d` (same percentile convention).
//!
//! Degenerate cases: as in [`super::statistics`]; with one grey level the gradient
//! features use a one-bin histogram (gradient 0).

use super::statistics::{ratio_or_nan, Summary};
use super::FeatureList;
use crate::preprocess::Discretised;

/// Feature names in output order.
pub const NAMES: [&str; 23] = [
    "ih.mean",
    "ih.var",
    "ih.skew",
    "ih.kurt",
    "ih.median",
    "ih.min",
    "ih.p10",
    "ih.p90",
    "ih.max",
    "ih.mode",
    "ih.iqr",
    "ih.range",
    "ih.mad",
    "ih.rmad",
    "ih.medad",
    "ih.cov",
    "ih.qcod",
    "ih.entropy",
    "ih.uniformity",
    "ih.max_grad",
    "ih.max_grad_gl",
    "ih.min_grad",
    "ih.min_grad_gl",
];

/// The intensity histogram family.
///
/// # Features (IBSI code)
/// `ih.mean` (X6K6), `ih.var` (CH89), `ih.skew` (88K1), `ih.kurt` (C3I7, excess),
/// `ih.median` (WIFQ), `ih.min` (1PR8), `ih.p10` (the manual repeats 1PR8 here, see the
/// registry), `ih.p90` (GPMT), `ih.max` (3NCY), `ih.iqr` (WR0O), `ih.range` (5Z3W),
/// `ih.mad` (D2ZX), `ih.rmad` (WRZB), `ih.medad` (4RNL), `ih.cov` (CWYJ), `ih.qcod` (SLWD):
/// the formulas of the statistical family on `X_d`;
/// - `ih.mode` (AMMC): the most frequent level; ties go to the level closest to the
///   mean, then the lower one
/// - `ih.entropy` (TLU2): `-sum p_i log2 p_i`
/// - `ih.uniformity` (BJ5W): `sum p_i^2`
/// - gradient `H'_1 = n_2 - n_1`, `H'_i = (n_{i+1} - n_{i-1}) / 2`,
///   `H'_{N_g} = n_{N_g} - n_{N_g - 1}` over all `N_g` bins (empty ones too);
///   `ih.max_grad` (12CE) = `max H'`, `ih.max_grad_gl` (8E6O) its level (the lowest on
///   ties), `ih.min_grad` (VQB3), `ih.min_grad_gl` (RHQZ) likewise.
pub fn features(d: &Discretised) -> FeatureList {
    let x_d: Vec<f64> = d
        .levels
        .iter()
        .filter(|&&l| l > 0)
        .map(|&l| l as f64)
        .collect();
    let Some(s) = Summary::new(&x_d) else {
        tracing::warn!("ih.*: empty intensity mask; NaN");
        return NAMES.iter().map(|n| (n.to_string(), f64::NAN)).collect();
    };
    let n_v = x_d.len() as f64;
    let n_g = d.n_g.max(d.levels.iter().copied().max().unwrap_or(1)) as usize;

    // Histogram n_i, i = 1..=N_g (index i - 1).
    let mut n = vec![0f64; n_g];
    for &l in d.levels.iter().filter(|&&l| l > 0) {
        n[l as usize - 1] += 1.0;
    }

    // Mode: highest count, ties to the level closest to the mean.
    let top = n.iter().copied().fold(0.0, f64::max);
    let mode = (1..=n_g)
        .filter(|&i| n[i - 1] == top)
        .min_by(|&a, &b| {
            let (da, db) = ((a as f64 - s.mean).abs(), (b as f64 - s.mean).abs());
            da.total_cmp(&db).then(a.cmp(&b))
        })
        .unwrap_or(1) as f64;

    // Entropy and uniformity.
    let (mut entropy, mut uniformity) = (0.0, 0.0);
    for &c in &n {
        if c > 0.0 {
            let p = c / n_v;
            entropy -= p * p.log2();
            uniformity += p * p;
        }
    }

    // Histogram gradient.
    let grad: Vec<f64> = (0..n_g)
        .map(|i| {
            if n_g == 1 {
                0.0
            } else if i == 0 {
                n[1] - n[0]
            } else if i == n_g - 1 {
                n[n_g - 1] - n[n_g - 2]
            } else {
                (n[i + 1] - n[i - 1]) / 2.0
            }
        })
        .collect();
    let (mut i_max, mut i_min) = (0, 0);
    for i in 1..n_g {
        if grad[i] > grad[i_max] {
            i_max = i;
        }
        if grad[i] < grad[i_min] {
            i_min = i;
        }
    }

    let (p10, p25, p75, p90) = (
        s.percentile(10.0),
        s.percentile(25.0),
        s.percentile(75.0),
        s.percentile(90.0),
    );
    let median = s.percentile(50.0);
    let (min, max) = (s.sorted[0], s.sorted[s.sorted.len() - 1]);
    let values = [
        s.mean,
        s.var,
        s.skew,
        s.kurt,
        median,
        min,
        p10,
        p90,
        max,
        mode,
        p75 - p25,
        max - min,
        s.mean_abs_dev(s.mean),
        s.robust_mad(),
        s.mean_abs_dev(median),
        ratio_or_nan(s.var.sqrt(), s.mean, "ih.cov", "mean grey level is 0"),
        ratio_or_nan(p75 - p25, p75 + p25, "ih.qcod", "P75 + P25 is 0"),
        entropy,
        uniformity,
        grad[i_max],
        (i_max + 1) as f64,
        grad[i_min],
        (i_min + 1) as f64,
    ];
    NAMES
        .iter()
        .zip(values)
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn gradient_uses_empty_bins() {
        // Levels 1 x3, 3 x1 with N_g = 3: n = [3, 0, 1], H' = [-3, -1, 1].
        let levels = Array3::from_shape_vec((1, 1, 4), vec![1, 1, 1, 3]).unwrap();
        let f = features(&Discretised { levels, n_g: 3 });
        let get = |k: &str| f.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(get("ih.max_grad"), 1.0);
        assert_eq!(get("ih.max_grad_gl"), 3.0);
        assert_eq!(get("ih.min_grad"), -3.0);
        assert_eq!(get("ih.min_grad_gl"), 1.0);
        assert_eq!(get("ih.mode"), 1.0);
        // Entropy of (3/4, 1/4).
        let h = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        assert!((get("ih.entropy") - h).abs() < 1e-12);
    }
}
