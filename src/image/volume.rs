//! `Volume` (voxels plus geometry) and `Mask` (integer labels on the same geometry).
//!
//! Voxels are stored as `Array3` indexed `[z][y][x]` (C order, x fastest), the layout of
//! NumPy arrays from SimpleITK and of the nested lists in `../shared/cases.md`. Spacing and
//! origin are `(x, y, z)` in millimetres; `direction` holds the direction cosines as
//! columns: `direction[r][c]` is component `r` (x, y, z in LPS) of the unit vector of
//! index axis `c` (i = x, j = y, k = z), as ITK's direction matrix.
//!
//! Physical point of index (i, j, k): `p = origin + D * diag(spacing) * (i, j, k)`.

use ndarray::Array3;

/// Grid geometry in LPS: spacing and origin `(x, y, z)` in mm, direction cosines.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Voxel size along the index axes (i, j, k), in mm.
    pub spacing: [f64; 3],
    /// Physical position of the centre of voxel (0, 0, 0), in mm (LPS).
    pub origin: [f64; 3],
    /// Direction cosines, columns are index axes: `direction[r][c]`.
    pub direction: [[f64; 3]; 3],
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }
}

impl Geometry {
    /// Physical point (LPS, mm) of a continuous index `(i, j, k)` (x, y, z order).
    pub fn index_to_point(&self, index: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin;
        for (r, pr) in p.iter_mut().enumerate() {
            for c in 0..3 {
                *pr += self.direction[r][c] * self.spacing[c] * index[c];
            }
        }
        p
    }

    /// Continuous index `(i, j, k)` of a physical point, the inverse of
    /// [`Geometry::index_to_point`]. The direction matrix is orthonormal for every image
    /// radaudit accepts, so its inverse is its transpose.
    pub fn point_to_index(&self, point: [f64; 3]) -> [f64; 3] {
        let d = [
            point[0] - self.origin[0],
            point[1] - self.origin[1],
            point[2] - self.origin[2],
        ];
        let mut idx = [0.0; 3];
        for (c, ic) in idx.iter_mut().enumerate() {
            let proj: f64 = (0..3).map(|r| self.direction[r][c] * d[r]).sum();
            *ic = proj / self.spacing[c];
        }
        idx
    }

    /// Volume of one voxel in mm^3.
    pub fn voxel_volume(&self) -> f64 {
        self.spacing.iter().product()
    }
}

/// An image: voxel values (`[z][y][x]`) and their geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Voxel values, indexed `[z][y][x]`.
    pub data: Array3<f64>,
    /// Grid geometry (LPS).
    pub geometry: Geometry,
}

/// A segmentation: integer labels (`[z][y][x]`) on a grid geometry; 0 is background.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Labels, indexed `[z][y][x]`.
    pub labels: Array3<i64>,
    /// Grid geometry (LPS).
    pub geometry: Geometry,
}

impl Mask {
    /// The distinct non-zero labels present, ascending.
    pub fn labels_present(&self) -> Vec<i64> {
        let mut seen: Vec<i64> = self.labels.iter().copied().filter(|&l| l != 0).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// Number of voxels carrying `label`.
    pub fn count(&self, label: i64) -> usize {
        self.labels.iter().filter(|&&l| l == label).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_point_round_trip_with_flipped_axes() {
        let g = Geometry {
            spacing: [0.7, 0.7, 2.5],
            origin: [-100.0, -100.0, 50.0],
            direction: [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        };
        let p = g.index_to_point([2.0, 1.0, 3.0]);
        assert!((p[0] - (-101.4)).abs() < 1e-12 && (p[1] - (-99.3)).abs() < 1e-12);
        assert!((p[2] - 57.5).abs() < 1e-12);
        let back = g.point_to_index(p);
        for (a, b) in back.iter().zip([2.0, 1.0, 3.0]) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn labels_present_lists_non_zero_labels() {
        let mut labels = Array3::<i64>::zeros((3, 3, 3));
        labels[[1, 1, 1]] = 255;
        labels[[0, 0, 0]] = 2;
        let m = Mask {
            labels,
            geometry: Geometry::default(),
        };
        assert_eq!(m.labels_present(), vec![2, 255]);
        assert_eq!(m.count(255), 1);
    }
}
