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
//! that is a true convolution (the kernel is flipped), as in the IBSI-2 manual (section
//! 2.2, eq. 1). Voxels outside the image come from the [`Boundary`] rule.

use ndarray::{Array3, Axis};

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
pub fn convolve_axis(
    data: &Array3<f64>,
    axis: usize,
    kernel: &Kernel1d,
    dilation: usize,
    boundary: Boundary,
) -> Array3<f64> {
    let n = data.len_of(Axis(axis));
    let k_len = kernel.taps.len();
    let c = kernel.centre;
    let pad_lo = (k_len - 1 - c) * dilation;
    let pad_hi = c * dilation;
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    if n == 0 {
        return out;
    }

    // Where each padded position comes from (None = zero).
    let source: Vec<Option<usize>> = (0..n + pad_lo + pad_hi)
        .map(|j| boundary.index(j as isize - pad_lo as isize, n))
        .collect();

    let mut buf = vec![0.0; source.len()];
    for (lane_in, mut lane_out) in data
        .lanes(Axis(axis))
        .into_iter()
        .zip(out.lanes_mut(Axis(axis)))
    {
        for (b, s) in buf.iter_mut().zip(&source) {
            *b = s.map_or(0.0, |i| lane_in[i]);
        }
        for (i, o) in lane_out.iter_mut().enumerate() {
            // Tap t reads padded position i + pad_lo + (c - t) s = i + (K - 1 - t) s.
            let mut acc = 0.0;
            for (t, &k) in kernel.taps.iter().enumerate() {
                acc += k * buf[i + (k_len - 1 - t) * dilation];
            }
            *o = acc;
        }
    }
    out
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
        assert_eq!(out.iter().copied().collect::<Vec<_>>(), [0.0, 1.0, 2.0, 3.0, 0.0]);
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
