//! Rigid motion of image and mask together: translation by voxel fractions and rotation
//! about the slice (k) axis, on the same grid.
//!
//! # Formula
//! With `c` the rotation centre, `t` the translation and `R(theta)` the in-plane rotation
//! (both in mm of index space, `u_x = i * s_x`, `u_y = j * s_y`), the object moves by
//! `T(q) = R (q - c) + c + t`; the perturbed image at grid point `p` is the old image at
//! `T^-1(p) = R^T (p - c - t) + c`, interpolated (linear per axis or nearest neighbour)
//! with out-of-grid points taking the nearest edge value (IBSI-1 section 2.4 padding).
//! The mask is interpolated the same way and kept where it reaches 0.5 (IBSI partial
//! volume threshold). A positive angle turns the i axis towards the j axis.
//!
//! Moving the object by a sub-voxel fraction is equivalent to shifting the sampling
//! grid, the "translation" perturbation of Zwanenburg et al. 2019 (Sci Rep 9:614); a
//! rotation about the slice axis models a different patient position in the scanner.
//!
//! Limitation: the cubic spline interpolator is not offered here (it needs a prefilter
//! of the rotated grid); the extraction's own interpolation is unaffected.
//! TODO(perturb): cubic-spline rigid motion for studies that extract with splines.

use ndarray::Array3;
use serde::{Deserialize, Serialize};

use super::Sample;

/// Interpolator of the rigid motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RigidInterpolator {
    /// Nearest neighbour.
    Nearest,
    /// Linear per axis (trilinear).
    #[default]
    Linear,
}

/// A rigid motion: translation in voxels (fractions allowed, `(x, y, z)`) and an angle in
/// degrees about the slice axis through `centre` (continuous index `(x, y, z)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Translation in voxels `(x, y, z)`.
    pub translation: [f64; 3],
    /// Rotation angle in degrees about the slice axis.
    pub angle_deg: f64,
    /// Rotation centre as a continuous index `(x, y, z)`.
    pub centre: [f64; 3],
}

/// Positions closer than this to a grid point are snapped to it, so whole-voxel moves
/// and multiples of 90 degrees reproduce voxels exactly.
const SNAP: f64 = 1e-9;

/// Applies `motion` to image and mask (module doc).
pub fn apply(sample: &Sample, motion: &Motion, interpolator: RigidInterpolator) -> Sample {
    let (nz, ny, nx) = sample.image.data.dim();
    let s = sample.image.geometry.spacing;
    let [tx, ty, tz] = motion.translation;
    let theta = motion.angle_deg.to_radians();
    let (sin, cos) = if motion.angle_deg == 0.0 {
        (0.0, 1.0)
    } else {
        theta.sin_cos()
    };

    // Old continuous in-plane index of every new (y, x), then of every new z.
    let mut plane: Vec<[(usize, usize, f64); 2]> = Vec::with_capacity(nx * ny);
    for y in 0..ny {
        for x in 0..nx {
            let (ox, oy) = if motion.angle_deg == 0.0 {
                (x as f64 - tx, y as f64 - ty)
            } else {
                // R^T (p - c - t) + c, in mm of index space.
                let ux = (x as f64 - motion.centre[0] - tx) * s[0];
                let uy = (y as f64 - motion.centre[1] - ty) * s[1];
                let rx = cos * ux + sin * uy;
                let ry = -sin * ux + cos * uy;
                (rx / s[0] + motion.centre[0], ry / s[1] + motion.centre[1])
            };
            plane.push([taps(ox, nx, interpolator), taps(oy, ny, interpolator)]);
        }
    }
    let zt: Vec<(usize, usize, f64)> = (0..nz)
        .map(|z| taps(z as f64 - tz, nz, interpolator))
        .collect();

    let image = interpolate(&sample.image.data, &plane, &zt, (ny, nx));
    let roi = move_mask(&sample.roi, motion, s, &plane, &zt);
    Sample {
        image: crate::image::Volume {
            data: image,
            geometry: sample.image.geometry.clone(),
        },
        roi,
    }
}

/// The mask moved by the taps, interpolated only on the box the moved ROI can reach (its
/// box grown by the translation and the rotation's largest displacement), or on the whole
/// array when the ROI touches the array's edge (where edge padding could repeat it).
fn move_mask(
    roi: &Array3<bool>,
    motion: &Motion,
    s: [f64; 3],
    plane: &[[(usize, usize, f64); 2]],
    zt: &[(usize, usize, f64)],
) -> Array3<bool> {
    let (nz, ny, nx) = roi.dim();
    let n = [nx, ny, nz];
    let roi_f = roi.mapv(|m| if m { 1.0 } else { 0.0 });
    let whole = || interpolate(&roi_f, plane, zt, (ny, nx)).mapv(|v| v >= 0.5 - SNAP);
    let Some(b) = crate::image::validate::bounding_box(roi) else {
        return roi.clone();
    };
    if (0..3).any(|a| b.lower[a] == 0 || b.upper[a] + 1 == n[a]) {
        return whole();
    }

    // A point q moves by at most |t| + 2 sin(|theta| / 2) |q - c| (a chord), and |q - c|
    // is largest at a corner of the box.
    let mut r_max = 0.0f64;
    for cx in [b.lower[0], b.upper[0]] {
        for cy in [b.lower[1], b.upper[1]] {
            let dx = (cx as f64 - motion.centre[0]) * s[0];
            let dy = (cy as f64 - motion.centre[1]) * s[1];
            r_max = r_max.max(dx.hypot(dy));
        }
    }
    let chord = 2.0 * (motion.angle_deg.to_radians().abs() / 2.0).sin() * r_max;
    let t = motion.translation;
    let pad = [
        (t[0].abs() + chord / s[0]).ceil() as usize + 2,
        (t[1].abs() + chord / s[1]).ceil() as usize + 2,
        t[2].abs().ceil() as usize + 2,
    ];
    let lo: [usize; 3] = std::array::from_fn(|a| b.lower[a].saturating_sub(pad[a]));
    let hi: [usize; 3] = std::array::from_fn(|a| (b.upper[a] + pad[a]).min(n[a] - 1));
    let sub_plane: Vec<[(usize, usize, f64); 2]> = (lo[1]..=hi[1])
        .flat_map(|y| (lo[0]..=hi[0]).map(move |x| plane[y * nx + x]))
        .collect();
    let dims = (hi[1] - lo[1] + 1, hi[0] - lo[0] + 1);
    let sub = interpolate(&roi_f, &sub_plane, &zt[lo[2]..=hi[2]], dims);
    let mut out = Array3::from_elem((nz, ny, nx), false);
    out.slice_mut(ndarray::s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]])
        .zip_mut_with(&sub, |o, &v| *o = v >= 0.5 - SNAP);
    out
}

/// Lower index, upper index and weight of the upper one, for continuous index `t` on an
/// axis of `n` points (clamped to the edge).
fn taps(t: f64, n: usize, interpolator: RigidInterpolator) -> (usize, usize, f64) {
    let last = (n - 1) as f64;
    let t = t.clamp(0.0, last);
    let r = t.round();
    let t = if (t - r).abs() < SNAP { r } else { t };
    match interpolator {
        RigidInterpolator::Nearest => {
            let i = (t + 0.5).floor().min(last) as usize;
            (i, i, 0.0)
        }
        RigidInterpolator::Linear => {
            let i0 = t.floor() as usize;
            let f = t - i0 as f64;
            if f == 0.0 || i0 + 1 >= n {
                (i0, i0, 0.0)
            } else {
                (i0, i0 + 1, f)
            }
        }
    }
}

/// Trilinear combination of the taps (flat indexing: this is the hot loop); the output
/// has `zt.len()` slices of `out` = (rows, columns), `plane` holding rows x columns taps.
fn interpolate(
    data: &Array3<f64>,
    plane: &[[(usize, usize, f64); 2]],
    zt: &[(usize, usize, f64)],
    out_dims: (usize, usize),
) -> Array3<f64> {
    let (_, ny, nx) = data.dim();
    let std = data.as_standard_layout();
    let d = std
        .as_slice()
        .expect("invariant: a standard-layout array has a slice");
    let lerp = |a: f64, b: f64, f: f64| if f == 0.0 { a } else { a + f * (b - a) };
    let mut out = Vec::with_capacity(zt.len() * plane.len());
    for &(z0, z1, fz) in zt {
        let (s0, s1) = (z0 * ny * nx, z1 * ny * nx);
        for &[(x0, x1, fx), (y0, y1, fy)] in plane {
            let at = |s: usize| {
                let (r0, r1) = (s + y0 * nx, s + y1 * nx);
                lerp(
                    lerp(d[r0 + x0], d[r0 + x1], fx),
                    lerp(d[r1 + x0], d[r1 + x1], fx),
                    fy,
                )
            };
            out.push(lerp(at(s0), if fz == 0.0 { 0.0 } else { at(s1) }, fz));
        }
    }
    Array3::from_shape_vec((zt.len(), out_dims.0, out_dims.1), out)
        .expect("invariant: one value per voxel")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Geometry, Volume};

    fn sample() -> Sample {
        let data = Array3::from_shape_fn((5, 9, 11), |(z, y, x)| {
            ((x * 7 + y * 13 + z * 29) % 17) as f64 + 0.25 * x as f64
        });
        let roi = Array3::from_shape_fn((5, 9, 11), |(z, y, x)| {
            (1..4).contains(&z) && (2..7).contains(&y) && (3..8).contains(&x) && x + y != 9
        });
        Sample {
            image: Volume {
                data,
                geometry: Geometry {
                    spacing: [0.8, 0.8, 3.0],
                    ..Default::default()
                },
            },
            roi,
        }
    }

    #[test]
    fn rotation_by_zero_is_the_identity() {
        let s = sample();
        let m = Motion {
            translation: [0.0; 3],
            angle_deg: 0.0,
            centre: [5.3, 4.1, 2.0],
        };
        for interp in [RigidInterpolator::Linear, RigidInterpolator::Nearest] {
            assert_eq!(apply(&s, &m, interp), s);
        }
    }

    #[test]
    fn whole_voxel_translation_equals_an_array_shift() {
        let s = sample();
        let m = Motion {
            translation: [2.0, -1.0, 1.0],
            angle_deg: 0.0,
            centre: [0.0; 3],
        };
        let out = apply(&s, &m, RigidInterpolator::Linear);
        // new[z][y][x] = old[z - 1][y + 1][x - 2] wherever that index exists.
        for ((z, y, x), &v) in out.image.data.indexed_iter() {
            if z >= 1 && y + 1 < 9 && x >= 2 {
                assert_eq!(v, s.image.data[[z - 1, y + 1, x - 2]], "at {z} {y} {x}");
                assert_eq!(out.roi[[z, y, x]], s.roi[[z - 1, y + 1, x - 2]]);
            }
        }
    }

    #[test]
    fn half_voxel_translation_averages_neighbours() {
        let s = sample();
        let m = Motion {
            translation: [0.5, 0.0, 0.0],
            angle_deg: 0.0,
            centre: [0.0; 3],
        };
        let out = apply(&s, &m, RigidInterpolator::Linear);
        let d = &s.image.data;
        assert!((out.image.data[[2, 3, 4]] - 0.5 * (d[[2, 3, 3]] + d[[2, 3, 4]])).abs() < 1e-12);
    }

    #[test]
    fn rotation_by_90_degrees_on_isotropic_grid_permutes_voxels() {
        // Centre on a voxel: (x, y) -> the old point R^T (p - c) + c.
        let mut s = sample();
        s.image.geometry.spacing = [1.0, 1.0, 1.0];
        let c = [5.0, 4.0, 0.0];
        let m = Motion {
            translation: [0.0; 3],
            angle_deg: 90.0,
            centre: c,
        };
        let out = apply(&s, &m, RigidInterpolator::Linear);
        // R^T = [[0, 1], [-1, 0]]: old x = (y - 4) + 5, old y = -(x - 5) + 4.
        let (x, y) = (6usize, 3usize);
        let (ox, oy) = (y + 1, 9 - x);
        assert_eq!(out.image.data[[2, y, x]], s.image.data[[2, oy, ox]]);
    }

    #[test]
    fn mask_on_its_box_equals_the_whole_array_computation() {
        let mut s = sample();
        s.roi[[2, 3, 4]] = false;
        for (t, angle) in [([0.3, -1.7, 0.5], 25.0), ([2.0, 0.0, 0.0], -40.0)] {
            let m = Motion {
                translation: t,
                angle_deg: angle,
                centre: [5.2, 4.4, 2.0],
            };
            let out = apply(&s, &m, RigidInterpolator::Linear);
            // Reference: the same taps on the whole array.
            let mut r = s.clone();
            let mut big = Array3::from_elem((5, 9, 11), 0.0);
            big.zip_mut_with(&r.roi, |b, &m| *b = if m { 1.0 } else { 0.0 });
            r.image.data = big;
            let whole = apply(&r, &m, RigidInterpolator::Linear);
            let want = whole.image.data.mapv(|v| v >= 0.5 - SNAP);
            assert_eq!(out.roi, want, "t {t:?} angle {angle}");
        }
    }

    #[test]
    fn rotation_keeps_roi_volume_roughly() {
        // A 5 x 5 x 3 box minus a diagonal rotated by 15 degrees keeps its area within
        // the partial-volume rounding of its boundary (20 boundary voxels per slice).
        let s = sample();
        let m = Motion {
            translation: [0.0; 3],
            angle_deg: 15.0,
            centre: [5.0, 4.0, 2.0],
        };
        let out = apply(&s, &m, RigidInterpolator::Linear);
        let (a, b) = (s.roi_count() as i64, out.roi_count() as i64);
        assert!((a - b).abs() <= 3 * 8, "{a} vs {b}");
    }
}
