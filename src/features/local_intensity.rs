//! Local intensity features (IBSI-1 section 3.2, family code 9ST6).
//!
//! The mean intensity in a 1 cm^3 sphere (radius `r = (3 / (4 pi))^(1/3)` cm = 6.2035 mm,
//! world coordinates) centred on a voxel of the intensity mask. The sphere holds every
//! image voxel whose centre lies within `r`, inside the ROI or not (hence the margin
//! [`crate::preprocess::prepare`] keeps); voxels beyond the image edge are not counted.
//!
//! Cost: `N_v x N_s` for `N_s` voxels in the sphere (125 at 2 mm, ~370 at
//! 0.98 x 0.98 x 3 mm).

use ndarray::Array3;

use super::FeatureList;

/// Sphere radius in mm: `(3 / (4 pi))^(1/3)` cm.
pub fn radius_mm() -> f64 {
    10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt()
}

/// Feature names in output order.
pub const NAMES: [&str; 2] = ["loc.peak_local", "loc.peak_global"];

/// The local intensity family.
///
/// # Features (IBSI code)
/// - `loc.peak_local` (VJGA): the sphere mean around the voxel of maximum intensity in
///   the intensity mask; with several such voxels, the highest of their sphere means
/// - `loc.peak_global` (0F91): the highest sphere mean over every voxel of the intensity
///   mask
///
/// `spacing` is `(x, y, z)` in mm.
pub fn features(image: &Array3<f64>, intensity: &Array3<bool>, spacing: [f64; 3]) -> FeatureList {
    let r = radius_mm();
    let (nz, ny, nx) = image.dim();

    // Sphere offsets (dz, dy, dx).
    let reach: [i64; 3] = std::array::from_fn(|a| (r / spacing[a]).floor() as i64);
    let mut offsets = Vec::new();
    for dz in -reach[2]..=reach[2] {
        for dy in -reach[1]..=reach[1] {
            for dx in -reach[0]..=reach[0] {
                let d2 = (dx as f64 * spacing[0]).powi(2)
                    + (dy as f64 * spacing[1]).powi(2)
                    + (dz as f64 * spacing[2]).powi(2);
                if d2 <= r * r * (1.0 + 1e-12) {
                    offsets.push((dz, dy, dx));
                }
            }
        }
    }

    let sphere_mean = |z: usize, y: usize, x: usize| {
        let (mut sum, mut count) = (0.0, 0usize);
        for &(dz, dy, dx) in &offsets {
            let (zz, yy, xx) = (z as i64 + dz, y as i64 + dy, x as i64 + dx);
            if zz >= 0 && yy >= 0 && xx >= 0 {
                let (zz, yy, xx) = (zz as usize, yy as usize, xx as usize);
                if zz < nz && yy < ny && xx < nx {
                    sum += image[[zz, yy, xx]];
                    count += 1;
                }
            }
        }
        sum / count as f64
    };

    let mut x_max = f64::NEG_INFINITY;
    let mut local = f64::NEG_INFINITY;
    let mut global = f64::NEG_INFINITY;
    for ((z, y, x), &m) in intensity.indexed_iter() {
        if !m {
            continue;
        }
        let mean = sphere_mean(z, y, x);
        global = global.max(mean);
        let v = image[[z, y, x]];
        if v > x_max {
            x_max = v;
            local = mean;
        } else if v == x_max {
            local = local.max(mean);
        }
    }
    if global == f64::NEG_INFINITY {
        tracing::warn!("loc.*: empty intensity mask; NaN");
        return NAMES.iter().map(|n| (n.to_string(), f64::NAN)).collect();
    }
    vec![
        (NAMES[0].to_string(), local),
        (NAMES[1].to_string(), global),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_is_6_2_mm() {
        assert!((radius_mm() - 6.2035).abs() < 1e-4);
    }

    #[test]
    fn constant_image_peaks_equal_the_constant() {
        let img = Array3::from_elem((5, 5, 5), 7.0);
        let m = img.mapv(|_| true);
        let f = features(&img, &m, [2.0; 3]);
        assert_eq!(f[0].1, 7.0);
        assert_eq!(f[1].1, 7.0);
    }
}
