//! Mean filter (IBSI-2 manual, section "Mean filter", IBSI-2 code S60F): the average over a cubic
//! (3D) or square (2D, axial) neighbourhood of `M` voxels per side.
//!
//! # Formula
//! `h[k] = 1 / M^d` for every offset `k` with `|k_a| <= (M - 1) / 2`, applied as `d`
//! one-dimensional passes with taps `1 / M`.

use ndarray::Array3;

use super::boundary::Boundary;
use super::separable::{convolve_separable, Kernel1d};
use super::Dims;

/// Mean filter response with support `m` voxels (odd) per side.
pub fn mean(data: &Array3<f64>, m: usize, dims: Dims, boundary: Boundary) -> Array3<f64> {
    let k = Kernel1d::centred(vec![1.0 / m as f64; m]);
    let passes: Vec<(usize, &Kernel1d)> = dims.axes().iter().map(|&a| (a, &k)).collect();
    convolve_separable(data, &passes, 1, boundary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_spreads_evenly_in_2d() {
        let mut a = Array3::zeros((3, 5, 5));
        a[[1, 2, 2]] = 9.0;
        let out = mean(&a, 3, Dims::D2, Boundary::Zero);
        assert!((out[[1, 1, 1]] - 1.0).abs() < 1e-12);
        assert_eq!(out[[0, 2, 2]], 0.0);
        assert!((out.sum() - 9.0).abs() < 1e-12);
    }
}
