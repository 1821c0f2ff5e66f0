//! One-dimensional convolution along one axis of a volume: the building block of every
//! separable filter (mean, LoG as a sum of separable terms, Laws, wavelets).
//!
//! # Formula
//! For a kernel `k` of length `K` with centre index `c` and dilation `s` (the
//! "à trous" spacing of undecimated wavelets, 1 otherwise), along one axis:
//!
//! ```text
//! out[i] = sum_{t=0}^{K-1} k[t] * in[i + (c - t) s]
//! ```
//!
//! that is a true convolution (the kernel is flipped), as in the IBSI-2 manual (convolution
//! definition). Voxels outside the image come from the [`Boundary`] rule.

use ndarray::Array3;
use rayon::prelude::*;

use super::boundary::Boundary;

/// A 1D kernel with its centre index.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel1d {
    /// Taps `k[0..K]`.
    pub taps: Vec<f64>,
    /// Index of the tap applied to the output voxel itself.
    pub centre: usize,
}

impl Kernel1d {
    /// An odd-length kernel centred in the middle.
    pub fn centred(taps: Vec<f64>) -> Self {
        let centre = taps.len() / 2;
        Self { taps, centre }
    }
}

/// Convolves every lane of `data` along array axis `axis` (0 = z, 1 = y, 2 = x) with
/// `kernel`, its taps spaced `dilation` voxels apart.
///
/// Work is split over z-slices (axes 0 and 1) or rows (axis 2) with rayon; each output
/// voxel sums its taps in a fixed order, so results do not depend on the thread count.
/// Along z and y whole rows are accumulated at once (contiguous memory).
pub fn convolve_axis(
    data: &Array3<f64>,
    axis: usize,
    kernel: &Kernel1d,
    dilation: usize,
    boundary: Boundary,
) -> Array3<f64> {
    let data = data.as_standard_layout();
    let (nz, ny, nx) = data.dim();
    let n = [nz, ny, nx][axis];
    if data.is_empty() {
        return Array3::zeros((nz, ny, nx));
    }
    let src = data.as_slice().expect("invariant: standard layout");
    let plane = ny * nx;
    let c = kernel.centre as isize;
    let dil = dilation as isize;

    // Source index along the axis for output index i and tap t (None = zero).
    let source = |i: usize, t: usize| boundary.index(i as isize + (c - t as isize) * dil, n);
    let accumulate = |o: &mut [f64], s: &[f64], k: f64| {
        for (a, b) in o.iter_mut().zip(s) {
            *a += k * b;
        }
    };

    let mut out = vec![0.0; nz * plane];
    match axis {
        0 => out.par_chunks_mut(plane).enumerate().for_each(|(z, o)| {
            for (t, &k) in kernel.taps.iter().enumerate() {
                if let Some(zs) = source(z, t) {
                    accumulate(o, &src[zs * plane..(zs + 1) * plane], k);
                }
            }
        }),
        1 => out.par_chunks_mut(plane).enumerate().for_each(|(z, o)| {
            let slice = &src[z * plane..(z + 1) * plane];
            for (y, row) in o.chunks_mut(nx).enumerate() {
                for (t, &k) in kernel.taps.iter().enumerate() {
                    if let Some(ys) = source(y, t) {
                        accumulate(row, &slice[ys * nx..(ys + 1) * nx], k);
                    }
                }
            }
        }),
        _ => {
            // Rows along x: a padded copy of the row, then a plain dot product per voxel.
            let k_len = kernel.taps.len();
            let pad_lo = (k_len - 1 - kernel.centre) * dilation;
            let pad_hi = kernel.centre * dilation;
            let map: Vec<Option<usize>> = (0..nx + pad_lo + pad_hi)
                .map(|j| boundary.index(j as isize - pad_lo as isize, nx))
                .collect();
            out.par_chunks_mut(nx).enumerate().for_each_init(
                || vec![0.0; map.len()],
                |buf, (r, o)| {
                    let s = &src[r * nx..(r + 1) * nx];
                    for (b, m) in buf.iter_mut().zip(&map) {
                        *b = m.map_or(0.0, |i| s[i]);
                    }
                    for (i, v) in o.iter_mut().enumerate() {
                        // Tap t reads padded position i + pad_lo + (c - t) s.
                        let mut acc = 0.0;
                        for (t, &k) in kernel.taps.iter().enumerate() {
                            acc += k * buf[i + (k_len - 1 - t) * dilation];
                        }
                        *v = acc;
                    }
                },
            );
        }
    }
    Array3::from_shape_vec((nz, ny, nx), out).expect("invariant: shape matches")
}

/// Applies one 1D kernel per listed array axis in turn (a separable kernel).
pub fn convolve_separable(
    data: &Array3<f64>,
    passes: &[(usize, &Kernel1d)],
    dilation: usize,
    boundary: Boundary,
) -> Array3<f64> {
    let mut cur = data.clone();
    for &(axis, k) in passes {
        cur = convolve_axis(&cur, axis, k, dilation, boundary);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convolution_flips_the_kernel() {
        // An impulse convolved with [1, 2, 3] (centre 1) reproduces the kernel in order.
        let mut a = Array3::zeros((1, 1, 5));
        a[[0, 0, 2]] = 1.0;
        let k = Kernel1d::centred(vec![1.0, 2.0, 3.0]);
        let out = convolve_axis(&a, 2, &k, 1, Boundary::Zero);
        assert_eq!(
            out.iter().copied().collect::<Vec<_>>(),
            [0.0, 1.0, 2.0, 3.0, 0.0]
        );
    }

    #[test]
    fn dilation_spreads_the_taps() {
        let mut a = Array3::zeros((1, 1, 7));
        a[[0, 0, 3]] = 1.0;
        let k = Kernel1d::centred(vec![1.0, 2.0, 3.0]);
        let out = convolve_axis(&a, 2, &k, 2, Boundary::Zero);
        let want = [0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0];
        assert_eq!(out.iter().copied().collect::<Vec<_>>(), want);
    }

    #[test]
    fn mirror_boundary_keeps_a_constant() {
        let a = Array3::from_elem((2, 3, 4), 5.0);
        let k = Kernel1d::centred(vec![0.25, 0.5, 0.25]);
        for axis in 0..3 {
            let out = convolve_axis(&a, axis, &k, 3, Boundary::Mirror);
            assert!(out.iter().all(|&v| (v - 5.0).abs() < 1e-12));
        }
    }
}
