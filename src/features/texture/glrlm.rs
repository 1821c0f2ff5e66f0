//! Grey level run length matrix features (IBSI-1 manual section 3.7, family TP0I;
//! Galloway 1975).
//!
//! A run is a maximal line of consecutive ROI voxels along one direction that share a
//! grey level; `r_ij` counts the runs of grey level `i` and length `j`. Runs stop at the
//! ROI border. Run lengths are bounded by the ROI's extent, so a matrix has at most
//! `max(extent)` columns and grows only as long runs are found. Directions as the GLCM:
//! 13 in 3D, 4 in-plane in 2D; each run is found once, from its first voxel (one visit of
//! every voxel per direction).
//!
//! Symbols: `N_s` number of runs, `N_v` number of voxels (summed over the merged matrices
//! when matrices are merged, IBSI section 3.7.1), `r_i.`, `r_.j` marginal sums.
//!
//! # Degenerate cases
//! An empty matrix (no ROI voxel in a slice) has no feature; it is left out of averages
//! with a warning and an aggregation with no non-empty matrix gives NaN. A single grey
//! level is well defined (grey level variance 0).

use crate::preprocess::Discretised;

use super::aggregate::{mean_finite, push_ibsi, push_pyradiomics, Aggregation};
use super::grid::{Grid, DIRECTIONS, N_2D_DIRECTIONS};
use super::stats::{emphases, CountMatrix, PYRADIOMICS_EPS};
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "glrlm";

const fn f(name: &'static str, ibsi: &'static str, py: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: Some(ibsi),
        pyradiomics: Some(py),
    }
}

/// GLRLM features: canonical name, IBSI code, PyRadiomics name, in output order.
///
/// ```text
/// sre       22OV  1/N_s sum_j r_.j / j^2          lre       W4KF  1/N_s sum_j j^2 r_.j
/// lgre      V3SW  1/N_s sum_i r_i. / i^2          hgre      G3QZ  1/N_s sum_i i^2 r_i.
/// srlge     HTZT  1/N_s sum_ij r_ij / (i^2 j^2)   srhge     GD3A  1/N_s sum_ij i^2 r_ij / j^2
/// lrlge     IVPO  1/N_s sum_ij j^2 r_ij / i^2     lrhge     3KUM  1/N_s sum_ij i^2 j^2 r_ij
/// glnu      R5YN  1/N_s sum_i r_i.^2              glnu_norm OVBL  1/N_s^2 sum_i r_i.^2
/// rlnu      W92Y  1/N_s sum_j r_.j^2              rlnu_norm IC23  1/N_s^2 sum_j r_.j^2
/// r_perc    9ZK5  N_s / N_v
/// gl_var    8CE5  sum_ij (i - mu)^2 p_ij, p_ij = r_ij / N_s, mu = sum_ij i p_ij
/// rl_var    SXLW  sum_ij (j - mu)^2 p_ij, mu = sum_ij j p_ij
/// rl_entr   HJ9O  -sum_ij p_ij log2 p_ij
/// ```
pub const FEATURES: &[FeatureInfo] = &[
    f("sre", "22OV", "ShortRunEmphasis"),
    f("lre", "W4KF", "LongRunEmphasis"),
    f("lgre", "V3SW", "LowGrayLevelRunEmphasis"),
    f("hgre", "G3QZ", "HighGrayLevelRunEmphasis"),
    f("srlge", "HTZT", "ShortRunLowGrayLevelEmphasis"),
    f("srhge", "GD3A", "ShortRunHighGrayLevelEmphasis"),
    f("lrlge", "IVPO", "LongRunLowGrayLevelEmphasis"),
    f("lrhge", "3KUM", "LongRunHighGrayLevelEmphasis"),
    f("glnu", "R5YN", "GrayLevelNonUniformity"),
    f("glnu_norm", "OVBL", "GrayLevelNonUniformityNormalized"),
    f("rlnu", "W92Y", "RunLengthNonUniformity"),
    f("rlnu_norm", "IC23", "RunLengthNonUniformityNormalized"),
    f("r_perc", "9ZK5", "RunPercentage"),
    f("gl_var", "8CE5", "GrayLevelVariance"),
    f("rl_var", "SXLW", "RunVariance"),
    f("rl_entr", "HJ9O", "RunEntropy"),
];

/// A run length matrix with the number of voxels it was counted on.
#[derive(Debug, Clone, PartialEq)]
struct Runs {
    m: CountMatrix,
    n_v: f64,
}

impl Runs {
    fn new(n: usize) -> Self {
        Self {
            m: CountMatrix::new(n, 1),
            n_v: 0.0,
        }
    }

    fn merge(&mut self, other: &Runs) {
        self.m.merge(&other.m);
        self.n_v += other.n_v;
    }
}

/// Counts the runs along `offset` that start among `voxels`.
fn count_runs(grid: &Grid, offset: isize, voxels: impl Iterator<Item = usize>, r: &mut Runs) {
    for k in voxels {
        let a = grid.cells[k];
        if a == 0 {
            continue;
        }
        r.n_v += 1.0;
        // Not the first voxel of its run.
        if grid.cells[(k as isize - offset) as usize] == a {
            continue;
        }
        let mut len = 1;
        let mut next = k as isize + offset;
        while grid.cells[next as usize] == a {
            len += 1;
            next += offset;
        }
        r.m.add(a as usize - 1, len);
    }
}

/// Computes GLRLM features for a discretised ROI.
///
/// IBSI mode returns the 16 features for each of the six aggregation methods (as
/// [`super::glcm::features`]); PyRadiomics mode returns the same 16 features averaged
/// over directions (`3d_avg`, or `2_5d_dmrg` with `force_2d`), or from the summed matrix
/// with `merge_directions`.
///
/// # Reference
/// IBSI-1 manual section 3.7; PyRadiomics documentation, "Gray Level Run Length Matrix
/// (GLRLM) Features".
pub fn features(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let grid = Grid::new(d, 1);
    let mut out = Vec::new();
    match settings.mode {
        TextureMode::Ibsi => {
            for (agg, values) in ibsi_aggregations(&grid) {
                push_ibsi(&mut out, FAMILY, FEATURES, agg, &values);
            }
        }
        TextureMode::PyRadiomics(opts) => {
            let dirs = if opts.force_2d {
                N_2D_DIRECTIONS
            } else {
                DIRECTIONS.len()
            };
            let all: Vec<usize> = grid.slices().flat_map(|z| grid.slice_voxels(z)).collect();
            let mats: Vec<Runs> = DIRECTIONS[..dirs]
                .iter()
                .map(|dir| {
                    let mut r = Runs::new(grid.n_p());
                    count_runs(&grid, grid.offset(*dir), all.iter().copied(), &mut r);
                    r
                })
                .collect();
            let agg = match (opts.force_2d, opts.merge_directions) {
                (false, false) => Aggregation::Avg3d,
                (false, true) => Aggregation::Merged3d,
                (true, false) => Aggregation::DirectionMerged2_5d,
                (true, true) => Aggregation::Merged2_5d,
            };
            let eps = PYRADIOMICS_EPS;
            let values = if opts.merge_directions {
                merged_features(&grid, &mats, agg, eps)
            } else {
                averaged_features(&grid, &mats, agg, eps)
            };
            push_pyradiomics(&mut out, FAMILY, FEATURES, agg, &values);
        }
    }
    out
}

/// The six IBSI aggregations (see `glcm::ibsi_aggregations` for the scheme).
fn ibsi_aggregations(grid: &Grid) -> Vec<(Aggregation, Vec<f64>)> {
    let n = grid.n_p();

    // 2D: per slice and in-plane direction.
    let mut per_direction = vec![Runs::new(n); N_2D_DIRECTIONS];
    let mut slice_rows = Vec::new();
    let mut per_slice = Vec::new();
    for z in grid.slices() {
        let mut merged = Runs::new(n);
        for (dir, acc) in DIRECTIONS[..N_2D_DIRECTIONS].iter().zip(&mut per_direction) {
            let mut r = Runs::new(n);
            count_runs(grid, grid.offset(*dir), grid.slice_voxels(z), &mut r);
            merged.merge(&r);
            acc.merge(&r);
            per_slice.push(r);
        }
        slice_rows.push(merged);
    }

    // 3D: in-plane directions are the per-direction sums over slices.
    let mut volume = per_direction.clone();
    let all: Vec<usize> = grid.slices().flat_map(|z| grid.slice_voxels(z)).collect();
    for dir in &DIRECTIONS[N_2D_DIRECTIONS..] {
        let mut r = Runs::new(n);
        count_runs(grid, grid.offset(*dir), all.iter().copied(), &mut r);
        volume.push(r);
    }

    vec![
        (
            Aggregation::Avg2d,
            averaged_features(grid, &per_slice, Aggregation::Avg2d, 0.0),
        ),
        (
            Aggregation::SliceMerged2d,
            averaged_features(grid, &slice_rows, Aggregation::SliceMerged2d, 0.0),
        ),
        (
            Aggregation::DirectionMerged2_5d,
            averaged_features(grid, &per_direction, Aggregation::DirectionMerged2_5d, 0.0),
        ),
        (
            Aggregation::Merged2_5d,
            merged_features(grid, &per_direction, Aggregation::Merged2_5d, 0.0),
        ),
        (
            Aggregation::Avg3d,
            averaged_features(grid, &volume, Aggregation::Avg3d, 0.0),
        ),
        (
            Aggregation::Merged3d,
            merged_features(grid, &volume, Aggregation::Merged3d, 0.0),
        ),
    ]
}

fn averaged_features(grid: &Grid, mats: &[Runs], agg: Aggregation, eps: f64) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = mats
        .iter()
        .filter_map(|r| matrix_features(r, grid, eps))
        .collect();
    warn_skipped(agg, mats.len() - rows.len(), mats.len());
    mean_finite(FAMILY, FEATURES, agg, &rows)
}

fn merged_features(grid: &Grid, mats: &[Runs], agg: Aggregation, eps: f64) -> Vec<f64> {
    let mut sum = Runs::new(grid.n_p());
    for r in mats {
        sum.merge(r);
    }
    matrix_features(&sum, grid, eps).unwrap_or_else(|| {
        warn_skipped(agg, 1, 1);
        vec![f64::NAN; FEATURES.len()]
    })
}

fn warn_skipped(agg: Aggregation, empty: usize, total: usize) {
    if empty > 0 {
        tracing::warn!(
            "{FAMILY} ({}): {empty} of {total} matrices have no run and are left out; \
             features are NaN if none is left",
            agg.tag()
        );
    }
}

/// All [`FEATURES`] of one run length matrix (formulas in [`FEATURES`]); `None` if empty.
/// `eps` goes inside the entropy's logarithm (see `stats::emphases`).
fn matrix_features(r: &Runs, grid: &Grid, eps: f64) -> Option<Vec<f64>> {
    let e = emphases(&r.m, &grid.values, eps)?;
    Some(vec![
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
        e.n_s / r.n_v,
        e.gl_var,
        e.col_var,
        e.entropy,
    ])
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    /// IBSI-1 manual GLRLM example image (section 3.7), 0-degree runs counted by hand:
    /// rows `1 2 2 3 | 1 2 3 3 | 4 2 4 1 | 4 1 2 3`.
    #[test]
    fn example_runs_0_degrees() {
        let rows = [[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]];
        let mut levels = Array3::<u32>::zeros((1, 4, 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        let grid = Grid::new(&Discretised { levels, n_g: 4 }, 1);
        let mut r = Runs::new(grid.n_p());
        count_runs(
            &grid,
            grid.offset(DIRECTIONS[0]),
            grid.slice_voxels(1),
            &mut r,
        );
        // Level 1: four runs of 1. Level 2: three of 1, one of 2. Level 3: two of 1, one
        // of 2. Level 4: three of 1.
        assert_eq!(r.m.n_cols, 2);
        assert_eq!(r.m.counts, vec![4.0, 0.0, 3.0, 1.0, 2.0, 1.0, 3.0, 0.0]);
        assert_eq!(r.n_v, 16.0);
    }

    #[test]
    fn empty_roi_gives_nan() {
        let d = Discretised {
            levels: Array3::zeros((2, 2, 2)),
            n_g: 3,
        };
        let out = features(&d, &TextureSettings::default());
        assert_eq!(out.len(), 16 * 6);
        assert!(out.iter().all(|(_, v)| v.is_nan()));
    }

    #[test]
    fn one_voxel_is_one_run_of_length_one() {
        let mut levels = Array3::<u32>::zeros((1, 1, 1));
        levels[[0, 0, 0]] = 2;
        let out = features(&Discretised { levels, n_g: 3 }, &TextureSettings::default());
        let get = |k: &str| out.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(get("glrlm.sre.3d_avg"), 1.0);
        assert_eq!(get("glrlm.r_perc.3d_mrg"), 1.0);
        assert_eq!(get("glrlm.gl_var.2d_avg"), 0.0);
    }
}
