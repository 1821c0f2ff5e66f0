//! Interpolation to a new voxel spacing (IBSI-1 section 2.4, "Notes on interpolation").
//!
//! Grid (IBSI): per axis, the new grid has `n_new = ceil(n_old * s_old / s_new)` points
//! and its centre is aligned with the centre of the old grid, so new index `j` sits at
//! old (continuous) index `t_j = (n_old - 1) / 2 + (j - (n_new - 1) / 2) * s_new / s_old`.
//! Points beyond the old grid take the nearest edge value (IBSI "pad with the nearest
//! value"), i.e. `t` is clamped to `[0, n_old - 1]`.
//!
//! Interpolators are separable on an axis-aligned grid, so each is applied one axis at
//! a time: nearest neighbour, linear (trilinear in 3D; bilinear when the slice spacing
//! is kept, the "2D" configurations) and cubic B-spline (IBSI "tricubic spline";
//! Unser, Aldroubi and Eden 1991, IEEE Trans. Signal Process. 39(6): recursive
//! prefilter with pole `z = sqrt(3) - 2` and mirror boundaries, then the cubic B-spline
//! kernel). Keeping the slice spacing makes the z taps the identity, which is
//! "in-plane only" interpolation.
//!
//! Only a sub-box of the new grid is evaluated (the ROI and a margin): the grid is that
//! of the whole image, so values do not depend on the crop. Limitation: the spline
//! prefilter runs on the old image cropped to the needed box plus
//! [`SPLINE_MARGIN`] voxels, so spline values differ from a whole-image prefilter by
//! about `0.268^SPLINE_MARGIN` of the local contrast.

use ndarray::{Array3, Axis};
use serde::{Deserialize, Serialize};

/// Extra old voxels kept around the needed box before the spline prefilter.
pub const SPLINE_MARGIN: usize = 12;

/// Image interpolators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpolator {
    /// Nearest neighbour.
    Nearest,
    /// Linear per axis (trilinear / bilinear).
    Linear,
    /// Cubic B-spline (IBSI "tricubic spline").
    CubicSpline,
}

/// The IBSI grid along one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisGrid {
    /// Number of new grid points.
    pub n_new: usize,
    /// Old continuous index of new index 0.
    pub start: f64,
    /// Old index units per new index (`s_new / s_old`).
    pub step: f64,
    /// Old index of the array's first point (0 unless the array is a crop, or part, of
    /// the grid `start` refers to). Subtracted last, an exact step for whole numbers, so
    /// a crop gets the whole grid's interpolation weights bit for bit.
    pub shift: f64,
}

impl AxisGrid {
    /// IBSI centre-aligned grid for `n_old` points at spacing `s_old`, new spacing `s_new`.
    pub fn ibsi(n_old: usize, s_old: f64, s_new: f64) -> Self {
        let extent = n_old as f64 * s_old / s_new;
        // Guard against 60 * 3.0 / 3.0 = 60.000000000000007 adding a point.
        let n_new = ((extent - 1e-9).ceil() as usize).max(1);
        let step = s_new / s_old;
        let start = (n_old as f64 - 1.0) / 2.0 - (n_new as f64 - 1.0) / 2.0 * step;
        Self {
            n_new,
            start,
            step,
            shift: 0.0,
        }
    }

    /// Old continuous index (in the array) of new index `j`.
    pub fn old_index(&self, j: usize) -> f64 {
        (self.start + j as f64 * self.step) - self.shift
    }

    /// The identity grid (no interpolation along this axis).
    pub fn identity(n: usize) -> Self {
        Self {
            n_new: n,
            start: 0.0,
            step: 1.0,
            shift: 0.0,
        }
    }
}

/// Taps for one axis: per output index, `(old index, weight)` pairs.
type Taps = Vec<Vec<(usize, f64)>>;

/// Interpolates `data` (`[z][y][x]`) at new indices `range[a]` (x, y, z order) of the
/// grids `grids` (x, y, z order).
pub fn resample(
    data: &Array3<f64>,
    grids: [AxisGrid; 3],
    range: [std::ops::Range<usize>; 3],
    interpolator: Interpolator,
) -> Array3<f64> {
    let (nz, ny, nx) = data.dim();
    let n_old = [nx, ny, nz];

    // Old index box needed by the taps (with a margin for the spline prefilter).
    let mut taps: Vec<Taps> = (0..3)
        .map(|a| axis_taps(&grids[a], range[a].clone(), n_old[a], interpolator))
        .collect();
    let margin = if interpolator == Interpolator::CubicSpline {
        SPLINE_MARGIN
    } else {
        0
    };
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let used = taps[a].iter().flatten().map(|&(i, _)| i);
        let (mn, mx) = used.fold((usize::MAX, 0), |(mn, mx), i| (mn.min(i), mx.max(i)));
        lo[a] = mn.saturating_sub(margin);
        hi[a] = (mx + margin).min(n_old[a] - 1);
    }
    let mut work = data
        .slice(ndarray::s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]])
        .to_owned();
    if interpolator == Interpolator::CubicSpline {
        // Taps were computed with mirror boundaries of the full axis; recompute them on
        // the cropped box so the prefilter and the taps agree.
        for a in 0..3 {
            let g = AxisGrid {
                shift: grids[a].shift + lo[a] as f64,
                ..grids[a]
            };
            taps[a] = axis_taps(&g, range[a].clone(), hi[a] - lo[a] + 1, interpolator);
        }
        for ax in 0..3 {
            prefilter_axis(&mut work, Axis(ax));
        }
    } else {
        for a in 0..3 {
            for t in taps[a].iter_mut() {
                for (i, _) in t.iter_mut() {
                    *i -= lo[a];
                }
            }
        }
    }

    // Apply x, then y, then z (array axes 2, 1, 0).
    let work = apply_axis(&work, Axis(2), &taps[0]);
    let work = apply_axis(&work, Axis(1), &taps[1]);
    apply_axis(&work, Axis(0), &taps[2])
}

/// Interpolates a binary mask with `interpolator` and keeps points at or above
/// `threshold` (IBSI partial-volume threshold 0.5).
pub fn resample_mask(
    mask: &Array3<bool>,
    grids: [AxisGrid; 3],
    range: [std::ops::Range<usize>; 3],
    interpolator: Interpolator,
    threshold: f64,
) -> Array3<bool> {
    let f = mask.mapv(|m| if m { 1.0 } else { 0.0 });
    // Floating error of the weights must not move an exact 0.5 below the threshold.
    resample(&f, grids, range, interpolator).mapv(|v| v >= threshold - 1e-9)
}

/// Taps of one axis for new indices `range`.
fn axis_taps(
    g: &AxisGrid,
    range: std::ops::Range<usize>,
    n_old: usize,
    interpolator: Interpolator,
) -> Taps {
    let last = (n_old - 1) as f64;
    range
        .map(|j| {
            let t = g.old_index(j).clamp(0.0, last);
            match interpolator {
                Interpolator::Nearest => vec![((t + 0.5).floor().min(last) as usize, 1.0)],
                Interpolator::Linear => {
                    let i0 = t.floor().min(last) as usize;
                    let f = t - i0 as f64;
                    if f < 1e-12 || i0 + 1 >= n_old {
                        vec![(i0, 1.0)]
                    } else {
                        vec![(i0, 1.0 - f), (i0 + 1, f)]
                    }
                }
                Interpolator::CubicSpline => {
                    let i0 = t.floor() as i64;
                    (i0 - 1..=i0 + 2)
                        .map(|k| (mirror(k, n_old), bspline3(t - k as f64)))
                        .filter(|&(_, w)| w != 0.0)
                        .collect()
                }
            }
        })
        .collect()
}

/// Mirror index `k` into `0..n` (whole-sample symmetric boundary).
fn mirror(k: i64, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as i64 - 1);
    let mut k = k.rem_euclid(period);
    if k >= n as i64 {
        k = period - k;
    }
    k as usize
}

/// Cubic B-spline kernel.
fn bspline3(x: f64) -> f64 {
    let a = x.abs();
    if a < 1.0 {
        2.0 / 3.0 - a * a + a * a * a / 2.0
    } else if a < 2.0 {
        (2.0 - a).powi(3) / 6.0
    } else {
        0.0
    }
}

/// Applies taps along one array axis.
fn apply_axis(data: &Array3<f64>, axis: Axis, taps: &Taps) -> Array3<f64> {
    let mut shape = [data.dim().0, data.dim().1, data.dim().2];
    shape[axis.0] = taps.len();
    let mut out = Array3::<f64>::zeros(shape);
    for (j, t) in taps.iter().enumerate() {
        let mut dst = out.index_axis_mut(axis, j);
        for &(i, w) in t {
            dst.scaled_add(w, &data.index_axis(axis, i));
        }
    }
    out
}

/// Cubic B-spline prefilter (Unser 1991) along one axis, mirror boundaries.
fn prefilter_axis(data: &mut Array3<f64>, axis: Axis) {
    let n = data.len_of(axis);
    if n < 2 {
        return;
    }
    let z = 3f64.sqrt() - 2.0;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for mut lane in data.lanes_mut(axis) {
        let mut c: Vec<f64> = lane.iter().map(|v| v * gain).collect();

        // Causal initialisation, exact for the mirror-symmetric extension (period
        // 2n - 2): c+[0] = sum_{k < 2n-2} z^k s~[k] / (1 - z^(2n-2)).
        let period = 2 * n - 2;
        let mut sum = 0.0;
        let mut zk = 1.0;
        for k in 0..period {
            let idx = if k < n { k } else { period - k };
            sum += zk * c[idx];
            zk *= z;
        }
        c[0] = sum / (1.0 - zk);
        for k in 1..n {
            c[k] += z * c[k - 1];
        }

        // Anti-causal initialisation and recursion.
        c[n - 1] = (z / (z * z - 1.0)) * (c[n - 1] + z * c[n - 2]);
        for k in (0..n - 1).rev() {
            c[k] = z * (c[k + 1] - c[k]);
        }
        for (dst, v) in lane.iter_mut().zip(c) {
            *dst = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibsi_grid_ct_phantom_config_c() {
        // 204 x 0.977 mm -> 2 mm: ceil(99.65) = 100 points, centres aligned.
        let g = AxisGrid::ibsi(204, 0.977, 2.0);
        assert_eq!(g.n_new, 100);
        let centre_old = g.old_index(0) + (g.n_new - 1) as f64 / 2.0 * g.step;
        assert!((centre_old - 101.5).abs() < 1e-12);
    }

    #[test]
    fn ibsi_grid_keeps_axis_with_same_spacing() {
        let g = AxisGrid::ibsi(60, 3.0, 3.0);
        assert_eq!(g.n_new, 60);
        assert!((g.start).abs() < 1e-12 && (g.step - 1.0).abs() < 1e-12);
    }

    fn ramp() -> Array3<f64> {
        Array3::from_shape_fn((4, 5, 6), |(z, y, x)| {
            x as f64 + 10.0 * y as f64 + 100.0 * z as f64
        })
    }

    #[test]
    fn linear_reproduces_a_ramp_inside_the_grid() {
        let data = ramp();
        let grids = [
            AxisGrid::ibsi(6, 1.0, 0.5),
            AxisGrid::ibsi(5, 1.0, 1.0),
            AxisGrid::ibsi(4, 1.0, 1.0),
        ];
        let out = resample(&data, grids, [0..12, 0..5, 0..4], Interpolator::Linear);
        // New x index 3 sits at old index -0.25 + 1.5 = 1.25.
        assert!((out[[1, 2, 3]] - (1.25 + 20.0 + 100.0)).abs() < 1e-12);
        // New x index 0 is at -0.25: clamped to the edge value.
        assert!((out[[0, 0, 0]] - 0.0).abs() < 1e-12);
    }

    #[test]
    fn cubic_spline_interpolates_at_grid_points_and_reproduces_a_ramp() {
        let data = ramp();
        let id = [
            AxisGrid::identity(6),
            AxisGrid::identity(5),
            AxisGrid::identity(4),
        ];
        let out = resample(&data, id, [0..6, 0..5, 0..4], Interpolator::CubicSpline);
        for (a, b) in out.iter().zip(data.iter()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }

        // Far from the mirror boundaries a cubic spline reproduces a linear function.
        let long = Array3::from_shape_fn((1, 1, 60), |(_, _, x)| 3.0 * x as f64);
        let g = [
            AxisGrid {
                n_new: 1,
                start: 29.5,
                step: 1.0,
                shift: 0.0,
            },
            AxisGrid::identity(1),
            AxisGrid::identity(1),
        ];
        let out = resample(&long, g, [0..1, 0..1, 0..1], Interpolator::CubicSpline);
        assert!((out[[0, 0, 0]] - 88.5).abs() < 1e-6, "{}", out[[0, 0, 0]]);
    }

    #[test]
    fn mask_threshold_half() {
        let m = Array3::from_shape_vec((1, 1, 2), vec![true, false]).unwrap();
        let g = [
            AxisGrid {
                n_new: 3,
                start: 0.0,
                step: 0.5,
                shift: 0.0,
            },
            AxisGrid::identity(1),
            AxisGrid::identity(1),
        ];
        let out = resample_mask(&m, g, [0..3, 0..1, 0..1], Interpolator::Linear, 0.5);
        assert_eq!(
            out.iter().copied().collect::<Vec<_>>(),
            vec![true, true, false]
        );
    }
}
