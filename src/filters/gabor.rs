//! Gabor filters (IBSI-2 manual, section "Gabor filters", IBSI-2 code Q88H): 2D complex filters in
//! one image plane, the response being the modulus of the complex response, optionally
//! averaged over orientations and over the three orthogonal planes (the manual's
//! approximation of 3D rotation invariance).
//!
//! # Formula
//! With `(x, y)` in mm in the plane and `theta` the orientation:
//!
//! ```text
//! x~ =  x cos(theta) + y sin(theta)
//! y~ = -x sin(theta) + y cos(theta)
//! h(x, y) = exp(-(x~^2 + gamma^2 y~^2) / (2 sigma^2)) * exp(i 2 pi x~ / lambda)
//! ```
//!
//! The kernel is not normalised: the IBSI reference response of a 255 impulse peaks at
//! 255 (`../shared/data/ibsi2/README.md`). The kernel is truncated at
//! `M = 1 + 2 floor(c s + 0.5)` voxels per side, `s` the larger Gaussian axis
//! (`sigma / min(1, gamma)`) in voxels and `c = 4`.
//!
//! # Method
//! Each plane is padded with the boundary rule by the kernel radius and convolved by
//! FFT (radix 2 on the next power of two): the padded slice is transformed once and
//! each orientation costs one inverse transform. Direct convolution would cost `M^2`
//! complex products per voxel (6 561 for `M = 81`); the FFT path costs about
//! `4 log2(N)` per padded voxel and wins from `M` of about 9, so Gabor always uses it.

use ndarray::{Array2, Array3, Axis};
use rayon::prelude::*;

use super::boundary::Boundary;
use super::fft::{Plan, C64};

/// The image planes, as pairs of array axes (row axis, column axis); the kernel's `x`
/// runs along the column axis.
pub const AXIAL: (usize, usize) = (1, 2);
/// Coronal plane (z rows, x columns).
pub const CORONAL: (usize, usize) = (0, 2);
/// Sagittal plane (z rows, y columns).
pub const SAGITTAL: (usize, usize) = (0, 1);

/// Gabor parameters in mm and radians.
#[derive(Debug, Clone, PartialEq)]
pub struct Gabor {
    /// Gaussian envelope width `sigma` (mm).
    pub sigma: f64,
    /// Wavelength `lambda` (mm).
    pub lambda: f64,
    /// Spatial aspect ratio `gamma`.
    pub gamma: f64,
    /// Orientations `theta` (radians); the responses' moduli are averaged.
    pub thetas: Vec<f64>,
    /// Truncation in units of the larger Gaussian axis.
    pub cutoff: f64,
}

/// The complex kernel for one orientation, rows then columns, centred.
fn kernel(g: &Gabor, theta: f64, spacing_rc: [f64; 2], radius: [usize; 2]) -> Array2<C64> {
    let [rr, rc] = radius.map(|r| r as isize);
    let (sin_t, cos_t) = theta.sin_cos();
    Array2::from_shape_fn((2 * rr as usize + 1, 2 * rc as usize + 1), |(i, j)| {
        let y = (i as isize - rr) as f64 * spacing_rc[0];
        let x = (j as isize - rc) as f64 * spacing_rc[1];
        let xt = x * cos_t + y * sin_t;
        let yt = -x * sin_t + y * cos_t;
        let env = (-(xt * xt + g.gamma * g.gamma * yt * yt) / (2.0 * g.sigma * g.sigma)).exp();
        C64::cis(2.0 * std::f64::consts::PI * xt / g.lambda).scale(env)
    })
}

/// 2D FFT of a flat row-major buffer `n_r x n_c`.
fn fft2(buf: &mut [C64], n_r: usize, n_c: usize, rows: &Plan, cols: &Plan, inverse: bool) {
    for row in buf.chunks_mut(n_c) {
        if inverse {
            cols.inverse(row)
        } else {
            cols.forward(row)
        }
    }
    let mut tmp = vec![C64::default(); n_r];
    for c in 0..n_c {
        for r in 0..n_r {
            tmp[r] = buf[r * n_c + c];
        }
        if inverse {
            rows.inverse(&mut tmp)
        } else {
            rows.forward(&mut tmp)
        }
        for r in 0..n_r {
            buf[r * n_c + c] = tmp[r];
        }
    }
}

/// Orientation-averaged Gabor modulus in one plane of every slice. `spacing` is in array
/// order `[z, y, x]` (mm); `plane` is one of [`AXIAL`], [`CORONAL`], [`SAGITTAL`] (row
/// axis before column axis). Slices run in parallel; each is computed independently, so
/// the result does not depend on the thread count.
pub fn gabor_plane(
    data: &Array3<f64>,
    plane: (usize, usize),
    spacing: [f64; 3],
    g: &Gabor,
    boundary: Boundary,
) -> Array3<f64> {
    let (ar, ac) = plane;
    debug_assert!(ar < ac, "plane axes in increasing order");
    let slice_axis = 3 - ar - ac;
    let (n_r, n_c) = (data.len_of(Axis(ar)), data.len_of(Axis(ac)));
    let spacing_rc = [spacing[ar], spacing[ac]];
    let s_max = g.sigma / g.gamma.min(1.0);
    let radius = spacing_rc.map(|s| (g.cutoff * s_max / s + 0.5).floor() as usize);

    // FFT grid: no circular wrap reaches the kept outputs when N >= n + 2 r.
    let big_r = (n_r + 2 * radius[0]).next_power_of_two();
    let big_c = (n_c + 2 * radius[1]).next_power_of_two();
    let (rows, cols) = (Plan::new(big_r), Plan::new(big_c));

    // Kernel transforms, one per orientation modulo pi: for a real image the kernel at
    // theta + pi is the conjugate of the one at theta, so the moduli are equal.
    let mut distinct: Vec<(f64, f64)> = Vec::new();
    for &theta in &g.thetas {
        let t = theta.rem_euclid(std::f64::consts::PI);
        match distinct.iter_mut().find(|(u, _)| (u - t).abs() < 1e-9) {
            Some((_, w)) => *w += 1.0,
            None => distinct.push((t, 1.0)),
        }
    }
    let kernels_hat: Vec<(Vec<C64>, f64)> = distinct
        .iter()
        .map(|&(theta, weight)| {
            let k = kernel(g, theta, spacing_rc, radius);
            let mut buf = vec![C64::default(); big_r * big_c];
            for ((i, j), &v) in k.indexed_iter() {
                let r = (i as isize - radius[0] as isize).rem_euclid(big_r as isize) as usize;
                let c = (j as isize - radius[1] as isize).rem_euclid(big_c as isize) as usize;
                buf[r * big_c + c] = v;
            }
            fft2(&mut buf, big_r, big_c, &rows, &cols, false);
            (buf, weight)
        })
        .collect();

    // Where each padded row and column comes from.
    let src_r: Vec<Option<usize>> = (0..n_r + 2 * radius[0])
        .map(|p| boundary.index(p as isize - radius[0] as isize, n_r))
        .collect();
    let src_c: Vec<Option<usize>> = (0..n_c + 2 * radius[1])
        .map(|p| boundary.index(p as isize - radius[1] as isize, n_c))
        .collect();

    let n_theta = g.thetas.len().max(1) as f64;
    let slices: Vec<usize> = (0..data.len_of(Axis(slice_axis))).collect();
    let planes: Vec<Array2<f64>> = slices
        .par_iter()
        .map(|&s| {
            let slice_in = data.index_axis(Axis(slice_axis), s);
            let mut padded = vec![C64::default(); big_r * big_c];
            for (p, sr) in src_r.iter().enumerate() {
                let Some(r) = sr else { continue };
                for (q, sc) in src_c.iter().enumerate() {
                    if let Some(c) = sc {
                        padded[p * big_c + q] = C64::new(slice_in[[*r, *c]], 0.0);
                    }
                }
            }
            fft2(&mut padded, big_r, big_c, &rows, &cols, false);

            let mut acc = Array2::<f64>::zeros((n_r, n_c));
            let mut work = vec![C64::default(); big_r * big_c];
            for (k_hat, weight) in &kernels_hat {
                for ((w, a), b) in work.iter_mut().zip(&padded).zip(k_hat) {
                    *w = a.mul(*b);
                }
                inverse_cropped(&mut work, big_r, big_c, &rows, &cols, radius[0], n_r);
                for ((r, c), v) in acc.indexed_iter_mut() {
                    *v += weight * work[(r + radius[0]) * big_c + c + radius[1]].abs();
                }
            }
            acc / n_theta
        })
        .collect();

    // The slice axis is removed, the plane axes keep their order (ar < ac).
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    for (s, plane) in slices.iter().zip(planes) {
        out.index_axis_mut(Axis(slice_axis), *s).assign(&plane);
    }
    out
}

/// Inverse 2D FFT where only rows `r0..r0 + n` of the result are needed: all columns,
/// then just those rows.
fn inverse_cropped(
    buf: &mut [C64],
    n_r: usize,
    n_c: usize,
    rows: &Plan,
    cols: &Plan,
    r0: usize,
    n: usize,
) {
    let mut tmp = vec![C64::default(); n_r];
    for c in 0..n_c {
        for r in 0..n_r {
            tmp[r] = buf[r * n_c + c];
        }
        rows.inverse(&mut tmp);
        for r in 0..n_r {
            buf[r * n_c + c] = tmp[r];
        }
    }
    for row in buf.chunks_mut(n_c).skip(r0).take(n) {
        cols.inverse(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_response_peaks_at_the_impulse_value() {
        let mut a = Array3::zeros((1, 31, 31));
        a[[0, 15, 15]] = 255.0;
        let g = Gabor {
            sigma: 3.0,
            lambda: 2.0,
            gamma: 1.0,
            thetas: vec![0.3],
            cutoff: 4.0,
        };
        let out = gabor_plane(&a, AXIAL, [1.0; 3], &g, Boundary::Zero);
        assert!((out[[0, 15, 15]] - 255.0).abs() < 1e-9);
        // One voxel off centre along x: the envelope exp(-1 / 18) of the modulus.
        let want = 255.0 * (-(0.3f64.cos().powi(2) + 0.3f64.sin().powi(2)) / 18.0).exp();
        assert!((out[[0, 15, 16]] - want).abs() < 1e-9);
    }
}
