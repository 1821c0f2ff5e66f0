//! Neighbouring grey level dependence matrix features (IBSI-1 manual section 3.12, family
//! REK0; Sun and Wee 1983), and PyRadiomics' GLDM, which is the same matrix.
//!
//! For every ROI voxel of grey level `i`, its dependence count `j` is 1 plus the number of
//! neighbours within Chebyshev distance delta, inside the ROI, whose grey level differs
//! from `i` by at most the coarseness alpha (in-plane neighbours only in 2D). `s_ij`
//! counts voxels by (grey level, dependence count); `N_s = sum s_ij` (every ROI voxel),
//! `N_v` the number of voxels.
//!
//! Aggregation: `2d` per slice, averaged; `2_5d` the slice matrices summed; `3d` one
//! volumetric matrix.
//!
//! # Degenerate cases
//! Every ROI voxel is counted, so only an empty ROI (or an empty slice, left out of the 2D
//! average) gives an empty matrix: NaN with a warning. One grey level or one voxel is well
//! defined.

use crate::preprocess::Discretised;

use super::aggregate::{mean_finite, push_ibsi, push_pyradiomics, Aggregation};
use super::grid::Grid;
use super::stats::{emphases, CountMatrix, PYRADIOMICS_EPS};
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "ngldm";

const fn f(name: &'static str, ibsi: &'static str, py: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: Some(ibsi),
        pyradiomics: if py.is_empty() { None } else { Some(py) },
    }
}

/// NGLDM features: canonical name, IBSI code, PyRadiomics GLDM name, in output order.
///
/// With `s_i.`, `s_.j` the marginal sums and `p_ij = s_ij / N_s`:
/// ```text
/// lde       SODN  1/N_s sum_j s_.j / j^2          hde       IMOQ  1/N_s sum_j j^2 s_.j
/// lgce      TL9H  1/N_s sum_i s_i. / i^2          hgce      OAE7  1/N_s sum_i i^2 s_i.
/// ldlge     EQ3F  1/N_s sum_ij s_ij / (i^2 j^2)   ldhge     JA6D  1/N_s sum_ij i^2 s_ij / j^2
/// hdlge     NBZI  1/N_s sum_ij j^2 s_ij / i^2     hdhge     9QMG  1/N_s sum_ij i^2 j^2 s_ij
/// glnu      FP8K  1/N_s sum_i s_i.^2              glnu_norm 5SPA  1/N_s^2 sum_i s_i.^2
/// dcnu      Z87G  1/N_s sum_j s_.j^2              dcnu_norm OKJI  1/N_s^2 sum_j s_.j^2
/// dc_perc   6XV8  N_s / N_v
/// gl_var    1PFV  sum_ij (i - mu)^2 p_ij          dc_var    DNX2  sum_ij (j - mu)^2 p_ij
/// dc_entr   FCBV  -sum_ij p_ij log2 p_ij          dc_energy CAS9  sum_ij p_ij^2
/// ```
pub const FEATURES: &[FeatureInfo] = &[
    f("lde", "SODN", "SmallDependenceEmphasis"),
    f("hde", "IMOQ", "LargeDependenceEmphasis"),
    f("lgce", "TL9H", "LowGrayLevelEmphasis"),
    f("hgce", "OAE7", "HighGrayLevelEmphasis"),
    f("ldlge", "EQ3F", "SmallDependenceLowGrayLevelEmphasis"),
    f("ldhge", "JA6D", "SmallDependenceHighGrayLevelEmphasis"),
    f("hdlge", "NBZI", "LargeDependenceLowGrayLevelEmphasis"),
    f("hdhge", "9QMG", "LargeDependenceHighGrayLevelEmphasis"),
    f("glnu", "FP8K", "GrayLevelNonUniformity"),
    f("glnu_norm", "5SPA", ""),
    f("dcnu", "Z87G", "DependenceNonUniformity"),
    f("dcnu_norm", "OKJI", "DependenceNonUniformityNormalized"),
    f("dc_perc", "6XV8", ""),
    f("gl_var", "1PFV", "GrayLevelVariance"),
    f("dc_var", "DNX2", "DependenceVariance"),
    f("dc_entr", "FCBV", "DependenceEntropy"),
    f("dc_energy", "CAS9", ""),
];

/// Adds the dependence counts of `voxels` to `m`.
fn accumulate(
    grid: &Grid,
    hood: &[isize],
    alpha: f64,
    voxels: impl Iterator<Item = usize>,
    m: &mut CountMatrix,
) -> usize {
    let mut n_v = 0;
    for k in voxels {
        let a = grid.cells[k];
        if a == 0 {
            continue;
        }
        n_v += 1;
        let g = grid.values[a as usize - 1];
        let mut j = 1;
        for &o in hood {
            let b = grid.cells[(k as isize + o) as usize];
            if b > 0 && (grid.values[b as usize - 1] - g).abs() <= alpha {
                j += 1;
            }
        }
        m.add(a as usize - 1, j);
    }
    n_v
}

/// Computes NGLDM features (PyRadiomics: GLDM) for a discretised ROI.
///
/// IBSI mode: the 17 features for `2d`, `2_5d` and `3d` (`ngldm.<feature>.<aggregation>`).
/// PyRadiomics mode: its 14 GLDM features of one volumetric matrix (`3d`), or of in-plane
/// neighbourhoods summed over slices with `force_2d` (`2_5d`); alpha is `gldm_a`.
///
/// # Reference
/// IBSI-1 manual section 3.12; PyRadiomics documentation, "Gray Level Dependence Matrix
/// (GLDM) Features".
pub fn features(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let delta = settings.distance.max(1);
    let alpha = settings.ngldm_alpha as f64;
    let grid = Grid::new(d, delta);
    let n_p = grid.n_p();
    let planar = grid.neighbourhood(delta, true);
    let cube = grid.neighbourhood(delta, false);
    let all = || grid.slices().flat_map(|z| grid.slice_voxels(z));
    let mut out = Vec::new();
    match settings.mode {
        TextureMode::Ibsi => {
            let mut rows = Vec::new();
            let mut merged = CountMatrix::new(n_p, 1);
            for z in grid.slices() {
                let mut m = CountMatrix::new(n_p, 1);
                let n_v = accumulate(&grid, &planar, alpha, grid.slice_voxels(z), &mut m);
                if n_v == 0 {
                    tracing::warn!("{FAMILY} (2d): slice {z} has no ROI voxel; left out");
                    continue;
                }
                rows.push(matrix_features(&m, n_v, &grid, Aggregation::Slice2d, 0.0));
                merged.merge(&m);
            }
            let mut volume = CountMatrix::new(n_p, 1);
            let n_v = accumulate(&grid, &cube, alpha, all(), &mut volume);
            let sets = [
                (
                    Aggregation::Slice2d,
                    mean_finite(FAMILY, FEATURES, Aggregation::Slice2d, &rows),
                ),
                (
                    Aggregation::Merged2_5dFree,
                    matrix_features(&merged, grid.n_v, &grid, Aggregation::Merged2_5dFree, 0.0),
                ),
                (
                    Aggregation::Volume3d,
                    matrix_features(&volume, n_v, &grid, Aggregation::Volume3d, 0.0),
                ),
            ];
            for (agg, values) in sets {
                push_ibsi(&mut out, FAMILY, FEATURES, agg, &values);
            }
        }
        TextureMode::PyRadiomics(opts) => {
            let (hood, agg) = if opts.force_2d {
                (&planar, Aggregation::Merged2_5dFree)
            } else {
                (&cube, Aggregation::Volume3d)
            };
            let mut m = CountMatrix::new(n_p, 1);
            let n_v = accumulate(&grid, hood, alpha, all(), &mut m);
            let values = matrix_features(&m, n_v, &grid, agg, PYRADIOMICS_EPS);
            push_pyradiomics(&mut out, FAMILY, FEATURES, agg, &values);
        }
    }
    out
}

/// The 17 features of one matrix (formulas in [`FEATURES`]); NaN with a warning if empty.
/// `eps` goes inside the entropy's logarithm.
fn matrix_features(
    m: &CountMatrix,
    n_v: usize,
    grid: &Grid,
    agg: Aggregation,
    eps: f64,
) -> Vec<f64> {
    match emphases(m, &grid.values, eps) {
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
            e.n_s / n_v as f64,
            e.gl_var,
            e.col_var,
            e.entropy,
            e.energy,
        ],
        None => {
            tracing::warn!("{FAMILY} ({}): empty matrix (no ROI voxel); NaN", agg.tag());
            vec![f64::NAN; FEATURES.len()]
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    /// IBSI-1 example image `1 2 2 3 | 1 2 3 3 | 4 2 4 1 | 4 1 2 3`, 8-neighbourhood,
    /// alpha 0, by hand: voxel (1,1) = 2 has neighbours 1,2,2,1,3,4,2,4 of which three
    /// are 2, so j = 4; corner (0,0) = 1 has neighbours 2, 1, 2, so j = 2.
    #[test]
    fn example_dependence_counts() {
        let rows = [[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]];
        let mut levels = Array3::<u32>::zeros((1, 4, 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        let grid = Grid::new(&Discretised { levels, n_g: 4 }, 1);
        let hood = grid.neighbourhood(1, true);
        let mut m = CountMatrix::new(4, 1);
        accumulate(
            &grid,
            &hood,
            0.0,
            std::iter::once(grid.index(1, 2, 2)),
            &mut m,
        );
        accumulate(
            &grid,
            &hood,
            0.0,
            std::iter::once(grid.index(1, 1, 1)),
            &mut m,
        );
        assert_eq!(m.n_cols, 4);
        assert_eq!(m.counts[1 * 4 + 3], 1.0);
        assert_eq!(m.counts[0 * 4 + 1], 1.0);
    }

    #[test]
    fn one_voxel_has_dependence_one() {
        let levels = Array3::from_elem((1, 1, 1), 3u32);
        let out = features(&Discretised { levels, n_g: 3 }, &TextureSettings::default());
        let get = |k: &str| out.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(get("ngldm.lde.3d"), 1.0);
        assert_eq!(get("ngldm.dc_perc.2d"), 1.0);
        assert_eq!(get("ngldm.dc_var.2_5d"), 0.0);
    }
}
