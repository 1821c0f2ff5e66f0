//! Exact Euclidean distance transform on an anisotropic grid.
//!
//! # Algorithm
//! Felzenszwalb & Huttenlocher 2012, "Distance transforms of sampled functions", Theory
//! of Computing 8:415-428: the squared distance transform is separable,
//! `D(p) = min_q sum_a (s_a (p_a - q_a))^2` for target voxels `q`, so it is computed by
//! one 1D pass per axis, each the lower envelope of parabolas
//! `f(q) + (s (x - q))^2` (their section 2.1), in O(n) per line.

use ndarray::{Array3, Axis};

/// Squared distance (mm^2) from every voxel centre to the nearest voxel centre where
/// `target` is true; infinite everywhere when `target` has no true voxel.
///
/// `spacing` is `(x, y, z)` in mm; the array is `[z][y][x]`.
pub fn squared_distance_to(target: &Array3<bool>, spacing: [f64; 3]) -> Array3<f64> {
    let mut d = target.mapv(|t| if t { 0.0 } else { f64::INFINITY });
    let mut buf = Envelope::default();
    // Array axis 2 is x (spacing[0]), 1 is y, 0 is z.
    for (axis, s) in [(2, spacing[0]), (1, spacing[1]), (0, spacing[2])] {
        for mut lane in d.lanes_mut(Axis(axis)) {
            let f: Vec<f64> = lane.iter().copied().collect();
            let out = buf.transform(&f, s);
            for (dst, v) in lane.iter_mut().zip(out) {
                *dst = *v;
            }
        }
    }
    d
}

/// Work buffers of the 1D transform.
#[derive(Default)]
struct Envelope {
    /// Positions (indices) of the parabolas in the lower envelope.
    v: Vec<usize>,
    /// Boundaries between envelope parabolas (mm).
    z: Vec<f64>,
    /// Output.
    out: Vec<f64>,
}

impl Envelope {
    /// `out(x) = min_q f(q) + (s (x - q))^2` over the finite `f(q)`.
    fn transform(&mut self, f: &[f64], s: f64) -> &[f64] {
        let n = f.len();
        self.v.clear();
        self.z.clear();
        self.out.clear();
        self.out.resize(n, f64::INFINITY);
        let pos = |q: usize| q as f64 * s;
        for q in (0..n).filter(|&q| f[q].is_finite()) {
            loop {
                let Some(&p) = self.v.last() else {
                    self.v.push(q);
                    break;
                };
                // Where parabola q overtakes parabola p.
                let cross = ((f[q] + pos(q) * pos(q)) - (f[p] + pos(p) * pos(p)))
                    / (2.0 * (pos(q) - pos(p)));
                if self.z.last().is_some_and(|&zl| cross <= zl) {
                    self.v.pop();
                    self.z.pop();
                } else {
                    self.z.push(cross);
                    self.v.push(q);
                    break;
                }
            }
        }
        if self.v.is_empty() {
            return &self.out;
        }
        let mut k = 0;
        for x in 0..n {
            while k < self.z.len() && self.z[k] < pos(x) {
                k += 1;
            }
            let q = self.v[k];
            let dx = pos(x) - pos(q);
            self.out[x] = f[q] + dx * dx;
        }
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all target voxels.
    fn brute(target: &Array3<bool>, s: [f64; 3]) -> Array3<f64> {
        let pts: Vec<(usize, usize, usize)> = target
            .indexed_iter()
            .filter(|(_, &t)| t)
            .map(|(i, _)| i)
            .collect();
        Array3::from_shape_fn(target.dim(), |(z, y, x)| {
            pts.iter()
                .map(|&(qz, qy, qx)| {
                    let dx = (x as f64 - qx as f64) * s[0];
                    let dy = (y as f64 - qy as f64) * s[1];
                    let dz = (z as f64 - qz as f64) * s[2];
                    dx * dx + dy * dy + dz * dz
                })
                .fold(f64::INFINITY, f64::min)
        })
    }

    #[test]
    fn matches_brute_force_on_an_anisotropic_grid() {
        let target = Array3::from_shape_fn((5, 7, 9), |(z, y, x)| {
            (x * 3 + y * 5 + z * 7) % 11 == 0 || (z == 2 && y == 3)
        });
        let s = [0.7, 0.9, 2.5];
        let fast = squared_distance_to(&target, s);
        let slow = brute(&target, s);
        for (a, b) in fast.iter().zip(slow.iter()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn empty_target_is_infinitely_far() {
        let d = squared_distance_to(&Array3::from_elem((2, 2, 2), false), [1.0; 3]);
        assert!(d.iter().all(|v| v.is_infinite()));
    }
}
