//! Ridge-penalised Cox proportional-hazards regression by Newton's method, with Breslow
//! or Efron handling of tied event times.
//!
//! The objective is the negative log partial likelihood plus `||beta||^2 / (2C)` (the same
//! convention as [`crate::model::logistic`]); `C = +inf` is the unpenalised fit. Newton steps
//! are solved by Cholesky and halved until the objective does not increase.
//!
//! # Cost
//! Dense Hessian by two symmetric matrix products (lower triangle only), `O(n p^2 + p^3)`
//! per iteration; a penalised fit with more columns than rows runs on the `n`-column
//! row-space basis ([`RowSpace`]), so the cost is bounded by `O(n^3)`. Buffers are
//! reused across the iterations of a fit.

use ndarray::{Array1, ArrayView2};

use faer::{Mat, MatRef};

use crate::model::linalg::{to_faer, Gram, RowSpace};
use crate::model::logistic::{
    damped_newton, max_abs, FitInfo, NewtonObjective, NewtonOptions, NewtonRun,
};

/// How tied event times enter the partial likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Breslow (1974): every tied event sees the full risk set.
    Breslow,
    /// Efron (1977): the tied events' contribution is removed from the risk set in equal
    /// fractions `l / d`.
    Efron,
}

/// A fitted Cox model (no intercept: the baseline hazard is not estimated).
#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    /// Coefficients, one per column of `x`; positive = higher hazard.
    pub coef: Array1<f64>,
    /// Solver diagnostics (`objective` is the penalised negative log partial likelihood).
    pub info: FitInfo,
}

impl CoxFit {
    /// The linear predictor (log relative hazard) `x beta` of each row.
    ///
    /// # Panics
    /// When `x` does not have `coef.len()` columns (a caller bug).
    pub fn linear_predictor(&self, x: ArrayView2<f64>) -> Array1<f64> {
        x.dot(&self.coef)
    }
}

/// Errors from the Cox fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoxError {
    /// Lengths of `x`, `time` and `event` differ.
    #[error("x has {rows} rows, time {times} and event {events} entries; expected equal")]
    Shape {
        rows: usize,
        times: usize,
        events: usize,
    },
    /// No events: the partial likelihood is constant.
    #[error("no events among {n} rows; the partial likelihood needs at least one")]
    NoEvents { n: usize },
    /// A non-finite covariate.
    #[error("x[{row}, {col}] = {value} is not finite")]
    NonFinite { row: usize, col: usize, value: f64 },
    /// A non-finite or negative time.
    #[error("time[{row}] = {value}; expected a finite value >= 0")]
    BadTime { row: usize, value: f64 },
    /// `C` is not positive.
    #[error("penalty C = {0} must be > 0 (use +inf for no penalty)")]
    BadC(f64),
    /// The Newton system could not be solved.
    #[error(
        "singular information matrix at iteration {iteration}; collinear columns or \
             monotone likelihood without penalty"
    )]
    Singular { iteration: usize },
}

/// Fits a ridge-penalised Cox model by Newton's method.
///
/// # Formula
/// With `eta_i = x_i' beta`, distinct event times `t`, risk set `R(t) = {i : T_i >= t}`,
/// tied events `D(t)` (`d = |D(t)|`) and `S_k(A) = sum_{i in A} exp(eta_i) x_i^{(k)}`,
/// ```text
/// l(beta) = sum_t [ sum_{i in D} eta_i - sum_{l=0}^{d-1} log( S_0(R) - f_l S_0(D) ) ]
/// f_l = l / d (Efron),  f_l = 0 (Breslow)
/// minimise  -l(beta) + ||beta||^2 / (2C)
/// ```
/// gradient and information follow by differentiating each `log(S_0(R) - f_l S_0(D))`.
///
/// # Reference
/// Cox (1972), JRSS B 34:187; Breslow (1974), Biometrics 30:89; Efron (1977), JASA 72:557;
/// Therneau & Grambsch, *Modeling Survival Data* (2000), sec. 3.3.
///
/// # Errors
/// [`CoxError`] for mismatched lengths, no events, non-finite covariates, bad times,
/// `C <= 0`, or a singular Newton system.
///
/// # Degenerate cases
/// Monotone likelihood (a covariate perfectly orders the events) has no finite
/// unpenalised optimum: `info.converged` is false. Rows censored before the first event
/// only enter risk sets.
pub fn fit(
    x: ArrayView2<f64>,
    time: &[f64],
    event: &[bool],
    ties: Ties,
    c: f64,
    opts: NewtonOptions,
) -> Result<CoxFit, CoxError> {
    validate(x, time, event, c)?;
    let (n, p) = x.dim();
    let inv_c = if c.is_infinite() { 0.0 } else { 1.0 / c };

    // A ridge fit of a wide design is the same fit on its n-column row-space basis.
    let reduced = (inv_c > 0.0 && p > n).then(|| RowSpace::new(x));
    let design = reduced.as_ref().map_or(x, |r| r.z.view());
    let NewtonRun {
        beta,
        objective,
        grad,
        iterations,
        converged,
    } = newton(design, time, event, ties, inv_c, opts)?;
    let beta = match &reduced {
        Some(r) => r.expand(&beta),
        None => beta,
    };

    Ok(CoxFit {
        coef: Array1::from(beta),
        info: FitInfo {
            iterations,
            converged,
            gradient_norm: max_abs(&grad),
            objective,
        },
    })
}

fn newton(
    x: ArrayView2<f64>,
    time: &[f64],
    event: &[bool],
    ties: Ties,
    inv_c: f64,
    opts: NewtonOptions,
) -> Result<NewtonRun, CoxError> {
    let (n, p) = x.dim();

    // Rows by decreasing time, so risk sets grow as we walk.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| time[b].total_cmp(&time[a]).then(a.cmp(&b)));
    let data = Data::new(x, time, event, &order, ties, inv_c);

    let tol = opts.tol * (n as f64).max(1.0);
    let mut problem = Problem {
        data,
        ws: Workspace::default(),
    };
    damped_newton(vec![0.0; p], tol, opts.max_iter, &mut problem)
        .map_err(|iteration| CoxError::Singular { iteration })
}

fn validate(x: ArrayView2<f64>, time: &[f64], event: &[bool], c: f64) -> Result<(), CoxError> {
    let n = x.nrows();
    if n != time.len() || n != event.len() {
        return Err(CoxError::Shape {
            rows: n,
            times: time.len(),
            events: event.len(),
        });
    }
    if !event.iter().any(|&e| e) {
        return Err(CoxError::NoEvents { n });
    }
    if c.is_nan() || c <= 0.0 {
        return Err(CoxError::BadC(c));
    }
    for (row, &value) in time.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(CoxError::BadTime { row, value });
        }
    }
    // Logical row-major order, as `indexed_iter`, without the index bookkeeping.
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        let p = x.ncols();
        let (row, col) = (k / p, k % p);
        return Err(CoxError::NonFinite {
            row,
            col,
            value: x[[row, col]],
        });
    }
    Ok(())
}

struct Data<'a> {
    /// The design, row-major and contiguous.
    xr: Vec<f64>,
    time: &'a [f64],
    event: &'a [bool],
    /// The same design as a faer matrix (column-major), for the linear predictor and the
    /// Hessian products.
    xf: Mat<f64>,
    /// Row indices by decreasing time.
    order: &'a [usize],
    ties: Ties,
    inv_c: f64,
}

/// Buffers of [`Data::evaluate`], reused across the evaluations of one fit so that an
/// evaluation allocates only the gradient and Hessian it returns.
#[derive(Default)]
struct Workspace {
    /// Linear predictor `eta_i` and `w_i = exp(eta_i - max eta)`, one per row.
    eta: Vec<f64>,
    w: Vec<f64>,
    /// Running risk-set sum `S_1(R)` and the tie group's `S_1(D)`, one per column.
    s1: Vec<f64>,
    d1: Vec<f64>,
    /// Per tie group (in processing order): sum_l 1/phi_l and sum_l f_l/phi_l.
    group_inv: Vec<f64>,
    group_f: Vec<f64>,
    /// Tie group of each row.
    group_of: Vec<usize>,
    /// Event-term rows a_l of A, row-major.
    a_rows: Vec<f64>,
    /// Suffix sums of `group_inv` and the Hessian row weights `c_i`.
    cum: Vec<f64>,
    c: Vec<f64>,
    gram: Gram,
    /// Whether the last evaluation recorded the terms of its Hessian.
    hessian_ready: bool,
}

impl<'a> Data<'a> {
    fn new(
        x: ArrayView2<'_, f64>,
        time: &'a [f64],
        event: &'a [bool],
        order: &'a [usize],
        ties: Ties,
        inv_c: f64,
    ) -> Self {
        Data {
            xr: x.iter().copied().collect(),
            xf: to_faer(x),
            time,
            event,
            order,
            ties,
            inv_c,
        }
    }

    /// Penalised negative log partial likelihood and its gradient; with `record`, the
    /// terms of the Hessian at `beta` are kept in `ws` for [`Data::hessian`].
    fn evaluate(&self, ws: &mut Workspace, beta: &[f64], record: bool) -> (f64, Vec<f64>) {
        let p = beta.len();
        let n = self.order.len();

        // eta = X beta by columns (vectorised over rows); each eta_i still adds its terms
        // in column order, as a row-wise dot product does.
        ws.eta.clear();
        ws.eta.resize(n, 0.0);
        for (j, &b) in beta.iter().enumerate() {
            let col = self
                .xf
                .col(j)
                .try_as_col_major()
                .expect("invariant: columns of an owned Mat are contiguous")
                .as_slice();
            if j == 0 {
                ws.eta.iter_mut().zip(col).for_each(|(e, x)| *e = x * b);
            } else {
                ws.eta.iter_mut().zip(col).for_each(|(e, x)| *e += x * b);
            }
        }
        let eta = &ws.eta;
        // exp(eta - eta_max) keeps the sums finite; log S_0 is shifted back below.
        let shift = eta.iter().fold(f64::NEG_INFINITY, |m, &e| m.max(e));
        ws.w.clear();
        ws.w.extend(eta.iter().map(|e| (e - shift).exp()));
        let w = &ws.w;

        let mut s0 = 0.0;
        let s1 = &mut ws.s1;
        s1.clear();
        s1.resize(p, 0.0);
        let mut loglik = 0.0;
        let mut grad = vec![0.0; p];
        let d1 = &mut ws.d1;
        d1.clear();
        d1.resize(p, 0.0);
        ws.group_inv.clear();
        ws.group_f.clear();
        ws.group_of.clear();
        ws.group_of.resize(n, 0);
        ws.a_rows.clear();

        let mut start = 0;
        while start < n {
            let t = self.time[self.order[start]];
            let mut end = start;
            while end < n && self.time[self.order[end]] == t {
                end += 1;
            }

            // Add the group to the risk set; collect its events.
            let mut d0 = 0.0;
            d1.iter_mut().for_each(|v| *v = 0.0);
            let mut d = 0usize;
            for &i in &self.order[start..end] {
                ws.group_of[i] = ws.group_inv.len();
                let xi = &self.xr[i * p..(i + 1) * p];
                let wi = w[i];
                s0 += wi;
                for (s, v) in s1.iter_mut().zip(xi) {
                    *s += wi * v;
                }
                if self.event[i] {
                    d += 1;
                    loglik += eta[i];
                    d0 += wi;
                    for ((g, dd), v) in grad.iter_mut().zip(d1.iter_mut()).zip(xi) {
                        *g -= v;
                        *dd += wi * v;
                    }
                }
            }

            // The d terms of the group.
            let (mut inv_sum, mut f_sum) = (0.0, 0.0);
            for l in 0..d {
                let f = match self.ties {
                    Ties::Efron => l as f64 / d as f64,
                    Ties::Breslow => 0.0,
                };
                let phi = s0 - f * d0;
                loglik -= phi.ln() + shift;
                inv_sum += 1.0 / phi;
                f_sum += f / phi;
                let terms = grad.iter_mut().zip(s1.iter()).zip(d1.iter());
                if record {
                    let at = ws.a_rows.len();
                    ws.a_rows.resize(at + p, 0.0);
                    for (((g, s), dd), r) in terms.zip(&mut ws.a_rows[at..]) {
                        let a1 = (s - f * dd) / phi;
                        *g += a1;
                        *r = a1;
                    }
                } else {
                    for ((g, s), dd) in terms {
                        *g += (s - f * dd) / phi;
                    }
                }
            }
            ws.group_inv.push(inv_sum);
            ws.group_f.push(f_sum);
            start = end;
        }

        let mut objective = -loglik;
        for a in 0..p {
            objective += 0.5 * self.inv_c * beta[a] * beta[a];
            grad[a] += self.inv_c * beta[a];
        }
        ws.hessian_ready = record;
        (objective, grad)
    }

    /// The Hessian at the point of the last [`Data::evaluate`], which recorded its terms.
    ///
    /// It is assembled as `X' diag(c) X - A' A` ([`Gram::compute`]): summing the
    /// risk-set second moments `S_2(R) / phi_l` over terms gives each row the weight
    /// `c_i = w_i (sum over terms whose risk set holds i of 1 / phi_l - [i is a tied
    /// event] sum_l f_l / phi_l)`, and `A` holds one row `a_l = (S_1(R) - f_l S_1(D)) /
    /// phi_l` per event term. This is the same sum as the formula in [`fit`], reordered.
    ///
    /// # Panics
    /// When the last evaluation did not record them (a caller bug).
    fn hessian(&self, ws: &mut Workspace) -> Vec<f64> {
        assert!(
            ws.hessian_ready,
            "invariant: a recorded evaluation precedes the Hessian"
        );
        let n = self.order.len();
        let p = self.xf.ncols();

        // Row i is in the risk set of its own group and of every later-processed
        // (earlier-time) group: suffix sums of 1/phi over groups.
        let groups = ws.group_inv.len();
        ws.cum.clear();
        ws.cum.resize(groups + 1, 0.0);
        for g in (0..groups).rev() {
            ws.cum[g] = ws.cum[g + 1] + ws.group_inv[g];
        }
        ws.c.clear();
        ws.c.extend((0..n).map(|i| {
            let g = ws.group_of[i];
            let tied = if self.event[i] { ws.group_f[g] } else { 0.0 };
            ws.w[i] * (ws.cum[g] - tied)
        }));
        let terms = ws.a_rows.len() / p.max(1);
        let a = MatRef::from_row_major_slice(&ws.a_rows, terms, p);
        let mut h = vec![0.0; p * p];
        ws.gram.compute(self.xf.as_ref(), &ws.c, Some(a), &mut h);
        for a in 0..p {
            h[a * p + a] += self.inv_c;
        }
        h
    }
}

/// The Cox objective of one fit, as [`damped_newton`] asks for it.
struct Problem<'a> {
    data: Data<'a>,
    ws: Workspace,
}

impl NewtonObjective for Problem<'_> {
    fn value(&mut self, beta: &[f64]) -> f64 {
        self.data.evaluate(&mut self.ws, beta, false).0
    }

    fn value_gradient(&mut self, beta: &[f64]) -> (f64, Vec<f64>) {
        self.data.evaluate(&mut self.ws, beta, true)
    }

    fn hessian(&mut self) -> Vec<f64> {
        self.data.hessian(&mut self.ws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    const ROSSI: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/stats/rossi_with_cox_lp.csv"
    );

    /// Rossi: (covariates fin, age, race, wexp, mar, paro, prio; week; arrest).
    fn rossi() -> (Array2<f64>, Vec<f64>, Vec<bool>) {
        let text = std::fs::read_to_string(ROSSI).unwrap();
        let mut x = Vec::new();
        let mut t = Vec::new();
        let mut e = Vec::new();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            t.push(v[0]);
            e.push(v[1] == 1.0);
            x.extend_from_slice(&v[2..9]);
        }
        (Array2::from_shape_vec((t.len(), 7), x).unwrap(), t, e)
    }

    #[test]
    fn rossi_efron_matches_lifelines() {
        // Reference: ../shared/data/stats/README.md, lifelines CoxPHFitter (Efron ties).
        let expected = [
            -0.379422165718,
            -0.057437740029,
            0.313899787267,
            -0.149795701821,
            -0.433703881185,
            -0.084871080635,
            0.091497081735,
        ];
        let (x, t, e) = rossi();
        assert_eq!(e.iter().filter(|&&v| v).count(), 114);
        let fit = fit(
            x.view(),
            &t,
            &e,
            Ties::Efron,
            f64::INFINITY,
            NewtonOptions::default(),
        )
        .unwrap();
        assert!(fit.info.converged);
        for (j, (b, r)) in fit.coef.iter().zip(expected).enumerate() {
            assert!((b - r).abs() < 1e-6, "coef {j}: {b} vs {r}");
        }
    }

    #[test]
    fn rossi_breslow_differs_from_efron_and_is_stationary() {
        let (x, t, e) = rossi();
        let opts = NewtonOptions::default();
        let b = fit(x.view(), &t, &e, Ties::Breslow, f64::INFINITY, opts).unwrap();
        let f = fit(x.view(), &t, &e, Ties::Efron, f64::INFINITY, opts).unwrap();
        assert!(b.info.converged && b.info.gradient_norm < 1e-7);
        // Rossi has many tied weeks: Breslow shrinks towards 0 a little (Therneau &
        // Grambsch 2000, sec. 3.3), visibly but not grossly.
        let diff = (b.coef[0] - f.coef[0]).abs();
        assert!(diff > 1e-4 && diff < 0.05, "{diff}");
        assert!(b.coef[0].abs() < f.coef[0].abs());
    }

    #[test]
    fn ridge_shrinks_and_gradient_condition_holds() {
        let (x, t, e) = rossi();
        let c = 0.5;
        let r = fit(x.view(), &t, &e, Ties::Efron, c, NewtonOptions::default()).unwrap();
        let u = fit(
            x.view(),
            &t,
            &e,
            Ties::Efron,
            f64::INFINITY,
            NewtonOptions::default(),
        )
        .unwrap();
        assert!(r.info.converged && r.info.gradient_norm < 1e-7);
        assert!(r.coef.dot(&r.coef) < u.coef.dot(&u.coef));
    }

    #[test]
    fn rejects_no_events_and_bad_time() {
        let x = Array2::<f64>::zeros((2, 1));
        let o = NewtonOptions::default();
        assert_eq!(
            fit(x.view(), &[1.0, 2.0], &[false, false], Ties::Efron, 1.0, o).unwrap_err(),
            CoxError::NoEvents { n: 2 }
        );
        assert!(matches!(
            fit(
                x.view(),
                &[1.0, f64::NAN],
                &[true, false],
                Ties::Efron,
                1.0,
                o
            ),
            Err(CoxError::BadTime { row: 1, .. })
        ));
    }

    #[test]
    fn wide_design_fit_is_stationary_in_full_space() {
        // 6 rows (4 events), 7 columns: the fit runs on the row-space basis; stationarity
        // is checked with the full-space gradient.
        let (x, t, e) = rossi();
        let mut rows: Vec<usize> = (0..t.len()).filter(|&i| e[i]).take(4).collect();
        rows.extend((0..t.len()).filter(|&i| !e[i]).take(2));
        let xs = x.select(ndarray::Axis(0), &rows);
        let ts: Vec<f64> = rows.iter().map(|&i| t[i]).collect();
        let es: Vec<bool> = rows.iter().map(|&i| e[i]).collect();
        let c = 0.1;
        let f = fit(
            xs.view(),
            &ts,
            &es,
            Ties::Efron,
            c,
            NewtonOptions::default(),
        )
        .unwrap();
        assert!(f.info.converged);

        let mut order: Vec<usize> = (0..6).collect();
        order.sort_by(|&a, &b| ts[b].total_cmp(&ts[a]).then(a.cmp(&b)));
        let data = Data::new(xs.view(), &ts, &es, &order, Ties::Efron, 1.0 / c);
        let mut ws = Workspace::default();
        let (_, g) = data.evaluate(&mut ws, f.coef.as_slice().unwrap(), false);
        assert!(max_abs(&g) < 1e-8, "full-space gradient {}", max_abs(&g));
    }

    #[test]
    fn hessian_matches_finite_differences_with_ties() {
        // Rossi has many tied weeks, so the Efron tie terms are exercised.
        let (x, t, e) = rossi();
        let mut order: Vec<usize> = (0..t.len()).collect();
        order.sort_by(|&a, &b| t[b].total_cmp(&t[a]).then(a.cmp(&b)));
        let data = Data::new(x.view(), &t, &e, &order, Ties::Efron, 0.5);
        let beta = [-0.3, -0.05, 0.2, -0.1, -0.4, -0.1, 0.1];
        let mut ws = Workspace::default();
        data.evaluate(&mut ws, &beta, true);
        let h = data.hessian(&mut ws);
        let step = 1e-5;
        for j in 0..7 {
            let (mut up, mut down) = (beta, beta);
            up[j] += step;
            down[j] -= step;
            let (gu, gd) = (
                data.evaluate(&mut ws, &up, false).1,
                data.evaluate(&mut ws, &down, false).1,
            );
            for i in 0..7 {
                let fd = (gu[i] - gd[i]) / (2.0 * step);
                assert!(
                    (fd - h[i * 7 + j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "H[{i},{j}]"
                );
            }
        }
    }
}
