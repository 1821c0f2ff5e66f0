//! Neighbourhood grey tone difference matrix features (IBSI-1 manual section 3.11, family
//! IPET; Amadasun and King 1989).
//!
//! For every ROI voxel of grey level `i`, `A_bar` is the mean grey level of its neighbours
//! within Chebyshev distance delta that lie in the ROI (the centre excluded; in-plane
//! neighbours only in 2D). Voxels without such a neighbour are left out. Then
//! `s_i = sum |i - A_bar|` over the voxels of level `i`, `n_i` their number,
//! `N_v,c = sum n_i`, `p_i = n_i / N_v,c`, and `N_g,p` the number of levels with
//! `p_i > 0`. Sums over `i, j` below run over levels with `p_i > 0` and `p_j > 0`.
//!
//! Aggregation: `2d` per slice then averaged; `2_5d` `s_i` and `n_i` summed over slices;
//! `3d` volumetric neighbourhoods.
//!
//! # Degenerate cases
//! One grey level (or all `s_i = 0`) makes coarseness, contrast, busyness and strength
//! 0/0. IBSI defines no value: NaN with a warning. PyRadiomics sets coarseness to 10^6 and
//! the others to 0 (its `flatRegion` baseline). No voxel with a neighbour (one voxel):
//! every feature NaN with a warning in both modes.

use crate::preprocess::Discretised;

use super::aggregate::{mean_finite, push_ibsi, push_pyradiomics, Aggregation};
use super::grid::Grid;
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "ngtdm";

const fn f(name: &'static str, ibsi: &'static str, py: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: Some(ibsi),
        pyradiomics: Some(py),
    }
}

/// NGTDM features: canonical name, IBSI code, PyRadiomics name, in output order.
///
/// ```text
/// coarseness QCDE  1 / sum_i p_i s_i
/// contrast   65HE  [1/(N_gp (N_gp - 1)) sum_ij p_i p_j (i-j)^2] [1/N_vc sum_i s_i]
/// busyness   NQ30  sum_i p_i s_i / sum_ij |i p_i - j p_j|
/// complexity HDEZ  1/N_vc sum_ij |i - j| (p_i s_i + p_j s_j) / (p_i + p_j)
/// strength   1X9X  sum_ij (p_i + p_j) (i - j)^2 / sum_i s_i
/// ```
pub const FEATURES: &[FeatureInfo] = &[
    f("coarseness", "QCDE", "Coarseness"),
    f("contrast", "65HE", "Contrast"),
    f("busyness", "NQ30", "Busyness"),
    f("complexity", "HDEZ", "Complexity"),
    f("strength", "1X9X", "Strength"),
];

/// `n_i` and `s_i` per compact grey level.
#[derive(Debug, Clone, PartialEq)]
struct Ngtdm {
    n: Vec<f64>,
    s: Vec<f64>,
}

impl Ngtdm {
    fn new(n_p: usize) -> Self {
        Self {
            n: vec![0.0; n_p],
            s: vec![0.0; n_p],
        }
    }

    fn merge(&mut self, other: &Ngtdm) {
        for (a, b) in self.n.iter_mut().zip(&other.n) {
            *a += b;
        }
        for (a, b) in self.s.iter_mut().zip(&other.s) {
            *a += b;
        }
    }
}

/// Adds the voxels of `voxels` to `m`, neighbourhood offsets `hood`.
fn accumulate(grid: &Grid, hood: &[isize], voxels: impl Iterator<Item = usize>, m: &mut Ngtdm) {
    for k in voxels {
        let a = grid.cells[k];
        if a == 0 {
            continue;
        }
        let (mut sum, mut count) = (0.0, 0usize);
        for &o in hood {
            let b = grid.cells[(k as isize + o) as usize];
            if b > 0 {
                sum += grid.values[b as usize - 1];
                count += 1;
            }
        }
        if count == 0 {
            continue;
        }
        let a = a as usize - 1;
        m.n[a] += 1.0;
        m.s[a] += (grid.values[a] - sum / count as f64).abs();
    }
}

/// Computes NGTDM features for a discretised ROI.
///
/// IBSI mode: the 5 features for `2d`, `2_5d` and `3d` (`ngtdm.<feature>.<aggregation>`).
/// PyRadiomics mode: one volumetric matrix (`3d`), or in-plane neighbourhoods summed over
/// slices with `force_2d` (`2_5d`).
///
/// # Reference
/// IBSI-1 manual section 3.11; PyRadiomics documentation, "Neighbouring Gray Tone
/// Difference Matrix (NGTDM) Features".
pub fn features(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let delta = settings.distance.max(1);
    let grid = Grid::new(d, delta);
    let n_p = grid.n_p();
    let planar = grid.neighbourhood(delta, true);
    let cube = grid.neighbourhood(delta, false);
    let all = || grid.slices().flat_map(|z| grid.slice_voxels(z));
    let mut out = Vec::new();
    match settings.mode {
        TextureMode::Ibsi => {
            let mut rows = Vec::new();
            let mut merged = Ngtdm::new(n_p);
            for z in grid.slices() {
                let mut m = Ngtdm::new(n_p);
                accumulate(&grid, &planar, grid.slice_voxels(z), &mut m);
                if m.n.iter().sum::<f64>() > 0.0 {
                    rows.push(matrix_features(
                        &m,
                        &grid,
                        Convention::Ibsi,
                        Aggregation::Slice2d,
                    ));
                } else if grid.slice_count(z) > 0 {
                    tracing::warn!(
                        "{FAMILY} (2d): slice {z} has no voxel with an in-ROI neighbour; \
                         left out of the average"
                    );
                }
                merged.merge(&m);
            }
            let mut volume = Ngtdm::new(n_p);
            accumulate(&grid, &cube, all(), &mut volume);
            let conv = Convention::Ibsi;
            let sets = [
                (
                    Aggregation::Slice2d,
                    mean_finite(FAMILY, FEATURES, Aggregation::Slice2d, &rows),
                ),
                (
                    Aggregation::Merged2_5dFree,
                    matrix_features(&merged, &grid, conv, Aggregation::Merged2_5dFree),
                ),
                (
                    Aggregation::Volume3d,
                    matrix_features(&volume, &grid, conv, Aggregation::Volume3d),
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
            let mut m = Ngtdm::new(n_p);
            accumulate(&grid, hood, all(), &mut m);
            let values = matrix_features(&m, &grid, Convention::PyRadiomics, agg);
            push_pyradiomics(&mut out, FAMILY, FEATURES, agg, &values);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Convention {
    Ibsi,
    PyRadiomics,
}

/// The five features of one NGTDM (formulas in [`FEATURES`]).
fn matrix_features(m: &Ngtdm, grid: &Grid, conv: Convention, agg: Aggregation) -> Vec<f64> {
    let n_vc: f64 = m.n.iter().sum();
    if n_vc <= 0.0 {
        tracing::warn!(
            "{FAMILY} ({}): no voxel has an in-ROI neighbour; NaN",
            agg.tag()
        );
        return vec![f64::NAN; FEATURES.len()];
    }
    let g = &grid.values;
    let live: Vec<usize> = (0..m.n.len()).filter(|&a| m.n[a] > 0.0).collect();
    let p: Vec<f64> = m.n.iter().map(|n| n / n_vc).collect();
    let n_gp = live.len() as f64;
    let ps_sum: f64 = live.iter().map(|&a| p[a] * m.s[a]).sum();
    let s_sum: f64 = live.iter().map(|&a| m.s[a]).sum();

    let (mut contrast_sum, mut busy_den, mut complexity, mut strength_num) = (0.0, 0.0, 0.0, 0.0);
    for &a in &live {
        for &b in &live {
            let d = g[a] - g[b];
            contrast_sum += p[a] * p[b] * d * d;
            busy_den += (g[a] * p[a] - g[b] * p[b]).abs();
            complexity += d.abs() * (p[a] * m.s[a] + p[b] * m.s[b]) / (p[a] + p[b]);
            strength_num += (p[a] + p[b]) * d * d;
        }
    }
    complexity /= n_vc;

    // Degenerate cases: IBSI leaves 0/0 undefined, PyRadiomics fixes values.
    let degenerate = |name: &str, py: f64, why: &str| match conv {
        Convention::Ibsi => {
            tracing::warn!("{FAMILY}.{name}.{}: undefined ({why}); NaN", agg.tag());
            f64::NAN
        }
        Convention::PyRadiomics => py,
    };
    let coarseness = if ps_sum > 0.0 {
        1.0 / ps_sum
    } else {
        degenerate("coarseness", 1e6, "sum p_i s_i = 0")
    };
    let contrast = if n_gp > 1.0 {
        contrast_sum / (n_gp * (n_gp - 1.0)) * s_sum / n_vc
    } else {
        degenerate("contrast", 0.0, "one grey level")
    };
    let busyness = if busy_den > 0.0 {
        ps_sum / busy_den
    } else {
        degenerate("busyness", 0.0, "one grey level")
    };
    let strength = if s_sum > 0.0 {
        strength_num / s_sum
    } else {
        degenerate("strength", 0.0, "sum s_i = 0")
    };
    vec![coarseness, contrast, busyness, complexity, strength]
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    fn py() -> TextureSettings {
        TextureSettings {
            mode: TextureMode::PyRadiomics(Default::default()),
            ..Default::default()
        }
    }

    /// The IBSI-1 example image (section 3.11) `1 2 2 3 | 1 2 3 3 | 4 2 4 1 | 4 1 2 3`,
    /// 8-neighbourhood, by hand: n = (4, 5, 4, 3); the level-1 voxels (0,0), (1,0), (2,3),
    /// (3,1) have neighbour means 5/3, 11/5, 3, 16/5, so s_1 = 2/3 + 1.2 + 2 + 2.2.
    #[test]
    fn example_counts() {
        let rows = [[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]];
        let mut levels = Array3::<u32>::zeros((1, 4, 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        let grid = Grid::new(&Discretised { levels, n_g: 4 }, 1);
        let mut m = Ngtdm::new(4);
        accumulate(
            &grid,
            &grid.neighbourhood(1, true),
            grid.slice_voxels(1),
            &mut m,
        );
        assert_eq!(m.n, vec![4.0, 5.0, 4.0, 3.0]);
        assert!((m.s[0] - (2.0 / 3.0 + 1.2 + 2.0 + 2.2)).abs() < 1e-12);
    }

    #[test]
    fn single_grey_level_conventions() {
        let levels = Array3::from_elem((2, 3, 3), 2u32);
        let d = Discretised { levels, n_g: 2 };
        let ibsi = features(&d, &TextureSettings::default());
        assert!(ibsi
            .iter()
            .filter(|(n, _)| !n.contains("complexity"))
            .all(|(_, v)| v.is_nan()));
        let out = features(&d, &py());
        let want = [1e6, 0.0, 0.0, 0.0, 0.0];
        for ((_, v), w) in out.iter().zip(want) {
            assert_eq!(*v, w);
        }
    }

    #[test]
    fn one_voxel_is_nan_in_both_modes() {
        let levels = Array3::from_elem((1, 1, 1), 1u32);
        let d = Discretised { levels, n_g: 1 };
        assert!(features(&d, &TextureSettings::default())
            .iter()
            .all(|(_, v)| v.is_nan()));
        assert!(features(&d, &py()).iter().all(|(_, v)| v.is_nan()));
    }
}
