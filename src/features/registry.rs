//! Feature registry: canonical name (`family.feature`), IBSI code, IBSI manual tag and
//! PyRadiomics name of every feature radaudit computes.
//!
//! Codes and tags are those of the IBSI-1 reference manual (as parsed into
//! `../shared/data/ibsi/reference_values.csv`). Two caveats from that file's README: the
//! manual gives `ih.p10` the code 1PR8, which is the code of `ih.min`, so `ih.p10` has no
//! code here; and `ivh.v10`/`ivh.v90` (BC2M) and `ivh.i10`/`ivh.i90` (GBPN) share codes,
//! so never join on the code alone. A PyRadiomics name is listed only when the definition
//! is the same (PyRadiomics Kurtosis is not excess kurtosis: `stat.kurt_pearson`).
//!
//! Texture families (`texture/`) add their entries to [`ENTRIES`] the same way.

/// One feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Canonical name, `family.feature`.
    pub name: &'static str,
    /// IBSI 4-character code.
    pub ibsi_code: Option<&'static str>,
    /// IBSI manual tag, e.g. `morph.approx.vol`.
    pub ibsi_tag: Option<&'static str>,
    /// PyRadiomics column name.
    pub pyradiomics: Option<&'static str>,
}

const fn e(
    name: &'static str,
    ibsi_code: Option<&'static str>,
    ibsi_tag: Option<&'static str>,
    pyradiomics: Option<&'static str>,
) -> Entry {
    Entry {
        name,
        ibsi_code,
        ibsi_tag,
        pyradiomics,
    }
}

/// Every feature of the morphology, local intensity, statistics, intensity histogram and
/// intensity-volume histogram families.
pub const ENTRIES: &[Entry] = &[
    e(
        "morph.vol",
        Some("RNU0"),
        Some("morph.vol"),
        Some("original_shape_MeshVolume"),
    ),
    e(
        "morph.approx_vol",
        Some("YEKZ"),
        Some("morph.approx.vol"),
        Some("original_shape_VoxelVolume"),
    ),
    e(
        "morph.area",
        Some("C0JK"),
        Some("morph.area"),
        Some("original_shape_SurfaceArea"),
    ),
    e(
        "morph.av",
        Some("2PR5"),
        Some("morph.av"),
        Some("original_shape_SurfaceVolumeRatio"),
    ),
    e("morph.comp_1", Some("SKGS"), Some("morph.comp.1"), None),
    e("morph.comp_2", Some("BQWJ"), Some("morph.comp.2"), None),
    e(
        "morph.sph_dispr",
        Some("KRCK"),
        Some("morph.sph.dispr"),
        None,
    ),
    e(
        "morph.sphericity",
        Some("QCFX"),
        Some("morph.sphericity"),
        Some("original_shape_Sphericity"),
    ),
    e(
        "morph.asphericity",
        Some("25C7"),
        Some("morph.asphericity"),
        None,
    ),
    e("morph.com", Some("KLMA"), Some("morph.com"), None),
    e(
        "morph.diam",
        Some("L0JK"),
        Some("morph.diam"),
        Some("original_shape_Maximum3DDiameter"),
    ),
    e(
        "morph.pca_major",
        Some("TDIC"),
        Some("morph.pca.major"),
        Some("original_shape_MajorAxisLength"),
    ),
    e(
        "morph.pca_minor",
        Some("P9VJ"),
        Some("morph.pca.minor"),
        Some("original_shape_MinorAxisLength"),
    ),
    e(
        "morph.pca_least",
        Some("7J51"),
        Some("morph.pca.least"),
        Some("original_shape_LeastAxisLength"),
    ),
    e(
        "morph.pca_elongation",
        Some("Q3CK"),
        Some("morph.pca.elongation"),
        Some("original_shape_Elongation"),
    ),
    e(
        "morph.pca_flatness",
        Some("N17B"),
        Some("morph.pca.flatness"),
        Some("original_shape_Flatness"),
    ),
    e(
        "morph.v_dens_aabb",
        Some("PBX1"),
        Some("morph.v.dens.aabb"),
        None,
    ),
    e(
        "morph.a_dens_aabb",
        Some("R59B"),
        Some("morph.a.dens.aabb"),
        None,
    ),
    e(
        "morph.v_dens_ombb",
        Some("ZH1A"),
        Some("morph.v.dens.ombb"),
        None,
    ),
    e(
        "morph.a_dens_ombb",
        Some("IQYR"),
        Some("morph.a.dens.ombb"),
        None,
    ),
    e(
        "morph.v_dens_aee",
        Some("6BDE"),
        Some("morph.v.dens.aee"),
        None,
    ),
    e(
        "morph.a_dens_aee",
        Some("RDD2"),
        Some("morph.a.dens.aee"),
        None,
    ),
    e(
        "morph.v_dens_mvee",
        Some("SWZ1"),
        Some("morph.v.dens.mvee"),
        None,
    ),
    e(
        "morph.a_dens_mvee",
        Some("BRI8"),
        Some("morph.a.dens.mvee"),
        None,
    ),
    e(
        "morph.v_dens_conv_hull",
        Some("R3ER"),
        Some("morph.v.dens.conv.hull"),
        None,
    ),
    e(
        "morph.a_dens_conv_hull",
        Some("7T7F"),
        Some("morph.a.dens.conv.hull"),
        None,
    ),
    e(
        "morph.integ_int",
        Some("99N0"),
        Some("morph.integ.int"),
        None,
    ),
    e("morph.moran_i", Some("N365"), Some("morph.moran.i"), None),
    e("morph.geary_c", Some("NPT7"), Some("morph.geary.c"), None),
    e(
        "morph.diam_2d_slice",
        None,
        None,
        Some("original_shape_Maximum2DDiameterSlice"),
    ),
    e(
        "morph.diam_2d_column",
        None,
        None,
        Some("original_shape_Maximum2DDiameterColumn"),
    ),
    e(
        "morph.diam_2d_row",
        None,
        None,
        Some("original_shape_Maximum2DDiameterRow"),
    ),
    e("morph.mesh_triangles", None, None, None),
    e("loc.peak_local", Some("VJGA"), Some("loc.peak.local"), None),
    e(
        "loc.peak_global",
        Some("0F91"),
        Some("loc.peak.global"),
        None,
    ),
    e(
        "stat.mean",
        Some("Q4LE"),
        Some("stat.mean"),
        Some("original_firstorder_Mean"),
    ),
    e(
        "stat.var",
        Some("ECT3"),
        Some("stat.var"),
        Some("original_firstorder_Variance"),
    ),
    e(
        "stat.skew",
        Some("KE2A"),
        Some("stat.skew"),
        Some("original_firstorder_Skewness"),
    ),
    e("stat.kurt", Some("IPH6"), Some("stat.kurt"), None),
    e(
        "stat.median",
        Some("Y12H"),
        Some("stat.median"),
        Some("original_firstorder_Median"),
    ),
    e(
        "stat.min",
        Some("1GSF"),
        Some("stat.min"),
        Some("original_firstorder_Minimum"),
    ),
    e(
        "stat.p10",
        Some("QG58"),
        Some("stat.p10"),
        Some("original_firstorder_10Percentile"),
    ),
    e(
        "stat.p90",
        Some("8DWT"),
        Some("stat.p90"),
        Some("original_firstorder_90Percentile"),
    ),
    e(
        "stat.max",
        Some("84IY"),
        Some("stat.max"),
        Some("original_firstorder_Maximum"),
    ),
    e(
        "stat.iqr",
        Some("SALO"),
        Some("stat.iqr"),
        Some("original_firstorder_InterquartileRange"),
    ),
    e(
        "stat.range",
        Some("2OJQ"),
        Some("stat.range"),
        Some("original_firstorder_Range"),
    ),
    e(
        "stat.mad",
        Some("4FUA"),
        Some("stat.mad"),
        Some("original_firstorder_MeanAbsoluteDeviation"),
    ),
    e(
        "stat.rmad",
        Some("1128"),
        Some("stat.rmad"),
        Some("original_firstorder_RobustMeanAbsoluteDeviation"),
    ),
    e("stat.medad", Some("N72L"), Some("stat.medad"), None),
    e("stat.cov", Some("7TET"), Some("stat.cov"), None),
    e("stat.qcod", Some("9S40"), Some("stat.qcod"), None),
    e(
        "stat.energy",
        Some("N8CA"),
        Some("stat.energy"),
        Some("original_firstorder_Energy"),
    ),
    e(
        "stat.rms",
        Some("5ZWQ"),
        Some("stat.rms"),
        Some("original_firstorder_RootMeanSquared"),
    ),
    e(
        "stat.sd",
        None,
        None,
        Some("original_firstorder_StandardDeviation"),
    ),
    e(
        "stat.kurt_pearson",
        None,
        None,
        Some("original_firstorder_Kurtosis"),
    ),
    e(
        "stat.total_energy",
        None,
        None,
        Some("original_firstorder_TotalEnergy"),
    ),
    e("ih.mean", Some("X6K6"), Some("ih.mean"), None),
    e("ih.var", Some("CH89"), Some("ih.var"), None),
    e("ih.skew", Some("88K1"), Some("ih.skew"), None),
    e("ih.kurt", Some("C3I7"), Some("ih.kurt"), None),
    e("ih.median", Some("WIFQ"), Some("ih.median"), None),
    e("ih.min", Some("1PR8"), Some("ih.min"), None),
    e("ih.p10", None, Some("ih.p10"), None),
    e("ih.p90", Some("GPMT"), Some("ih.p90"), None),
    e("ih.max", Some("3NCY"), Some("ih.max"), None),
    e("ih.mode", Some("AMMC"), Some("ih.mode"), None),
    e("ih.iqr", Some("WR0O"), Some("ih.iqr"), None),
    e("ih.range", Some("5Z3W"), Some("ih.range"), None),
    e("ih.mad", Some("D2ZX"), Some("ih.mad"), None),
    e("ih.rmad", Some("WRZB"), Some("ih.rmad"), None),
    e("ih.medad", Some("4RNL"), Some("ih.medad"), None),
    e("ih.cov", Some("CWYJ"), Some("ih.cov"), None),
    e("ih.qcod", Some("SLWD"), Some("ih.qcod"), None),
    e(
        "ih.entropy",
        Some("TLU2"),
        Some("ih.entropy"),
        Some("original_firstorder_Entropy"),
    ),
    e(
        "ih.uniformity",
        Some("BJ5W"),
        Some("ih.uniformity"),
        Some("original_firstorder_Uniformity"),
    ),
    e("ih.max_grad", Some("12CE"), Some("ih.max.grad"), None),
    e("ih.max_grad_gl", Some("8E6O"), Some("ih.max.grad.gl"), None),
    e("ih.min_grad", Some("VQB3"), Some("ih.min.grad"), None),
    e("ih.min_grad_gl", Some("RHQZ"), Some("ih.min.grad.gl"), None),
    e("ivh.v10", Some("BC2M"), Some("ivh.V10"), None),
    e("ivh.v90", Some("BC2M"), Some("ivh.V90"), None),
    e("ivh.i10", Some("GBPN"), Some("ivh.I10"), None),
    e("ivh.i90", Some("GBPN"), Some("ivh.I90"), None),
    e(
        "ivh.v10_minus_v90",
        Some("DDTU"),
        Some("ivh.V10minusV90"),
        None,
    ),
    e(
        "ivh.i10_minus_i90",
        Some("CNV2"),
        Some("ivh.I10minusI90"),
        None,
    ),
    e("ivh.auc", None, Some("ivh.auc"), None),
];

/// The entry of a canonical name.
pub fn lookup(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.name == name)
}

/// The entry of an IBSI manual tag (e.g. `stat.p10`).
pub fn by_ibsi_tag(tag: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.ibsi_tag == Some(tag))
}

/// The entry of a PyRadiomics name (e.g. `original_firstorder_Mean`).
pub fn by_pyradiomics(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.pyradiomics == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{histogram, ivh, local_intensity, morphology, statistics};

    #[test]
    fn every_computed_feature_is_registered_and_names_are_unique() {
        let computed = morphology::NAMES
            .iter()
            .chain(&local_intensity::NAMES)
            .chain(&statistics::NAMES)
            .chain(&histogram::NAMES)
            .chain(&ivh::NAMES);
        for n in computed {
            assert!(lookup(n).is_some(), "{n} missing from the registry");
        }
        let mut names: Vec<_> = ENTRIES.iter().map(|e| e.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
