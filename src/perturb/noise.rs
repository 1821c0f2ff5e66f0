//! Gaussian noise addition, and the noise level of an image by the wavelet
//! median-absolute-deviation (MAD) estimator.
//!
//! # Estimator
//! ```text
//! d_ij   = (x[2i][2j] - x[2i][2j+1] - x[2i+1][2j] + x[2i+1][2j+1]) / 2
//! sigma  = median(|d|) / 0.6745
//! ```
//! `d` are the coefficients of the finest diagonal (HH) sub-band of the orthonormal 2D
//! Haar transform of each slice; for white Gaussian noise of SD sigma they are
//! N(0, sigma^2), and 0.6745 is the median of |N(0, 1)|, so the median of |d| estimates
//! sigma robustly against the few large coefficients at edges (Donoho & Johnstone 1994,
//! "Ideal spatial adaptation by wavelet shrinkage", Biometrika 81(3):425-455).
//!
//! Limitation: 2x2 blocks whose four values are equal are left out. Scanners pad outside
//! the field of view and clip air to a constant, and those flat blocks would pull the
//! median to 0; genuinely noisy blocks are almost never exactly flat. Slices are used
//! in-plane only because the slice spacing often differs from the in-plane spacing.

use ndarray::Array3;

use super::PerturbError;
use rand::Rng;
use rand_distr::StandardNormal;

use super::region::flat_index;
use crate::stats::rng::Stream;

/// `median(|N(0, 1)|)`, the MAD-to-SD factor of the estimator.
pub const MAD_FACTOR: f64 = 0.6745;

/// The estimated noise level and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseEstimate {
    /// Estimated noise SD, in intensity units.
    pub sigma: f64,
    /// Haar HH coefficients used.
    pub n_coefficients: usize,
    /// 2x2 blocks left out because they were flat.
    pub n_flat: usize,
}

/// Estimates the noise SD of `data` (`[z][y][x]`) by the wavelet MAD estimator (module
/// doc), the array being the whole scan.
///
/// # Errors
/// [`PerturbError::Noise`] when no slice has a 2x2 block or every block is flat.
pub fn estimate_sigma(data: &Array3<f64>) -> Result<NoiseEstimate, PerturbError> {
    estimate_sigma_placed(data, [0; 3])
}

/// [`estimate_sigma`] on a part of a scan placed at `offset` (`(x, y, z)`): the 2x2
/// blocks start at even scan indices, so a block is the same whatever part is read.
///
/// # Errors
/// As [`estimate_sigma`].
pub fn estimate_sigma_placed(
    data: &Array3<f64>,
    offset: [usize; 3],
) -> Result<NoiseEstimate, PerturbError> {
    let (nz, ny, nx) = data.dim();
    let (x0, y0) = (offset[0] % 2, offset[1] % 2);
    let (bx, by) = (nx.saturating_sub(x0) / 2, ny.saturating_sub(y0) / 2);
    let mut d: Vec<f64> = Vec::with_capacity(nz * by * bx);
    let mut n_flat = 0usize;
    for z in 0..nz {
        for j in 0..by {
            for i in 0..bx {
                let (x, y) = (x0 + 2 * i, y0 + 2 * j);
                let a = data[[z, y, x]];
                let b = data[[z, y, x + 1]];
                let c = data[[z, y + 1, x]];
                let e = data[[z, y + 1, x + 1]];
                if a == b && a == c && a == e {
                    n_flat += 1;
                    continue;
                }
                d.push(((a - b - c + e) / 2.0).abs());
            }
        }
    }
    if d.is_empty() {
        return Err(PerturbError::Noise(format!(
            "no non-flat 2x2 block in a {nx}x{ny}x{nz} image"
        )));
    }
    let n_coefficients = d.len();
    let median = median_in_place(&mut d);
    Ok(NoiseEstimate {
        sigma: median / MAD_FACTOR,
        n_coefficients,
        n_flat,
    })
}

/// Adds N(0, sigma^2) noise to every voxel of `data`, the array being the whole scan
/// (see [`add_noise_placed`]).
pub fn add_noise(data: &mut Array3<f64>, sigma: f64, rng: &mut Stream) {
    let (nz, ny, nx) = data.dim();
    add_noise_placed(data, [0; 3], [nx, ny, nz], sigma, rng);
}

/// Adds N(0, sigma^2) noise to `data`, a part of a scan of size `full` (`(x, y, z)`)
/// placed at `offset`.
///
/// The draw of a voxel is keyed by its flat index `g` in the scan: a 64-bit key is drawn
/// once from `rng`, and the voxel's deviate is the ziggurat normal sampler
/// (`rand_distr::StandardNormal`) fed by a SplitMix64 generator (Steele, Lea & Flood
/// 2014, "Fast splittable pseudorandom number generators", OOPSLA) started at a hash of
/// the key and `g`. So a voxel gets the same noise whatever part of the scan is
/// perturbed, and a crop around the ROI gives the same image as the whole scan; the cost
/// is a few nanoseconds per voxel.
pub fn add_noise_placed(
    data: &mut Array3<f64>,
    offset: [usize; 3],
    full: [usize; 3],
    sigma: f64,
    rng: &mut Stream,
) {
    if sigma == 0.0 {
        return;
    }
    let key = rng.next_u64();
    if !data.is_standard_layout() {
        *data = data.as_standard_layout().to_owned();
    }
    let (nz, ny, nx) = data.dim();
    let flat = data
        .as_slice_mut()
        .expect("invariant: a standard-layout array has a slice");
    for z in 0..nz {
        for y in 0..ny {
            let g = flat_index(offset[0], offset[1] + y, offset[2] + z, full);
            for (i, v) in flat[(z * ny + y) * nx..][..nx].iter_mut().enumerate() {
                let mut r = VoxelRng::new(key, (g + i) as u64);
                let n: f64 = rand::RngExt::sample(&mut r, StandardNormal);
                *v += sigma * n;
            }
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the state advances by the golden gamma and
/// each output is the state through the MurmurHash3-style finaliser.
struct VoxelRng(u64);

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl VoxelRng {
    /// The generator of voxel `g` under `key`: the state is the finalised `key + g
    /// GAMMA`, so neighbouring voxels start at unrelated states.
    fn new(key: u64, g: u64) -> Self {
        Self(mix(key.wrapping_add(g.wrapping_mul(GAMMA))))
    }
}

/// The SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl rand::TryRng for VoxelRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(GAMMA);
        Ok(mix(self.0))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let w = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// Median of a non-empty slice (mean of the two middle values for even lengths).
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let mid = n / 2;
    let (lower, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + m) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng;

    fn flat(value: f64, shape: (usize, usize, usize)) -> Array3<f64> {
        Array3::from_elem(shape, value)
    }

    #[test]
    fn added_noise_has_the_requested_sd_on_a_flat_phantom() {
        // 64 x 64 x 16 = 65536 voxels: the SD of the sample SD is sigma / sqrt(2n),
        // 0.28 % of sigma, so 1.5 % is over 5 standard errors.
        let mut data = flat(100.0, (16, 64, 64));
        let mut r = rng::stream(11, "test/noise");
        add_noise(&mut data, 12.5, &mut r);
        let n = data.len() as f64;
        let mean = data.sum() / n;
        let sd = (data.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!((sd - 12.5).abs() < 0.015 * 12.5, "sd {sd}");
        assert!((mean - 100.0).abs() < 0.2, "mean {mean}");
    }

    #[test]
    fn mad_estimate_recovers_the_sd_of_added_noise() {
        // The estimator's SE is about 1.36 sigma / sqrt(n_coef) (MAD efficiency 0.37):
        // 16384 coefficients give 1.1 %; 5 % is over 4 standard errors.
        let mut data = flat(-20.0, (16, 64, 64));
        add_noise(&mut data, 7.0, &mut rng::stream(3, "test/mad"));
        let e = estimate_sigma(&data).unwrap();
        assert_eq!(e.n_coefficients, 16 * 32 * 32);
        assert!((e.sigma - 7.0).abs() < 0.05 * 7.0, "{e:?}");
    }

    #[test]
    fn mad_estimate_ignores_edges_and_flat_padding() {
        // Two half-spaces 500 apart (edges between blocks), noise SD 5, and a flat padded
        // band of slices that would otherwise give sigma = 0.
        let mut data =
            Array3::from_shape_fn((16, 64, 64), |(_, _, x)| if x < 33 { 0.0 } else { 500.0 });
        add_noise(&mut data, 5.0, &mut rng::stream(5, "test/edges"));
        let mut padded = Array3::from_elem((40, 64, 64), -1024.0);
        padded.slice_mut(ndarray::s![..16, .., ..]).assign(&data);
        let e = estimate_sigma(&padded).unwrap();
        assert_eq!(e.n_flat, 24 * 32 * 32);
        assert!((e.sigma - 5.0).abs() < 0.05 * 5.0, "{e:?}");
    }

    #[test]
    fn flat_image_cannot_be_estimated() {
        assert!(matches!(
            estimate_sigma(&flat(3.0, (2, 4, 4))),
            Err(PerturbError::Noise(_))
        ));
    }

    #[test]
    fn median_of_even_and_odd_lengths() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
