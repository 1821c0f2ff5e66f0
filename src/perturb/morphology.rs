//! Binary erosion and dilation of the ROI by a structuring element.
//!
//! # Definition
//! For a structuring element `B` (a set of offsets, symmetric about the origin):
//! dilation `(M + B)(p) = OR_{b in B} M(p + b)` and erosion
//! `(M - B)(p) = AND_{b in B} M(p + b)` (Serra 1982, "Image analysis and mathematical
//! morphology", chapter II). Voxels beyond the array count as background, so erosion
//! removes ROI voxels on the array edge.
//!
//! Elements of radius `r` in voxel units: `cross` (city-block ball, `|dx|+|dy|+|dz| <= r`;
//! `r = 1` is the 6-neighbourhood), `cube` (`max |d| <= r`; the 26-neighbourhood) and
//! `ball` (`dx^2+dy^2+dz^2 <= r^2`); `in_plane` restricts the element to the slice.

use ndarray::Array3;
use serde::{Deserialize, Serialize};

use super::region::{bounding_region, place, Region};

/// Shape of the structuring element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Element {
    /// City-block ball (6-neighbourhood at radius 1).
    #[default]
    Cross,
    /// Chebyshev ball (26-neighbourhood at radius 1).
    Cube,
    /// Euclidean ball in voxel units.
    Ball,
}

/// A structuring element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Structuring {
    /// Shape.
    pub element: Element,
    /// Radius in voxels.
    pub radius: usize,
    /// Only offsets within the slice.
    pub in_plane: bool,
}

impl Structuring {
    /// The offsets `(dz, dy, dx)` of the element.
    pub fn offsets(&self) -> Vec<[isize; 3]> {
        let r = self.radius as isize;
        let rz = if self.in_plane { 0 } else { r };
        let mut out = Vec::new();
        for dz in -rz..=rz {
            for dy in -r..=r {
                for dx in -r..=r {
                    let inside = match self.element {
                        Element::Cross => dx.abs() + dy.abs() + dz.abs() <= r,
                        Element::Cube => true,
                        Element::Ball => dx * dx + dy * dy + dz * dz <= r * r,
                    };
                    if inside {
                        out.push([dz, dy, dx]);
                    }
                }
            }
        }
        out
    }
}

/// Dilation of `roi` by `se` (module doc).
pub fn dilate(roi: &Array3<bool>, se: &Structuring) -> Array3<bool> {
    apply(roi, se, true)
}

/// Erosion of `roi` by `se` (module doc).
pub fn erode(roi: &Array3<bool>, se: &Structuring) -> Array3<bool> {
    apply(roi, se, false)
}

/// Dilation (`any`) or erosion (`all`) of the whole array, computed on the ROI's box plus
/// the radius (the result is background elsewhere).
fn apply(roi: &Array3<bool>, se: &Structuring, dilation: bool) -> Array3<bool> {
    let (nz, ny, nx) = roi.dim();
    match apply_in(roi, [0; 3], [nx, ny, nz], se, dilation) {
        Some((out, at)) => place(&out, at.lo, &Region::of([0; 3], roi.dim()), false),
        None => roi.clone(),
    }
}

/// Dilation (`dilation`) or erosion of `roi`, placed at `offset` in a scan of size
/// `full` (`(x, y, z)`; beyond the scan: background): the result on the ROI's box plus
/// the radius, and that box; `None` when `roi` is empty.
pub fn apply_in(
    roi: &Array3<bool>,
    offset: [usize; 3],
    full: [usize; 3],
    se: &Structuring,
    dilation: bool,
) -> Option<(Array3<bool>, Region)> {
    let b = bounding_region(roi, offset)?;
    let r = [
        se.radius,
        se.radius,
        if se.in_plane { 0 } else { se.radius },
    ];
    let window = b.grow(r, full);
    let sub = apply_all(&place(roi, offset, &window, false), se, dilation);
    Some((sub, window))
}

/// Dilation or erosion over the whole array (beyond it: background).
fn apply_all(roi: &Array3<bool>, se: &Structuring, dilation: bool) -> Array3<bool> {
    let offsets = se.offsets();
    let (nz, ny, nx) = roi.dim();
    let dims = [nz as isize, ny as isize, nx as isize];
    let get = |p: [isize; 3]| {
        (0..3).all(|a| p[a] >= 0 && p[a] < dims[a])
            && roi[[p[0] as usize, p[1] as usize, p[2] as usize]]
    };
    Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        let p = [z as isize, y as isize, x as isize];
        let hit = |o: &[isize; 3]| get([p[0] + o[0], p[1] + o[1], p[2] + o[2]]);
        if dilation {
            offsets.iter().any(hit)
        } else {
            roi[[z, y, x]] && offsets.iter().all(hit)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 x 3 x 3 block at [1..4] in a 5 x 5 x 5 array.
    fn block() -> Array3<bool> {
        Array3::from_shape_fn((5, 5, 5), |(z, y, x)| {
            (1..4).contains(&z) && (1..4).contains(&y) && (1..4).contains(&x)
        })
    }

    fn se(element: Element, in_plane: bool) -> Structuring {
        Structuring {
            element,
            radius: 1,
            in_plane,
        }
    }

    #[test]
    fn element_sizes() {
        assert_eq!(se(Element::Cross, false).offsets().len(), 7);
        assert_eq!(se(Element::Cube, false).offsets().len(), 27);
        assert_eq!(se(Element::Ball, false).offsets().len(), 7);
        assert_eq!(se(Element::Cube, true).offsets().len(), 9);
    }

    #[test]
    fn erosion_of_a_block_by_one_voxel_leaves_its_centre() {
        // Hand-computed: a 3^3 block eroded by the cross or the cube keeps only (2,2,2).
        for e in [Element::Cross, Element::Cube] {
            let out = erode(&block(), &se(e, false));
            let kept: Vec<_> = out
                .indexed_iter()
                .filter(|(_, &m)| m)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(kept, vec![(2, 2, 2)], "{e:?}");
        }
        // In-plane cube: slices z = 1..4 each keep their centre.
        let out = erode(&block(), &se(Element::Cube, true));
        let kept: Vec<_> = out
            .indexed_iter()
            .filter(|(_, &m)| m)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(kept, vec![(1, 2, 2), (2, 2, 2), (3, 2, 2)]);
    }

    #[test]
    fn dilation_of_a_block_by_one_voxel_matches_hand_count() {
        // Cube: the 5^3 array is filled (3 + 2)^3 = 125.
        assert_eq!(
            dilate(&block(), &se(Element::Cube, false))
                .iter()
                .filter(|&&m| m)
                .count(),
            125
        );
        // Cross: 27 + 6 faces of 9 = 81; edges and corners stay empty.
        let out = dilate(&block(), &se(Element::Cross, false));
        assert_eq!(out.iter().filter(|&&m| m).count(), 81);
        assert!(out[[0, 2, 2]] && !out[[0, 0, 2]] && !out[[0, 0, 0]]);
        // In-plane cross: each of the 3 slices gains 4 x 3 = 12: 27 + 36.
        let out = dilate(&block(), &se(Element::Cross, true));
        assert_eq!(out.iter().filter(|&&m| m).count(), 63);
        assert!(!out[[0, 2, 2]]);
    }

    #[test]
    fn erosion_on_the_array_edge_removes_edge_voxels() {
        let full = Array3::from_elem((3, 3, 3), true);
        let out = erode(&full, &se(Element::Cross, false));
        assert_eq!(out.iter().filter(|&&m| m).count(), 1);
    }
}
