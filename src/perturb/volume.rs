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

use ndarray::Array3;
use serde::{Deserialize, Serialize};

use super::distance::squared_distance_to;
use super::region::{bounding_region, flat_index, place, Region};
use super::PerturbError;

/// How much to grow (positive) or shrink (negative) the ROI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Adaptation {
    /// By a fraction of its volume (`-0.1` = 10 % smaller); must exceed -1.
    Fraction(f64),
    /// By a distance in mm.
    DistanceMm(f64),
}

/// The adapted ROI (module doc), the array being the whole scan.
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
    let (nz, ny, nx) = roi.dim();
    let whole = Region::of([0; 3], roi.dim());
    let (out, at) = adapt_in(roi, [0; 3], [nx, ny, nz], spacing, adaptation)?;
    Ok(place(&out, at.lo, &whole, false))
}

/// [`adapt`] for a ROI placed at `offset` in a scan of size `full` (`(x, y, z)`; false
/// outside `roi`): returns the adapted ROI and its box in the scan. The work is done on
/// the ROI's box plus the reach of the change (or the whole scan when growing finds too
/// few voxels there), and ties are ordered by the scan index, so the result does not
/// depend on how much of the scan `roi` covers.
///
/// # Errors
/// As [`adapt`].
pub fn adapt_in(
    roi: &Array3<bool>,
    offset: [usize; 3],
    full: [usize; 3],
    spacing: [f64; 3],
    adaptation: Adaptation,
) -> Result<(Array3<bool>, Region), PerturbError> {
    let b = bounding_region(roi, offset)
        .ok_or_else(|| PerturbError::EmptyRoi("volume adaptation of an empty ROI".into()))?;
    let grow = match adaptation {
        Adaptation::Fraction(f) => f > 0.0,
        Adaptation::DistanceMm(d) => d > 0.0,
    };

    // Candidates lie within `reach` mm of the ROI's box (plus one voxel for the nearest
    // background of a shrinking ROI).
    let (reach, bound) = match adaptation {
        Adaptation::Fraction(f) if grow => {
            let bound = growth_bound_sq(&b, spacing, f);
            (bound.sqrt(), bound)
        }
        Adaptation::DistanceMm(d) if grow => (d + 1e-3, f64::INFINITY),
        _ => (0.0, f64::INFINITY),
    };
    let pad: [usize; 3] = std::array::from_fn(|a| (reach / spacing[a]).ceil() as usize + 1);
    let window = b.grow(pad, full);
    let local = place(roi, offset, &window, false);
    if let Some(out) = adapt_window(&local, &window, full, spacing, adaptation, bound)? {
        return Ok((out, window));
    }

    // Not enough voxels within the bound: every voxel of the scan.
    let whole = Region {
        lo: [0; 3],
        hi: full.map(|n| n - 1),
    };
    let local = place(roi, offset, &whole, false);
    match adapt_window(&local, &whole, full, spacing, adaptation, f64::INFINITY)? {
        Some(out) => Ok((out, whole)),
        None => Err(PerturbError::OutOfRoom(format!(
            "volume adaptation by {adaptation:?}: the scan has too few voxels"
        ))),
    }
}

/// The adaptation on `roi`, an array covering `window` of the scan; growth by a
/// fraction takes voxels within `sqrt(bound)` mm only. `None` when growth by a fraction
/// finds fewer candidates than it needs.
fn adapt_window(
    roi: &Array3<bool>,
    window: &Region,
    full: [usize; 3],
    spacing: [f64; 3],
    adaptation: Adaptation,
    bound: f64,
) -> Result<Option<Array3<bool>>, PerturbError> {
    let n = roi.iter().filter(|&&m| m).count();
    let grow = match adaptation {
        Adaptation::Fraction(f) => f > 0.0,
        Adaptation::DistanceMm(d) => d > 0.0,
    };
    // Distance of every candidate voxel to the other side.
    let d2 = if grow {
        squared_distance_to(roi, spacing)
    } else {
        squared_distance_to(&roi.mapv(|v| !v), spacing)
    };
    let (_, ny, nx) = roi.dim();
    let key = |i: usize| {
        let (z, rem) = (i / (ny * nx), i % (ny * nx));
        let (y, x) = (rem / nx, rem % nx);
        let lo = window.lo;
        tie_key(flat_index(lo[0] + x, lo[1] + y, lo[2] + z, full))
    };

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
                return Ok(Some(out));
            }
            // Growth: the k nearest lie within the radius growth of a ball holding the
            // ROI's bounding box (a generous bound); every candidate inside the bound is
            // taken, so the k smallest are the same as over all candidates.
            let mut c: Vec<(f64, u64, usize)> = candidates(roi, &d2, grow)
                .filter(|x| x.0 <= bound)
                .map(|(d, i)| (d, key(i), i))
                .collect();
            if c.len() < k {
                return Ok(None);
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
            for (dist, i) in candidates(roi, &d2, grow) {
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
    Ok(Some(out))
}

/// Voxels on the other side of `grow` with a finite distance: (distance^2, flat index).
fn candidates<'a>(
    roi: &'a Array3<bool>,
    d2: &'a Array3<f64>,
    grow: bool,
) -> impl Iterator<Item = (f64, usize)> + 'a {
    roi.iter()
        .zip(d2.iter())
        .enumerate()
        .filter(move |(_, (&m, d))| m != grow && d.is_finite())
        .map(|(i, (_, &d))| (d, i))
}

/// Squared radius (mm^2) within which growing by fraction `f` should find its voxels:
/// the growth of the radius of a ball around the ROI's box, plus a voxel diagonal.
fn growth_bound_sq(b: &Region, spacing: [f64; 3], f: f64) -> f64 {
    let diag = (0..3)
        .map(|a| ((b.hi[a] - b.lo[a] + 1) as f64 * spacing[a]).powi(2))
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
