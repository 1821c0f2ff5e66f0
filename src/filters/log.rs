//! Laplacian of Gaussian (IBSI-2 manual, section 4.2 "Laplacian of Gaussian").
//!
//! # Formula
//! With `sigma` in voxels (the mm value divided by the spacing) and `d` dimensions:
//!
//! ```text
//! h(x) = -1/sigma^2 * (1 / (sqrt(2 pi) sigma))^d * (d - |x|^2 / sigma^2)
//!        * exp(-|x|^2 / (2 sigma^2))
//! ```
//!
//! truncated to `M = 1 + 2 floor(c sigma + 0.5)` voxels per side, `c` the cutoff in
//! units of `sigma` (IBSI default 4). The kernel is not re-normalised.
//!
//! # Method
//! The kernel is exactly the sum over axes `a` of `g''_a(x_a) prod_{b != a} g_b(x_b)`,
//! with `g` the normalised 1D Gaussian and `g'' = g (x^2/sigma^4 - 1/sigma^2)`, so it is
//! applied as `d` separable products (`d^2` one-dimensional passes): for `M = 25`
//! this is 75 multiply-adds per voxel in 3D instead of 15 625. With an anisotropic
//! grid each axis uses its own `sigma` in voxels (the Laplacian is taken in voxel
//! units, which the IBSI definition is on isotropic grids).

use ndarray::Array3;

use super::boundary::Boundary;
use super::separable::{convolve_separable, Kernel1d};
use super::Dims;

/// The normalised 1D Gaussian and its second derivative for `sigma` voxels, truncated
/// at `cutoff * sigma`.
pub fn gaussian_pair(sigma: f64, cutoff: f64) -> (Kernel1d, Kernel1d) {
    let r = (cutoff * sigma + 0.5).floor() as isize;
    let norm = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * sigma);
    let g: Vec<f64> = (-r..=r)
        .map(|x| norm * (-((x * x) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let g2: Vec<f64> = (-r..=r)
        .zip(&g)
        .map(|(x, &gx)| gx * ((x * x) as f64 / sigma.powi(4) - 1.0 / (sigma * sigma)))
        .collect();
    (Kernel1d::centred(g), Kernel1d::centred(g2))
}

/// LoG response; `sigma_vox` is `sigma` in voxels along the array axes `[z, y, x]`.
pub fn log(
    data: &Array3<f64>,
    sigma_vox: [f64; 3],
    cutoff: f64,
    dims: Dims,
    boundary: Boundary,
) -> Array3<f64> {
    let axes = dims.axes();
    let pairs: Vec<(Kernel1d, Kernel1d)> = axes
        .iter()
        .map(|&a| gaussian_pair(sigma_vox[a], cutoff))
        .collect();

    // One term per axis: the second derivative along it, Gaussians along the others.
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    for (t, _) in axes.iter().enumerate() {
        let passes: Vec<(usize, &Kernel1d)> = axes
            .iter()
            .zip(&pairs)
            .enumerate()
            .map(|(i, (&a, (g, g2)))| (a, if i == t { g2 } else { g }))
            .collect();
        out += &convolve_separable(data, &passes, 1, boundary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_of_impulse_response_matches_the_closed_form() {
        // h(0) = -d / sigma^2 (1 / (sqrt(2 pi) sigma))^d, the IBSI formula at x = 0.
        let mut a = Array3::zeros((9, 9, 9));
        a[[4, 4, 4]] = 1.0;
        let s = 1.5;
        let out = log(&a, [s; 3], 4.0, Dims::D3, Boundary::Zero);
        let want = -3.0 / (s * s) * (1.0 / ((2.0 * std::f64::consts::PI).sqrt() * s)).powi(3);
        assert!((out[[4, 4, 4]] - want).abs() < 1e-12);
    }
}
