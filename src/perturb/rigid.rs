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

    let roi_f = sample.roi.mapv(|m| if m { 1.0 } else { 0.0 });
    let image = interpolate(&sample.image.data, &plane, &zt);
    let roi = interpolate(&roi_f, &plane, &zt).mapv(|v| v >= 0.5 - SNAP);
    Sample {
        image: crate::image::Volume {
            data: image,
            geometry: sample.image.geometry.clone(),
        },
        roi,
    }
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

/// Trilinear combination of the taps (flat indexing: this is the hot loop).
fn interpolate(
    data: &Array3<f64>,
    plane: &[[(usize, usize, f64); 2]],
    zt: &[(usize, usize, f64)],
) -> Array3<f64> {
    let (nz, ny, nx) = data.dim();
    let std = data.as_standard_layout();
    let d = std
        .as_slice()
        .expect("invariant: a standard-layout array has a slice");
    let lerp = |a: f64, b: f64, f: f64| if f == 0.0 { a } else { a + f * (b - a) };
    let mut out = Vec::with_capacity(nz * ny * nx);
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
    Array3::from_shape_vec((nz, ny, nx), out).expect("invariant: one value per voxel")
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
