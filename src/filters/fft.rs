//! Discrete Fourier transforms of any length: iterative radix-2 for powers of two,
//! Bluestein's chirp-z algorithm (through a power-of-two transform) otherwise.
//! Used for large kernels (Gabor, LoG in 2D) and for the filters defined in the
//! frequency domain (Simoncelli, Riesz).
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
        roots: Vec<C64>,
    },
    Bluestein {
        m: usize,
        inner: Box<Plan>,
        chirp: Vec<C64>,
        filter_hat: Vec<C64>,
    },
}

impl Plan {
    /// A plan for length `n >= 1`.
    pub fn new(n: usize) -> Self {
        if n.is_power_of_two() {
            let roots = (0..n / 2)
                .map(|k| C64::cis(-2.0 * std::f64::consts::PI * k as f64 / n as f64))
                .collect();
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

fn radix2(buf: &mut [C64], roots: &[C64]) {
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
        let step = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let u = buf[start + k];
                let v = buf[start + k + half].mul(roots[k * step]);
                buf[start + k] = C64::new(u.re + v.re, u.im + v.im);
                buf[start + k + half] = C64::new(u.re - v.re, u.im - v.im);
            }
        }
        len <<= 1;
    }
}

/// Transforms every lane of `data` along each array axis (a 3D DFT), forward or inverse.
pub fn fft3(data: &mut Array3<C64>, inverse: bool) {
    for axis in 0..3 {
        fft_axis(data, axis, inverse);
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
