//! Laws kernels and texture energy (IBSI-2 manual, section "Laws kernels", IBSI-2 code JTXT).
//!
//! # Formula
//! The 1D kernels (normalised to unit Euclidean norm, as in the manual's table):
//!
//! ```text
//! L3 = [1 2 1] / sqrt(6)      E3 = [-1 0 1] / sqrt(2)    S3 = [-1 2 -1] / sqrt(6)
//! L5 = [1 4 6 4 1] / sqrt(70) E5 = [-1 -2 0 2 1] / sqrt(10)
//! S5 = [-1 0 2 0 -1] / sqrt(6) W5 = [-1 2 0 -2 1] / sqrt(10)
//! R5 = [1 -4 6 -4 1] / sqrt(70)
//! ```
//!
//! A filter name such as `E5L5S5` is the outer product of one kernel per axis, in the
//! order x, y, z (2D: x, y). The energy map is the mean of `|response|` over a
//! `(2 delta + 1)^d` neighbourhood (same boundary rule), computed after any rotation
//! pooling (manual, "Laws kernels", energy map).

use ndarray::Array3;

use super::boundary::Boundary;
use super::mean::mean;
use super::separable::{convolve_separable, Kernel1d};
use super::{Dims, FilterError};

/// The normalised 1D Laws kernel named `name` (`L3`, `E3`, `S3`, `L5`, `E5`, `S5`, `W5`,
/// `R5`).
pub fn kernel(name: &str) -> Option<Kernel1d> {
    let (taps, norm2): (&[f64], f64) = match name {
        "L3" => (&[1.0, 2.0, 1.0], 6.0),
        "E3" => (&[-1.0, 0.0, 1.0], 2.0),
        "S3" => (&[-1.0, 2.0, -1.0], 6.0),
        "L5" => (&[1.0, 4.0, 6.0, 4.0, 1.0], 70.0),
        "E5" => (&[-1.0, -2.0, 0.0, 2.0, 1.0], 10.0),
        "S5" => (&[-1.0, 0.0, 2.0, 0.0, -1.0], 6.0),
        "W5" => (&[-1.0, 2.0, 0.0, -2.0, 1.0], 10.0),
        "R5" => (&[1.0, -4.0, 6.0, -4.0, 1.0], 70.0),
        _ => return None,
    };
    let s = 1.0 / norm2.sqrt();
    Some(Kernel1d::centred(taps.iter().map(|t| t * s).collect()))
}

/// Splits a name like `E5L5S5` into its 1D kernels (x first).
///
/// # Errors
/// [`FilterError::Invalid`] for an unknown kernel or a count other than `dims`.
pub fn parse(name: &str, dims: Dims) -> Result<Vec<Kernel1d>, FilterError> {
    let bad = || FilterError::Invalid(format!("Laws kernel {name:?}"));
    let up = name.to_ascii_uppercase();
    if up.len() % 2 != 0 || !up.is_ascii() {
        return Err(bad());
    }
    let ks: Vec<Kernel1d> = (0..up.len() / 2)
        .map(|i| kernel(&up[2 * i..2 * i + 2]).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    if ks.len() != dims.axes().len() {
        return Err(FilterError::Invalid(format!(
            "Laws kernel {name:?} has {} factors, expected {} for {dims:?}",
            ks.len(),
            dims.axes().len()
        )));
    }
    Ok(ks)
}

/// Laws response for kernels given x first (array axes `[z, y, x]`).
pub fn laws(data: &Array3<f64>, kernels: &[Kernel1d], boundary: Boundary) -> Array3<f64> {
    // Kernel i acts along spatial axis i: x -> array axis 2, y -> 1, z -> 0.
    let passes: Vec<(usize, &Kernel1d)> = kernels
        .iter()
        .enumerate()
        .map(|(i, k)| (2 - i, k))
        .collect();
    convolve_separable(data, &passes, 1, boundary)
}

/// Texture energy: the mean of `|response|` over a `(2 delta + 1)^d` neighbourhood.
pub fn energy(response: &Array3<f64>, delta: usize, dims: Dims, boundary: Boundary) -> Array3<f64> {
    mean(&response.mapv(f64::abs), 2 * delta + 1, dims, boundary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_have_unit_norm() {
        for n in ["L3", "E3", "S3", "L5", "E5", "S5", "W5", "R5"] {
            let k = kernel(n).unwrap();
            let norm: f64 = k.taps.iter().map(|t| t * t).sum();
            assert!((norm - 1.0).abs() < 1e-12, "{n}");
        }
    }

    #[test]
    fn parse_rejects_wrong_factor_counts() {
        assert!(parse("L5E5", Dims::D3).is_err());
        assert!(parse("L5X5", Dims::D2).is_err());
        assert_eq!(parse("l5e5", Dims::D2).unwrap().len(), 2);
    }
}
