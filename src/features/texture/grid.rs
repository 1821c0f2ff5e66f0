//! The compact, padded grid every texture matrix is built from.
//!
//! The ROI's bounding box is copied once into a flat `Vec<u32>` (x fastest) padded with
//! `pad` empty voxels on every side, so neighbour look-ups are one signed offset with no
//! bounds checks. Grey levels are re-indexed to the levels present in the ROI
//! (`1..=n_p`, 0 = outside), so matrices have `n_p` rows instead of `n_g`, and the
//! features read the actual grey level of a row from [`Grid::values`].

use crate::preprocess::Discretised;

/// The 13 unique 3D directions `(dz, dy, dx)` of unit Chebyshev length (IBSI section 3.6).
/// The first four lie in the axial plane: they are the 2D directions, in the order
/// 0 degrees, 45, 90 and 135 degrees.
pub(crate) const DIRECTIONS: [[isize; 3]; 13] = [
    [0, 0, 1],
    [0, 1, 1],
    [0, 1, 0],
    [0, 1, -1],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, 0],
    [1, 1, 1],
    [1, 1, -1],
    [1, 0, -1],
    [1, -1, 0],
    [1, -1, 1],
    [1, -1, -1],
];

/// Number of in-plane (2D) directions at the start of [`DIRECTIONS`].
pub(crate) const N_2D_DIRECTIONS: usize = 4;

/// ROI grey levels in a padded, compact layout.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    /// Compact grey-level index per voxel, `1..=n_p`; 0 outside the ROI or in the padding.
    pub cells: Vec<u32>,
    /// Padded dimensions `[nz, ny, nx]`.
    pub dims: [usize; 3],
    /// Padding on every side.
    pub pad: usize,
    /// Grey level of compact index `k` at `values[k - 1]`, ascending.
    pub values: Vec<f64>,
    /// Number of grey levels of the discretisation (IBSI `N_g`).
    pub n_g: u32,
    /// Number of ROI voxels.
    pub n_v: usize,
    /// Bounding-box origin `[z, y, x]` in the input array.
    pub origin: [usize; 3],
}

impl Grid {
    /// Builds the grid of `d`'s ROI (levels > 0) with `pad` empty voxels on each side.
    pub fn new(d: &Discretised, pad: usize) -> Grid {
        let levels = &d.levels;

        // Bounding box and levels present, in one scan of the (usually whole-image) array.
        let (lo, hi, n_v, mut present) = bounding_box(levels, |g| g > 0, |g| g);
        present.sort_unstable();
        present.dedup();
        if n_v == 0 {
            return Grid {
                cells: Vec::new(),
                dims: [0; 3],
                pad,
                values: Vec::new(),
                n_g: d.n_g,
                n_v: 0,
                origin: [0; 3],
            };
        }

        // Compact index of each grey level: a lookup table over 0..=max level.
        let max_level = *present.last().expect("invariant: non-empty ROI") as usize;
        let mut compact = vec![0u32; max_level + 1];
        for (k, &g) in present.iter().enumerate() {
            compact[g as usize] = k as u32 + 1;
        }

        let ext = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
        let dims = [ext[0] + 2 * pad, ext[1] + 2 * pad, ext[2] + 2 * pad];
        let mut cells = vec![0u32; dims[0] * dims[1] * dims[2]];
        for z in 0..ext[0] {
            for y in 0..ext[1] {
                for x in 0..ext[2] {
                    let g = levels[[lo[0] + z, lo[1] + y, lo[2] + x]];
                    if g > 0 {
                        let i = ((z + pad) * dims[1] + y + pad) * dims[2] + x + pad;
                        cells[i] = compact[g as usize];
                    }
                }
            }
        }
        Grid {
            cells,
            dims,
            pad,
            values: present.iter().map(|&g| g as f64).collect(),
            n_g: d.n_g,
            n_v,
            origin: lo,
        }
    }

    /// Number of grey levels present in the ROI (matrix rows).
    pub fn n_p(&self) -> usize {
        self.values.len()
    }

    /// Linear offset of a `(dz, dy, dx)` step.
    pub fn offset(&self, step: [isize; 3]) -> isize {
        (step[0] * self.dims[1] as isize + step[1]) * self.dims[2] as isize + step[2]
    }

    /// Linear index of padded coordinates.
    pub fn index(&self, z: usize, y: usize, x: usize) -> usize {
        (z * self.dims[1] + y) * self.dims[2] + x
    }

    /// Padded z indices of the ROI's slices (the bounding box, not the padding).
    pub fn slices(&self) -> std::ops::Range<usize> {
        if self.n_v == 0 {
            return 0..0;
        }
        self.pad..self.dims[0] - self.pad
    }

    /// Linear indices of the voxels of padded slice `z` inside the bounding box, row by
    /// row (x fastest).
    pub fn slice_voxels(&self, z: usize) -> impl Iterator<Item = usize> + '_ {
        let p = self.pad;
        (p..self.dims[1] - p)
            .flat_map(move |y| (p..self.dims[2] - p).map(move |x| self.index(z, y, x)))
    }

    /// Number of ROI voxels in padded slice `z`.
    pub fn slice_count(&self, z: usize) -> usize {
        self.slice_voxels(z).filter(|&i| self.cells[i] > 0).count()
    }

    /// Offsets of the neighbourhood at Chebyshev distance `<= delta` (centre excluded):
    /// in-plane only when `in_plane`, else the full cube.
    pub fn neighbourhood(&self, delta: usize, in_plane: bool) -> Vec<isize> {
        let d = delta as isize;
        let dz_range = if in_plane { 0..=0 } else { -d..=d };
        let mut out = Vec::new();
        for dz in dz_range {
            for dy in -d..=d {
                for dx in -d..=d {
                    if (dz, dy, dx) != (0, 0, 0) {
                        out.push(self.offset([dz, dy, dx]));
                    }
                }
            }
        }
        out
    }
}

/// Bounding box `[lo, hi]` (inclusive, `[z, y, x]`) of the voxels where `inside` holds,
/// their number, and `key` of each of them (unsorted). Scans contiguous memory when the
/// array is in standard layout, which is what makes whole-image masks cheap.
pub(crate) fn bounding_box<T: Copy, K>(
    a: &ndarray::Array3<T>,
    inside: impl Fn(T) -> bool,
    key: impl Fn(T) -> K,
) -> ([usize; 3], [usize; 3], usize, Vec<K>) {
    let (_, ny, nx) = a.dim();
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    let mut n = 0;
    let mut keys = Vec::new();
    let mut visit = |z: usize, y: usize, x: usize, v: T| {
        n += 1;
        for (axis, c) in [z, y, x].into_iter().enumerate() {
            lo[axis] = lo[axis].min(c);
            hi[axis] = hi[axis].max(c);
        }
        keys.push(key(v));
    };
    match a.as_slice() {
        Some(flat) => {
            for (i, &v) in flat.iter().enumerate() {
                if inside(v) {
                    visit(i / (ny * nx), (i / nx) % ny, i % nx, v);
                }
            }
        }
        None => {
            for ((z, y, x), &v) in a.indexed_iter() {
                if inside(v) {
                    visit(z, y, x, v);
                }
            }
        }
    }
    (lo, hi, n, keys)
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    #[test]
    fn compact_levels_and_padding() {
        let mut levels = Array3::<u32>::zeros((2, 3, 3));
        levels[[1, 1, 1]] = 5;
        levels[[1, 2, 2]] = 2;
        let g = Grid::new(&Discretised { levels, n_g: 6 }, 1);
        assert_eq!(g.values, vec![2.0, 5.0]);
        assert_eq!(g.dims, [3, 4, 4]);
        assert_eq!(g.n_v, 2);
        assert_eq!(g.cells[g.index(1, 1, 1)], 2);
        assert_eq!(g.cells[g.index(1, 2, 2)], 1);
        assert_eq!(g.slices(), 1..2);
    }

    #[test]
    fn thirteen_unique_directions() {
        for (a, da) in DIRECTIONS.iter().enumerate() {
            for db in &DIRECTIONS[a + 1..] {
                assert_ne!(da, db);
                assert_ne!(*da, [-db[0], -db[1], -db[2]]);
            }
        }
        assert!(DIRECTIONS[..N_2D_DIRECTIONS].iter().all(|d| d[0] == 0));
    }
}
