//! Boxes of the scan's voxel grid, and arrays placed in them.
//!
//! A perturbation step works on the box its result can reach, in the indices of the
//! whole scan, so that its result does not depend on how much of the scan was read: a
//! step run on the whole scan and on a crop give the same voxels (tests/perturb.rs).

use ndarray::{s, Array3};

/// An axis-aligned box of the scan, inclusive bounds, indices `(x, y, z)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Lowest index per axis.
    pub lo: [usize; 3],
    /// Highest index per axis (inclusive).
    pub hi: [usize; 3],
}

impl Region {
    /// The box of an array of shape `dim` (`[z][y][x]`) placed at `offset`.
    pub fn of(offset: [usize; 3], dim: (usize, usize, usize)) -> Self {
        let n = [dim.2, dim.1, dim.0];
        Self {
            lo: offset,
            hi: std::array::from_fn(|a| offset[a] + n[a] - 1),
        }
    }

    /// Array shape `(nz, ny, nx)` of the box.
    pub fn dim(&self) -> (usize, usize, usize) {
        let n = self.size();
        (n[2], n[1], n[0])
    }

    /// Voxels per axis `(x, y, z)`.
    pub fn size(&self) -> [usize; 3] {
        std::array::from_fn(|a| self.hi[a] - self.lo[a] + 1)
    }

    /// The box grown by `pad` voxels per axis, clipped to a scan of size `full`.
    pub fn grow(&self, pad: [usize; 3], full: [usize; 3]) -> Self {
        Self {
            lo: std::array::from_fn(|a| self.lo[a].saturating_sub(pad[a])),
            hi: std::array::from_fn(|a| self.hi[a].saturating_add(pad[a]).min(full[a] - 1)),
        }
    }

    /// Whether `other` lies inside this box.
    pub fn contains(&self, other: &Region) -> bool {
        (0..3).all(|a| self.lo[a] <= other.lo[a] && other.hi[a] <= self.hi[a])
    }

    /// Whether the box touches the edge of a scan of size `full`.
    pub fn touches_edge(&self, full: [usize; 3]) -> bool {
        (0..3).any(|a| self.lo[a] == 0 || self.hi[a] + 1 == full[a])
    }
}

/// The bounding box (scan indices) of the true voxels of `mask` placed at `offset`.
pub fn bounding_region(mask: &Array3<bool>, offset: [usize; 3]) -> Option<Region> {
    let b = crate::image::validate::bounding_box(mask)?;
    Some(Region {
        lo: std::array::from_fn(|a| offset[a] + b.lower[a]),
        hi: std::array::from_fn(|a| offset[a] + b.upper[a]),
    })
}

/// The values of `src` (placed at `offset`) on `region`, `fill` where `src` has none.
pub fn place<T: Copy>(src: &Array3<T>, offset: [usize; 3], region: &Region, fill: T) -> Array3<T> {
    let mut out = Array3::from_elem(region.dim(), fill);
    let from = Region::of(offset, src.dim());
    let lo: [usize; 3] = std::array::from_fn(|a| from.lo[a].max(region.lo[a]));
    let hi: [usize; 3] = std::array::from_fn(|a| from.hi[a].min(region.hi[a]));
    if (0..3).any(|a| lo[a] > hi[a]) {
        return out;
    }
    let (r, o) = (region.lo, offset);
    out.slice_mut(s![
        lo[2] - r[2]..=hi[2] - r[2],
        lo[1] - r[1]..=hi[1] - r[1],
        lo[0] - r[0]..=hi[0] - r[0]
    ])
    .assign(&src.slice(s![
        lo[2] - o[2]..=hi[2] - o[2],
        lo[1] - o[1]..=hi[1] - o[1],
        lo[0] - o[0]..=hi[0] - o[0]
    ]));
    out
}

/// The box both `a` and `b` cover, `None` when they do not overlap.
pub fn intersect(a: &Region, b: &Region) -> Option<Region> {
    let lo: [usize; 3] = std::array::from_fn(|i| a.lo[i].max(b.lo[i]));
    let hi: [usize; 3] = std::array::from_fn(|i| a.hi[i].min(b.hi[i]));
    (0..3).all(|i| lo[i] <= hi[i]).then_some(Region { lo, hi })
}

/// The boxes (at most six, disjoint) that cover `outer` outside `inner`, a box inside it:
/// the slabs below and above it in z, then in y within its z range, then in x within its
/// z and y ranges.
pub fn slabs_around(outer: &Region, inner: &Region) -> Vec<Region> {
    let (o, i) = (outer, inner);
    let mut out = Vec::new();
    let mut push = |lo: [usize; 3], hi: [usize; 3]| {
        if (0..3).all(|a| lo[a] <= hi[a]) {
            out.push(Region { lo, hi });
        }
    };
    if i.lo[2] > o.lo[2] {
        push(o.lo, [o.hi[0], o.hi[1], i.lo[2] - 1]);
    }
    if i.hi[2] < o.hi[2] {
        push([o.lo[0], o.lo[1], i.hi[2] + 1], o.hi);
    }
    if i.lo[1] > o.lo[1] {
        push([o.lo[0], o.lo[1], i.lo[2]], [o.hi[0], i.lo[1] - 1, i.hi[2]]);
    }
    if i.hi[1] < o.hi[1] {
        push([o.lo[0], i.hi[1] + 1, i.lo[2]], [o.hi[0], o.hi[1], i.hi[2]]);
    }
    if i.lo[0] > o.lo[0] {
        push([o.lo[0], i.lo[1], i.lo[2]], [i.lo[0] - 1, i.hi[1], i.hi[2]]);
    }
    if i.hi[0] < o.hi[0] {
        push([i.hi[0] + 1, i.lo[1], i.lo[2]], [o.hi[0], i.hi[1], i.hi[2]]);
    }
    out
}

/// The values of a scan-indexed map on `want`: those of `have` (placed on `at`) where
/// the boxes overlap, `compute(box)` on the rest. For a map whose value at a voxel does
/// not depend on the box it is computed on (the perturbed image: rigid motion and noise
/// are keyed by scan voxel), this equals `compute(want)` while computing each voxel once.
///
/// # Errors
/// The first error of `compute`.
pub fn extend<T: Copy, E>(
    have: &Array3<T>,
    at: &Region,
    want: &Region,
    fill: T,
    mut compute: impl FnMut(&Region) -> Result<Array3<T>, E>,
) -> Result<Array3<T>, E> {
    let Some(common) = intersect(at, want) else {
        return compute(want);
    };
    let mut out = place(have, at.lo, want, fill);
    for slab in slabs_around(want, &common) {
        let values = compute(&slab)?;
        let w = want.lo;
        out.slice_mut(s![
            slab.lo[2] - w[2]..=slab.hi[2] - w[2],
            slab.lo[1] - w[1]..=slab.hi[1] - w[1],
            slab.lo[0] - w[0]..=slab.hi[0] - w[0]
        ])
        .assign(&values);
    }
    Ok(out)
}

/// The mask cut to its own bounding box: `(mask, box)`, `None` when it is empty.
pub fn tighten(mask: &Array3<bool>, offset: [usize; 3]) -> Option<(Array3<bool>, Region)> {
    let b = bounding_region(mask, offset)?;
    Some((place(mask, offset, &b, false), b))
}

/// Flat index of scan voxel `(x, y, z)` in a scan of size `full` (C order, `[z][y][x]`).
pub fn flat_index(x: usize, y: usize, z: usize, full: [usize; 3]) -> usize {
    (z * full[1] + y) * full[0] + x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_copies_the_overlap_and_fills_the_rest() {
        let src = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (100 * z + 10 * y + x) as i32);
        let region = Region {
            lo: [3, 0, 1],
            hi: [5, 2, 2],
        };
        // src covers x 2..=5, y 1..=3, z 1..=2 of the scan.
        let out = place(&src, [2, 1, 1], &region, -1);
        assert_eq!(out.dim(), (2, 3, 3));
        assert_eq!(out[[0, 0, 0]], -1); // y 0 is outside src
        assert_eq!(out[[0, 1, 0]], src[[0, 0, 1]]);
        assert_eq!(out[[1, 2, 2]], src[[1, 1, 3]]);
    }

    #[test]
    fn extend_equals_computing_the_whole_box() {
        let value = |x: usize, y: usize, z: usize| (x * 10_000 + y * 100 + z) as i64;
        let compute = |r: &Region| -> Result<Array3<i64>, ()> {
            Ok(Array3::from_shape_fn(r.dim(), |(z, y, x)| {
                value(x + r.lo[0], y + r.lo[1], z + r.lo[2])
            }))
        };
        let want = Region {
            lo: [2, 3, 1],
            hi: [9, 8, 6],
        };
        let direct = compute(&want).unwrap();
        // Inside, overlapping on one side, overlapping on every side, disjoint.
        for (lo, hi) in [
            ([4, 4, 2], [6, 7, 4]),
            ([0, 5, 0], [5, 12, 3]),
            ([0, 0, 0], [20, 20, 20]),
            ([12, 0, 0], [14, 2, 2]),
        ] {
            let at = Region { lo, hi };
            let have = compute(&at).unwrap();
            let mut voxels = 0;
            let got = extend(&have, &at, &want, -1, |r| {
                voxels += r.size().iter().product::<usize>();
                compute(r)
            })
            .unwrap();
            assert_eq!(got, direct, "have {at:?}");
            // Each voxel outside the overlap is computed exactly once.
            let common = intersect(&at, &want).map_or(0, |c| c.size().iter().product());
            assert_eq!(voxels + common, want.size().iter().product::<usize>());
        }
    }

    #[test]
    fn grow_clips_to_the_scan() {
        let r = Region {
            lo: [1, 5, 1],
            hi: [3, 6, 2],
        };
        let g = r.grow([2, 2, 2], [5, 20, 3]);
        assert_eq!(g.lo, [0, 3, 0]);
        assert_eq!(g.hi, [4, 8, 2]);
        assert!(g.contains(&r) && !r.contains(&g));
        assert!(g.touches_edge([5, 20, 3]) && !r.touches_edge([5, 20, 4]));
    }
}
