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

use super::region::{bounding_region, place, Region};
use super::{PerturbError, Sample};

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

/// Applies `motion` to image and mask (module doc), on the whole array (the array is the
/// scan; `motion.centre` is an index of it).
pub fn apply(sample: &Sample, motion: &Motion, interpolator: RigidInterpolator) -> Sample {
    let data = &sample.image.data;
    let (nz, ny, nx) = data.dim();
    let full = [nx, ny, nz];
    let whole = Region::of([0; 3], data.dim());
    let s = sample.image.geometry.spacing;
    let image = move_image(data, [0; 3], full, s, motion, interpolator, &whole)
        .expect("invariant: every tap of the whole array lies in it");
    let roi = match move_mask(&sample.roi, [0; 3], full, s, motion, interpolator) {
        Some((m, at)) => place(&m, at.lo, &whole, false),
        None => sample.roi.clone(),
    };
    Sample {
        image: crate::image::Volume {
            data: image,
            geometry: sample.image.geometry.clone(),
        },
        roi,
    }
}

/// The image moved by `motion` on `region` of a scan of size `full` (`(x, y, z)`),
/// reading `src`, a part of the scan placed at `offset`; `spacing` in mm, `motion.centre`
/// an index of the scan. Out-of-scan points take the nearest edge value of the scan.
///
/// # Errors
/// [`PerturbError::OutOfRoom`] when an interpolation tap lies outside `src` (the part
/// read is too small for this motion).
pub fn move_image(
    src: &Array3<f64>,
    offset: [usize; 3],
    full: [usize; 3],
    spacing: [f64; 3],
    motion: &Motion,
    interpolator: RigidInterpolator,
    region: &Region,
) -> Result<Array3<f64>, PerturbError> {
    let t = Taps::on(region, motion, spacing, full, interpolator);
    let have = Region::of(offset, src.dim());
    let need = t.reach();
    if !have.contains(&need) {
        return Err(PerturbError::OutOfRoom(format!(
            "rigid motion needs scan voxels {:?}..={:?}, the crop holds {:?}..={:?}",
            need.lo, need.hi, have.lo, have.hi
        )));
    }
    let (_, ny, nx) = src.dim();
    let std = src.as_standard_layout();
    let d = std
        .as_slice()
        .expect("invariant: a standard-layout array has a slice");
    let o = offset;
    Ok(t.interpolate(|z, y, x| d[((z - o[2]) * ny + (y - o[1])) * nx + (x - o[0])]))
}

/// The mask `roi` (placed at `offset` in a scan of size `full`, false elsewhere) moved
/// by `motion`, on the box the moved ROI can reach (its box grown by the translation and
/// the rotation's largest displacement), or on the whole scan when the ROI touches the
/// scan's edge (where edge padding could repeat it). Returns the moved mask and its box;
/// `None` when `roi` is empty.
pub fn move_mask(
    roi: &Array3<bool>,
    offset: [usize; 3],
    full: [usize; 3],
    s: [f64; 3],
    motion: &Motion,
    interpolator: RigidInterpolator,
) -> Option<(Array3<bool>, Region)> {
    let b = bounding_region(roi, offset)?;
    let region = if b.touches_edge(full) {
        Region {
            lo: [0; 3],
            hi: full.map(|n| n - 1),
        }
    } else {
        // A point q moves by at most |t| + 2 sin(|theta| / 2) |q - c| (a chord), and
        // |q - c| is largest at a corner of the box.
        let mut r_max = 0.0f64;
        for cx in [b.lo[0], b.hi[0]] {
            for cy in [b.lo[1], b.hi[1]] {
                let dx = (cx as f64 - motion.centre[0]) * s[0];
                let dy = (cy as f64 - motion.centre[1]) * s[1];
                r_max = r_max.max(dx.hypot(dy));
            }
        }
        let chord = 2.0 * (motion.angle_deg.to_radians().abs() / 2.0).sin() * r_max;
        let t = motion.translation;
        b.grow(
            [
                (t[0].abs() + chord / s[0]).ceil() as usize + 2,
                (t[1].abs() + chord / s[1]).ceil() as usize + 2,
                t[2].abs().ceil() as usize + 2,
            ],
            full,
        )
    };
    let have = Region::of(offset, roi.dim());
    let o = offset;
    let taps = Taps::on(&region, motion, s, full, interpolator);
    let moved = taps.interpolate(|z, y, x| {
        let inside = (0..3).all(|a| {
            let v = [x, y, z][a];
            have.lo[a] <= v && v <= have.hi[a]
        });
        if inside && roi[[z - o[2], y - o[1], x - o[0]]] {
            1.0
        } else {
            0.0
        }
    });
    Some((moved.mapv(|v| v >= 0.5 - SNAP), region))
}

/// Interpolation taps (scan indices) of every voxel of an output box.
struct Taps {
    /// Per output (y, x), row-major: x taps and y taps.
    plane: Vec<[(usize, usize, f64); 2]>,
    /// Per output z.
    zt: Vec<(usize, usize, f64)>,
    /// Output shape `(nz, ny, nx)`.
    dim: (usize, usize, usize),
}

impl Taps {
    /// Taps of `motion` for the voxels of `region` (formula of the module doc, in scan
    /// indices, so the same voxel gets the same taps whatever part of the scan is read).
    fn on(
        region: &Region,
        motion: &Motion,
        s: [f64; 3],
        full: [usize; 3],
        interpolator: RigidInterpolator,
    ) -> Self {
        let [tx, ty, tz] = motion.translation;
        let theta = motion.angle_deg.to_radians();
        let (sin, cos) = if motion.angle_deg == 0.0 {
            (0.0, 1.0)
        } else {
            theta.sin_cos()
        };
        let [nx, ny, nz] = full;
        let size = region.size();

        // Old continuous in-plane index of every new (y, x), then of every new z.
        let mut plane: Vec<[(usize, usize, f64); 2]> = Vec::with_capacity(size[0] * size[1]);
        for y in region.lo[1]..=region.hi[1] {
            for x in region.lo[0]..=region.hi[0] {
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
        let zt: Vec<(usize, usize, f64)> = (region.lo[2]..=region.hi[2])
            .map(|z| taps(z as f64 - tz, nz, interpolator))
            .collect();
        Self {
            plane,
            zt,
            dim: region.dim(),
        }
    }

    /// The box of scan voxels the taps read.
    fn reach(&self) -> Region {
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        let mut see = |a: usize, t: (usize, usize, f64)| {
            lo[a] = lo[a].min(t.0);
            hi[a] = hi[a].max(if t.2 == 0.0 { t.0 } else { t.1 });
        };
        for &[tx, ty] in &self.plane {
            see(0, tx);
            see(1, ty);
        }
        for &tz in &self.zt {
            see(2, tz);
        }
        Region { lo, hi }
    }

    /// Trilinear combination of the taps (this is the hot loop); `get(z, y, x)` reads the
    /// scan.
    fn interpolate(&self, get: impl Fn(usize, usize, usize) -> f64) -> Array3<f64> {
        let lerp = |a: f64, b: f64, f: f64| if f == 0.0 { a } else { a + f * (b - a) };
        let mut out = Vec::with_capacity(self.zt.len() * self.plane.len());
        for &(z0, z1, fz) in &self.zt {
            for &[(x0, x1, fx), (y0, y1, fy)] in &self.plane {
                let at = |z: usize| {
                    lerp(
                        lerp(
                            get(z, y0, x0),
                            if fx == 0.0 { 0.0 } else { get(z, y0, x1) },
                            fx,
                        ),
                        if fy == 0.0 {
                            0.0
                        } else {
                            lerp(
                                get(z, y1, x0),
                                if fx == 0.0 { 0.0 } else { get(z, y1, x1) },
                                fx,
                            )
                        },
                        fy,
                    )
                };
                out.push(lerp(at(z0), if fz == 0.0 { 0.0 } else { at(z1) }, fz));
            }
        }
        Array3::from_shape_vec(self.dim, out).expect("invariant: one value per voxel")
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
