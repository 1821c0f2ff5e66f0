//! Grey level size zone matrix features (IBSI-1 manual section 3.8, family 9SAK;
//! Thibault et al. 2013).
//!
//! A zone is a connected group of ROI voxels with the same grey level: 26-connected in 3D,
//! 8-connected within a slice in 2D. `s_ij` counts the zones of grey level `i` and size
//! `j` voxels. Zones are found by one flood fill over the ROI (every voxel is visited
//! once), see [`find_zones`], which the GLDZM shares.
//!
//! Aggregation (IBSI section 3.8.1): `2d` features per slice, averaged; `2_5d` the slice
//! matrices summed (and `N_v` summed); `3d` one volumetric matrix.
//!
//! # Degenerate cases
//! A slice without ROI voxels has an empty matrix and is left out of the 2D average with a
//! warning; an empty ROI gives NaN. One grey level or one voxel is well defined.

use crate::preprocess::Discretised;

use super::aggregate::{mean_finite, push_ibsi, push_pyradiomics, Aggregation};
use super::grid::Grid;
use super::stats::{emphases, CountMatrix, PYRADIOMICS_EPS};
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "glszm";

const fn f(name: &'static str, ibsi: &'static str, py: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: Some(ibsi),
        pyradiomics: Some(py),
    }
}

/// GLSZM features: canonical name, IBSI code, PyRadiomics name, in output order.
///
/// With `N_s` the number of zones, `N_v` the number of voxels, `s_i.` and `s_.j` the
/// marginal sums and `p_ij = s_ij / N_s`:
/// ```text
/// sze       5QRC  1/N_s sum_j s_.j / j^2          lze       48P8  1/N_s sum_j j^2 s_.j
/// lgze      XMSY  1/N_s sum_i s_i. / i^2          hgze      5GN9  1/N_s sum_i i^2 s_i.
/// szlge     5RAI  1/N_s sum_ij s_ij / (i^2 j^2)   szhge     HW1V  1/N_s sum_ij i^2 s_ij / j^2
/// lzlge     YH51  1/N_s sum_ij j^2 s_ij / i^2     lzhge     J17V  1/N_s sum_ij i^2 j^2 s_ij
/// glnu      JNSA  1/N_s sum_i s_i.^2              glnu_norm Y1RO  1/N_s^2 sum_i s_i.^2
/// zsnu      4JP3  1/N_s sum_j s_.j^2              zsnu_norm VB3A  1/N_s^2 sum_j s_.j^2
/// z_perc    P30P  N_s / N_v
/// gl_var    BYLV  sum_ij (i - mu)^2 p_ij          zs_var    3NSA  sum_ij (j - mu)^2 p_ij
/// zs_entr   GU8N  -sum_ij p_ij log2 p_ij
/// ```
/// (The manual prints no code for small zone emphasis; 5QRC is from the IBSI code list.)
pub const FEATURES: &[FeatureInfo] = &[
    f("sze", "5QRC", "SmallAreaEmphasis"),
    f("lze", "48P8", "LargeAreaEmphasis"),
    f("lgze", "XMSY", "LowGrayLevelZoneEmphasis"),
    f("hgze", "5GN9", "HighGrayLevelZoneEmphasis"),
    f("szlge", "5RAI", "SmallAreaLowGrayLevelEmphasis"),
    f("szhge", "HW1V", "SmallAreaHighGrayLevelEmphasis"),
    f("lzlge", "YH51", "LargeAreaLowGrayLevelEmphasis"),
    f("lzhge", "J17V", "LargeAreaHighGrayLevelEmphasis"),
    f("glnu", "JNSA", "GrayLevelNonUniformity"),
    f("glnu_norm", "Y1RO", "GrayLevelNonUniformityNormalized"),
    f("zsnu", "4JP3", "SizeZoneNonUniformity"),
    f("zsnu_norm", "VB3A", "SizeZoneNonUniformityNormalized"),
    f("z_perc", "P30P", "ZonePercentage"),
    f("gl_var", "BYLV", "GrayLevelVariance"),
    f("zs_var", "3NSA", "ZoneVariance"),
    f("zs_entr", "GU8N", "ZoneEntropy"),
];

/// One zone: compact grey level (1-based), size, padded slice of its first voxel, and the
/// smallest value of a per-voxel map over its voxels (the GLDZM distance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zone {
    pub level: u32,
    pub size: usize,
    pub slice: usize,
    pub min_map: u32,
}

/// Finds every zone of the ROI with 8-connectivity within slices (`in_plane`) or
/// 26-connectivity; `map` (per padded voxel) gives each zone's `min_map`, else 0.
///
/// Zones are returned in the order of their first voxel (z, y, x), so results are
/// deterministic.
pub(crate) fn find_zones(grid: &Grid, in_plane: bool, map: Option<&[u32]>) -> Vec<Zone> {
    let neighbours = grid.neighbourhood(1, in_plane);
    let plane = grid.dims[1] * grid.dims[2];
    let mut visited = vec![false; grid.cells.len()];
    let mut stack = Vec::new();
    let mut zones = Vec::new();
    for z in grid.slices() {
        for k in grid.slice_voxels(z) {
            let level = grid.cells[k];
            if level == 0 || visited[k] {
                continue;
            }

            // Flood fill from k over voxels of the same level.
            visited[k] = true;
            stack.push(k);
            let mut size = 0;
            let mut min_map = u32::MAX;
            while let Some(v) = stack.pop() {
                size += 1;
                if let Some(m) = map {
                    min_map = min_map.min(m[v]);
                }
                for &o in &neighbours {
                    let w = (v as isize + o) as usize;
                    if !visited[w] && grid.cells[w] == level {
                        visited[w] = true;
                        stack.push(w);
                    }
                }
            }
            debug_assert_eq!(k / plane, z);
            zones.push(Zone {
                level,
                size,
                slice: z,
                min_map: if map.is_some() { min_map } else { 0 },
            });
        }
    }
    zones
}

/// Computes GLSZM features for a discretised ROI.
///
/// IBSI mode returns the 16 features for `2d`, `2_5d` and `3d`
/// (`glszm.<feature>.<aggregation>`). PyRadiomics mode returns the same 16 features of
/// one matrix: 26-connected (`3d`), or 8-connected within slices with `force_2d`
/// (`2_5d`, as PyRadiomics counts all slices' zones in one matrix).
///
/// # Reference
/// IBSI-1 manual section 3.8; PyRadiomics documentation, "Gray Level Size Zone Matrix
/// (GLSZM) Features".
pub fn features(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let grid = Grid::new(d, 1);
    let mut out = Vec::new();
    match settings.mode {
        TextureMode::Ibsi => {
            let planar = find_zones(&grid, true, None);
            let volume = find_zones(&grid, false, None);
            let size = |z: &Zone| z.size;
            for (agg, values) in zone_aggregations(FAMILY, FEATURES, &grid, &planar, &volume, size)
            {
                push_ibsi(&mut out, FAMILY, FEATURES, agg, &values);
            }
        }
        TextureMode::PyRadiomics(opts) => {
            let zones = find_zones(&grid, opts.force_2d, None);
            let agg = if opts.force_2d {
                Aggregation::Merged2_5dFree
            } else {
                Aggregation::Volume3d
            };
            let m = zone_matrix(&grid, zones.iter(), |z| z.size);
            let eps = PYRADIOMICS_EPS;
            let values = zone_features(FAMILY, &m, grid.n_v as f64, &grid.values, agg, eps);
            push_pyradiomics(&mut out, FAMILY, FEATURES, agg, &values);
        }
    }
    out
}

/// The zone count matrix of `zones` with column value `column(zone)`.
pub(crate) fn zone_matrix<'a>(
    grid: &Grid,
    zones: impl Iterator<Item = &'a Zone>,
    column: impl Fn(&Zone) -> usize,
) -> CountMatrix {
    let mut m = CountMatrix::new(grid.n_p(), 1);
    for z in zones {
        m.add(z.level as usize - 1, column(z));
    }
    m
}

/// The 2D, 2.5D and 3D aggregations of a zone family (GLSZM or GLDZM).
pub(crate) fn zone_aggregations(
    family: &str,
    table: &[FeatureInfo],
    grid: &Grid,
    planar: &[Zone],
    volume: &[Zone],
    column: impl Fn(&Zone) -> usize + Copy,
) -> Vec<(Aggregation, Vec<f64>)> {
    // 2D: one matrix per slice; 2.5D: their sum with N_v summed.
    let mut rows = Vec::new();
    let mut merged = CountMatrix::new(grid.n_p(), 1);
    let mut empty = 0;
    for z in grid.slices() {
        let n_v = grid.slice_count(z) as f64;
        let m = zone_matrix(grid, planar.iter().filter(|q| q.slice == z), column);
        if n_v == 0.0 {
            empty += 1;
            continue;
        }
        rows.push(zone_features(
            family,
            &m,
            n_v,
            &grid.values,
            Aggregation::Slice2d,
            0.0,
        ));
        merged.merge(&m);
    }
    if empty > 0 {
        tracing::warn!(
            "{family} (2d): {empty} slices of the bounding box have no ROI voxel and are left \
             out of the average"
        );
    }
    let n_v = grid.n_v as f64;
    let m3 = zone_matrix(grid, volume.iter(), column);
    vec![
        (
            Aggregation::Slice2d,
            mean_finite(family, table, Aggregation::Slice2d, &rows),
        ),
        (
            Aggregation::Merged2_5dFree,
            zone_features(
                family,
                &merged,
                n_v,
                &grid.values,
                Aggregation::Merged2_5dFree,
                0.0,
            ),
        ),
        (
            Aggregation::Volume3d,
            zone_features(family, &m3, n_v, &grid.values, Aggregation::Volume3d, 0.0),
        ),
    ]
}

/// The 16 zone features (GLSZM and GLDZM share formulas, see [`FEATURES`]); NaN with a
/// warning for an empty matrix. `eps` goes inside the entropy's logarithm.
pub(crate) fn zone_features(
    family: &str,
    m: &CountMatrix,
    n_v: f64,
    values: &[f64],
    agg: Aggregation,
    eps: f64,
) -> Vec<f64> {
    match emphases(m, values, eps) {
        Some(e) => vec![
            e.low_col,
            e.high_col,
            e.low_gl,
            e.high_gl,
            e.low_col_low_gl,
            e.low_col_high_gl,
            e.high_col_low_gl,
            e.high_col_high_gl,
            e.glnu,
            e.glnu_norm,
            e.col_nu,
            e.col_nu_norm,
            e.n_s / n_v,
            e.gl_var,
            e.col_var,
            e.entropy,
        ],
        None => {
            tracing::warn!("{family} ({}): empty matrix (no ROI voxel); NaN", agg.tag());
            vec![f64::NAN; 16]
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    fn image(rows: &[[u32; 4]]) -> Grid {
        let mut levels = Array3::<u32>::zeros((1, rows.len(), 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        Grid::new(&Discretised { levels, n_g: 4 }, 1)
    }

    /// IBSI-1 manual GLSZM example image (section 3.8), zones counted by hand with
    /// 8-connectivity: level 1 zones of 2, 1 and 1 voxels; level 2 one zone of 5 (the
    /// diagonal link (2,1)-(3,2) joins it); level 3 zones of 3 and 1; level 4 of 2 and 1.
    #[test]
    fn example_zones_8_connected() {
        let grid = image(&[[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]]);
        let zones = find_zones(&grid, true, None);
        let m = zone_matrix(&grid, zones.iter(), |z| z.size);
        assert_eq!(m.n_cols, 5);
        #[rustfmt::skip]
        let want = vec![
            2.0, 1.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 1.0,
            1.0, 0.0, 1.0, 0.0, 0.0,
            1.0, 1.0, 0.0, 0.0, 0.0,
        ];
        assert_eq!(m.counts, want);
    }

    #[test]
    fn single_grey_level_is_one_zone() {
        let mut levels = Array3::<u32>::zeros((2, 2, 2));
        levels.fill(3);
        let out = features(&Discretised { levels, n_g: 3 }, &TextureSettings::default());
        let get = |k: &str| out.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(get("glszm.lze.3d"), 64.0);
        assert_eq!(get("glszm.z_perc.3d"), 1.0 / 8.0);
        assert_eq!(get("glszm.lze.2d"), 16.0);
        assert_eq!(get("glszm.gl_var.2_5d"), 0.0);
    }
}
