//! Intensity-based statistical features (IBSI-1 section 3.3, family code UHIW).
//!
//! Symbols: `X_gl` the `N_v` intensities in the ROI intensity mask, `mu` their mean,
//! `P_q` the q-th percentile (linear interpolation between order statistics, Hyndman and
//! Fan type 7, as NumPy's default and PyRadiomics use; IBSI leaves the interpolation
//! open and its reference tolerances cover the choice).
//!
//! Degenerate cases: zero variance gives skewness and kurtosis 0 (IBSI convention);
//! a zero mean gives a NaN coefficient of variation and `P75 + P25 = 0` a NaN quartile
//! coefficient of dispersion, each with a warning. An empty intensity mask gives NaN
//! for every feature.

use super::FeatureList;

/// Moments and order statistics of a set of values, shared with the intensity histogram
/// family (which applies the same formulas to grey levels).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Values sorted ascending.
    pub sorted: Vec<f64>,
    /// Mean `mu`.
    pub mean: f64,
    /// Population variance `sum (x - mu)^2 / N`.
    pub var: f64,
    /// Skewness `m3 / m2^1.5` (0 at zero variance).
    pub skew: f64,
    /// Excess kurtosis `m4 / m2^2 - 3` (0 at zero variance).
    pub kurt: f64,
}

impl Summary {
    /// Summarises `values` (any order). `None` when empty.
    pub fn new(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mean = sorted.iter().sum::<f64>() / n;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &x in &sorted {
            let d = x - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
        let (skew, kurt) = if m2 > 0.0 {
            (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
        } else {
            (0.0, 0.0)
        };
        Some(Self {
            sorted,
            mean,
            var: m2,
            skew,
            kurt,
        })
    }

    /// Percentile `q` in `[0, 100]` (linear interpolation, type 7).
    pub fn percentile(&self, q: f64) -> f64 {
        percentile_sorted(&self.sorted, q)
    }

    /// Mean absolute deviation from `centre`.
    pub fn mean_abs_dev(&self, centre: f64) -> f64 {
        self.sorted.iter().map(|x| (x - centre).abs()).sum::<f64>() / self.sorted.len() as f64
    }

    /// Robust mean absolute deviation: over the values in `[P10, P90]`, the mean absolute
    /// deviation from their own mean.
    pub fn robust_mad(&self) -> f64 {
        let (p10, p90) = (self.percentile(10.0), self.percentile(90.0));
        let kept: Vec<f64> = self
            .sorted
            .iter()
            .copied()
            .filter(|&x| x >= p10 && x <= p90)
            .collect();
        if kept.is_empty() {
            return f64::NAN;
        }
        let m = kept.iter().sum::<f64>() / kept.len() as f64;
        kept.iter().map(|x| (x - m).abs()).sum::<f64>() / kept.len() as f64
    }
}

/// Linear-interpolation percentile of sorted values (type 7).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// `a / b`, NaN with a warning naming `feature` when `b` is 0.
pub fn ratio_or_nan(a: f64, b: f64, feature: &str, why: &str) -> f64 {
    if b == 0.0 {
        tracing::warn!("{feature}: undefined ({why}); NaN");
        f64::NAN
    } else {
        a / b
    }
}

/// The statistical family on the intensities `x_gl`.
///
/// `shift` is added to every intensity for energy, RMS and total energy only
/// (PyRadiomics `voxelArrayShift`; 0 for IBSI). `voxel_volume` (mm^3) scales total energy.
///
/// # Features (IBSI code)
/// - `stat.mean` (Q4LE): `mu = sum X / N_v`
/// - `stat.var` (ECT3): `sum (X - mu)^2 / N_v`
/// - `stat.skew` (KE2A): `m3 / m2^(3/2)`
/// - `stat.kurt` (IPH6): `m4 / m2^2 - 3` (excess kurtosis)
/// - `stat.median` (Y12H), `stat.min` (1GSF), `stat.p10` (QG58), `stat.p90` (8DWT),
///   `stat.max` (84IY)
/// - `stat.iqr` (SALO): `P75 - P25`; `stat.range` (2OJQ): `max - min`
/// - `stat.mad` (4FUA): `sum |X - mu| / N_v`
/// - `stat.rmad` (1128): mean absolute deviation from their mean of the values in
///   `[P10, P90]`
/// - `stat.medad` (N72L): `sum |X - median| / N_v`
/// - `stat.cov` (7TET): `sqrt(var) / mu`
/// - `stat.qcod` (9S40): `(P75 - P25) / (P75 + P25)`
/// - `stat.energy` (N8CA): `sum (X + shift)^2`; `stat.rms` (5ZWQ): `sqrt(energy / N_v)`
/// - not IBSI, for PyRadiomics: `stat.sd` (`sqrt(var)`, StandardDeviation),
///   `stat.kurt_pearson` (`m4 / m2^2`, Kurtosis), `stat.total_energy`
///   (`energy * voxel volume`, TotalEnergy)
pub fn features(x_gl: &[f64], shift: f64, voxel_volume: f64) -> FeatureList {
    let names = NAMES;
    let Some(s) = Summary::new(x_gl) else {
        tracing::warn!("stat.*: empty intensity mask; NaN");
        return names.iter().map(|n| (n.to_string(), f64::NAN)).collect();
    };
    let n_v = x_gl.len() as f64;
    let (p10, p25, p75, p90) = (
        s.percentile(10.0),
        s.percentile(25.0),
        s.percentile(75.0),
        s.percentile(90.0),
    );
    let median = s.percentile(50.0);
    let (min, max) = (s.sorted[0], s.sorted[s.sorted.len() - 1]);
    let energy: f64 = s.sorted.iter().map(|x| (x + shift) * (x + shift)).sum();
    let sd = s.var.sqrt();
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
        p75 - p25,
        max - min,
        s.mean_abs_dev(s.mean),
        s.robust_mad(),
        s.mean_abs_dev(median),
        ratio_or_nan(sd, s.mean, "stat.cov", "mean intensity is 0"),
        ratio_or_nan(p75 - p25, p75 + p25, "stat.qcod", "P75 + P25 is 0"),
        energy,
        (energy / n_v).sqrt(),
        sd,
        s.kurt + 3.0,
        energy * voxel_volume,
    ];
    names
        .iter()
        .zip(values)
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}

/// Feature names in output order.
pub const NAMES: [&str; 21] = [
    "stat.mean",
    "stat.var",
    "stat.skew",
    "stat.kurt",
    "stat.median",
    "stat.min",
    "stat.p10",
    "stat.p90",
    "stat.max",
    "stat.iqr",
    "stat.range",
    "stat.mad",
    "stat.rmad",
    "stat.medad",
    "stat.cov",
    "stat.qcod",
    "stat.energy",
    "stat.rms",
    "stat.sd",
    "stat.kurt_pearson",
    "stat.total_energy",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn get(f: &FeatureList, name: &str) -> f64 {
        f.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4], 10) = 1.3
        assert!((percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 10.0) - 1.3).abs() < 1e-12);
    }

    #[test]
    fn zero_variance_gives_zero_skew_and_kurtosis() {
        let f = features(&[5.0; 10], 0.0, 1.0);
        assert_eq!(get(&f, "stat.skew"), 0.0);
        assert_eq!(get(&f, "stat.kurt"), 0.0);
        assert_eq!(get(&f, "stat.var"), 0.0);
    }

    #[test]
    fn zero_mean_gives_nan_cov() {
        let f = features(&[-1.0, 1.0], 0.0, 1.0);
        assert!(get(&f, "stat.cov").is_nan());
    }

    #[test]
    fn empty_gives_nan() {
        let f = features(&[], 0.0, 1.0);
        assert!(f.iter().all(|(_, v)| v.is_nan()));
    }

    #[test]
    fn shift_changes_energy_only() {
        let a = features(&[1.0, 2.0, 4.0], 0.0, 2.0);
        let b = features(&[1.0, 2.0, 4.0], 10.0, 2.0);
        assert_eq!(get(&a, "stat.energy"), 21.0);
        assert_eq!(get(&b, "stat.energy"), 121.0 + 144.0 + 196.0);
        assert_eq!(get(&b, "stat.total_energy"), 2.0 * 461.0);
        assert_eq!(get(&a, "stat.mean"), get(&b, "stat.mean"));
    }
}
