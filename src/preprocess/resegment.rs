//! Re-segmentation (IBSI-1 section 2.5): removes voxels from the *intensity* mask only;
//! the morphological mask keeps the whole (interpolated) ROI.
//!
//! Order (IBSI): the range `[lower, upper]` first (IBSI "range re-segmentation"), then
//! outlier filtering at `mean +/- k * SD` of what remains (IBSI "intensity outlier
//! filtering", k = 3 in configurations D and E; PyRadiomics `resegmentMode: sigma`).
//! The SD is the population SD (divide by N), as in IBSI's statistics.

use ndarray::{Array3, Zip};
use serde::{Deserialize, Serialize};

/// Re-segmentation settings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resegment {
    /// Lower bound (inclusive) of the kept range; `None` = unbounded.
    pub lower: Option<f64>,
    /// Upper bound (inclusive); `None` = unbounded.
    pub upper: Option<f64>,
    /// Keep `mean +/- sigma * SD` (after the range); `None` = no outlier filtering.
    pub sigma: Option<f64>,
}

/// Voxel counts through re-segmentation (diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResegmentInfo {
    /// Voxels in the morphological mask.
    pub before: usize,
    /// After the range.
    pub after_range: usize,
    /// After outlier filtering.
    pub after_sigma: usize,
}

/// Returns the intensity mask: `morph` restricted by the range, then by the sigma rule.
///
/// # Degenerate cases
/// An intensity mask that becomes empty is returned empty with a warning; feature
/// families then report NaN.
pub fn resegment(
    image: &Array3<f64>,
    morph: &Array3<bool>,
    settings: &Resegment,
) -> (Array3<bool>, ResegmentInfo) {
    let lo = settings.lower.unwrap_or(f64::NEG_INFINITY);
    let hi = settings.upper.unwrap_or(f64::INFINITY);
    let before = morph.iter().filter(|&&m| m).count();

    // Range.
    let mut mask = Zip::from(image)
        .and(morph)
        .map_collect(|&x, &m| m && x >= lo && x <= hi);
    let after_range = mask.iter().filter(|&&m| m).count();

    // Outlier filtering, on the voxels the range kept.
    if let Some(k) = settings.sigma {
        let values: Vec<f64> = Zip::from(image)
            .and(&mask)
            .fold(Vec::new(), |mut v, &x, &m| {
                if m {
                    v.push(x);
                }
                v
            });
        if !values.is_empty() {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            let (a, b) = (mean - k * sd, mean + k * sd);
            Zip::from(&mut mask).and(image).for_each(|m, &x| {
                *m = *m && x >= a && x <= b;
            });
        }
    }
    let after_sigma = mask.iter().filter(|&&m| m).count();
    if after_sigma == 0 && before > 0 {
        tracing::warn!(
            "re-segmentation removed every ROI voxel (range [{lo}, {hi}], sigma {:?})",
            settings.sigma
        );
    }
    (
        mask,
        ResegmentInfo {
            before,
            after_range,
            after_sigma,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_inclusive_and_touches_intensity_mask_only() {
        let img = Array3::from_shape_vec((1, 1, 4), vec![-600.0, -500.0, 400.0, 401.0]).unwrap();
        let morph = img.mapv(|_| true);
        let s = Resegment {
            lower: Some(-500.0),
            upper: Some(400.0),
            sigma: None,
        };
        let (m, info) = resegment(&img, &morph, &s);
        assert_eq!(
            m.iter().copied().collect::<Vec<_>>(),
            vec![false, true, true, false]
        );
        assert_eq!((info.before, info.after_range), (4, 2));
        assert!(morph.iter().all(|&b| b));
    }

    #[test]
    fn three_sigma_removes_the_outlier() {
        // 20 zeros and one 100: mean 4.76, SD 21.3, so 100 > mean + 3 SD = 68.7.
        let mut v = vec![0.0; 20];
        v.push(100.0);
        let img = Array3::from_shape_vec((1, 1, 21), v).unwrap();
        let morph = img.mapv(|_| true);
        let s = Resegment {
            sigma: Some(3.0),
            ..Default::default()
        };
        let (m, info) = resegment(&img, &morph, &s);
        assert_eq!(info.after_sigma, 20);
        assert!(!m[[0, 0, 20]]);
    }
}
