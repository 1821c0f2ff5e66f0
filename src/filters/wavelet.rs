//! Separable undecimated wavelets (IBSI-2 manual, section "Separable wavelets").
//!
//! # Method
//! The stationary ("à trous") transform: level `j` applies, along each axis, the
//! low-pass `h` or high-pass `g` filter with its taps spaced `2^(j-1)` voxels apart, to
//! the all-low-pass (`LLL`) response of level `j - 1` (level 0 is the image). A sub-band
//! name gives one letter per axis, x first (`LHL` = low-pass along x, high-pass along y,
//! low-pass along z; 2D: `LH`). Nothing is decimated, so every response has the image's
//! size.
//!
//! # Formula
//! Orthonormal decomposition filters (sum of low-pass taps `sqrt(2)`), as tabulated by
//! Daubechies, "Ten lectures on wavelets" (1992), table 6.1 (`dbN`, `haar` = `db1`) and
//! section 8.2 (coiflets). The high-pass filter is the quadrature mirror
//! `g[k] = (-1)^(k+1) h[K - 1 - k]`. Taps are listed in convolution order (the
//! decomposition filters); the alignment of even-length kernels is [`centre`].

use ndarray::Array3;

use super::boundary::Boundary;
use super::separable::{convolve_axis, Kernel1d};
use super::FilterError;

/// Decomposition low-pass filter of a wavelet family member, taps in convolution order.
pub fn low_pass(name: &str) -> Option<Vec<f64>> {
    let s2 = std::f64::consts::SQRT_2;
    let s3 = 3f64.sqrt();
    let h: Vec<f64> = match name {
        "haar" | "db1" => vec![1.0 / s2, 1.0 / s2],
        "db2" => {
            let d = 4.0 * s2;
            vec![
                (1.0 - s3) / d,
                (3.0 - s3) / d,
                (3.0 + s3) / d,
                (1.0 + s3) / d,
            ]
        }
        "db3" => vec![
            0.035_226_291_882_100_656,
            -0.085_441_273_882_241_49,
            -0.135_011_020_010_390_84,
            0.459_877_502_119_331_3,
            0.806_891_509_313_338_8,
            0.332_670_552_950_956_9,
        ],
        "coif1" => vec![
            -0.015_655_728_135_464_54,
            -0.072_732_619_512_853_9,
            0.384_864_846_864_202_86,
            0.852_572_020_212_255_4,
            0.337_897_662_457_809_2,
            -0.072_732_619_512_853_9,
        ],
        _ => return None,
    };
    Some(h)
}

/// The high-pass quadrature mirror of `h`.
pub fn high_pass(h: &[f64]) -> Vec<f64> {
    let k = h.len();
    (0..k)
        .map(|i| {
            let sign = if i % 2 == 0 { -1.0 } else { 1.0 };
            sign * h[k - 1 - i]
        })
        .collect()
}

/// The tap applied to the output voxel itself: `K / 2` (for even `K`, the later of the
/// two middle taps). This alignment reproduces the IBSI-2 single-orientation maps 5.a.1
/// (db2) and 6.a.1 (coif1) to 1e-5.
pub fn centre(len: usize) -> usize {
    len / 2
}

/// Sub-band response at `level` (>= 1) for `letters` (x first, `L`/`H`), array axes
/// `[z, y, x]`.
///
/// # Errors
/// [`FilterError::Invalid`] for an unknown family, a bad sub-band or level 0.
pub fn subband(
    data: &Array3<f64>,
    family: &str,
    letters: &str,
    level: usize,
    boundary: Boundary,
) -> Result<Array3<f64>, FilterError> {
    let h = low_pass(family)
        .ok_or_else(|| FilterError::Invalid(format!("unknown wavelet {family:?}")))?;
    let bands: Vec<bool> = letters
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'L' => Ok(false),
            'H' => Ok(true),
            _ => Err(FilterError::Invalid(format!("sub-band {letters:?}"))),
        })
        .collect::<Result<_, _>>()?;
    if level == 0 || !(2..=3).contains(&bands.len()) {
        return Err(FilterError::Invalid(format!(
            "wavelet sub-band {letters:?} level {level}"
        )));
    }
    let c = centre(h.len());
    let lo = Kernel1d {
        taps: h.clone(),
        centre: c,
    };
    let hi = Kernel1d {
        taps: high_pass(&h),
        centre: c,
    };

    // Low-pass approximations down to level - 1, then the requested band.
    let axes: Vec<usize> = (0..bands.len()).map(|i| 2 - i).collect();
    let mut approx = data.clone();
    for j in 1..level {
        for &a in &axes {
            approx = convolve_axis(&approx, a, &lo, 1 << (j - 1), boundary);
        }
    }
    let dil = 1 << (level - 1);
    let mut out = approx;
    for (&a, &high) in axes.iter().zip(&bands) {
        out = convolve_axis(&out, a, if high { &hi } else { &lo }, dil, boundary);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_orthonormal_with_sqrt2_sum() {
        for name in ["haar", "db2", "db3", "coif1"] {
            let h = low_pass(name).unwrap();
            let sum: f64 = h.iter().sum();
            let norm: f64 = h.iter().map(|v| v * v).sum();
            assert!((sum - std::f64::consts::SQRT_2).abs() < 1e-9, "{name}");
            assert!((norm - 1.0).abs() < 1e-9, "{name}");
            let g = high_pass(&h);
            assert!(g.iter().sum::<f64>().abs() < 1e-9, "{name}");
        }
    }
}
