//! Preprocessing in IBSI order (IBSI-1 manual, chapter 2 "Image processing"):
//! interpolation to a new grid, intensity rounding, mask interpolation with a
//! partial-volume threshold, re-segmentation, discretisation.
//!
//! The features consume a [`Prepared`] region of interest: the (possibly resampled)
//! intensities with the two masks IBSI distinguishes, and a [`Discretised`] grid for the
//! families that need grey levels.

pub mod discretise;

pub use discretise::Discretised;

use ndarray::Array3;

use crate::image::Geometry;

/// A region of interest ready for feature computation (IBSI-1 section 2.1, "ROI masks").
///
/// The *morphological* mask is the (interpolated) delineation and is what morphology
/// features use; the *intensity* mask is the morphological mask after re-segmentation and
/// is what intensity, histogram and texture features use. All arrays are `[z][y][x]` on
/// `geometry`.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Intensities after interpolation and rounding.
    pub image: Array3<f64>,
    /// Morphological mask.
    pub morph: Array3<bool>,
    /// Intensity mask (morphological mask after re-segmentation).
    pub intensity: Array3<bool>,
    /// Grid geometry (spacing, origin, direction).
    pub geometry: Geometry,
}
