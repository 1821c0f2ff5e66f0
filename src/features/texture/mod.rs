//! Texture features from grey-level matrices (IBSI-1 manual, sections 3.6-3.11): GLCM,
//! GLRLM, GLSZM, GLDZM, NGTDM and NGLDM, with every IBSI aggregation method, and a
//! PyRadiomics-compatible mode for the five families PyRadiomics implements.
//!
//! Each family file holds the matrix builder, one function per feature (formula and IBSI
//! code in its doc comment) and a static table mapping our canonical names to IBSI codes
//! and PyRadiomics names. All families read a [`Discretised`] grid through the shared
//! compact layout of [`grid`]; the GLDZM also takes the morphological mask, because IBSI
//! computes its distance map on that mask (section 3.10, "Morphological and intensity
//! masks").
//!
//! Canonical feature names are `family.feature.aggregation`, e.g. `glcm.joint_max.3d_avg`
//! (see [`Aggregation::tag`]); the feature part is the IBSI tag without its family prefix,
//! dots replaced by underscores (`cm.info.corr.1` -> `info_corr_1`).
//!
//! # Limitations
//! - Distance weighting (IBSI 6CK8) of GLCM/GLRLM matrices is not implemented; neither
//!   IBSI defaults nor PyRadiomics defaults use it.
//!   // TODO(texture): distance weighting for PyRadiomics' `weightingNorm` other than
//!   // `no_weighting`.
//! - For a Chebyshev distance delta > 1 the GLCM uses the 13 IBSI directions scaled by
//!   delta, not every offset at Chebyshev distance delta as PyRadiomics does.
//! - Parallelism is across families ([`compute_families`]) and, by the caller, across
//!   cases; directions within one family run sequentially (a whole lung1 family takes
//!   0.1-1.5 ms on its bounding box, so splitting directions did not pay yet).
//!   // TODO(texture): rayon over directions for very large ROIs (lung2-size and up).
//! - `Discretised::n_g` is taken as given. The IBSI CT references (configuration A) are
//!   matched when `n_g` is the highest grey level in the ROI, not the number of bins of
//!   the re-segmentation range; the discretiser should set it that way.

pub mod aggregate;
pub mod glcm;
pub mod gldzm;
pub mod glrlm;
pub mod glszm;
pub(crate) mod grid;
pub mod ngldm;
pub mod ngtdm;
pub(crate) mod stats;

use ndarray::Array3;

pub use aggregate::Aggregation;

use crate::preprocess::Discretised;

/// Settings shared by the texture families.
#[derive(Debug, Clone, PartialEq)]
pub struct TextureSettings {
    /// Chebyshev distance delta of GLCM neighbours and of NGTDM/NGLDM neighbourhoods
    /// (IBSI default 1).
    pub distance: usize,
    /// NGLDM coarseness parameter alpha (IBSI default 0; PyRadiomics `gldm_a`).
    pub ngldm_alpha: u32,
    /// Which reference's conventions to follow.
    pub mode: TextureMode,
}

impl Default for TextureSettings {
    fn default() -> Self {
        Self {
            distance: 1,
            ngldm_alpha: 0,
            mode: TextureMode::Ibsi,
        }
    }
}

/// Reference conventions for texture features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextureMode {
    /// IBSI-1: every aggregation method, IBSI definitions and feature set.
    Ibsi,
    /// PyRadiomics: its feature set and names, its aggregation and degenerate-case
    /// conventions.
    PyRadiomics(PyRadiomicsOptions),
}

/// PyRadiomics settings that change texture values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PyRadiomicsOptions {
    /// `force2D` (with `force2Ddimension` 0): in-plane neighbours only (IBSI 2.5D).
    pub force_2d: bool,
    /// `weightingNorm: 'no_weighting'`: directional GLCM/GLRLM matrices summed before
    /// features are computed (IBSI "merged"); otherwise features are averaged over
    /// directions.
    pub merge_directions: bool,
}

/// One feature of a family: canonical name, IBSI code, PyRadiomics name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureInfo {
    /// Canonical feature name without family and aggregation (e.g. `joint_max`).
    pub name: &'static str,
    /// IBSI-1 feature code, `None` for features IBSI does not define.
    pub ibsi: Option<&'static str>,
    /// PyRadiomics feature name without image type and class (e.g. `MaximumProbability`),
    /// `None` when PyRadiomics has no counterpart.
    pub pyradiomics: Option<&'static str>,
}

/// A texture family, for callers that compute families from a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Grey level co-occurrence matrix (IBSI LFYI).
    Glcm,
    /// Grey level run length matrix (IBSI TP0I).
    Glrlm,
    /// Grey level size zone matrix (IBSI 9SAK).
    Glszm,
    /// Grey level distance zone matrix (IBSI VMDZ).
    Gldzm,
    /// Neighbourhood grey tone difference matrix (IBSI IPET).
    Ngtdm,
    /// Neighbouring grey level dependence matrix (IBSI REK0); PyRadiomics' GLDM.
    Ngldm,
}

impl Family {
    /// All families, in IBSI manual order.
    pub const ALL: [Family; 6] = [
        Family::Glcm,
        Family::Glrlm,
        Family::Glszm,
        Family::Gldzm,
        Family::Ngtdm,
        Family::Ngldm,
    ];

    /// Canonical family prefix (`glcm`, ..., `ngldm`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Glcm => "glcm",
            Family::Glrlm => "glrlm",
            Family::Glszm => "glszm",
            Family::Gldzm => "gldzm",
            Family::Ngtdm => "ngtdm",
            Family::Ngldm => "ngldm",
        }
    }

    /// PyRadiomics feature class name, `None` for the GLDZM (not in PyRadiomics).
    pub fn pyradiomics_class(self) -> Option<&'static str> {
        match self {
            Family::Glcm => Some("glcm"),
            Family::Glrlm => Some("glrlm"),
            Family::Glszm => Some("glszm"),
            Family::Gldzm => None,
            Family::Ngtdm => Some("ngtdm"),
            Family::Ngldm => Some("gldm"),
        }
    }

    /// The family's feature table.
    pub fn table(self) -> &'static [FeatureInfo] {
        match self {
            Family::Glcm => glcm::FEATURES,
            Family::Glrlm => glrlm::FEATURES,
            Family::Glszm => glszm::FEATURES,
            Family::Gldzm => gldzm::FEATURES,
            Family::Ngtdm => ngtdm::FEATURES,
            Family::Ngldm => ngldm::FEATURES,
        }
    }

    /// Computes the family's features as `(canonical name, value)` pairs in a fixed order.
    ///
    /// `morph` is the morphological mask (`[z][y][x]`, same shape as `levels.levels`); only
    /// the GLDZM uses it. In PyRadiomics mode the GLDZM returns nothing (PyRadiomics has no
    /// GLDZM).
    pub fn compute(
        self,
        levels: &Discretised,
        morph: &Array3<bool>,
        settings: &TextureSettings,
    ) -> Vec<(String, f64)> {
        match self {
            Family::Glcm => glcm::features(levels, settings),
            Family::Glrlm => glrlm::features(levels, settings),
            Family::Glszm => glszm::features(levels, settings),
            Family::Gldzm => gldzm::features(levels, morph, settings),
            Family::Ngtdm => ngtdm::features(levels, settings),
            Family::Ngldm => ngldm::features(levels, settings),
        }
    }
}

/// Computes several families on one ROI, in the order of `families`.
///
/// The grey levels and the morphological mask are cropped once to their joint bounding
/// box (every family would otherwise scan the whole image), then the families run in
/// parallel; the output order is that of `families` whatever the thread count. A
/// morphological mask of another shape than the grey levels is passed through uncropped
/// (the GLDZM reports it).
pub fn compute_families(
    families: &[Family],
    levels: &Discretised,
    morph: &Array3<bool>,
    settings: &TextureSettings,
) -> Vec<(String, f64)> {
    use rayon::prelude::*;

    let cropped = crop(levels, morph);
    let (levels, morph) = match &cropped {
        Some((l, m)) => (l, m),
        None => (levels, morph),
    };
    let parts: Vec<Vec<(String, f64)>> = families
        .par_iter()
        .map(|f| f.compute(levels, morph, settings))
        .collect();
    parts.into_iter().flatten().collect()
}

/// Crops grey levels and morphological mask to the bounding box of their union; `None`
/// when the shapes differ or both are empty. Cropping changes no feature: every family
/// treats voxels beyond the array as outside the ROI.
fn crop(levels: &Discretised, morph: &Array3<bool>) -> Option<(Discretised, Array3<bool>)> {
    if levels.levels.dim() != morph.dim() {
        return None;
    }
    let (lo_l, hi_l, n_l, _) = grid::bounding_box(&levels.levels, |g| g > 0, |_| ());
    let (lo_m, hi_m, n_m, _) = grid::bounding_box(morph, |m| m, |_| ());
    let (lo, hi) = match (n_l > 0, n_m > 0) {
        (false, false) => return None,
        (true, false) => (lo_l, hi_l),
        (false, true) => (lo_m, hi_m),
        (true, true) => (
            [0, 1, 2].map(|a| lo_l[a].min(lo_m[a])),
            [0, 1, 2].map(|a| hi_l[a].max(hi_m[a])),
        ),
    };
    let window = ndarray::s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]];
    Some((
        Discretised {
            levels: levels.levels.slice(window).to_owned(),
            n_g: levels.n_g,
        },
        morph.slice(window).to_owned(),
    ))
}

/// Looks up a canonical feature (`family.feature[.aggregation]`) and returns its IBSI code
/// and PyRadiomics name (`original_<class>_<Name>`), if any.
pub fn lookup(canonical: &str) -> Option<(Family, &'static FeatureInfo)> {
    let mut parts = canonical.splitn(3, '.');
    let family = parts.next()?;
    let feature = parts.next()?;
    let family = Family::ALL.into_iter().find(|f| f.name() == family)?;
    let info = family.table().iter().find(|i| i.name == feature)?;
    Some((family, info))
}

/// The PyRadiomics column name (`original_glcm_JointEnergy`) of a canonical feature.
pub fn pyradiomics_name(canonical: &str) -> Option<String> {
    let (family, info) = lookup(canonical)?;
    Some(format!(
        "original_{}_{}",
        family.pyradiomics_class()?,
        info.pyradiomics?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_names_are_unique_and_codes_well_formed() {
        for family in Family::ALL {
            let table = family.table();
            for (i, a) in table.iter().enumerate() {
                assert!(
                    table[i + 1..].iter().all(|b| b.name != a.name),
                    "{}",
                    a.name
                );
                if let Some(code) = a.ibsi {
                    assert_eq!(code.len(), 4, "{}", a.name);
                }
                assert!(a.ibsi.is_some() || a.pyradiomics.is_some(), "{}", a.name);
            }
        }
    }

    #[test]
    fn lookup_by_canonical_name() {
        let (family, info) = lookup("glcm.joint_max.3d_avg").unwrap();
        assert_eq!(family, Family::Glcm);
        assert_eq!(info.ibsi, Some("GYBY"));
        assert_eq!(
            pyradiomics_name("glcm.energy.3d_avg").as_deref(),
            Some("original_glcm_JointEnergy")
        );
        assert_eq!(
            pyradiomics_name("ngldm.lde.3d").as_deref(),
            Some("original_gldm_SmallDependenceEmphasis")
        );
        assert_eq!(pyradiomics_name("gldzm.sde.3d"), None);
        assert_eq!(pyradiomics_name("glcm.sum_var.3d_avg"), None);
        assert!(lookup("glcm.nonsense.3d_avg").is_none());
    }
}
