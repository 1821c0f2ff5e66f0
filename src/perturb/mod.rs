//! Perturbations of an image and its ROI, for the robustness audit.
//!
//! A feature is only worth modelling if it survives the variation a second scan or a
//! second reader would bring. Without repeat scans, the image and the mask are perturbed
//! in controlled, seeded ways and the features re-extracted (Zwanenburg et al. 2019,
//! "Assessing robustness of radiomic features by image perturbation", Sci Rep 9:614).
//!
//! One module per perturbation family, each with explicit parameters:
//! - [`noise`]: Gaussian noise, at a given level or at the level estimated from the image
//!   by the wavelet median-absolute-deviation estimator (Donoho & Johnstone 1994);
//! - [`rigid`]: translation by voxel fractions and rotation about the slice axis, applied
//!   to image and mask together (the patient moved relative to the grid);
//! - [`volume`]: volume adaptation, growing or shrinking the mask by a volume fraction
//!   (to the voxel) or by a distance in mm, on a Euclidean distance map ([`distance`]);
//! - [`morphology`]: erosion and dilation by a structuring element;
//! - [`supervoxel`]: SLIC-like supervoxels and contour randomisation;
//! - resampling to other spacings is a change of the extraction's interpolation grid
//!   (`preprocess::interpolate`), made by [`chain`].
//!
//! [`chain`] reads the `[perturbation]` plan of an extraction config and composes the
//! families in a fixed order (image-level steps, then mask-level steps, then extraction);
//! [`run`] runs every case x setting x replicate of a cohort, in parallel and resumably.
//!
//! Every random draw comes from a [`crate::stats::rng`] stream named after the case, the
//! setting and the replicate, so results do not depend on the number of threads.
//!
//! Each case is read once and cut to a crop around the ROI ([`crop`], margin
//! [`chain::Plan::crop_margin`]). An item then works on the boxes it reaches, in the
//! indices of the whole scan ([`region`]): the mask steps on the ROI's box plus their
//! reach, the rigid motion and the noise only on the supervoxel region and on the box
//! the extraction reads (`features::extract::read_box`: the final ROI's box plus the
//! margin, the resampling taps and every filter's reach), each voxel computed once. Every
//! voxel gets the value it would get on the whole scan (the noise is keyed by scan voxel,
//! [`noise::add_noise_placed`]), so the features, filtered ones included, do not depend
//! on the crop (tests/perturb.rs checks every family, and five filters, against the
//! whole-scan computation). A filter whose response depends on the whole image
//! (Simoncelli, Riesz, PyRadiomics' periodic wavelets) makes every item work on the
//! whole scan: exact, but as slow as a whole-image extraction per item.
//!
//! Cost (`benches/perturb.rs`, lung1's 837-voxel ROI, all families in one setting, CPU
//! time of one thread): about 9 ms perturbing against 13.5 ms extracting per item; the
//! supervoxels (SLIC, 10 iterations) are about a third of the perturbation.

pub mod chain;
pub mod distance;
pub mod morphology;
pub mod noise;
pub mod region;
pub mod rigid;
pub mod run;
pub mod supervoxel;
pub mod volume;

use ndarray::{s, Array3};

use crate::image::{Geometry, Volume};
use crate::preprocess::Frame;

/// An image with its ROI (`[z][y][x]`, same shape), the unit every perturbation maps.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Intensities and geometry.
    pub image: Volume,
    /// Region of interest on the image grid.
    pub roi: Array3<bool>,
}

impl Sample {
    /// Number of voxels in the ROI.
    pub fn roi_count(&self) -> usize {
        self.roi.iter().filter(|&&m| m).count()
    }
}

/// Errors of the perturbation module.
#[derive(Debug, thiserror::Error)]
pub enum PerturbError {
    /// The `[perturbation]` plan is missing or invalid.
    #[error("invalid perturbation plan: {0}")]
    Plan(String),
    /// A perturbation left the ROI empty.
    #[error("the perturbed ROI is empty after {0}")]
    EmptyRoi(String),
    /// The crop around the ROI is too small for the requested change.
    #[error("{0}")]
    OutOfRoom(String),
    /// The noise level cannot be estimated.
    #[error("cannot estimate the noise level: {0}")]
    Noise(String),
    /// Reading a case or extracting its features failed.
    #[error(transparent)]
    Extract(#[from] crate::features::extract::ExtractError),
    /// A cohort file problem.
    #[error(transparent)]
    Cohort(#[from] crate::features::extract::CohortError),
    /// Writing the checkpoint or output.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    /// Writing perturbed images.
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    /// A filesystem step of the checkpoint failed.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The checkpoint folder belongs to another run (other cohort, config, plan or seed).
    #[error(
        "{}: checkpoint of a different run: {reason}; rerun with its cohort, config, names \
         and seed to resume it, or remove the folder to start over",
        dir.display()
    )]
    StaleCheckpoint {
        /// The checkpoint folder.
        dir: std::path::PathBuf,
        /// What differs (module `crate::checkpoint`).
        reason: String,
    },
    /// The checkpoint folder holds the parts of a sharded run (`--shard`).
    #[error(
        "{}: holds the parts of a sharded run (--shard I/N); write their table with \
         `radaudit merge {}/part-*.json --out OUT`, or choose another --out",
        dir.display(),
        dir.display()
    )]
    ShardedParts {
        /// The folder of the parts.
        dir: std::path::PathBuf,
    },
    /// The run stopped early on request (fault injection); a rerun resumes it.
    #[error("stopped after {finished} finished items (RADAUDIT_ABORT_AFTER); rerun to resume")]
    Interrupted {
        /// Items finished in this run.
        finished: usize,
    },
}

/// Cuts `image` and `roi` to the ROI's bounding box plus `margin` voxels per axis
/// (`(x, y, z)`, clipped to the scan), and returns the crop with its [`Frame`] in the scan.
/// The crop's origin is moved so that its voxels keep their physical positions.
///
/// Returns `None` when the ROI is empty.
pub fn crop(image: &Volume, roi: &Array3<bool>, margin: [usize; 3]) -> Option<(Sample, Frame)> {
    let bbox = crate::image::validate::bounding_box(roi)?;
    let (nz, ny, nx) = image.data.dim();
    let n = [nx, ny, nz];
    let lo: [usize; 3] = std::array::from_fn(|a| bbox.lower[a].saturating_sub(margin[a]));
    let hi: [usize; 3] = std::array::from_fn(|a| (bbox.upper[a] + margin[a]).min(n[a] - 1));
    let window = s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]];
    let g = &image.geometry;
    let origin = g.index_to_point([lo[0] as f64, lo[1] as f64, lo[2] as f64]);
    let sample = Sample {
        image: Volume {
            data: image.data.slice(window).to_owned(),
            geometry: Geometry {
                spacing: g.spacing,
                origin,
                direction: g.direction,
            },
        },
        roi: roi.slice(window).to_owned(),
    };
    Some((
        sample,
        Frame {
            offset: lo,
            full: n,
        },
    ))
}

/// Centroid of the ROI as a continuous index `(x, y, z)`; `None` when empty.
pub fn roi_centroid(roi: &Array3<bool>) -> Option<[f64; 3]> {
    roi_centroid_placed(roi, [0; 3])
}

/// Centroid (scan index `(x, y, z)`) of a ROI placed at `offset` in the scan and empty
/// elsewhere: the same sums in the same order as on the whole scan, so the same bits.
pub fn roi_centroid_placed(roi: &Array3<bool>, offset: [usize; 3]) -> Option<[f64; 3]> {
    let mut sum = [0.0; 3];
    let mut n = 0usize;
    for ((z, y, x), &m) in roi.indexed_iter() {
        if m {
            sum[0] += (x + offset[0]) as f64;
            sum[1] += (y + offset[1]) as f64;
            sum[2] += (z + offset[2]) as f64;
            n += 1;
        }
    }
    (n > 0).then(|| sum.map(|s| s / n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_keeps_physical_positions_and_frame() {
        let image = Volume {
            data: Array3::from_shape_fn((10, 12, 14), |(z, y, x)| (x + 100 * y + 10000 * z) as f64),
            geometry: Geometry {
                spacing: [0.5, 0.5, 2.0],
                origin: [-3.0, 4.0, 10.0],
                ..Default::default()
            },
        };
        let mut roi = Array3::from_elem((10, 12, 14), false);
        roi[[5, 6, 7]] = true;
        let (c, frame) = crop(&image, &roi, [2, 3, 9]).unwrap();
        assert_eq!(frame.offset, [5, 3, 0]);
        assert_eq!(frame.full, [14, 12, 10]);
        assert_eq!(c.image.data.dim(), (10, 7, 5));
        // Voxel (7, 6, 5) of the scan is (2, 3, 5) of the crop, at the same point.
        assert_eq!(c.image.data[[5, 3, 2]], image.data[[5, 6, 7]]);
        assert!(c.roi[[5, 3, 2]]);
        let p = c.image.geometry.index_to_point([2.0, 3.0, 5.0]);
        assert_eq!(p, image.geometry.index_to_point([7.0, 6.0, 5.0]));
    }
}
