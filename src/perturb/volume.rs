//! Volume adaptation: the ROI grown or shrunk by a volume fraction or by a distance.
//!
//! # Method
//! Growing adds background voxels in order of their Euclidean distance (mm) to the
//! nearest ROI voxel; shrinking removes ROI voxels in order of their distance to the
//! nearest background voxel ([`super::distance`]). So the boundary moves outwards or
//! inwards evenly, like a delineation drawn slightly wider or tighter (the "volume
//! adaptation" perturbation of Zwanenburg et al. 2019, Sci Rep 9:614).
//! - By a fraction `f`: exactly `k = round(n (1 + f)) - n` voxels are added (or removed),
//!   so the new volume is within half a voxel of `n (1 + f)` voxels. Voxels at equal
//!   distance are taken in the order of a fixed hash of their index, which spreads ties
//!   over the boundary instead of filling one side first; the result is deterministic.
//! - By a distance `d` mm: every background voxel within `d` of the ROI is added
//!   (`d > 0`), or every ROI voxel within `|d|` of the background removed (`d < 0`).
//!
//! Distances are measured between voxel centres, so a boundary voxel is one spacing from
//! the other side. Voxels beyond the array edge are not considered (the crop around the
//! ROI is made large enough by [`super::chain`]).

use ndarray::{s, Array3};
use serde::{Deserialize, Serialize};

use super::distance::squared_distance_to;
use super::PerturbError;

/// How much to grow (positive) or shrink (negative) the ROI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Adaptation {
    /// By a fraction of its volume (`-0.1` = 10 % smaller); must exceed -1.
    Fraction(f64),
    /// By a distance in mm.
    DistanceMm(f64),
}

/// The adapted ROI (module doc).
///
/// # Errors
/// [`PerturbError::EmptyRoi`] when shrinking leaves nothing (a fraction of -1 or less, or
/// a distance wider than the ROI); [`PerturbError::OutOfRoom`] when the array has fewer
/// background voxels than growing needs.
pub fn adapt(
    roi: &Array3<bool>,
    spacing: [f64; 3],
    adaptation: Adaptation,
) -> Result<Array3<bool>, PerturbError> {
    let n = roi.iter().filter(|&&m| m).count();
    let grow = match adaptation {
        Adaptation::Fraction(f) => f > 0.0,
        Adaptation::DistanceMm(d) => d > 0.0,
    };
    // Distance of every candidate voxel to the other side.
    let reach = match adaptation {
        Adaptation::Fraction(f) if grow => growth_bound_sq(roi, spacing, f).sqrt(),
        Adaptation::DistanceMm(d) if grow => d + 1e-3,
        _ => 0.0,
    };
    let mut d2 = distances_in_box(roi, spacing, grow, reach);

    let mut out = roi.clone();
    let flat = out
        .as_slice_mut()
        .expect("invariant: a cloned Array3 is in standard layout");
    match adaptation {
        Adaptation::Fraction(f) => {
            if !f.is_finite() || f <= -1.0 {
                return Err(PerturbError::EmptyRoi(format!("volume adaptation by {f}")));
            }
            let target = (n as f64 * (1.0 + f)).round() as usize;
            if target == 0 {
                return Err(PerturbError::EmptyRoi(format!(
                    "volume adaptation by {f} of {n} voxels"
                )));
            }
            let k = target.abs_diff(n);
            if k == 0 {
                return Ok(out);
            }
            // Growth: the k nearest lie within the radius growth of a ball holding the
            // ROI's bounding box (a generous bound); every candidate inside the bound is
            // taken, so the k smallest are the same as over all candidates.
            let mut c: Vec<(f64, u64, usize)> = Vec::new();
            if grow {
                let bound = growth_bound_sq(roi, spacing, f);
                c = candidates(roi, &d2, grow)
                    .filter(|x| x.0 <= bound)
                    .collect();
            }
            if c.len() < k {
                // Not enough within the bound: every voxel of the array.
                d2 = distances_in_box(roi, spacing, grow, f64::INFINITY);
                c = candidates(roi, &d2, grow).collect();
            }
            if c.len() < k {
                return Err(PerturbError::OutOfRoom(format!(
                    "volume adaptation by {f} needs {k} voxels, the crop has {}",
                    c.len()
                )));
            }
            let order = |a: &(f64, u64, usize), b: &(f64, u64, usize)| {
                a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
            };
            if k < c.len() {
                c.select_nth_unstable_by(k - 1, order);
            }
            for &(_, _, i) in &c[..k] {
                flat[i] = grow;
            }
        }
        Adaptation::DistanceMm(d) => {
            // Half a micrometre of slack keeps voxels at exactly d on the inside.
            let limit = (d.abs() + 5e-4).powi(2);
            for (dist, _, i) in candidates(roi, &d2, grow) {
                if dist <= limit {
                    flat[i] = grow;
                }
            }
            if !flat.iter().any(|&m| m) {
                return Err(PerturbError::EmptyRoi(format!(
                    "volume adaptation by {d} mm"
                )));
            }
        }
    }
    Ok(out)
}

/// Voxels on the other side of `grow` with a finite distance: (distance^2, tie key,
/// flat index).
fn candidates<'a>(
    roi: &'a Array3<bool>,
    d2: &'a Array3<f64>,
    grow: bool,
) -> impl Iterator<Item = (f64, u64, usize)> + 'a {
    roi.iter()
        .zip(d2.iter())
        .enumerate()
        .filter(move |(_, (&m, d))| m != grow && d.is_finite())
        .map(|(i, (_, &d))| (d, tie_key(i), i))
}

/// Squared distances to the other side (to the ROI when growing, to the background when
/// shrinking), computed on the ROI's box plus `reach` mm (plus one voxel); infinite
/// outside that box. Exact inside it: every ROI voxel lies in the box, and the box's
/// outer shell holds the background voxel nearest to any voxel inside.
fn distances_in_box(roi: &Array3<bool>, spacing: [f64; 3], grow: bool, reach: f64) -> Array3<f64> {
    let mut out = Array3::from_elem(roi.dim(), f64::INFINITY);
    let Some(b) = crate::image::validate::bounding_box(roi) else {
        return out;
    };
    let (nz, ny, nx) = roi.dim();
    let n = [nx, ny, nz];
    let m: [usize; 3] = std::array::from_fn(|a| {
        let v = (reach / spacing[a]).ceil();
        if v.is_finite() {
            v as usize + 1
        } else {
            n[a]
        }
    });
    let lo: [usize; 3] = std::array::from_fn(|a| b.lower[a].saturating_sub(m[a]));
    let hi: [usize; 3] = std::array::from_fn(|a| (b.upper[a] + m[a]).min(n[a] - 1));
    let window = s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]];
    let sub = roi.slice(window);
    let d = if grow {
        squared_distance_to(&sub.to_owned(), spacing)
    } else {
        squared_distance_to(&sub.mapv(|v| !v), spacing)
    };
    out.slice_mut(window).assign(&d);
    out
}

/// Squared radius (mm^2) within which growing by fraction `f` should find its voxels:
/// the growth of the radius of a ball around the ROI's box, plus a voxel diagonal.
fn growth_bound_sq(roi: &Array3<bool>, spacing: [f64; 3], f: f64) -> f64 {
    let Some(b) = crate::image::validate::bounding_box(roi) else {
        return f64::INFINITY;
    };
    let diag = (0..3)
        .map(|a| ((b.upper[a] - b.lower[a] + 1) as f64 * spacing[a]).powi(2))
        .sum::<f64>()
        .sqrt();
    let voxel = spacing.iter().map(|s| s * s).sum::<f64>().sqrt();
    (diag * ((1.0 + f).cbrt() - 1.0) + 2.0 * voxel).powi(2)
}

/// A fixed pseudo-random key of a voxel index (SplitMix64 finaliser), to order ties.
fn tie_key(i: usize) -> u64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ball of radius r voxels in an n^3 array.
    fn ball(n: usize, r: f64) -> Array3<bool> {
        let c = (n as f64 - 1.0) / 2.0;
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let d2 = (x as f64 - c).powi(2) + (y as f64 - c).powi(2) + (z as f64 - c).powi(2);
            d2 <= r * r
        })
    }

    fn count(m: &Array3<bool>) -> usize {
        m.iter().filter(|&&v| v).count()
    }

    #[test]
    fn fraction_hits_the_target_volume_within_one_voxel() {
        let roi = ball(31, 8.0);
        let n = count(&roi) as f64;
        for f in [-0.5, -0.2, -0.05, 0.05, 0.2, 0.5] {
            let out = adapt(&roi, [0.8, 0.8, 2.0], Adaptation::Fraction(f)).unwrap();
            let got = count(&out) as f64;
            assert!(
                (got - n * (1.0 + f)).abs() <= 1.0,
                "f {f}: {got} vs {}",
                n * (1.0 + f)
            );
            // Growth contains the original; shrinkage is contained in it.
            for (a, b) in roi.iter().zip(out.iter()) {
                if f > 0.0 {
                    assert!(!a || *b);
                } else {
                    assert!(!b || *a);
                }
            }
        }
    }

    #[test]
    fn growth_is_even_around_a_ball() {
        // Growing a ball by 33.1 % on an isotropic grid moves its radius by about 10 %:
        // every added voxel lies within one voxel diagonal of radius 8 * 1.1.
        let roi = ball(31, 8.0);
        let out = adapt(&roi, [1.0; 3], Adaptation::Fraction(0.331)).unwrap();
        for ((z, y, x), &m) in out.indexed_iter() {
            if m && !roi[[z, y, x]] {
                let d = ((x as f64 - 15.0).powi(2)
                    + (y as f64 - 15.0).powi(2)
                    + (z as f64 - 15.0).powi(2))
                .sqrt();
                assert!(d <= 8.8 + 3f64.sqrt(), "{d}");
            }
        }
    }

    #[test]
    fn distance_grows_by_whole_voxels() {
        // One voxel, grown by exactly 1 mm on a 1 mm grid: its 6 face neighbours.
        let mut roi = Array3::from_elem((5, 5, 5), false);
        roi[[2, 2, 2]] = true;
        let out = adapt(&roi, [1.0; 3], Adaptation::DistanceMm(1.0)).unwrap();
        assert_eq!(count(&out), 7);
        let out = adapt(&roi, [1.0; 3], Adaptation::DistanceMm(1.5)).unwrap();
        assert_eq!(count(&out), 19);
    }

    #[test]
    fn shrinking_to_nothing_is_an_error() {
        let roi = ball(9, 2.0);
        assert!(matches!(
            adapt(&roi, [1.0; 3], Adaptation::Fraction(-1.0)),
            Err(PerturbError::EmptyRoi(_))
        ));
        assert!(matches!(
            adapt(&roi, [1.0; 3], Adaptation::DistanceMm(-10.0)),
            Err(PerturbError::EmptyRoi(_))
        ));
    }
}
