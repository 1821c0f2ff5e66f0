//! Mask validation: geometry agreement with a voxel-scaled tolerance, label selection,
//! and ROI size rules, with errors that carry the numbers a user needs (CASE-01..04 of
//! `../shared/cases.md`).
//!
//! Order of checks in [`roi`]: grid size, geometry (origin, spacing, direction), intensity
//! image given as a mask, label present, voxel count, ROI dimensionality. A mask covering
//! the whole image is a valid ROI (CASE-01): nothing here treats "a single distinct value"
//! as background.
//!
//! # Limitations
//! A mismatched mask is refused, never resampled here; resampling a mask onto the image
//! grid by physical coordinates belongs to `preprocess` (CASE-04, "when asked").

use ndarray::Array3;

use super::{Geometry, Mask, Volume};

/// Rules an ROI must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiRules {
    /// Fewest voxels accepted (inclusive; default 1).
    pub min_voxels: usize,
    /// Fewest axes along which the ROI extends beyond one voxel (inclusive; 0..=3,
    /// default 0). Texture in 2D needs 2, in 3D needs 3 (PyRadiomics'
    /// `minimumROIDimensions`).
    pub min_dims: usize,
    /// Geometry tolerance in voxels: the largest position error any grid point of the
    /// mask may have against the image (default 1e-3 voxel).
    pub tolerance_voxels: f64,
    /// A mask with more distinct non-zero labels than this, covering more than half the
    /// grid, is taken for an intensity image (default 16; `usize::MAX` disables).
    pub max_labels_dense: usize,
}

impl Default for RoiRules {
    fn default() -> Self {
        Self {
            min_voxels: 1,
            min_dims: 0,
            tolerance_voxels: 1e-3,
            max_labels_dense: 16,
        }
    }
}

/// Inclusive bounding box of an ROI in index space, `(x, y, z)` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// Smallest index per axis.
    pub lower: [usize; 3],
    /// Largest index per axis.
    pub upper: [usize; 3],
}

impl BoundingBox {
    /// Extent in voxels per axis `(x, y, z)`.
    pub fn extent(&self) -> [usize; 3] {
        std::array::from_fn(|a| self.upper[a] - self.lower[a] + 1)
    }

    /// Number of axes along which the box is wider than one voxel.
    pub fn dims(&self) -> usize {
        self.extent().iter().filter(|&&e| e > 1).count()
    }
}

impl std::fmt::Display for BoundingBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.extent();
        write!(
            f,
            "{}x{}x{} at [{}, {}, {}]",
            e[0], e[1], e[2], self.lower[0], self.lower[1], self.lower[2]
        )
    }
}

/// A validated region of interest on an image grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    /// The selected label.
    pub label: i64,
    /// Voxels in the ROI, `[z][y][x]`.
    pub mask: Array3<bool>,
    /// Number of ROI voxels.
    pub count: usize,
    /// Bounding box.
    pub bbox: BoundingBox,
    /// Volume of the ROI voxels in mm^3 (count x voxel volume).
    pub volume_mm3: f64,
}

impl Roi {
    /// The image values inside the ROI, in C order (`[z][y][x]`).
    pub fn values(&self, image: &Volume) -> Vec<f64> {
        image
            .data
            .iter()
            .zip(self.mask.iter())
            .filter(|(_, &m)| m)
            .map(|(&v, _)| v)
            .collect()
    }
}

/// Reasons a mask is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaskError {
    /// Image and mask grids have different sizes.
    #[error("mask grid {mask:?} differs from image grid {image:?} (x, y, z voxels)")]
    ShapeMismatch {
        /// Image grid (x, y, z).
        image: [usize; 3],
        /// Mask grid (x, y, z).
        mask: [usize; 3],
    },
    /// Geometry differs beyond the tolerance (CASE-04).
    #[error(
        "mask {field} {axis} differs from the image: {image} vs {mask} ({offset_mm:.6} mm = \
         {offset_voxels:.6} voxel; tolerance {tolerance_voxels} voxel); resample the mask \
         onto the image grid if this is intended"
    )]
    GeometryMismatch {
        /// `origin`, `spacing` or `direction`.
        field: &'static str,
        /// Axis name (`x`, `y`, `z`, or `column i row x` for directions).
        axis: String,
        /// Image value.
        image: f64,
        /// Mask value.
        mask: f64,
        /// Largest resulting position error in mm.
        offset_mm: f64,
        /// The same in voxels.
        offset_voxels: f64,
        /// Tolerance in voxels.
        tolerance_voxels: f64,
    },
    /// The mask looks like an intensity image (CASE-03d).
    #[error(
        "mask has {distinct} distinct non-zero values covering {nonzero_percent:.1}% of the \
         grid; it looks like an intensity image, not a segmentation"
    )]
    LooksLikeIntensity {
        /// Distinct non-zero values.
        distinct: usize,
        /// Percentage of non-zero voxels.
        nonzero_percent: f64,
    },
    /// Nothing is segmented (CASE-01 "also check").
    #[error("ROI is empty (0 voxels with label {label})")]
    Empty {
        /// Requested label.
        label: i64,
    },
    /// Other labels are present but not the requested one (CASE-03a).
    #[error("label {label} not found in mask; labels present: {present:?}")]
    LabelMissing {
        /// Requested label.
        label: i64,
        /// Labels found (up to 20).
        present: Vec<i64>,
    },
    /// Too few voxels (CASE-02a).
    #[error(
        "ROI has {count} voxel{} with label {label} (bounding box {bbox}); at least {min} are \
         needed",
        if *count == 1 { "" } else { "s" }
    )]
    TooFewVoxels {
        /// Requested label.
        label: i64,
        /// Voxels found.
        count: usize,
        /// Rule.
        min: usize,
        /// Bounding box.
        bbox: BoundingBox,
    },
    /// The ROI extends along too few axes (CASE-02b).
    #[error(
        "ROI with label {label} spans only {dims} dimension{} (bounding box {bbox}, {count} \
         voxels); at least {min} are needed",
        if *dims == 1 { "" } else { "s" }
    )]
    TooFewDimensions {
        /// Requested label.
        label: i64,
        /// Axes with extent > 1.
        dims: usize,
        /// Rule.
        min: usize,
        /// ROI voxels.
        count: usize,
        /// Bounding box.
        bbox: BoundingBox,
    },
}

/// Checks that a mask grid matches the image grid within `tolerance_voxels`.
///
/// # Formula
/// For origin o, spacing s, direction D and grid size n, the position of the far corner
/// grid point differs by at most |Δo| + Σ_c (n_c - 1) |Δ(D_c s_c)|. Each term is converted
/// to voxels by dividing by the image spacing of the axis concerned (the smallest spacing
/// for origin and direction components), and each must be <= `tolerance_voxels`:
/// - origin, axis r: |Δo_r| / s_min;
/// - spacing, axis c: (n_c - 1) |Δs_c| / s_c;
/// - direction, entry (r, c): (n_c - 1) s_c |ΔD_rc| / s_min.
///
/// # Errors
/// [`MaskError::ShapeMismatch`] or the first [`MaskError::GeometryMismatch`] found
/// (origin, then spacing, then direction).
pub fn check_geometry(
    image: &Geometry,
    image_shape: (usize, usize, usize),
    mask: &Geometry,
    mask_shape: (usize, usize, usize),
    tolerance_voxels: f64,
) -> Result<(), MaskError> {
    let to_xyz = |s: (usize, usize, usize)| [s.2, s.1, s.0];
    let n = to_xyz(image_shape);
    if image_shape != mask_shape {
        return Err(MaskError::ShapeMismatch {
            image: n,
            mask: to_xyz(mask_shape),
        });
    }
    let axes = ["x", "y", "z"];
    let s_min = image.spacing.iter().cloned().fold(f64::INFINITY, f64::min);
    let fail = |field, axis: String, a: f64, b: f64, mm: f64, vox: f64| {
        Err(MaskError::GeometryMismatch {
            field,
            axis,
            image: a,
            mask: b,
            offset_mm: mm,
            offset_voxels: vox,
            tolerance_voxels,
        })
    };
    for r in 0..3 {
        let d = (mask.origin[r] - image.origin[r]).abs();
        let vox = d / image.spacing[r].min(s_min);
        if !(vox <= tolerance_voxels) {
            // Express the offset in voxels of the matching axis for the message.
            let vox_axis = d / image.spacing[r];
            return fail(
                "origin",
                axes[r].into(),
                image.origin[r],
                mask.origin[r],
                d,
                vox_axis,
            );
        }
    }
    for c in 0..3 {
        let d = (mask.spacing[c] - image.spacing[c]).abs() * (n[c].max(1) - 1) as f64;
        let vox = d / image.spacing[c];
        if !(vox <= tolerance_voxels) {
            return fail(
                "spacing",
                axes[c].into(),
                image.spacing[c],
                mask.spacing[c],
                d,
                vox,
            );
        }
    }
    for c in 0..3 {
        for r in 0..3 {
            let dd = (mask.direction[r][c] - image.direction[r][c]).abs();
            let d = dd * image.spacing[c] * (n[c].max(2) - 1) as f64;
            let vox = d / s_min;
            if !(vox <= tolerance_voxels) {
                let axis = format!("column {} row {}", axes[c], axes[r]);
                return fail(
                    "direction",
                    axis,
                    image.direction[r][c],
                    mask.direction[r][c],
                    d,
                    vox,
                );
            }
        }
    }
    Ok(())
}

/// Validates `mask` against `image` and selects `label` as the ROI.
///
/// # Errors
/// In order: [`MaskError::ShapeMismatch`] / [`MaskError::GeometryMismatch`] (see
/// [`check_geometry`]); [`MaskError::LooksLikeIntensity`] when the mask has more than
/// `rules.max_labels_dense` distinct non-zero values and more than half its voxels are
/// non-zero; [`MaskError::Empty`] when no voxel is non-zero; [`MaskError::LabelMissing`]
/// with the labels present; [`MaskError::TooFewVoxels`] and
/// [`MaskError::TooFewDimensions`] with the count and bounding box (comparisons are
/// inclusive: an ROI exactly at the minimum is accepted).
///
/// # Degenerate cases
/// A mask whose every voxel carries `label` is a valid whole-image ROI (CASE-01).
pub fn roi(image: &Volume, mask: &Mask, label: i64, rules: &RoiRules) -> Result<Roi, MaskError> {
    roi_for(&image.geometry, image.data.dim(), mask, label, rules)
}

/// [`roi`] for an image known by its geometry and array shape `(nz, ny, nx)` (its header),
/// so the voxels need not be read first.
///
/// # Errors
/// As [`roi`].
pub fn roi_for(
    geometry: &Geometry,
    dim: (usize, usize, usize),
    mask: &Mask,
    label: i64,
    rules: &RoiRules,
) -> Result<Roi, MaskError> {
    check_geometry(
        geometry,
        dim,
        &mask.geometry,
        mask.labels.dim(),
        rules.tolerance_voxels,
    )?;

    // One pass over the labels: non-zero count, the selection, its count and its box.
    let dim = mask.labels.dim();
    let (ny, nx) = (dim.1, dim.2);
    let mut sel = Array3::from_elem(dim, false);
    let (mut nonzero, mut count) = (0usize, 0usize);
    let mut lower = [usize::MAX; 3];
    let mut upper = [0usize; 3];
    let mut visit = |idx: usize, l: i64, out: &mut bool| {
        if l == 0 {
            return;
        }
        nonzero += 1;
        if l == label {
            count += 1;
            *out = true;
            let xyz = [idx % nx, (idx / nx) % ny, idx / (nx * ny)];
            for a in 0..3 {
                lower[a] = lower[a].min(xyz[a]);
                upper[a] = upper[a].max(xyz[a]);
            }
        }
    };
    match (mask.labels.as_slice(), sel.as_slice_mut()) {
        (Some(labels), Some(out)) => {
            for (idx, (&l, o)) in labels.iter().zip(out.iter_mut()).enumerate() {
                visit(idx, l, o);
            }
        }
        _ => {
            for ((z, y, x), &l) in mask.labels.indexed_iter() {
                visit((z * ny + y) * nx + x, l, &mut sel[[z, y, x]]);
            }
        }
    }

    // Intensity image given as a mask (the label list is only needed for the errors).
    let total = mask.labels.len().max(1);
    if 2 * nonzero > total {
        let present = mask.labels_present();
        if present.len() > rules.max_labels_dense {
            return Err(MaskError::LooksLikeIntensity {
                distinct: present.len(),
                nonzero_percent: 100.0 * nonzero as f64 / total as f64,
            });
        }
    }

    // Label selection.
    if count == 0 {
        let present = mask.labels_present();
        if present.is_empty() || label == 0 {
            return Err(MaskError::Empty { label });
        }
        return Err(MaskError::LabelMissing {
            label,
            present: present.into_iter().take(20).collect(),
        });
    }

    // Size rules.
    let bbox = BoundingBox { lower, upper };
    if count < rules.min_voxels {
        return Err(MaskError::TooFewVoxels {
            label,
            count,
            min: rules.min_voxels,
            bbox,
        });
    }
    if bbox.dims() < rules.min_dims {
        return Err(MaskError::TooFewDimensions {
            label,
            dims: bbox.dims(),
            min: rules.min_dims,
            count,
            bbox,
        });
    }
    let volume_mm3 = count as f64 * geometry.voxel_volume();
    Ok(Roi {
        label,
        mask: sel,
        count,
        bbox,
        volume_mm3,
    })
}

/// Inclusive bounding box of the true voxels, `(x, y, z)`; `None` when there are none.
pub fn bounding_box(sel: &Array3<bool>) -> Option<BoundingBox> {
    let (_, ny, nx) = sel.dim();
    let mut lower = [usize::MAX; 3];
    let mut upper = [0usize; 3];
    let mut any = false;
    let mut mark = |x0: usize, x1: usize, y: usize, z: usize| {
        any = true;
        for (a, (lo, hi)) in [(x0, x1), (y, y), (z, z)].into_iter().enumerate() {
            lower[a] = lower[a].min(lo);
            upper[a] = upper[a].max(hi);
        }
    };
    match sel.as_slice() {
        // Row by row: most rows of a large image are empty, and `any` on a row is fast.
        Some(v) if nx > 0 => {
            for (r, row) in v.chunks_exact(nx).enumerate() {
                if let (Some(x0), Some(x1)) =
                    (row.iter().position(|&b| b), row.iter().rposition(|&b| b))
                {
                    mark(x0, x1, r % ny, r / ny);
                }
            }
        }
        _ => {
            for ((z, y, x), &b) in sel.indexed_iter() {
                if b {
                    mark(x, x, y, z);
                }
            }
        }
    }
    any.then_some(BoundingBox { lower, upper })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row-wise box against a voxel-by-voxel scan, on sparse random selections in
    /// standard and in permuted (non-contiguous) layout.
    #[test]
    fn bounding_box_matches_a_voxel_scan() {
        let brute = |sel: &Array3<bool>| {
            let hits: Vec<[usize; 3]> = sel
                .indexed_iter()
                .filter(|(_, &b)| b)
                .map(|((z, y, x), _)| [x, y, z])
                .collect();
            (!hits.is_empty()).then(|| BoundingBox {
                lower: [0, 1, 2].map(|a| hits.iter().map(|h| h[a]).min().unwrap()),
                upper: [0, 1, 2].map(|a| hits.iter().map(|h| h[a]).max().unwrap()),
            })
        };
        let mut state = 12345u64;
        for case in 0..40 {
            let dim = (1 + case % 4, 2 + case % 5, 3 + case % 7);
            let sel = Array3::from_shape_fn(dim, |_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 33) % 13 == 0
            });
            assert_eq!(bounding_box(&sel), brute(&sel), "case {case}");
            let permuted = sel.clone().permuted_axes([2, 1, 0]);
            assert_eq!(
                bounding_box(&permuted),
                brute(&permuted),
                "case {case} permuted"
            );
        }
    }
}
