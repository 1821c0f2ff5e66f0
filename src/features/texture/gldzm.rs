//! Grey level distance zone matrix features (IBSI-1 manual section 3.10, family VMDZ;
//! Thibault et al. 2014).
//!
//! Zones are those of the GLSZM (26-connected in 3D, 8-connected in 2D, found on the
//! *intensity* mask, i.e. the discretised ROI). Each zone's distance is the smallest
//! distance-to-edge of its voxels, where the distance map is computed on the
//! *morphological* mask, as IBSI prescribes ("Morphological and intensity masks": the
//! distance map uses the morphological mask, the zones the intensity mask). This is why
//! [`features`] takes that mask as an explicit argument: after re-segmentation the
//! intensity mask has holes that are not ROI edges.
//!
//! Distance (IBSI): voxels on the ROI edge have distance 1; a voxel's distance is the
//! number of 6-connected (3D) or 4-connected (2D, within the slice) steps to leave the
//! ROI, i.e. the Manhattan distance to the nearest voxel outside the mask (the image
//! border counts as outside). It equals the iterative-erosion definition of the manual and
//! is computed here by one breadth-first pass from the edge voxels.
//!
//! `d_ij` counts zones of grey level `i` at distance `j`; features follow the GLSZM
//! formulas with zone distance in place of zone size.
//!
//! # Degenerate cases
//! An empty ROI gives NaN; a slice without ROI voxels is left out of the 2D average. A
//! morphological mask of another shape than the grey levels gives NaN with a warning; an
//! intensity voxel outside the morphological mask (which IBSI excludes) is given distance
//! 1 with a warning.

use ndarray::Array3;

use crate::preprocess::Discretised;

use super::aggregate::{push_ibsi, Aggregation};
use super::glszm::{find_zones, zone_aggregations};
use super::grid::Grid;
use super::{FeatureInfo, TextureMode, TextureSettings};

const FAMILY: &str = "gldzm";

const fn f(name: &'static str, ibsi: &'static str) -> FeatureInfo {
    FeatureInfo {
        name,
        ibsi: Some(ibsi),
        pyradiomics: None,
    }
}

/// GLDZM features: canonical name and IBSI code (PyRadiomics has no GLDZM).
///
/// With `N_s` the number of zones, `N_v` the number of voxels, `d_i.` and `d_.j` the
/// marginal sums and `p_ij = d_ij / N_s`:
/// ```text
/// sde       0GBI  1/N_s sum_j d_.j / j^2          lde       MB4I  1/N_s sum_j j^2 d_.j
/// lgze      S1RA  1/N_s sum_i d_i. / i^2          hgze      K26C  1/N_s sum_i i^2 d_i.
/// sdlge     RUVG  1/N_s sum_ij d_ij / (i^2 j^2)   sdhge     DKNJ  1/N_s sum_ij i^2 d_ij / j^2
/// ldlge     A7WM  1/N_s sum_ij j^2 d_ij / i^2     ldhge     KLTH  1/N_s sum_ij i^2 j^2 d_ij
/// glnu      VFT7  1/N_s sum_i d_i.^2              glnu_norm 7HP3  1/N_s^2 sum_i d_i.^2
/// zdnu      V294  1/N_s sum_j d_.j^2              zdnu_norm IATH  1/N_s^2 sum_j d_.j^2
/// z_perc    VIWW  N_s / N_v
/// gl_var    QK93  sum_ij (i - mu)^2 p_ij          zd_var    7WT1  sum_ij (j - mu)^2 p_ij
/// zd_entr   GBDU  -sum_ij p_ij log2 p_ij
/// ```
pub const FEATURES: &[FeatureInfo] = &[
    f("sde", "0GBI"),
    f("lde", "MB4I"),
    f("lgze", "S1RA"),
    f("hgze", "K26C"),
    f("sdlge", "RUVG"),
    f("sdhge", "DKNJ"),
    f("ldlge", "A7WM"),
    f("ldhge", "KLTH"),
    f("glnu", "VFT7"),
    f("glnu_norm", "7HP3"),
    f("zdnu", "V294"),
    f("zdnu_norm", "IATH"),
    f("z_perc", "VIWW"),
    f("gl_var", "QK93"),
    f("zd_var", "7WT1"),
    f("zd_entr", "GBDU"),
];

/// Computes GLDZM features: zones on `d` (the intensity mask), distances on `morph` (the
/// morphological mask, `[z][y][x]`, same shape as `d.levels`).
///
/// Returns the 16 features for `2d`, `2_5d` and `3d` (`gldzm.<feature>.<aggregation>`);
/// nothing in PyRadiomics mode.
///
/// # Reference
/// IBSI-1 manual section 3.10.
pub fn features(
    d: &Discretised,
    morph: &Array3<bool>,
    settings: &TextureSettings,
) -> Vec<(String, f64)> {
    if let TextureMode::PyRadiomics(_) = settings.mode {
        return Vec::new();
    }
    let mut out = Vec::new();
    if morph.dim() != d.levels.dim() {
        tracing::warn!(
            "{FAMILY}: morphological mask shape {:?} differs from the grey levels' {:?}; NaN",
            morph.dim(),
            d.levels.dim()
        );
        for agg in Aggregation::FREE {
            push_ibsi(&mut out, FAMILY, FEATURES, agg, &[f64::NAN; 16]);
        }
        return out;
    }

    let grid = Grid::new(d, 1);
    let planar_dist = grid_distances(&grid, &cropped_distance_map(morph, true));
    let volume_dist = grid_distances(&grid, &cropped_distance_map(morph, false));
    let planar = find_zones(&grid, true, Some(&planar_dist));
    let volume = find_zones(&grid, false, Some(&volume_dist));

    let aggs = zone_aggregations(FAMILY, FEATURES, &grid, &planar, &volume, |z| {
        z.min_map as usize
    });
    // 2D and 2.5D use the slice-wise (4-connected) distances, 3D the 6-connected ones.
    for (agg, values) in aggs {
        push_ibsi(&mut out, FAMILY, FEATURES, agg, &values);
    }
    out
}

/// Distance to the mask edge for every voxel of `mask` (0 outside): 4-connected within
/// slices when `in_plane`, else 6-connected; edge voxels have distance 1.
pub fn distance_map(mask: &Array3<bool>, in_plane: bool) -> Array3<u32> {
    let mut full = Array3::<u32>::zeros(mask.dim());
    let (crop, origin) = cropped_distance_map(mask, in_plane);
    for ((z, y, x), &v) in crop.indexed_iter() {
        full[[origin[0] + z, origin[1] + y, origin[2] + x]] = v;
    }
    full
}

/// [`distance_map`] on the mask's bounding box only, with the box origin `[z, y, x]`:
/// whole-image masks are scanned once and the breadth-first pass stays inside the box.
fn cropped_distance_map(mask: &Array3<bool>, in_plane: bool) -> (Array3<u32>, [usize; 3]) {
    let (lo, hi, n, _) = super::grid::bounding_box(mask, |m| m, |_| ());
    if n == 0 {
        return (Array3::zeros((0, 0, 0)), [0; 3]);
    }
    let (nz, ny, nx) = (hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1);
    let inside = mask.slice(ndarray::s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]]);
    let mut dist = Array3::<u32>::zeros((nz, ny, nx));
    let steps: &[[isize; 3]] = if in_plane {
        &[[0, 0, 1], [0, 0, -1], [0, 1, 0], [0, -1, 0]]
    } else {
        &[
            [0, 0, 1],
            [0, 0, -1],
            [0, 1, 0],
            [0, -1, 0],
            [1, 0, 0],
            [-1, 0, 0],
        ]
    };
    // Neighbours outside the box are outside the mask.
    let neighbour = |p: [usize; 3], s: &[isize; 3]| -> Option<[usize; 3]> {
        let q = [
            p[0] as isize + s[0],
            p[1] as isize + s[1],
            p[2] as isize + s[2],
        ];
        let within = q[0] >= 0
            && q[1] >= 0
            && q[2] >= 0
            && (q[0] as usize) < nz
            && (q[1] as usize) < ny
            && (q[2] as usize) < nx;
        within.then(|| [q[0] as usize, q[1] as usize, q[2] as usize])
    };

    // Seeds: mask voxels with a neighbour outside the mask or the image.
    let mut queue = std::collections::VecDeque::new();
    for ((z, y, x), &m) in inside.indexed_iter() {
        if !m {
            continue;
        }
        let edge = steps
            .iter()
            .any(|s| neighbour([z, y, x], s).is_none_or(|q| !inside[q]));
        if edge {
            dist[[z, y, x]] = 1;
            queue.push_back([z, y, x]);
        }
    }

    // Breadth-first layers: each step inward adds 1.
    while let Some(p) = queue.pop_front() {
        let next = dist[p] + 1;
        for s in steps {
            if let Some(q) = neighbour(p, s) {
                if inside[q] && dist[q] == 0 {
                    dist[q] = next;
                    queue.push_back(q);
                }
            }
        }
    }
    (dist, lo)
}

/// The distance of every padded grid voxel (0 outside the ROI); ROI voxels outside the
/// morphological mask get 1 with a warning.
fn grid_distances(grid: &Grid, (dist, origin): &(Array3<u32>, [usize; 3])) -> Vec<u32> {
    let mut out = vec![0u32; grid.cells.len()];
    let mut outside = 0usize;
    for z in grid.slices() {
        for k in grid.slice_voxels(z) {
            if grid.cells[k] == 0 {
                continue;
            }
            let y = (k / grid.dims[2]) % grid.dims[1];
            let x = k % grid.dims[2];
            // Position in the distance map's box; outside it means outside the mask.
            let p = [
                (grid.origin[0] + z - grid.pad).checked_sub(origin[0]),
                (grid.origin[1] + y - grid.pad).checked_sub(origin[1]),
                (grid.origin[2] + x - grid.pad).checked_sub(origin[2]),
            ];
            let v = match p {
                [Some(a), Some(b), Some(c)] => dist.get([a, b, c]).copied().unwrap_or(0),
                _ => 0,
            };
            if v == 0 {
                outside += 1;
            }
            out[k] = v.max(1);
        }
    }
    if outside > 0 {
        tracing::warn!(
            "{FAMILY}: {outside} intensity-mask voxels lie outside the morphological mask; \
             given distance 1"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IBSI-1 manual GLDZM example (section 3.10): the 4x4 all-ROI square has distance 1
    /// on its edge and 2 in its four centre voxels.
    #[test]
    fn distance_map_of_square() {
        let mask = Array3::from_elem((1, 4, 4), true);
        let d = distance_map(&mask, true);
        let want = [1, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1];
        assert_eq!(d.iter().copied().collect::<Vec<_>>(), want);
        // In 3D a one-slice mask is all edge.
        assert!(distance_map(&mask, false).iter().all(|&v| v == 1));
    }

    /// The manual's example image `1 2 2 3 | 1 2 3 3 | 4 2 4 1 | 4 1 2 3` with the square's
    /// distance map, zones 8-connected (IBSI 2D), counted by hand: level 1 three zones at
    /// distance 1; level 2 one zone (distance 1); level 3 two zones at 1; level 4 the zone
    /// {(2,0),(3,0)} at 1 and the single voxel (2,2) at distance 2.
    #[test]
    fn example_matrix_8_connected() {
        let rows = [[1, 2, 2, 3], [1, 2, 3, 3], [4, 2, 4, 1], [4, 1, 2, 3]];
        let mut levels = Array3::<u32>::zeros((1, 4, 4));
        for (y, r) in rows.iter().enumerate() {
            for (x, &v) in r.iter().enumerate() {
                levels[[0, y, x]] = v;
            }
        }
        let morph = levels.mapv(|v| v > 0);
        let grid = Grid::new(&Discretised { levels, n_g: 4 }, 1);
        let dist = grid_distances(&grid, &cropped_distance_map(&morph, true));
        let zones = find_zones(&grid, true, Some(&dist));
        let m = super::super::glszm::zone_matrix(&grid, zones.iter(), |z| z.min_map as usize);
        assert_eq!(m.counts, vec![3.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn shape_mismatch_gives_nan() {
        let d = Discretised {
            levels: Array3::from_elem((1, 2, 2), 1),
            n_g: 1,
        };
        let morph = Array3::from_elem((1, 2, 3), true);
        let out = features(&d, &morph, &TextureSettings::default());
        assert_eq!(out.len(), 48);
        assert!(out.iter().all(|(_, v)| v.is_nan()));
    }
}
