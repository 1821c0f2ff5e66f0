//! Feature aggregation over slices and directions (IBSI-1 manual, sections 3.6.1 and
//! 3.8.1, "Aggregating features").
//!
//! Directional families (GLCM, GLRLM) have six methods; the direction-free families
//! (GLSZM, GLDZM, NGTDM, NGLDM) have three. "Averaged" methods compute features per matrix
//! and take the arithmetic mean; "merged" methods sum the count matrices first.

use super::FeatureInfo;

/// An IBSI aggregation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aggregation {
    /// Per slice and in-plane direction, averaged over both (IBSI BTW3).
    Avg2d,
    /// Per slice, the in-plane directional matrices summed, averaged over slices
    /// (IBSI SUJT).
    SliceMerged2d,
    /// Per in-plane direction, matrices summed over slices, averaged over directions
    /// (IBSI JJUI).
    DirectionMerged2_5d,
    /// All 2D matrices summed into one (IBSI ZW7Z).
    Merged2_5d,
    /// Per 3D direction (13), averaged (IBSI ITBB).
    Avg3d,
    /// The 13 directional 3D matrices summed into one (IBSI IAZD).
    Merged3d,
    /// Direction-free families: per slice, averaged over slices (IBSI 8QNN for zones).
    Slice2d,
    /// Direction-free families: per-slice matrices summed (IBSI 62GR for zones).
    Merged2_5dFree,
    /// Direction-free families: one volumetric matrix (IBSI KOBO for zones).
    Volume3d,
}

impl Aggregation {
    /// The six methods of the directional families, in IBSI order.
    pub const DIRECTIONAL: [Aggregation; 6] = [
        Aggregation::Avg2d,
        Aggregation::SliceMerged2d,
        Aggregation::DirectionMerged2_5d,
        Aggregation::Merged2_5d,
        Aggregation::Avg3d,
        Aggregation::Merged3d,
    ];

    /// The three methods of the direction-free families.
    pub const FREE: [Aggregation; 3] = [
        Aggregation::Slice2d,
        Aggregation::Merged2_5dFree,
        Aggregation::Volume3d,
    ];

    /// Suffix of canonical feature names (`glcm.joint_max.3d_avg`).
    pub fn tag(self) -> &'static str {
        match self {
            Aggregation::Avg2d => "2d_avg",
            Aggregation::SliceMerged2d => "2d_smrg",
            Aggregation::DirectionMerged2_5d => "2_5d_dmrg",
            Aggregation::Merged2_5d => "2_5d_mrg",
            Aggregation::Avg3d => "3d_avg",
            Aggregation::Merged3d => "3d_mrg",
            Aggregation::Slice2d => "2d",
            Aggregation::Merged2_5dFree => "2_5d",
            Aggregation::Volume3d => "3d",
        }
    }

    /// The label of the IBSI reference tables (`reference_values.csv`, column
    /// `aggregation`).
    pub fn reference_label(self) -> &'static str {
        match self {
            Aggregation::Avg2d => "2D, averaged",
            Aggregation::SliceMerged2d => "2D, slice-merged",
            Aggregation::DirectionMerged2_5d => "2.5D, direction-merged",
            Aggregation::Merged2_5d => "2.5D, merged",
            Aggregation::Avg3d => "3D, averaged",
            Aggregation::Merged3d => "3D, merged",
            Aggregation::Slice2d => "2D",
            Aggregation::Merged2_5dFree => "2.5D",
            Aggregation::Volume3d => "3D",
        }
    }

    /// Parses a canonical suffix ([`Aggregation::tag`]).
    pub fn from_tag(tag: &str) -> Option<Aggregation> {
        Self::DIRECTIONAL
            .into_iter()
            .chain(Self::FREE)
            .find(|a| a.tag() == tag)
    }
}

/// Mean of per-matrix feature vectors, feature by feature, over the finite values.
///
/// IBSI does not say what to do when a feature is undefined for some slices or
/// directions; we average the matrices where it is defined and warn, and return NaN when
/// it is defined for none. Summation runs in the order of `rows` (deterministic).
pub(crate) fn mean_finite(
    family: &str,
    table: &[FeatureInfo],
    agg: Aggregation,
    rows: &[Vec<f64>],
) -> Vec<f64> {
    (0..table.len())
        .map(|f| {
            let mut sum = 0.0;
            let mut n = 0usize;
            for row in rows {
                if row[f].is_finite() {
                    sum += row[f];
                    n += 1;
                }
            }
            if n < rows.len() && n > 0 {
                tracing::warn!(
                    "{family}.{}.{}: undefined in {} of {} matrices; averaged over the rest",
                    table[f].name,
                    agg.tag(),
                    rows.len() - n,
                    rows.len()
                );
            }
            if n == 0 {
                f64::NAN
            } else {
                sum / n as f64
            }
        })
        .collect()
}

/// Appends `family.feature.agg` pairs for the features IBSI defines, in `table` order.
pub(crate) fn push_ibsi(
    out: &mut Vec<(String, f64)>,
    family: &str,
    table: &[FeatureInfo],
    agg: Aggregation,
    values: &[f64],
) {
    for (info, &v) in table.iter().zip(values) {
        if info.ibsi.is_some() {
            out.push((format!("{family}.{}.{}", info.name, agg.tag()), v));
        }
    }
}

/// Appends only the features that have a PyRadiomics name (PyRadiomics mode).
pub(crate) fn push_pyradiomics(
    out: &mut Vec<(String, f64)>,
    family: &str,
    table: &[FeatureInfo],
    agg: Aggregation,
    values: &[f64],
) {
    for (info, &v) in table.iter().zip(values) {
        if info.pyradiomics.is_some() {
            out.push((format!("{family}.{}.{}", info.name, agg.tag()), v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[FeatureInfo] = &[FeatureInfo {
        name: "x",
        ibsi: None,
        pyradiomics: None,
    }];

    #[test]
    fn mean_skips_undefined_matrices() {
        let rows = vec![vec![1.0], vec![f64::NAN], vec![3.0]];
        assert_eq!(mean_finite("f", T, Aggregation::Avg2d, &rows), vec![2.0]);
    }

    #[test]
    fn mean_of_all_undefined_is_nan() {
        let rows = vec![vec![f64::NAN]];
        assert!(mean_finite("f", T, Aggregation::Avg2d, &rows)[0].is_nan());
        assert!(mean_finite("f", T, Aggregation::Avg2d, &[])[0].is_nan());
    }

    #[test]
    fn tags_round_trip() {
        for a in Aggregation::DIRECTIONAL
            .into_iter()
            .chain(Aggregation::FREE)
        {
            assert_eq!(Aggregation::from_tag(a.tag()), Some(a));
        }
    }
}
