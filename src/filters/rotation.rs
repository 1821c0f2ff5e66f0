//! Rotation-invariant pooling over right-angle rotations (IBSI-2 manual, "Rotation
//! invariance" among the filter properties): the volume is rotated, filtered, rotated
//! back, and the responses are pooled voxel by voxel (max or average). In 3D the 24
//! proper rotations of the cube are used; in 2D the 4 in-plane (axial) rotations.
//!
//! A right-angle rotation is a signed permutation of the array axes with determinant +1:
//! a permutation of `[z, y, x]` followed by reversal of some axes.

use ndarray::{Array3, Axis};
use serde::{Deserialize, Serialize};

/// How responses of the rotated filters are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// Voxel-wise maximum.
    Max,
    /// Voxel-wise mean.
    Average,
}

/// A right-angle rotation of array axes: `rotated = reverse(flip, permute(perm, a))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Axis `i` of the rotated array is axis `perm[i]` of the input.
    pub perm: [usize; 3],
    /// Axes of the permuted array that are reversed.
    pub flip: [bool; 3],
}

impl Rotation {
    /// The identity.
    pub const IDENTITY: Rotation = Rotation {
        perm: [0, 1, 2],
        flip: [false; 3],
    };

    /// Rotates `a`.
    pub fn apply(&self, a: &Array3<f64>) -> Array3<f64> {
        let mut v = a.view().permuted_axes(self.perm);
        for (i, &f) in self.flip.iter().enumerate() {
            if f {
                v.invert_axis(Axis(i));
            }
        }
        v.as_standard_layout().into_owned()
    }

    /// Undoes [`Rotation::apply`].
    pub fn undo(&self, a: &Array3<f64>) -> Array3<f64> {
        let mut v = a.view();
        for (i, &f) in self.flip.iter().enumerate() {
            if f {
                v.invert_axis(Axis(i));
            }
        }
        let mut inv = [0usize; 3];
        for (i, &p) in self.perm.iter().enumerate() {
            inv[p] = i;
        }
        v.permuted_axes(inv).as_standard_layout().into_owned()
    }
}

/// The 24 proper right-angle rotations of a volume, identity first.
pub fn rotations_3d() -> Vec<Rotation> {
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let parity = [1, -1, -1, 1, 1, -1];
    let mut out = Vec::with_capacity(24);
    for (perm, sign) in perms.into_iter().zip(parity) {
        for bits in 0..8u8 {
            let flip = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0];
            let n_flips = flip.iter().filter(|&&f| f).count() as i32;
            if sign * (-1i32).pow(n_flips as u32) == 1 {
                out.push(Rotation { perm, flip });
            }
        }
    }
    out
}

/// The 4 in-plane (axial: y and x) right-angle rotations, identity first.
pub fn rotations_2d() -> Vec<Rotation> {
    vec![
        Rotation::IDENTITY,
        Rotation {
            perm: [0, 2, 1],
            flip: [false, true, false],
        },
        Rotation {
            perm: [0, 1, 2],
            flip: [false, true, true],
        },
        Rotation {
            perm: [0, 2, 1],
            flip: [false, false, true],
        },
    ]
}

/// Filters each rotated copy of `a` with `filter` and pools the responses.
pub fn pooled(
    a: &Array3<f64>,
    rotations: &[Rotation],
    pooling: Pooling,
    filter: impl Fn(&Array3<f64>) -> Array3<f64>,
) -> Array3<f64> {
    let mut acc: Option<Array3<f64>> = None;
    for r in rotations {
        let response = r.undo(&filter(&r.apply(a)));
        acc = Some(match acc {
            None => response,
            Some(mut cur) => {
                match pooling {
                    Pooling::Max => cur.zip_mut_with(&response, |c, &v| *c = c.max(v)),
                    Pooling::Average => cur += &response,
                }
                cur
            }
        });
    }
    let mut out = acc.unwrap_or_else(|| a.clone());
    if pooling == Pooling::Average && !rotations.is_empty() {
        out /= rotations.len() as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_24_distinct_rotations_and_each_undoes() {
        let rots = rotations_3d();
        assert_eq!(rots.len(), 24);
        let a = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 100 + y * 10 + x) as f64);
        let mut seen = Vec::new();
        for r in &rots {
            let b = r.apply(&a);
            assert_eq!(r.undo(&b), a);
            let key: Vec<f64> = b.iter().copied().collect();
            assert!(!seen.contains(&(b.dim(), key.clone())));
            seen.push((b.dim(), key));
        }
    }

    #[test]
    fn in_plane_rotations_map_a_corner_to_each_corner() {
        let mut a = Array3::zeros((1, 3, 3));
        a[[0, 0, 0]] = 1.0;
        let mut corners: Vec<(usize, usize)> = rotations_2d()
            .iter()
            .map(|r| {
                let b = r.apply(&a);
                let (i, _) = b.indexed_iter().find(|(_, &v)| v == 1.0).unwrap();
                (i.1, i.2)
            })
            .collect();
        corners.sort();
        assert_eq!(corners, [(0, 0), (0, 2), (2, 0), (2, 2)]);
    }
}
