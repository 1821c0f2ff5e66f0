//! Discrete Fourier transforms of any length: iterative radix-2 for powers of two,
//! Bluestein's chirp-z algorithm (through a power-of-two transform) otherwise.
//! Used for large kernels (Gabor, LoG in 2D), for the filters defined in the
//! frequency domain (Simoncelli, Riesz) and for Moran's I and Geary's C
//! ([`crate::features::autocorr`]). A [`Plan`] computes its twiddle factors once, stored
//! stage by stage so each butterfly pass reads them contiguously.
//!
//! # Reference
//! Cooley and Tukey (1965); Bluestein, "A linear filtering approach to the computation of
//! the discrete Fourier transform" (1970). Forward transform `X_k = sum_n x_n
//! e^{-2 pi i k n / N}`; the inverse divides by `N`.

use ndarray::{Array3, Axis};

/// A complex number (re, im).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct C64 {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl C64 {
    /// `re + i im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// `e^{i phi}`.
    pub fn cis(phi: f64) -> Self {
        Self::new(phi.cos(), phi.sin())
    }

    /// Product.
    #[inline]
    pub fn mul(self, o: C64) -> C64 {
        C64::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }

    /// Complex conjugate.
    #[inline]
    pub fn conj(self) -> C64 {
        C64::new(self.re, -self.im)
    }

    /// Modulus.
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    /// Times a real number.
    #[inline]
    pub fn scale(self, s: f64) -> C64 {
        C64::new(self.re * s, self.im * s)
    }
}

/// A transform of one length, with its twiddle factors precomputed.
#[derive(Debug, Clone)]
pub struct Plan {
    n: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Radix2 {
        roots: Roots,
    },
    Bluestein {
        m: usize,
        inner: Box<Plan>,
        chirp: Vec<C64>,
        filter_hat: Vec<C64>,
    },
}

/// The twiddle factors `exp(-2 pi i k / len)`, `k < len / 2`, of every stage `len` of a
/// radix-2 transform of length `n`, computed once per plan (every lane transformed with
/// the plan reuses them); stage `len` is at offset `len / 2 - 1`.
#[derive(Debug, Clone)]
struct Roots(Vec<C64>);

impl Roots {
    /// The factors of a transform of length `n` (a power of two).
    fn new(n: usize) -> Self {
        let mut v = Vec::with_capacity(n);
        let mut len = 2;
        while len <= n {
            let ang = -2.0 * std::f64::consts::PI / len as f64;
            v.extend(
                (0..len / 2).map(|k| C64::new((ang * k as f64).cos(), (ang * k as f64).sin())),
            );
            len <<= 1;
        }
        Self(v)
    }

    /// The factors of stage `len`.
    fn level(&self, len: usize) -> &[C64] {
        &self.0[len / 2 - 1..len - 1]
    }
}

impl Plan {
    /// A plan for length `n >= 1`.
    pub fn new(n: usize) -> Self {
        if n.is_power_of_two() {
            let roots = Roots::new(n);
            return Plan {
                n,
                kind: Kind::Radix2 { roots },
            };
        }

        // Bluestein: x_n w_n with w_n = e^{-i pi n^2 / N}, convolved with conj(w).
        let m = (2 * n - 1).next_power_of_two();
        let inner = Plan::new(m);
        // n^2 mod 2N keeps the phase argument small for large n.
        let chirp: Vec<C64> = (0..n)
            .map(|k| {
                let k2 = (k as u128 * k as u128 % (2 * n as u128)) as f64;
                C64::cis(-std::f64::consts::PI * k2 / n as f64)
            })
            .collect();
        let mut filter = vec![C64::default(); m];
        filter[0] = chirp[0].conj();
        for k in 1..n {
            filter[k] = chirp[k].conj();
            filter[m - k] = chirp[k].conj();
        }
        inner.forward(&mut filter);
        Plan {
            n,
            kind: Kind::Bluestein {
                m,
                inner: Box::new(inner),
                chirp,
                filter_hat: filter,
            },
        }
    }

    /// Length.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the length is zero (never: plans have `n >= 1`).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// In-place forward transform of `buf` (length `n`).
    pub fn forward(&self, buf: &mut [C64]) {
        match &self.kind {
            Kind::Radix2 { roots } => radix2(buf, roots),
            Kind::Bluestein {
                m,
                inner,
                chirp,
                filter_hat,
            } => {
                let mut a = vec![C64::default(); *m];
                for k in 0..self.n {
                    a[k] = buf[k].mul(chirp[k]);
                }
                inner.forward(&mut a);
                for (x, f) in a.iter_mut().zip(filter_hat) {
                    *x = x.mul(*f);
                }
                inner.inverse(&mut a);
                for k in 0..self.n {
                    buf[k] = a[k].mul(chirp[k]);
                }
            }
        }
    }

    /// In-place inverse transform (divides by `n`).
    pub fn inverse(&self, buf: &mut [C64]) {
        for x in buf.iter_mut() {
            *x = x.conj();
        }
        self.forward(buf);
        let s = 1.0 / self.n as f64;
        for x in buf.iter_mut() {
            *x = x.conj().scale(s);
        }
    }
}

/// In-place iterative radix-2 transform (length a power of two): bit reversal, then
/// butterflies of growing length.
fn radix2(buf: &mut [C64], roots: &Roots) {
    let n = buf.len();
    if n <= 1 {
        return;
    }
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            buf.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let roots = roots.level(len);
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let u = buf[start + k];
                let v = buf[start + k + half].mul(roots[k]);
                buf[start + k] = C64::new(u.re + v.re, u.im + v.im);
                buf[start + k + half] = C64::new(u.re - v.re, u.im - v.im);
            }
        }
        len <<= 1;
    }
}

/// 3D transform (forward, or inverse dividing by the size) of a flat `[z][y][x]` buffer
/// with dims `(n_z, n_y, n_x)`: rows along `x` in place, then the `y` and `z` lanes
/// through a copy.
///
/// # Panics
/// When `buf.len() != n_z n_y n_x` (a caller bug).
pub fn fft3(buf: &mut [C64], dims: [usize; 3], inverse: bool) {
    let [n_z, n_y, n_x] = dims;
    assert_eq!(
        buf.len(),
        n_z * n_y * n_x,
        "a [z][y][x] buffer of the given dims"
    );
    if buf.is_empty() {
        return;
    }
    let (px, py, pz) = (Plan::new(n_x), Plan::new(n_y), Plan::new(n_z));
    let run = |plan: &Plan, lane: &mut [C64]| {
        if inverse {
            plan.inverse(lane);
        } else {
            plan.forward(lane);
        }
    };
    for row in buf.chunks_mut(n_x) {
        run(&px, row);
    }
    // A lane starting at `first` with `n` points `stride` apart, through a copy.
    let mut tmp = vec![C64::default(); n_y.max(n_z)];
    let mut lane = |plan: &Plan, first: usize, stride: usize, n: usize| {
        for (i, t) in tmp[..n].iter_mut().enumerate() {
            *t = buf[first + i * stride];
        }
        run(plan, &mut tmp[..n]);
        for (i, t) in tmp[..n].iter().enumerate() {
            buf[first + i * stride] = *t;
        }
    };
    for z in 0..n_z {
        for x in 0..n_x {
            lane(&py, z * n_y * n_x + x, n_x, n_y);
        }
    }
    for y in 0..n_y {
        for x in 0..n_x {
            lane(&pz, y * n_x + x, n_y * n_x, n_z);
        }
    }
}

/// Transforms every lane of `data` along array axis `axis`.
pub fn fft_axis(data: &mut Array3<C64>, axis: usize, inverse: bool) {
    let n = data.len_of(Axis(axis));
    if n <= 1 {
        return;
    }
    let plan = Plan::new(n);
    let mut buf = vec![C64::default(); n];
    for mut lane in data.lanes_mut(Axis(axis)) {
        for (b, v) in buf.iter_mut().zip(lane.iter()) {
            *b = *v;
        }
        if inverse {
            plan.inverse(&mut buf);
        } else {
            plan.forward(&mut buf);
        }
        for (v, b) in lane.iter_mut().zip(&buf) {
            *v = *b;
        }
    }
}

/// The signed frequency index of bin `k` of an `n`-point transform (`k` or `k - n`).
pub fn signed_bin(k: usize, n: usize) -> f64 {
    if 2 * k < n {
        k as f64
    } else {
        k as f64 - n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[C64]) -> Vec<C64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter().enumerate().fold(C64::default(), |acc, (j, &v)| {
                    let w = C64::cis(-2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64);
                    let p = v.mul(w);
                    C64::new(acc.re + p.re, acc.im + p.im)
                })
            })
            .collect()
    }

    #[test]
    fn flat_fft3_matches_the_transform_along_each_axis() {
        // Mixed lengths (radix-2 and Bluestein); the flat transform must equal the lane
        // transforms of an array along every axis, forward and back.
        let dims = [3, 4, 6];
        let data = Array3::from_shape_fn((3, 4, 6), |(z, y, x)| {
            C64::new(
                ((z * 5 + y * 3 + x) % 7) as f64 - 2.5,
                (x as f64 * 0.3).sin(),
            )
        });
        let mut want = data.clone();
        for axis in 0..3 {
            fft_axis(&mut want, axis, false);
        }
        let mut flat: Vec<C64> = data.iter().copied().collect();
        fft3(&mut flat, dims, false);
        for (a, b) in flat.iter().zip(want.iter()) {
            assert!((a.re - b.re).abs() < 1e-12 && (a.im - b.im).abs() < 1e-12);
        }
        fft3(&mut flat, dims, true);
        for (a, b) in flat.iter().zip(data.iter()) {
            assert!((a.re - b.re).abs() < 1e-12 && (a.im - b.im).abs() < 1e-12);
        }
    }

    #[test]
    fn radix2_and_bluestein_match_the_definition() {
        for n in [1, 2, 8, 5, 12, 31, 60] {
            let x: Vec<C64> = (0..n)
                .map(|i| C64::new((i as f64 * 0.7).sin(), (i as f64 * 1.3).cos()))
                .collect();
            let mut y = x.clone();
            let plan = Plan::new(n);
            plan.forward(&mut y);
            for (a, b) in y.iter().zip(naive(&x)) {
                assert!(
                    (a.re - b.re).abs() < 1e-9 && (a.im - b.im).abs() < 1e-9,
                    "n={n}"
                );
            }
            plan.inverse(&mut y);
            for (a, b) in y.iter().zip(&x) {
                assert!((a.re - b.re).abs() < 1e-12 && (a.im - b.im).abs() < 1e-12);
            }
        }
    }
}
