//! Boundary conditions (padding) for convolution near the image border (IBSI-2 manual,
//! "Boundary conditions" in the convolution chapter): `zero` (constant 0), `nearest`
//! (edge voxel repeated), `periodic` (the image wraps around) and `mirror` (symmetric
//! reflection that repeats the edge voxel:
//! `... x1 x0 | x0 x1 ... x_{n-1} | x_{n-1} x_{n-2} ...`).

use serde::{Deserialize, Serialize};

/// How voxels outside the image are defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Boundary {
    /// Constant zero outside the image.
    Zero,
    /// The nearest edge voxel (edge replication).
    Nearest,
    /// Periodic continuation (wrap-around).
    Periodic,
    /// Symmetric reflection including the edge voxel (the IBSI-2 default).
    #[default]
    Mirror,
}

impl Boundary {
    /// Short name used in feature column names.
    pub fn tag(self) -> &'static str {
        match self {
            Boundary::Zero => "zero",
            Boundary::Nearest => "nearest",
            Boundary::Periodic => "periodic",
            Boundary::Mirror => "mirror",
        }
    }

    /// The in-image index that stands for index `i` of an axis of length `n`, or `None`
    /// when the voxel is zero (`Zero` outside the image). Works for any distance from the
    /// border (large kernels on small images fold repeatedly).
    pub fn index(self, i: isize, n: usize) -> Option<usize> {
        let n_i = n as isize;
        if (0..n_i).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Boundary::Zero => None,
            Boundary::Nearest => Some(i.clamp(0, n_i - 1) as usize),
            Boundary::Periodic => Some(i.rem_euclid(n_i) as usize),
            Boundary::Mirror => {
                // Period 2n: 0..n forwards, n..2n backwards.
                let m = i.rem_euclid(2 * n_i);
                Some(if m < n_i { m } else { 2 * n_i - 1 - m } as usize)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(b: Boundary, n: usize, lo: isize, hi: isize) -> Vec<Option<usize>> {
        (lo..hi).map(|i| b.index(i, n)).collect()
    }

    #[test]
    fn mirror_repeats_the_edge_voxel() {
        let got = padded(Boundary::Mirror, 3, -4, 7);
        let want = [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0].map(Some);
        assert_eq!(got, want);
    }

    #[test]
    fn periodic_wraps() {
        assert_eq!(
            padded(Boundary::Periodic, 3, -2, 5),
            [1, 2, 0, 1, 2, 0, 1].map(Some)
        );
    }

    #[test]
    fn nearest_clamps_and_zero_is_none() {
        assert_eq!(
            padded(Boundary::Nearest, 3, -1, 4),
            [0, 0, 1, 2, 2].map(Some)
        );
        assert_eq!(Boundary::Zero.index(-1, 3), None);
        assert_eq!(Boundary::Zero.index(3, 3), None);
    }
}
