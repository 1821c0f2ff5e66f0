//! REML variance components for the ICC models on incomplete rating tables, with
//! profile-likelihood intervals for the single-rating ICC.
//!
//! The models are the linear mixed models behind the Shrout-Fleiss forms, for rating
//! `y_ij` of target `i` by rater `j`:
//! - one-way: `y_ij = mu + a_i + e_ij`;
//! - two-way random: `y_ij = mu + a_i + b_j + e_ij`;
//! - two-way mixed: `y_ij = mu_j + a_i + e_ij` (rater effects fixed);
//!
//! with `a_i ~ N(0, s2_a)`, `b_j ~ N(0, s2_b)`, `e_ij ~ N(0, s2_e)`, all independent.
//! The ICC is `s2_a / (s2_a + s2_e)` (one-way, consistency) or
//! `s2_a / (s2_a + s2_b + s2_e)` (absolute agreement).
//!
//! # Method
//! Restricted maximum likelihood (Patterson & Thompson 1971; Harville 1977, J Am Stat Assoc
//! 72:320) with the residual variance profiled out, in the relative-variance form of Bates
//! et al. (2015, J Stat Softw 67(1), sec. 3): for ratios `g = s2 / s2_e` and the scaled
//! random-effects design `Z* = Z diag(sqrt(g))`, the mixed-model matrix
//! `M = [[X'X, X'Z*], [Z*'X, Z*'Z* + I]]` gives
//!
//! `-2 l_R = log|M| + (N - p) (1 + log(2 pi r2 / (N - p)))`,  `r2 = y'y - c' M^-1 c`,
//!
//! with `c = [X'y; Z*'y]`, and `s2_e = r2 / (N - p)` at the optimum. The target block of
//! `M` is diagonal (`1 + g_a n_i`) and is eliminated first, so one evaluation costs
//! `O(sum_i n_i^2 + q^3)` with `q` the number of fixed plus rater effects. Variances are
//! kept non-negative (a ratio of 0 is the boundary), so the ICC is never below 0, unlike
//! the ANOVA estimators. On complete data with positive ANOVA components, REML and ANOVA
//! estimates coincide (Searle, Casella & McCulloch 1992, sec. 6.7).
//!
//! The ratios are found by Brent minimisation over `u = g / (1 + g)` in `[0, 1)`, cyclic
//! over the two ratios of the two-way random model.
//!
//! # Interval
//! The profile-likelihood interval: the ICCs `rho` with
//! `-2 l_R(rho) - min(-2 l_R) <= chi2_1(confidence)`, where `-2 l_R(rho)` is minimised over
//! the other parameters (Venzon & Moolgavkar 1988, Appl Stat 37:87). For the one-way and
//! mixed models the ICC is `u` itself; for the two-way random model `g_a` is tied to
//! `g_b` by `g_a = rho (1 + g_b) / (1 - rho)` and `g_b` is profiled. The interval is
//! asymptotic (likelihood-ratio), not exact.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::stats::icc::Model;

/// Upper end of the `u = g / (1 + g)` search range: ratios up to about 1e9.
const U_MAX: f64 = 1.0 - 1e-9;

/// Tolerance on `u` (and on the ICC) for the minimisers and root finders: far below the
/// precision any reported ICC carries.
const U_TOL: f64 = 1e-10;

/// Most sweeps of the cyclic two-ratio minimisation.
const MAX_SWEEPS: usize = 500;

/// Variance components of one REML fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemlFit {
    pub model: Model,
    /// Target (subject) variance `s2_a`.
    pub sigma2_target: f64,
    /// Rater variance `s2_b` (0 for the one-way and mixed models).
    pub sigma2_rater: f64,
    /// Residual variance `s2_e`.
    pub sigma2_error: f64,
    /// The REML criterion `-2 l_R` at the optimum (the constants included, as lme4
    /// reports it).
    pub criterion: f64,
    /// Observations and fixed-effect columns used.
    pub n_obs: usize,
    pub p: usize,
}

impl RemlFit {
    /// The single-rating ICC of the model.
    pub fn icc(&self) -> f64 {
        let denom = match self.model {
            Model::TwoWayRandom => self.sigma2_target + self.sigma2_rater + self.sigma2_error,
            _ => self.sigma2_target + self.sigma2_error,
        };
        self.sigma2_target / denom
    }
}

/// Errors of the REML fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemlError {
    #[error("REML needs more ratings than fixed effects: {n_obs} ratings, {p} fixed effects")]
    TooFewRatings { n_obs: usize, p: usize },
    #[error("REML: the residual sum of squares is zero (perfect fit); use the ANOVA forms")]
    PerfectFit,
    #[error("REML: the mixed-model equations are singular (a rater without ratings?)")]
    Singular,
}

/// A rating table as REML sees it: per target its `(rater, rating)` pairs, raters
/// numbered `0..k`.
pub struct Problem<'a> {
    cells: &'a [Vec<(usize, f64)>],
    k: usize,
    model: Model,
    n_obs: usize,
    p: usize,
    /// The mean rating, subtracted from every rating before the fit.
    mean: f64,
    /// Sum of squares of the centred ratings.
    yy: f64,
}

impl<'a> Problem<'a> {
    /// # Errors
    /// [`RemlError::TooFewRatings`] when there are no residual degrees of freedom.
    pub fn new(
        cells: &'a [Vec<(usize, f64)>],
        k: usize,
        model: Model,
    ) -> Result<Problem<'a>, RemlError> {
        let n_obs: usize = cells.iter().map(Vec::len).sum();
        let p = match model {
            Model::TwoWayMixed => k,
            _ => 1,
        };
        if n_obs <= p {
            return Err(RemlError::TooFewRatings { n_obs, p });
        }

        // Centre the ratings: REML is location invariant, and centring keeps y'y small
        // relative to the residual sum of squares.
        let mean = cells.iter().flatten().map(|&(_, y)| y).sum::<f64>() / n_obs as f64;
        let yy = cells
            .iter()
            .flatten()
            .map(|&(_, y)| (y - mean) * (y - mean))
            .sum();
        Ok(Problem {
            cells,
            k,
            model,
            n_obs,
            p,
            mean,
            yy,
        })
    }

    fn q(&self) -> usize {
        match self.model {
            Model::OneWay => 1,
            Model::TwoWayRandom => 1 + self.k,
            Model::TwoWayMixed => self.k,
        }
    }

    /// The nonzero entries of the row of `[X, Z_b*]` for a rating by rater `j`.
    fn columns(&self, j: usize, sb: f64, out: &mut Vec<(usize, f64)>) {
        out.clear();
        match self.model {
            Model::OneWay => out.push((0, 1.0)),
            Model::TwoWayRandom => {
                out.push((0, 1.0));
                out.push((1 + j, sb));
            }
            Model::TwoWayMixed => out.push((j, 1.0)),
        }
    }

    /// `-2 l_R` and `s2_e` at the variance ratios `g_a`, `g_b` (module doc).
    ///
    /// # Errors
    /// [`RemlError::PerfectFit`] when the residual sum of squares is zero,
    /// [`RemlError::Singular`] when the reduced equations are not positive definite.
    pub fn criterion(&self, g_a: f64, g_b: f64) -> Result<(f64, f64), RemlError> {
        let q = self.q();
        let mean = self.mean;
        let sa = g_a.sqrt();
        let sb = g_b.sqrt();
        let mut s = vec![0.0; q * q];
        let mut c = vec![0.0; q];
        if self.model == Model::TwoWayRandom {
            for j in 0..self.k {
                s[(1 + j) * q + 1 + j] = 1.0;
            }
        }

        let mut cols = Vec::with_capacity(2);
        let mut e_i: Vec<(usize, f64)> = Vec::new();
        let mut log_det = 0.0;
        let mut quad = 0.0;
        for row in self.cells {
            // Accumulate this target's rows into B and c, and its coupling E_i.
            e_i.clear();
            let mut ra = 0.0;
            for &(j, y) in row {
                let y = y - mean;
                self.columns(j, sb, &mut cols);
                for &(a, va) in &cols {
                    c[a] += va * y;
                    for &(b, vb) in &cols {
                        s[a * q + b] += va * vb;
                    }
                    match e_i.iter_mut().find(|(idx, _)| *idx == a) {
                        Some(entry) => entry.1 += sa * va,
                        None => e_i.push((a, sa * va)),
                    }
                }
                ra += sa * y;
            }

            // Eliminate the target effect: S -= E E' / d, c -= E ra / d.
            let d = 1.0 + g_a * row.len() as f64;
            log_det += d.ln();
            quad += ra * ra / d;
            for &(a, va) in &e_i {
                c[a] -= va * ra / d;
                for &(b, vb) in &e_i {
                    s[a * q + b] -= va * vb / d;
                }
            }
        }

        let l = cholesky(&s, q).ok_or(RemlError::Singular)?;
        log_det += 2.0 * (0..q).map(|i| l[i * q + i].ln()).sum::<f64>();
        let z = forward(&l, q, &c);
        quad += z.iter().map(|v| v * v).sum::<f64>();

        let r2 = self.yy - quad;
        let nu = (self.n_obs - self.p) as f64;
        if r2 <= self.yy * 1e-14 {
            return Err(RemlError::PerfectFit);
        }
        let crit = log_det + nu * (1.0 + (2.0 * std::f64::consts::PI * r2 / nu).ln());
        Ok((crit, r2 / nu))
    }

    fn at_u(&self, u_a: f64, u_b: f64) -> f64 {
        self.criterion(ratio(u_a), ratio(u_b))
            .map(|(c, _)| c)
            .unwrap_or(f64::INFINITY)
    }

    /// The REML fit, started from the single-rating ICC `start` (e.g. the ANOVA estimate)
    /// and the rater share `start_b` (two-way random only).
    ///
    /// # Errors
    /// As [`Problem::criterion`] at the optimum.
    pub fn fit(&self, start: f64, start_b: f64) -> Result<RemlFit, RemlError> {
        let (u_a, u_b) = match self.model {
            Model::TwoWayRandom => self.minimise_two(start, start_b),
            _ => (minimise(|u| self.at_u(u, 0.0), clamp_u(start)), 0.0),
        };
        let (g_a, g_b) = (ratio(u_a), ratio(u_b));
        let (criterion, s2_e) = self.criterion(g_a, g_b)?;
        Ok(RemlFit {
            model: self.model,
            sigma2_target: g_a * s2_e,
            sigma2_rater: g_b * s2_e,
            sigma2_error: s2_e,
            criterion,
            n_obs: self.n_obs,
            p: self.p,
        })
    }

    /// Cyclic minimisation over `u_a`, `u_b` until neither moves by more than the tolerance.
    fn minimise_two(&self, start: f64, start_b: f64) -> (f64, f64) {
        let mut u_a = clamp_u(start);
        let mut u_b = clamp_u(start_b);
        for _ in 0..MAX_SWEEPS {
            let new_a = minimise(|u| self.at_u(u, u_b), u_a);
            let new_b = minimise(|u| self.at_u(new_a, u), u_b);
            let moved = (new_a - u_a).abs().max((new_b - u_b).abs());
            u_a = new_a;
            u_b = new_b;
            if moved < U_TOL * 10.0 {
                break;
            }
        }
        (u_a, u_b)
    }

    /// `-2 l_R` profiled at the single-rating ICC `rho` (module doc, "Interval").
    fn profile(&self, rho: f64, u_b_hint: f64) -> (f64, f64) {
        match self.model {
            Model::TwoWayRandom => {
                let at = |u_b: f64| {
                    let g_b = ratio(u_b);
                    let g_a = rho * (1.0 + g_b) / (1.0 - rho);
                    self.criterion(g_a, g_b)
                        .map(|(c, _)| c)
                        .unwrap_or(f64::INFINITY)
                };
                let u_b = minimise(at, u_b_hint);
                (at(u_b), u_b)
            }
            _ => (self.at_u(rho, 0.0), 0.0),
        }
    }

    /// The profile-likelihood interval for the single-rating ICC of `fit`.
    pub fn interval(&self, fit: &RemlFit, confidence: f64) -> (f64, f64) {
        let crit = ChiSquared::new(1.0)
            .map(|d| d.inverse_cdf(confidence))
            .unwrap_or(f64::NAN);
        let rho_hat = fit.icc().min(U_MAX);
        let u_b_hat = fit.sigma2_rater / (fit.sigma2_rater + fit.sigma2_error);
        let excess = |rho: f64| self.profile(rho, u_b_hat).0 - fit.criterion - crit;

        let lower = if excess(0.0) <= 0.0 {
            0.0
        } else {
            bisect(excess, 0.0, rho_hat)
        };
        let upper = if excess(U_MAX) <= 0.0 {
            1.0
        } else {
            bisect(excess, rho_hat, U_MAX)
        };
        (lower.min(fit.icc()), upper.max(fit.icc()))
    }
}

fn ratio(u: f64) -> f64 {
    u / (1.0 - u)
}

fn clamp_u(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 0.99)
    } else {
        0.5
    }
}

/// Brent's minimisation on `[0, U_MAX]` (Brent 1973, "Algorithms for minimization without
/// derivatives", ch. 5: golden section with parabolic steps), started at `x0`; the
/// boundary `u = 0` is compared explicitly because variance ratios live on `[0, inf)`.
fn minimise(f: impl Fn(f64) -> f64, x0: f64) -> f64 {
    const GOLD: f64 = 0.381_966_011_250_105_1;
    let (mut a, mut b) = (0.0, U_MAX);
    let mut x = x0.clamp(a, b);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e): (f64, f64) = (0.0, 0.0);

    for _ in 0..200 {
        let m = 0.5 * (a + b);
        let tol = U_TOL + 1e-10 * x.abs();
        if (x - m).abs() <= 2.0 * tol - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol {
            // Try a parabola through x, w, v.
            let r = (x - w) * (fx - fv);
            let mut qq = (x - v) * (fx - fw);
            let mut pp = (x - v) * qq - (x - w) * r;
            qq = 2.0 * (qq - r);
            if qq > 0.0 {
                pp = -pp;
            }
            qq = qq.abs();
            if pp.abs() < (0.5 * qq * e).abs() && pp > qq * (a - x) && pp < qq * (b - x) {
                e = d;
                d = pp / qq;
                let u = x + d;
                if u - a < 2.0 * tol || b - u < 2.0 * tol {
                    d = if x < m { tol } else { -tol };
                }
                golden = false;
            }
        }
        if golden {
            e = if x < m { b - x } else { a - x };
            d = GOLD * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else {
            x + tol.copysign(d)
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }

    if f(0.0) <= fx {
        0.0
    } else {
        x
    }
}

/// Bisection for the sign change of `f` on `[lo, hi]` (`f(lo)` and `f(hi)` of opposite
/// signs), to `U_TOL`.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let f_lo_positive = f(lo) > 0.0;
    while hi - lo > U_TOL {
        let mid = 0.5 * (lo + hi);
        if (f(mid) > 0.0) == f_lo_positive {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Lower Cholesky factor of the symmetric `q x q` row-major matrix, or `None` when it is
/// not positive definite.
fn cholesky(a: &[f64], q: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|m| l[i * q + m] * l[j * q + m]).sum();
            let v = a[i * q + j] - dot;
            if i == j {
                if v <= 0.0 || !v.is_finite() {
                    return None;
                }
                l[i * q + i] = v.sqrt();
            } else {
                l[i * q + j] = v / l[j * q + j];
            }
        }
    }
    Some(l)
}

/// Solves `L z = c` for the lower-triangular `L`.
fn forward(l: &[f64], q: usize, c: &[f64]) -> Vec<f64> {
    let mut z = vec![0.0; q];
    for i in 0..q {
        let dot: f64 = (0..i).map(|m| l[i * q + m] * z[m]).sum();
        z[i] = (c[i] - dot) / l[i * q + i];
    }
    z
}
