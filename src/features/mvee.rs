//! Minimum-volume enclosing ellipsoid (MVEE) of a point set in 3D, for the MVEE densities
//! of the morphology family (IBSI-1 section 3.1, SWZ1 and BRI8).
//!
//! # Method
//! Khachiyan's barycentric coordinate ascent (Khachiyan 1996, Math. Oper. Res. 21(2)) with
//! Wolfe's away steps and the Kumar-Yildirim start, as in Todd and Yildirim (2007,
//! Discrete Appl. Math. 155(13), their algorithm "WA-TY"). Symbols:
//! ```text
//! x_i         the points (d = 3), q_i = (x_i, 1) lifted to n = d + 1 = 4 dimensions
//! u           weights on the points, u_i >= 0, sum u_i = 1
//! X(u)        sum_i u_i q_i q_i^T (4 x 4)
//! M_i         q_i^T X(u)^-1 q_i
//! c, S        sum_i u_i x_i and sum_i u_i (x_i - c)(x_i - c)^T (3 x 3)
//! E(u)        {x : (x - c)^T (d S)^-1 (x - c) <= 1}, semi-axes sqrt(d lambda_k(S))
//! ```
//! The start puts equal weight on the two extreme points along each of three directions,
//! each direction normal to the span of the pairs found before (so the start spans 3D).
//! Each step then either moves weight towards the point of largest `M_i` or away from the
//! support point (`u_i > 0`) of smallest `M_i`, whichever violates optimality more, with the
//! exact line search on `ln det X`: `u <- (1 - tau) u + tau e_i`,
//! `tau = (M_i - n) / (n (M_i - 1))` (negative for an away step, and capped so that `u_i`
//! stays non-negative). `X^-1` and `M` follow by rank-one (Sherman-Morrison) updates and
//! are recomputed from `u` every 64 steps and before the stopping test is trusted.
//!
//! # Guarantee
//! The iteration stops when `max_i M_i <= (1 + eps) n` and `min_{u_i > 0} M_i >= (1 - eps) n`.
//! Two facts bound the result. (1) `det X(u) = det S` (Schur complement), and the MVEE is
//! `E(u*)` for the weights `u*` that maximise `ln det X(u)` over the simplex (the dual
//! problem), so `vol E(u) <= vol MVEE` for every `u`. (2) `(x_i - c)^T S^-1 (x_i - c) =
//! M_i - 1`, so every point lies in `E(u)` grown by `g = sqrt(max(1, (max_i M_i - 1) / d))
//! <= sqrt(1 + eps n / d)`. The returned ellipsoid is that grown `E(u)`: it encloses every
//! point, and `vol MVEE <= vol <= (1 + eps n / d)^(d / 2) vol MVEE`, i.e. within a
//! relative `2 eps` of the minimum. The default [`EPS`] makes that `2e-10`, so the result
//! does not depend on the order of the points or on rounding in any digit a feature
//! table keeps. (IBSI-1 suggests a tolerance of 0.001 for Khachiyan-type methods without
//! saying on what quantity; ours is on the optimality conditions, which bound the volume.)
//!
//! # Failure
//! Fewer than 4 points, non-finite coordinates or points in a plane are errors;
//! running out of steps ([`MAX_STEPS`]) is not: [`MveeFit::converged`] is false and
//! [`MveeFit::eps`] says how far from optimal the weights were.

use thiserror::Error;

use super::mesh::{dot, norm, sub};
use super::morphology::symmetric_eigenvalues;

/// Default optimality tolerance `eps` (see the module doc: volume within `2 eps`).
pub const EPS: f64 = 1e-10;

/// Step limit; far above what hulls of voxel ROIs need (PyRadiomics cases: 480 to 7 730).
pub const MAX_STEPS: usize = 200_000;

/// Steps between recomputations of `X^-1` and `M` from the weights.
const REFRESH: usize = 64;

/// An ellipsoid: centre and semi-axis lengths, longest first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    /// Centre (same frame as the points).
    pub centre: [f64; 3],
    /// Semi-axis lengths `a >= b >= c`.
    pub semi_axes: [f64; 3],
    /// The matrix `A` of `{x : (x - centre)^T A (x - centre) <= 1}`.
    pub shape: [[f64; 3]; 3],
}

impl Ellipsoid {
    /// Volume `4 pi a b c / 3`.
    pub fn volume(&self) -> f64 {
        4.0 / 3.0 * std::f64::consts::PI * self.semi_axes.iter().product::<f64>()
    }

    /// `(x - centre)^T A (x - centre)`: at most 1 inside the ellipsoid.
    pub fn level(&self, x: [f64; 3]) -> f64 {
        let d = sub(x, self.centre);
        (0..3)
            .map(|r| d[r] * (0..3).map(|c| self.shape[r][c] * d[c]).sum::<f64>())
            .sum()
    }
}

/// The enclosing ellipsoid and how the iteration went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MveeFit {
    /// The grown `E(u)`, which encloses every point.
    pub ellipsoid: Ellipsoid,
    /// Steps taken.
    pub steps: usize,
    /// Whether the optimality conditions held to `eps` at the end.
    pub converged: bool,
    /// The largest violation at the end: `max(max M_i / n - 1, 1 - min_{u_i>0} M_i / n)`.
    pub eps: f64,
    /// Number of points with positive weight (the "core set").
    pub support: usize,
}

/// Inputs the MVEE is not defined for.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MveeError {
    /// Fewer points than a 3D ellipsoid needs.
    #[error("minimum-volume enclosing ellipsoid: {n} points, at least 4 needed")]
    TooFewPoints {
        /// Points given.
        n: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("minimum-volume enclosing ellipsoid: non-finite coordinate at point {index}")]
    NonFinite {
        /// Index of the offending point.
        index: usize,
    },
    /// The points lie in a plane (or on a line, or at one place): no enclosing ellipsoid
    /// has volume.
    #[error(
        "minimum-volume enclosing ellipsoid: points are flat (width {width} mm along the \
         thinnest direction found, need > 1e-9 of their size)"
    )]
    Flat {
        /// Width found along the thinnest direction searched.
        width: f64,
    },
}

/// Minimum-volume ellipsoid enclosing `points`, to the optimality tolerance `eps`
/// (the module doc gives the volume bound; use [`EPS`]).
///
/// # Errors
/// [`MveeError`] for fewer than 4 points, non-finite coordinates or flat point sets.
pub fn mvee(points: &[[f64; 3]], eps: f64) -> Result<MveeFit, MveeError> {
    let n_p = points.len();
    if n_p < 4 {
        return Err(MveeError::TooFewPoints { n: n_p });
    }
    if let Some(index) = points.iter().position(|p| p.iter().any(|x| !x.is_finite())) {
        return Err(MveeError::NonFinite { index });
    }

    // Centre on the mean and scale to unit size, so the lifted coordinate 1 is of the
    // same order as the others (X(u) well conditioned).
    let mean: [f64; 3] =
        std::array::from_fn(|c| points.iter().map(|p| p[c]).sum::<f64>() / n_p as f64);
    let scale = points
        .iter()
        .map(|p| norm(sub(*p, mean)))
        .fold(0.0, f64::max);
    if scale == 0.0 {
        return Err(MveeError::Flat { width: 0.0 });
    }
    let x: Vec<[f64; 3]> = points
        .iter()
        .map(|p| sub(*p, mean).map(|v| v / scale))
        .collect();
    let q: Vec<[f64; 4]> = x.iter().map(|p| [p[0], p[1], p[2], 1.0]).collect();

    // Kumar-Yildirim start.
    let start = initial_support(&x).map_err(|w| MveeError::Flat { width: w * scale })?;
    let mut u = vec![0.0; n_p];
    for &i in &start {
        u[i] = 1.0 / start.len() as f64;
    }
    let mut x_inv = [[0.0; 4]; 4];
    let mut m = vec![0.0; n_p];
    refresh(&q, &u, &mut x_inv, &mut m).map_err(|_| MveeError::Flat { width: 0.0 })?;

    // Coordinate ascent with away steps.
    let n = 4.0;
    let mut steps = 0;
    let mut fresh = true;
    let mut converged = false;
    let mut violation;
    loop {
        let j = argmax(&m, |_| true);
        let k = argmax(&m.iter().map(|v| -v).collect::<Vec<_>>(), |i| u[i] > 0.0);
        let eps_plus = m[j] / n - 1.0;
        let eps_minus = 1.0 - m[k] / n;
        violation = eps_plus.max(eps_minus);
        if violation <= eps {
            if fresh {
                converged = true;
                break;
            }
            refresh(&q, &u, &mut x_inv, &mut m).map_err(|_| MveeError::Flat { width: 0.0 })?;
            fresh = true;
            continue;
        }
        if steps == MAX_STEPS {
            break;
        }
        steps += 1;

        let (i, tau, drop) = if eps_plus > eps_minus {
            (j, (m[j] - n) / (n * (m[j] - 1.0)), false)
        } else {
            let tau = (m[k] - n) / (n * (m[k] - 1.0));
            let cap = -u[k] / (1.0 - u[k]);
            if tau <= cap {
                (k, cap, true)
            } else {
                (k, tau, false)
            }
        };
        for w in u.iter_mut() {
            *w *= 1.0 - tau;
        }
        u[i] += tau;
        if drop {
            u[i] = 0.0;
        }

        // X' = (1 - tau) (X + sigma q q^T), sigma = tau / (1 - tau).
        let gamma = 1.0 - tau;
        let sigma = tau / gamma;
        let denom = 1.0 + sigma * m[i];
        if steps % REFRESH == 0 || denom <= 1e-9 {
            refresh(&q, &u, &mut x_inv, &mut m).map_err(|_| MveeError::Flat { width: 0.0 })?;
            fresh = true;
            continue;
        }
        let w: [f64; 4] = std::array::from_fn(|r| (0..4).map(|c| x_inv[r][c] * q[i][c]).sum());
        for (mr, qr) in m.iter_mut().zip(&q) {
            let t = qr[0] * w[0] + qr[1] * w[1] + qr[2] * w[2] + qr[3] * w[3];
            *mr = (*mr - sigma * t * t / denom) / gamma;
        }
        for r in 0..4 {
            for c in 0..4 {
                x_inv[r][c] = (x_inv[r][c] - sigma * w[r] * w[c] / denom) / gamma;
            }
        }
        fresh = false;
    }
    if !fresh {
        refresh(&q, &u, &mut x_inv, &mut m).map_err(|_| MveeError::Flat { width: 0.0 })?;
    }

    // E(u), grown to enclose every point.
    let c: [f64; 3] = std::array::from_fn(|a| (0..n_p).map(|i| u[i] * x[i][a]).sum());
    let mut s = [[0.0; 3]; 3];
    for (ui, xi) in u.iter().zip(&x) {
        if *ui > 0.0 {
            let d = sub(*xi, c);
            for r in 0..3 {
                for col in 0..3 {
                    s[r][col] += ui * d[r] * d[col];
                }
            }
        }
    }
    let d = 3.0;
    let m_max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let grow = ((m_max - 1.0) / d).max(1.0).sqrt();
    let mut lambda = symmetric_eigenvalues(s);
    lambda.sort_by(|a, b| b.total_cmp(a));
    let semi_axes = lambda.map(|l| scale * grow * (d * l.max(0.0)).sqrt());

    // A = S^-1 / (d g^2 scale^2) in the points' frame (S is positive definite here: X(u)
    // was inverted).
    let s_inv = invert3(s).ok_or(MveeError::Flat { width: 0.0 })?;
    let k = 1.0 / (d * grow * grow * scale * scale);
    let shape = s_inv.map(|row| row.map(|v| v * k));
    Ok(MveeFit {
        ellipsoid: Ellipsoid {
            centre: std::array::from_fn(|a| mean[a] + scale * c[a]),
            semi_axes,
            shape,
        },
        steps,
        converged,
        eps: violation,
        support: u.iter().filter(|&&w| w > 0.0).count(),
    })
}

/// Index of the largest `v[i]` among `i` with `keep(i)` (the first on ties).
fn argmax(v: &[f64], keep: impl Fn(usize) -> bool) -> usize {
    let mut best = usize::MAX;
    for (i, &x) in v.iter().enumerate() {
        if keep(i) && (best == usize::MAX || x > v[best]) {
            best = i;
        }
    }
    best
}

/// Kumar-Yildirim start: the extreme points along three directions, each normal to the
/// span of the differences of the pairs before. `Err(width)` when a width is not
/// positive (beyond `1e-9` of the unit-scaled set): the points are flat.
fn initial_support(x: &[[f64; 3]]) -> Result<Vec<usize>, f64> {
    let mut basis: Vec<[f64; 3]> = Vec::new();
    let mut chosen = Vec::new();
    let residual = |v: [f64; 3], basis: &[[f64; 3]]| {
        basis.iter().fold(v, |r, b| {
            let t = dot(r, *b);
            std::array::from_fn(|c| r[c] - t * b[c])
        })
    };
    for _ in 0..3 {
        // The coordinate axis with the largest part normal to the span so far.
        let b = (0..3)
            .map(|a| {
                let mut e = [0.0; 3];
                e[a] = 1.0;
                residual(e, &basis)
            })
            .fold(
                [0.0; 3],
                |best, r| if norm(r) > norm(best) { r } else { best },
            );
        let b = b.map(|v| v / norm(b));
        let proj: Vec<f64> = x.iter().map(|p| dot(b, *p)).collect();
        let hi = argmax(&proj, |_| true);
        let lo = argmax(&proj.iter().map(|v| -v).collect::<Vec<_>>(), |_| true);
        let width = proj[hi] - proj[lo];
        if width <= 1e-9 {
            return Err(width);
        }
        let r = residual(sub(x[hi], x[lo]), &basis);
        basis.push(r.map(|v| v / norm(r)));
        chosen.extend([lo, hi]);
    }
    chosen.sort_unstable();
    chosen.dedup();
    Ok(chosen)
}

/// Recomputes `X(u)^-1` and every `M_i` from the weights (fixed summation order).
fn refresh(q: &[[f64; 4]], u: &[f64], x_inv: &mut [[f64; 4]; 4], m: &mut [f64]) -> Result<(), ()> {
    let mut x = [[0.0; 4]; 4];
    for (qi, &ui) in q.iter().zip(u) {
        if ui > 0.0 {
            for r in 0..4 {
                for c in 0..4 {
                    x[r][c] += ui * qi[r] * qi[c];
                }
            }
        }
    }
    *x_inv = invert4(x).ok_or(())?;
    for (mi, qi) in m.iter_mut().zip(q) {
        let w: [f64; 4] = std::array::from_fn(|r| (0..4).map(|c| x_inv[r][c] * qi[c]).sum());
        *mi = qi[0] * w[0] + qi[1] * w[1] + qi[2] * w[2] + qi[3] * w[3];
    }
    Ok(())
}

/// Inverse of a 3 x 3 matrix by its adjugate; `None` when singular.
fn invert3(a: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let cof = |r: usize, c: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (c1, c2) = ((c + 1) % 3, (c + 2) % 3);
        a[r1][c1] * a[r2][c2] - a[r1][c2] * a[r2][c1]
    };
    let det = (0..3).map(|c| a[0][c] * cof(0, c)).sum::<f64>();
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    // inverse[r][c] = cofactor(c, r) / det.
    Some(std::array::from_fn(|r| {
        std::array::from_fn(|c| cof(c, r) / det)
    }))
}

/// Inverse of a 4 x 4 matrix by Gauss-Jordan elimination with partial pivoting; `None`
/// when a pivot vanishes (relative to the largest entry).
#[allow(clippy::needless_range_loop)]
fn invert4(mut a: [[f64; 4]; 4]) -> Option<[[f64; 4]; 4]> {
    let big = a.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut inv = [[0.0; 4]; 4];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for col in 0..4 {
        let piv = (col..4)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .expect("invariant: rows left");
        if a[piv][col].abs() <= 1e-14 * big {
            return None;
        }
        a.swap(col, piv);
        inv.swap(col, piv);
        let p = a[col][col];
        for c in 0..4 {
            a[col][c] /= p;
            inv[col][c] /= p;
        }
        for r in 0..4 {
            if r != col {
                let f = a[r][col];
                if f != 0.0 {
                    for c in 0..4 {
                        a[r][c] -= f * a[col][c];
                        inv[r][c] -= f * inv[col][c];
                    }
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::super::mesh::rotate_about;
    use super::*;

    fn moved(points: &[[f64; 3]]) -> Vec<[f64; 3]> {
        let k = [0.48, -0.6, 0.64];
        points
            .iter()
            .map(|&p| {
                let r = rotate_about(p, k, 1.1);
                [r[0] + 31.0, r[1] - 12.5, r[2] + 4.0]
            })
            .collect()
    }

    /// Semi-axes within a relative `3 eps` of `want` (the volume bound is `2 eps`; a
    /// single axis can be off by more only if another is off the other way, which the
    /// exact symmetric answers here rule out up to rounding).
    fn assert_axes(fit: &MveeFit, want: [f64; 3]) {
        assert!(fit.converged, "{fit:?}");
        for (got, w) in fit.ellipsoid.semi_axes.iter().zip(want) {
            assert!(
                (got - w).abs() <= 3e-9 * w,
                "{:?} vs {want:?}",
                fit.ellipsoid
            );
        }
    }

    #[test]
    fn cube_vertices_give_the_circumscribed_sphere() {
        // John: the 8 vertices of a cube of side a, equal weights, have mean 0 and second
        // moment (a^2 / 4) I, so the MVEE is the sphere through them, radius a sqrt(3) / 2.
        let a = 3.0;
        let cube: Vec<[f64; 3]> = (0..8)
            .map(|c| std::array::from_fn(|i| if c >> i & 1 == 1 { a } else { 0.0 }))
            .collect();
        let fit = mvee(&moved(&cube), 1e-12).unwrap();
        let r = a * 3f64.sqrt() / 2.0;
        assert_axes(&fit, [r, r, r]);
        assert_eq!(fit.support, 8);
    }

    #[test]
    fn box_vertices_give_the_stretched_sphere() {
        // An affine map carries MVEEs to MVEEs: a box of half-sides (4, 2, 1) is the cube
        // (half-side 1) stretched, so its MVEE has semi-axes sqrt(3) (4, 2, 1).
        let half = [4.0, 2.0, 1.0];
        let corners: Vec<[f64; 3]> = (0..8)
            .map(|c| std::array::from_fn(|i| if c >> i & 1 == 1 { half[i] } else { -half[i] }))
            .collect();
        let fit = mvee(&moved(&corners), 1e-12).unwrap();
        let s = 3f64.sqrt();
        assert_axes(&fit, [4.0 * s, 2.0 * s, s]);
        let c = moved(&[[0.0; 3]])[0];
        for k in 0..3 {
            assert!((fit.ellipsoid.centre[k] - c[k]).abs() < 1e-8);
        }
    }

    #[test]
    fn regular_tetrahedron_gives_the_circumsphere() {
        // Vertices on the sphere of radius sqrt(3) with centroid 0 and second moment I:
        // the MVEE is that sphere. Interior points change nothing.
        let mut pts = vec![
            [1.0, 1.0, 1.0],
            [1.0, -1.0, -1.0],
            [-1.0, 1.0, -1.0],
            [-1.0, -1.0, 1.0],
            [0.1, 0.2, -0.3],
            [0.0, 0.0, 0.0],
        ];
        pts = moved(&pts);
        let fit = mvee(&pts, 1e-12).unwrap();
        let r = 3f64.sqrt();
        assert_axes(&fit, [r, r, r]);
        assert_eq!(fit.support, 4);
    }

    fn wobbly_points() -> Vec<[f64; 3]> {
        (0..200)
            .map(|i| {
                let t = i as f64;
                [
                    (t * 0.37).sin() * 4.0 + (t * 0.11).cos(),
                    (t * 0.73).cos() * 2.5,
                    (t * 0.19).sin() * 3.0 + t * 0.02,
                ]
            })
            .collect()
    }

    #[test]
    fn result_encloses_every_point_and_touches_one() {
        let pts = wobbly_points();
        let fit = mvee(&pts, EPS).unwrap();
        assert!(fit.converged && fit.eps <= EPS, "{fit:?}");
        let levels: Vec<f64> = pts.iter().map(|&p| fit.ellipsoid.level(p)).collect();
        let top = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(top <= 1.0 + 1e-9 && top >= 1.0 - 1e-9, "max level {top}");
        // The volume is that of the semi-axes and of the shape matrix alike:
        // prod(semi-axes)^2 = 1 / det A.
        let a = fit.ellipsoid.shape;
        let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
        let prod: f64 = fit.ellipsoid.semi_axes.iter().product();
        assert!((prod * prod * det - 1.0).abs() < 1e-9);
    }

    #[test]
    fn point_order_changes_the_volume_by_less_than_the_bound() {
        // Both runs lie within [vol MVEE, (1 + 2 eps) vol MVEE].
        let pts = wobbly_points();
        let mut rev = pts.clone();
        rev.reverse();
        let (a, b) = (mvee(&pts, EPS).unwrap(), mvee(&rev, EPS).unwrap());
        let (v1, v2) = (a.ellipsoid.volume(), b.ellipsoid.volume());
        assert!(
            (v1 - v2).abs() <= 2.0 * EPS * v1.max(v2) + 1e-13 * v1,
            "{v1} vs {v2}"
        );
    }

    #[test]
    fn flat_and_tiny_inputs_are_errors() {
        let flat = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.5, 0.2, 0.0],
        ];
        assert!(matches!(mvee(&flat, EPS), Err(MveeError::Flat { .. })));
        assert_eq!(mvee(&flat[..3], EPS), Err(MveeError::TooFewPoints { n: 3 }));
        let mut bad = flat;
        bad[2][1] = f64::NAN;
        assert_eq!(mvee(&bad, EPS), Err(MveeError::NonFinite { index: 2 }));
    }
}
