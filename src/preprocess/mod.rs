//! Preprocessing in IBSI order (IBSI-1 manual, chapter 2 "Image processing"):
//! interpolation to a new grid, intensity rounding, mask interpolation with a
//! partial-volume threshold, re-segmentation, discretisation.
//!
//! The features consume a [`Prepared`] region of interest: the (possibly resampled)
//! intensities with the two masks IBSI distinguishes, and a [`Discretised`] grid for the
//! families that need grey levels. [`prepare`] builds it from an image and an ROI.
//!
//! The prepared arrays cover the ROI's bounding box plus a margin (default 10 mm, more
//! than the 6.2 mm radius of the local-intensity sphere), not the whole image; the
//! geometry's origin is moved accordingly, and the interpolation grid is still that of the
//! whole image (IBSI grid alignment), so no value depends on the crop.

pub mod discretise;
pub mod interpolate;
pub mod resegment;

pub use discretise::Discretised;
pub use interpolate::Interpolator;
pub use resegment::{Resegment, ResegmentInfo};

use ndarray::{s, Array3};
use serde::{Deserialize, Serialize};

use crate::image::{validate::bounding_box, Geometry, Volume};
use interpolate::AxisGrid;

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

impl Prepared {
    /// Intensities inside the intensity mask, C order.
    pub fn intensity_values(&self) -> Vec<f64> {
        self.image
            .iter()
            .zip(self.intensity.iter())
            .filter(|(_, &m)| m)
            .map(|(&v, _)| v)
            .collect()
    }
}

/// Interpolation settings (IBSI-1 section 2.4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resample {
    /// New spacing `(x, y, z)` in mm. With `in_plane`, the z value is ignored.
    pub spacing: [f64; 3],
    /// Keep the slice spacing (the "2D" configurations: in-plane interpolation only).
    #[serde(default)]
    pub in_plane: bool,
    /// Image interpolator.
    pub interpolator: Interpolator,
    /// Mask interpolator (IBSI: linear, then the partial-volume threshold).
    pub mask_interpolator: Interpolator,
    /// Partial-volume threshold for the interpolated mask (IBSI 0.5).
    #[serde(default = "half")]
    pub mask_threshold: f64,
}

fn half() -> f64 {
    0.5
}

/// Everything before discretisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepSettings {
    /// Interpolation; `None` keeps the image grid.
    #[serde(default)]
    pub resample: Option<Resample>,
    /// Round intensities to the nearest integer before anything else (IBSI: the CT
    /// phantom is rounded on load).
    #[serde(default)]
    pub round_input: bool,
    /// Round intensities to the nearest integer after interpolation (IBSI configs B-E).
    #[serde(default)]
    pub round_intensities: bool,
    /// Re-segmentation of the intensity mask.
    #[serde(default)]
    pub resegment: Resegment,
    /// Margin kept around the ROI, in mm.
    #[serde(default = "default_margin")]
    pub margin_mm: f64,
}

fn default_margin() -> f64 {
    10.0
}

impl Default for PrepSettings {
    fn default() -> Self {
        Self {
            resample: None,
            round_input: false,
            round_intensities: false,
            resegment: Resegment::default(),
            margin_mm: default_margin(),
        }
    }
}

/// Errors of preprocessing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrepareError {
    /// The ROI has no voxels (before or after interpolation).
    #[error("the ROI is empty{0}")]
    EmptyRoi(&'static str),
    /// Image and ROI shapes differ.
    #[error("image shape {image:?} differs from ROI shape {roi:?} ([z, y, x])")]
    Shape {
        /// Image shape.
        image: [usize; 3],
        /// ROI shape.
        roi: [usize; 3],
    },
    /// A spacing that is not finite and positive.
    #[error("invalid resampling spacing {0:?} (expected finite values > 0 mm)")]
    Spacing([f64; 3]),
}

/// Where an image array sits inside the scan it was cut from, so that a crop is
/// interpolated on the grid of the whole scan (IBSI grid alignment depends on the whole
/// grid's extent). Indices and sizes are `(x, y, z)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Index of the array's voxel (0, 0, 0) in the whole scan.
    pub offset: [usize; 3],
    /// Size of the whole scan.
    pub full: [usize; 3],
}

impl Frame {
    /// The frame of an array that is the whole scan.
    pub fn whole(image: &Array3<f64>) -> Self {
        let (nz, ny, nx) = image.dim();
        Self {
            offset: [0; 3],
            full: [nx, ny, nz],
        }
    }
}

/// Voxels `(x, y, z)` around the ROI's box that [`prepare_in_frame`] reads for `settings`
/// on a grid of `spacing` mm, whatever the ROI: a bound of [`read_box`]. There the new
/// grid's range starts at most `margin + 3 s_new` below the box (the margin rounded up
/// to new points, one point of slack and the rounding to the grid), the taps add two
/// points of the old grid (with slack), the cubic spline one more and its prefilter
/// margin. A crop of the scan this much larger than the ROI's box (or reaching the
/// scan's edge) gives the same result as the whole scan.
pub fn read_reach(settings: &PrepSettings, spacing: [f64; 3]) -> [usize; 3] {
    let (resample, spline) = match &settings.resample {
        Some(r) => (
            r.spacing,
            if r.interpolator == Interpolator::CubicSpline
                || r.mask_interpolator == Interpolator::CubicSpline
            {
                interpolate::SPLINE_MARGIN + 1
            } else {
                0
            },
        ),
        None => ([0.0; 3], 0),
    };
    std::array::from_fn(|a| {
        let s_new = if resample[a].is_finite() {
            resample[a].max(spacing[a])
        } else {
            spacing[a]
        };
        let mm = settings.margin_mm.max(0.0) + 3.0 * s_new;
        (mm / spacing[a]).ceil() as usize + 4 + spline
    })
}

/// The box of scan voxels `(lo, hi)` (inclusive, `(x, y, z)`) that [`prepare_in_frame`]
/// reads for an ROI whose box in a scan of `full` voxels of `spacing` mm is
/// `lower..=upper`: without resampling the box plus the margin (as [`prepare_in_frame`]
/// crops it); with resampling the new grid's indices near the ROI plus the margin (the
/// range [`prepare_in_frame`] takes), then their interpolation taps on the old grid, plus
/// [`interpolate::SPLINE_MARGIN`] for the cubic spline's prefilter. One point of slack on
/// either side of both grids absorbs the rounding of the index arithmetic in a crop's
/// frame. A crop holding this box (or reaching the scan's edge) gives the whole scan's
/// result; [`read_reach`] bounds it for every ROI at once.
pub fn read_box(
    settings: &PrepSettings,
    spacing: [f64; 3],
    full: [usize; 3],
    lower: [usize; 3],
    upper: [usize; 3],
) -> ([usize; 3], [usize; 3]) {
    let margin = settings.margin_mm.max(0.0);
    let Some(r) = &settings.resample else {
        let m: [usize; 3] = std::array::from_fn(|a| (margin / spacing[a]).ceil() as usize);
        return (
            std::array::from_fn(|a| lower[a].saturating_sub(m[a])),
            std::array::from_fn(|a| (upper[a] + m[a]).min(full[a] - 1)),
        );
    };
    let cubic = r.interpolator == Interpolator::CubicSpline
        || r.mask_interpolator == Interpolator::CubicSpline;
    // Taps reach floor(t) - 1 ..= floor(t) + 2 for the spline, floor(t) ..= floor(t) + 1
    // otherwise, plus one point of slack.
    let taps = if cubic {
        3 + interpolate::SPLINE_MARGIN
    } else {
        2
    };
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let last = full[a] - 1;
        let usable = r.spacing[a].is_finite() && r.spacing[a] > 0.0;
        let g = if (a == 2 && r.in_plane) || !usable {
            interpolate::AxisGrid::identity(full[a])
        } else {
            interpolate::AxisGrid::ibsi(full[a], spacing[a], r.spacing[a])
        };
        let m = (margin / (spacing[a] * g.step)).ceil() + 1.0;
        let j_lo = (((lower[a] as f64 - 1.0 - g.start) / g.step).floor() - m).max(0.0);
        let j_hi = (((upper[a] as f64 + 1.0 - g.start) / g.step).ceil() + m)
            .clamp(0.0, (g.n_new - 1) as f64);
        let t_lo = g.old_index(j_lo as usize).clamp(0.0, last as f64);
        let t_hi = g.old_index(j_hi as usize).clamp(0.0, last as f64);
        lo[a] = (t_lo.floor() as usize).saturating_sub(taps);
        hi[a] = (t_hi.floor() as usize + taps).min(last);
    }
    (lo, hi)
}

/// Builds the [`Prepared`] ROI: crop (with margin), interpolate image and mask, round,
/// re-segment (IBSI order, manual section 2.1).
///
/// # Errors
/// [`PrepareError`] when the ROI is empty (also after mask interpolation), the shapes
/// differ, or the spacing is invalid.
pub fn prepare(
    image: &Volume,
    roi: &Array3<bool>,
    settings: &PrepSettings,
) -> Result<(Prepared, ResegmentInfo), PrepareError> {
    prepare_in_frame(image, roi, settings, &Frame::whole(&image.data))
}

/// [`prepare`] for an image that is a crop of a larger scan: the interpolation grid is
/// that of the whole scan (`frame`), so the result equals that of [`prepare`] on the whole
/// scan as long as the crop holds the ROI, the margin and the interpolation taps (plus
/// [`interpolate::SPLINE_MARGIN`] voxels for the cubic spline) or reaches the scan's edge.
///
/// # Errors
/// As [`prepare`].
pub fn prepare_in_frame(
    image: &Volume,
    roi: &Array3<bool>,
    settings: &PrepSettings,
    frame: &Frame,
) -> Result<(Prepared, ResegmentInfo), PrepareError> {
    let (nz, ny, nx) = image.data.dim();
    if roi.dim() != image.data.dim() {
        let r = roi.dim();
        return Err(PrepareError::Shape {
            image: [nz, ny, nx],
            roi: [r.0, r.1, r.2],
        });
    }
    let bbox = bounding_box(roi).ok_or(PrepareError::EmptyRoi(""))?;
    let rounded;
    let image = if settings.round_input {
        rounded = Volume {
            data: image.data.mapv(f64::round),
            geometry: image.geometry.clone(),
        };
        &rounded
    } else {
        image
    };
    let g = &image.geometry;

    let (img, morph, geometry) = match &settings.resample {
        None => crop(image, roi, bbox.lower, bbox.upper, settings.margin_mm),
        Some(r) => {
            let used = if r.in_plane {
                &r.spacing[..2]
            } else {
                &r.spacing[..]
            };
            if used.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(PrepareError::Spacing(r.spacing));
            }
            // The whole scan's grid, in the array's index coordinates.
            let n_old = frame.full;
            let grids: [AxisGrid; 3] = std::array::from_fn(|a| {
                let whole = if a == 2 && r.in_plane {
                    AxisGrid::identity(n_old[a])
                } else {
                    AxisGrid::ibsi(n_old[a], g.spacing[a], r.spacing[a])
                };
                AxisGrid {
                    shift: frame.offset[a] as f64,
                    ..whole
                }
            });
            let spacing: [f64; 3] = std::array::from_fn(|a| g.spacing[a] * grids[a].step);

            // New indices near the ROI, plus the margin. In a crop, only the new points
            // the crop covers, on the sides where the crop is not the scan's edge: beyond
            // them the taps would repeat the crop's edge, which the whole scan does not
            // (a crop holding `read_box` never gets there).
            let n_crop = [nx, ny, nz];
            // The arithmetic runs in the scan's indices, so a crop gets the same range.
            let range: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| {
                let (gr, off) = (&grids[a], frame.offset[a]);
                let lo = ((bbox.lower[a] + off) as f64 - 1.0 - gr.start) / gr.step;
                let hi = ((bbox.upper[a] + off) as f64 + 1.0 - gr.start) / gr.step;
                let m = (settings.margin_mm / spacing[a]).ceil();
                let mut lo = (lo.floor() - m).max(0.0) as usize;
                let mut hi = ((hi.ceil() + m).min(1e15) as usize).min(gr.n_new - 1);
                if off > 0 {
                    lo = lo.max(((off as f64 - gr.start) / gr.step).ceil().max(0.0) as usize);
                }
                if off + n_crop[a] < frame.full[a] {
                    let last = ((off + n_crop[a] - 1) as f64 - gr.start) / gr.step;
                    hi = hi.min(last.floor().max(0.0) as usize);
                }
                lo..hi.max(lo) + 1
            });
            let img = interpolate::resample(&image.data, grids, range.clone(), r.interpolator);
            let morph = interpolate::resample_mask(
                roi,
                grids,
                range.clone(),
                r.mask_interpolator,
                r.mask_threshold,
            );
            let origin =
                g.index_to_point(std::array::from_fn(|a| grids[a].old_index(range[a].start)));
            let geometry = Geometry {
                spacing,
                origin,
                direction: g.direction,
            };
            (img, morph, geometry)
        }
    };
    if !morph.iter().any(|&m| m) {
        return Err(PrepareError::EmptyRoi(" after mask interpolation"));
    }

    // Rounding, then re-segmentation of the intensity mask.
    let img = if settings.round_intensities {
        img.mapv(f64::round)
    } else {
        img
    };
    let (intensity, info) = resegment::resegment(&img, &morph, &settings.resegment);
    Ok((
        Prepared {
            image: img,
            morph,
            intensity,
            geometry,
        },
        info,
    ))
}

/// Crops image and ROI to the bounding box plus `margin_mm`.
fn crop(
    image: &Volume,
    roi: &Array3<bool>,
    lower: [usize; 3],
    upper: [usize; 3],
    margin_mm: f64,
) -> (Array3<f64>, Array3<bool>, Geometry) {
    let (nz, ny, nx) = image.data.dim();
    let n = [nx, ny, nz];
    let g = &image.geometry;
    let lo: [usize; 3] = std::array::from_fn(|a| {
        let m = (margin_mm / g.spacing[a]).ceil() as usize;
        lower[a].saturating_sub(m)
    });
    let hi: [usize; 3] = std::array::from_fn(|a| {
        let m = (margin_mm / g.spacing[a]).ceil() as usize;
        (upper[a] + m).min(n[a] - 1)
    });
    let sl = s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]];
    let origin = g.index_to_point([lo[0] as f64, lo[1] as f64, lo[2] as f64]);
    (
        image.data.slice(sl).to_owned(),
        roi.slice(sl).to_owned(),
        Geometry {
            spacing: g.spacing,
            origin,
            direction: g.direction,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_box_gives_the_whole_scan_result_and_lies_within_the_reach() {
        // A scan with anisotropic voxels and a small ROI at many places and sizes: the
        // preprocessing of the crop to `read_box` must equal that of the whole scan bit
        // for bit, and the box must lie within `read_reach` of the ROI's box.
        let (nx, ny, nz) = (40usize, 36usize, 18usize);
        let spacing = [0.7, 0.8, 2.5];
        let image = Volume {
            data: Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
                ((x * 37 + y * 101 + z * 53) % 97) as f64 + 0.1 * x as f64
            }),
            geometry: Geometry {
                spacing,
                ..Default::default()
            },
        };
        let resample = |spacing: [f64; 3], interpolator, in_plane| {
            Some(Resample {
                spacing,
                in_plane,
                interpolator,
                mask_interpolator: Interpolator::Linear,
                mask_threshold: 0.5,
            })
        };
        let settings = [
            (None, 0.0),
            (None, 3.0),
            (resample([1.0, 1.0, 1.0], Interpolator::Linear, false), 2.0),
            (resample([1.3, 0.6, 3.1], Interpolator::Linear, false), 0.0),
            (resample([2.0, 2.0, 2.0], Interpolator::Nearest, false), 5.0),
            (
                resample([1.0, 1.0, 9.0], Interpolator::CubicSpline, false),
                1.0,
            ),
            (resample([0.5, 0.5, 0.5], Interpolator::Linear, true), 2.0),
        ];
        let mut state = 12345u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for (resample, margin_mm) in settings {
            let prep = PrepSettings {
                resample,
                margin_mm,
                ..Default::default()
            };
            let reach = read_reach(&prep, spacing);
            for _ in 0..12 {
                let lo = [next(nx), next(ny), next(nz)];
                let hi: [usize; 3] =
                    std::array::from_fn(|a| (lo[a] + next(6)).min([nx, ny, nz][a] - 1));
                let roi = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
                    (0..3).all(|a| lo[a] <= [x, y, z][a] && [x, y, z][a] <= hi[a])
                });
                let whole = prepare(&image, &roi, &prep);
                let (b_lo, b_hi) = read_box(&prep, spacing, [nx, ny, nz], lo, hi);
                for a in 0..3 {
                    assert!(lo[a] - b_lo[a] <= reach[a] && b_hi[a] - hi[a] <= reach[a]);
                }
                let sl = s![b_lo[2]..=b_hi[2], b_lo[1]..=b_hi[1], b_lo[0]..=b_hi[0]];
                let crop = Volume {
                    data: image.data.slice(sl).to_owned(),
                    geometry: image.geometry.clone(),
                };
                let frame = Frame {
                    offset: b_lo,
                    full: [nx, ny, nz],
                };
                let cropped = prepare_in_frame(&crop, &roi.slice(sl).to_owned(), &prep, &frame);
                match (whole, cropped) {
                    (Ok((w, _)), Ok((c, _))) => {
                        let case = format!("{prep:?} roi {lo:?}..={hi:?}");
                        assert_eq!(w.image.dim(), c.image.dim(), "{case}");
                        // Bit for bit: the grid's arithmetic runs in the scan's indices.
                        let same = w.image.iter().zip(&c.image).all(|(a, b)| a == b);
                        assert!(same, "{case}: image");
                        assert_eq!(w.morph, c.morph, "{case}: mask");
                    }
                    (Err(w), Err(c)) => assert_eq!(w, c),
                    (w, c) => panic!("whole {:?} vs crop {:?}", w.err(), c.err()),
                }
            }
        }
    }

    fn volume(n: usize, spacing: f64) -> Volume {
        Volume {
            data: Array3::from_shape_fn((n, n, n), |(z, y, x)| (x + 2 * y + 3 * z) as f64),
            geometry: Geometry {
                spacing: [spacing; 3],
                ..Default::default()
            },
        }
    }

    #[test]
    fn crop_keeps_margin_and_moves_origin() {
        let v = volume(30, 1.0);
        let mut roi = Array3::from_elem((30, 30, 30), false);
        roi[[15, 15, 15]] = true;
        let (p, info) = prepare(&v, &roi, &PrepSettings::default()).unwrap();
        assert_eq!(p.image.dim(), (21, 21, 21));
        assert_eq!(p.geometry.origin, [5.0, 5.0, 5.0]);
        assert_eq!(info.after_sigma, 1);
        assert_eq!(p.image[[10, 10, 10]], v.data[[15, 15, 15]]);
    }

    #[test]
    fn resampled_grid_is_that_of_the_whole_image() {
        // 30 voxels of 1 mm -> 2 mm: 15 points, new index j at old index 0.5 + 2 j.
        let v = volume(30, 1.0);
        let mut roi = Array3::from_elem((30, 30, 30), false);
        roi.slice_mut(s![10..20, 10..20, 10..20]).fill(true);
        let settings = PrepSettings {
            resample: Some(Resample {
                spacing: [2.0; 3],
                in_plane: false,
                interpolator: Interpolator::Linear,
                mask_interpolator: Interpolator::Linear,
                mask_threshold: 0.5,
            }),
            margin_mm: 0.0,
            ..Default::default()
        };
        let (p, _) = prepare(&v, &roi, &settings).unwrap();
        let o = p.geometry.origin;
        // Origins sit at old index 0.5 + 2 k.
        for c in o {
            assert!(
                ((c - 0.5) / 2.0 - ((c - 0.5) / 2.0).round()).abs() < 1e-12,
                "{o:?}"
            );
        }
        // The ramp is reproduced at the new points.
        let x = o[0];
        assert!((p.image[[0, 0, 0]] - (x + 2.0 * o[1] + 3.0 * o[2])).abs() < 1e-9);
        // ROI of 10 mm: 5 new points per axis pass the 0.5 threshold.
        assert_eq!(p.morph.iter().filter(|&&m| m).count(), 125);
    }
}
