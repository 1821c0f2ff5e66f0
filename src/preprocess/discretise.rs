//! Intensity discretisation (IBSI-1 section 2.7): fixed bin number and fixed bin size.
//!
//! Fixed bin size has two conventions for where the bins start:
//! - IBSI (manual, "Fixed bin size", code 2.7.2): at the lower bound of the
//!   re-segmentation range, or at the ROI minimum when no range is set:
//!   `x_d = floor((x - x_min) / w_b) + 1`.
//! - PyRadiomics (`binWidth`): at a multiple of the width, `floor(x_min / w_b) * w_b`, so
//!   `x_d = floor(x / w_b) - floor(x_min / w_b) + 1` with `x_min` the ROI minimum.
//!
//! Fixed bin number (IBSI code 2.7.1):
//! `x_d = floor(n_g (x - x_min) / (x_max - x_min)) + 1`, with `x = x_max` put in bin `n_g`.

use ndarray::{Array3, Zip};
use serde::{Deserialize, Serialize};

/// Grey levels of the intensity mask after discretisation.
///
/// `levels[[z, y, x]]` is 0 outside the intensity mask and `1..=n_g` inside; `n_g` is the
/// number of grey levels of the discretisation (IBSI `N_g`), which can exceed the highest
/// level present (the digital phantom has levels 1, 3, 4, 6 and `n_g = 6`).
#[derive(Debug, Clone, PartialEq)]
pub struct Discretised {
    /// Grey level per voxel, `[z][y][x]`; 0 = outside the intensity mask.
    pub levels: Array3<u32>,
    /// Number of grey levels `N_g`.
    pub n_g: u32,
}

/// Where fixed-bin-size bins start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BinOrigin {
    /// IBSI: the lower re-segmentation bound if given, else the ROI minimum.
    Ibsi,
    /// PyRadiomics: the largest multiple of the width not above the ROI minimum.
    Pyradiomics,
}

/// A discretisation method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Fixed bin number (IBSI 2.7.1; PyRadiomics `binCount`).
    BinCount(u32),
    /// Fixed bin size `width` (IBSI 2.7.2; PyRadiomics `binWidth`).
    BinWidth {
        /// Bin width in intensity units.
        width: f64,
        /// Where the first bin starts.
        origin: BinOrigin,
    },
}

/// Errors of discretisation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscretiseError {
    /// The intensity mask is empty.
    #[error("cannot discretise an empty intensity mask")]
    Empty,
    /// A bin count of 0 or a non-positive or non-finite width.
    #[error("invalid discretisation: {0}")]
    Invalid(String),
    /// The image and mask shapes differ.
    #[error("image shape {image:?} differs from mask shape {mask:?}")]
    Shape {
        /// Image shape `[z, y, x]`.
        image: [usize; 3],
        /// Mask shape.
        mask: [usize; 3],
    },
}

impl Method {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`DiscretiseError::Invalid`] for a zero bin count or a width that is not finite
    /// and positive.
    pub fn validate(&self) -> Result<(), DiscretiseError> {
        match *self {
            Method::BinCount(0) => Err(DiscretiseError::Invalid("bin count 0".into())),
            Method::BinWidth { width, .. } if !(width.is_finite() && width > 0.0) => Err(
                DiscretiseError::Invalid(format!("bin width {width} (expected > 0)")),
            ),
            _ => Ok(()),
        }
    }
}

/// Discretises the intensities inside `mask`.
///
/// `lower_bound` is the lower bound of the re-segmentation range (used by
/// [`BinOrigin::Ibsi`]); `None` or `-inf` means the ROI minimum.
///
/// # Formula
/// See the module documentation. For fixed bin size `n_g` is the highest level present;
/// for fixed bin number it is the bin count.
///
/// # Degenerate cases
/// With fixed bin number and a single intensity (`x_max = x_min`) every voxel gets level 1
/// (a warning is logged).
///
/// # Errors
/// [`DiscretiseError`] for an empty mask, invalid parameters or mismatched shapes.
pub fn discretise(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    method: Method,
    lower_bound: Option<f64>,
) -> Result<Discretised, DiscretiseError> {
    method.validate()?;
    if image.dim() != mask.dim() {
        let (a, b) = (image.dim(), mask.dim());
        return Err(DiscretiseError::Shape {
            image: [a.0, a.1, a.2],
            mask: [b.0, b.1, b.2],
        });
    }

    // ROI range.
    let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
    Zip::from(image).and(mask).for_each(|&x, &m| {
        if m {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
        }
    });
    if x_min > x_max {
        return Err(DiscretiseError::Empty);
    }

    // Level of one intensity.
    let level: Box<dyn Fn(f64) -> u32> = match method {
        Method::BinCount(n_g) => {
            let span = x_max - x_min;
            if span <= 0.0 {
                tracing::warn!(
                    "discretisation: one intensity in the ROI ({x_min}); every voxel gets \
                     grey level 1"
                );
                Box::new(|_| 1)
            } else {
                Box::new(move |x| {
                    let b = (n_g as f64 * (x - x_min) / span).floor() as i64 + 1;
                    b.clamp(1, n_g as i64) as u32
                })
            }
        }
        Method::BinWidth { width, origin } => {
            let start = match origin {
                BinOrigin::Ibsi => match lower_bound {
                    Some(lo) if lo.is_finite() => lo,
                    _ => x_min,
                },
                BinOrigin::Pyradiomics => (x_min / width).floor() * width,
            };
            Box::new(move |x| {
                let b = ((x - start) / width).floor() as i64 + 1;
                b.max(1) as u32
            })
        }
    };

    let levels = Zip::from(image)
        .and(mask)
        .map_collect(|&x, &m| if m { level(x) } else { 0 });
    let n_g = match method {
        Method::BinCount(n) => n,
        Method::BinWidth { .. } => levels.iter().copied().max().unwrap_or(1),
    };
    Ok(Discretised { levels, n_g })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn row(values: &[f64]) -> (Array3<f64>, Array3<bool>) {
        let img = Array3::from_shape_vec((1, 1, values.len()), values.to_vec()).unwrap();
        let m = img.mapv(|_| true);
        (img, m)
    }

    #[test]
    fn fixed_bin_size_starts_at_resegmentation_bound() {
        // IBSI 2.7.2 with x_min = -500, w = 25: -500 -> 1, -476 -> 1, -475 -> 2, 377 -> 36
        // (the config A maximum discretised intensity in the reference table is 36).
        let (img, m) = row(&[-500.0, -476.0, -475.0, 377.0]);
        let method = Method::BinWidth {
            width: 25.0,
            origin: BinOrigin::Ibsi,
        };
        let d = discretise(&img, &m, method, Some(-500.0)).unwrap();
        assert_eq!(
            d.levels.iter().copied().collect::<Vec<_>>(),
            vec![1, 1, 2, 36]
        );
        assert_eq!(d.n_g, 36);
    }

    #[test]
    fn fixed_bin_size_pyradiomics_aligns_to_multiples() {
        // min 468, w 25: first edge 450, so 468 -> 1, 475 -> 2, 499 -> 2, 500 -> 3.
        let (img, m) = row(&[468.0, 475.0, 499.0, 500.0]);
        let method = Method::BinWidth {
            width: 25.0,
            origin: BinOrigin::Pyradiomics,
        };
        let d = discretise(&img, &m, method, None).unwrap();
        assert_eq!(
            d.levels.iter().copied().collect::<Vec<_>>(),
            vec![1, 2, 2, 3]
        );
    }

    #[test]
    fn fixed_bin_number_puts_maximum_in_top_bin() {
        let (img, m) = row(&[0.0, 0.5, 0.99, 1.0]);
        let d = discretise(&img, &m, Method::BinCount(4), None).unwrap();
        assert_eq!(
            d.levels.iter().copied().collect::<Vec<_>>(),
            vec![1, 3, 4, 4]
        );
        assert_eq!(d.n_g, 4);
    }

    #[test]
    fn fixed_bin_number_one_intensity_is_level_one() {
        let (img, m) = row(&[7.0, 7.0]);
        let d = discretise(&img, &m, Method::BinCount(32), None).unwrap();
        assert!(d.levels.iter().all(|&l| l == 1));
    }

    #[test]
    fn empty_mask_is_an_error() {
        let (img, _) = row(&[1.0]);
        let m = img.mapv(|_| false);
        assert_eq!(
            discretise(&img, &m, Method::BinCount(4), None),
            Err(DiscretiseError::Empty)
        );
    }

    #[test]
    fn zero_width_is_rejected() {
        let (img, m) = row(&[1.0]);
        let method = Method::BinWidth {
            width: 0.0,
            origin: BinOrigin::Ibsi,
        };
        assert!(matches!(
            discretise(&img, &m, method, None),
            Err(DiscretiseError::Invalid(_))
        ));
    }
}
