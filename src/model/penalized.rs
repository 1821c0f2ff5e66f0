//! Elastic-net penalised logistic and Cox regression by cyclic coordinate descent along a
//! decreasing lambda path, with warm starts, the sequential strong rule and standardisation
//! inside the rows being fitted.
//!
//! # Objective (glmnet scaling)
//! ```text
//! logistic:  min_{b0, b}  -(1/n) sum_i [ y_i eta_i - log(1 + exp(eta_i)) ] + lambda P_a(b)
//! Cox:       min_{b}      -(1/n) l(b)                                      + lambda P_a(b)
//! P_a(b) = a ||b||_1 + (1 - a)/2 ||b||_2^2,     eta_i = b0 + x~_i' b
//! ```
//! where `x~` are the columns standardised on the fitted rows (mean 0, variance 1 with
//! divisor `n`), `a` is the elastic-net mixing `alpha` (1 = lasso, 0 = ridge), the intercept
//! is unpenalised and `l` is the Breslow or Efron log partial likelihood
//! ([`crate::model::cox`]). Coefficients are returned on the original scale
//! (`b_j / sd_j`, intercept `b0 - sum_j mean_j b_j / sd_j`).
//!
//! scikit-learn's `LogisticRegression(C, l1_ratio = a)` minimises `C sum_i loss_i +
//! a ||b||_1 + (1-a)/2 ||b||^2`, the same optimum as above with `lambda = 1 / (C n)`; for
//! Cox, scikit-survival's `CoxnetSurvivalAnalysis(alphas=[lambda], l1_ratio=a)` (Breslow
//! ties) uses this scaling exactly, and lifelines' `CoxPHFitter(penalizer = 2 lambda...)`
//! differs by its own factor (see `tests/reference/README.md`).
//!
//! # Algorithm
//! Outer loop: a quadratic approximation of the loss at the current linear predictor with
//! the exact gradient `u_i = dl/deta_i` and the diagonal of the Hessian `W_i`
//! (`p_i (1 - p_i)` for logistic; the Efron/Breslow diagonal for Cox). Inner loop: cyclic
//! coordinate descent on the penalised weighted least-squares problem,
//! ```text
//! b_j <- S( (1/n) sum_i x~_ij (W r)_i + v_j b_j , lambda a ) / ( v_j + lambda (1 - a) )
//! v_j = (1/n) sum_i W_i x~_ij^2,   S(z, g) = sign(z) max(|z| - g, 0)
//! ```
//! where `(W r)_i` is the weighted working residual, kept up to date after every change.
//! A step of the outer loop that raises the objective is halved until it does not. Only
//! the strong set `|g_j(lambda_prev)| >= a (2 lambda - lambda_prev)` plus the ever-active
//! columns are cycled; the KKT conditions are then checked on all columns and violators
//! added (Tibshirani et al. 2012).
//!
//! # References
//! Friedman, Hastie & Tibshirani (2010), J Stat Softw 33(1), "Regularization paths for
//! generalized linear models via coordinate descent", sections 2-3; Simon, Friedman,
//! Hastie & Tibshirani (2011), J Stat Softw 39(5) (Cox); Tibshirani et al. (2012), JRSS B
//! 74:245 (strong rules).
//!
//! # Limitations
//! Dense columns only; no observation weights or offsets.

use ndarray::ArrayView2;

use crate::model::cox::Ties;

/// The outcome of the rows being fitted.
#[derive(Debug, Clone, Copy)]
pub enum Response<'a> {
    /// Binary labels (`true` = case), indexed like the rows of `x`.
    Binary(&'a [bool]),
    /// Right-censored survival, indexed like the rows of `x`.
    Survival {
        time: &'a [f64],
        event: &'a [bool],
        ties: Ties,
    },
}

/// Settings of a path fit.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOptions {
    /// Elastic-net mixing `a` in `[0, 1]` (1 = lasso, 0 = ridge).
    pub alpha: f64,
    /// Number of lambdas when `lambdas` is not given.
    pub n_lambda: usize,
    /// `lambda_min / lambda_max`; default 1e-4 when `n > p`, else 1e-2 (as glmnet).
    pub lambda_min_ratio: Option<f64>,
    /// An explicit decreasing lambda sequence (overrides `n_lambda`).
    pub lambdas: Option<Vec<f64>>,
    /// Standardise the columns on the fitted rows (the penalty then acts on the
    /// standardised scale). Columns are centred either way.
    pub standardize: bool,
    /// Convergence threshold on `max_j v_j (delta b_j)^2` of coordinate descent.
    pub tol: f64,
    /// Maximum outer (quadratic approximation) iterations per lambda.
    pub max_outer: usize,
    /// Maximum coordinate-descent passes per lambda (all outer iterations together).
    pub max_passes: usize,
}

impl Default for PathOptions {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            n_lambda: 50,
            lambda_min_ratio: None,
            lambdas: None,
            standardize: true,
            tol: 1e-14,
            max_outer: 100,
            max_passes: 20_000,
        }
    }
}

/// Solver diagnostics of one lambda.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdInfo {
    /// Outer iterations.
    pub outer_iterations: usize,
    /// Total coordinate-descent passes.
    pub passes: usize,
    /// Whether both loops met their thresholds.
    pub converged: bool,
    /// The penalised objective at the solution.
    pub objective: f64,
    /// This lambda repeats the previous solution because the path saturated: more than
    /// 99.9% of the null deviance explained, or (after five lambdas) a relative gain in
    /// deviance explained below 1e-5 (glmnet's `devmax` and `fdev` rules; typically
    /// near-separable data or an unpenalised limit reached).
    pub saturated: bool,
}

/// A fitted path: one model per lambda, coefficients on the original scale.
#[derive(Debug, Clone, PartialEq)]
pub struct PathFit {
    /// Decreasing lambdas.
    pub lambdas: Vec<f64>,
    /// Intercept per lambda (0 for Cox).
    pub intercepts: Vec<f64>,
    /// Coefficients per lambda, one per column of the fitted design.
    pub coefs: Vec<Vec<f64>>,
    /// Diagnostics per lambda.
    pub info: Vec<CdInfo>,
    /// Columns in the order they first became non-zero along the path.
    pub entry_order: Vec<usize>,
}

impl PathFit {
    /// Linear predictor of model `l` for every row of `x` restricted to `cols`.
    pub fn predict(
        &self,
        l: usize,
        x: ArrayView2<f64>,
        rows: &[usize],
        cols: &[usize],
    ) -> Vec<f64> {
        let b = &self.coefs[l];
        rows.iter()
            .map(|&r| {
                let mut eta = self.intercepts[l];
                for (bj, &c) in b.iter().zip(cols) {
                    if *bj != 0.0 {
                        eta += bj * x[[r, c]];
                    }
                }
                eta
            })
            .collect()
    }
}

/// Errors of the penalised fits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PenalizedError {
    /// `alpha` outside `[0, 1]` or a bad lambda.
    #[error("{field} = {value} is invalid; expected {expected}")]
    Invalid {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// Fewer than two rows, or no column.
    #[error("cannot fit {rows} rows x {cols} columns; expected at least 2 rows and 1 column")]
    TooSmall { rows: usize, cols: usize },
    /// One class only (logistic) or no event (Cox) among the rows.
    #[error("the rows hold {n0} controls/censored and {n1} cases/events; need one of each")]
    Degenerate { n0: usize, n1: usize },
    /// A non-finite covariate or time.
    #[error("x[{row}, {col}] = {value} is not finite")]
    NonFinite { row: usize, col: usize, value: f64 },
}

/// Fits the elastic-net path of `x[rows, cols]` (module docs for the objective).
///
/// `response` is indexed by the rows of `x` (not by position in `rows`).
///
/// # Errors
/// [`PenalizedError`] for a bad `alpha` or lambda sequence, fewer than 2 rows, no column,
/// a single class / no event, or non-finite input.
///
/// # Degenerate cases
/// Columns constant on `rows` get coefficient 0 throughout. A ridge path (`alpha = 0`)
/// starts from `lambda_max` computed with `alpha = 0.001`, as glmnet does.
pub fn fit_path(
    x: ArrayView2<f64>,
    rows: &[usize],
    cols: &[usize],
    response: Response<'_>,
    opts: &PathOptions,
) -> Result<PathFit, PenalizedError> {
    let prob = Problem::new(x, rows, cols, response, opts)?;
    prob.solve_path(opts)
}

/// `lambda_max` of `x[rows, cols]`: the smallest lambda with all coefficients 0
/// (`max_j |g_j| / max(alpha, 0.001)` with `g_j` the score at the null model).
///
/// # Errors
/// As [`fit_path`].
pub fn lambda_max(
    x: ArrayView2<f64>,
    rows: &[usize],
    cols: &[usize],
    response: Response<'_>,
    opts: &PathOptions,
) -> Result<f64, PenalizedError> {
    let prob = Problem::new(x, rows, cols, response, opts)?;
    let st = prob.null_state();
    Ok(prob.lambda_max_from(&st, opts.alpha))
}

/// Soft-thresholding `S(z, g) = sign(z) max(|z| - g, 0)`.
fn soft(z: f64, g: f64) -> f64 {
    if z > g {
        z - g
    } else if z < -g {
        z + g
    } else {
        0.0
    }
}

/// The standardised problem on the fitted rows.
struct Problem {
    /// Standardised columns, column-major: `xs[j][i]`.
    xs: Vec<Vec<f64>>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    /// Columns that vary on the rows.
    usable: Vec<bool>,
    n: usize,
    family: Family,
}

enum Family {
    Binary(Vec<f64>),
    Cox(CoxData),
}

/// Cox rows sorted by time with tie groups.
struct CoxData {
    event: Vec<bool>,
    /// Row positions (0..n) by increasing time.
    order: Vec<usize>,
    /// `[start, end)` in `order` of each distinct time, increasing.
    groups: Vec<(usize, usize)>,
    ties: Ties,
}

/// Linear predictor, loss gradient and diagonal Hessian at one point.
struct Eval {
    /// Negative log-likelihood divided by n.
    loss: f64,
    /// `u_i = dl/deta_i` (log-likelihood gradient).
    u: Vec<f64>,
    /// `W_i = -d2l/deta_i^2` (diagonal).
    w: Vec<f64>,
}

/// Coefficients on the standardised scale and the linear predictor.
#[derive(Clone)]
struct State {
    b0: f64,
    b: Vec<f64>,
    eta: Vec<f64>,
}

impl Problem {
    fn new(
        x: ArrayView2<f64>,
        rows: &[usize],
        cols: &[usize],
        response: Response<'_>,
        opts: &PathOptions,
    ) -> Result<Self, PenalizedError> {
        if !(0.0..=1.0).contains(&opts.alpha) {
            return Err(PenalizedError::Invalid {
                field: "alpha",
                value: opts.alpha,
                expected: "a value in [0, 1]",
            });
        }
        let n = rows.len();
        if n < 2 || cols.is_empty() {
            return Err(PenalizedError::TooSmall {
                rows: n,
                cols: cols.len(),
            });
        }

        // Standardise on the fitted rows (divisor n, as glmnet).
        let nf = n as f64;
        let mut xs = Vec::with_capacity(cols.len());
        let mut mean = Vec::with_capacity(cols.len());
        let mut sd = Vec::with_capacity(cols.len());
        let mut usable = Vec::with_capacity(cols.len());
        for &c in cols {
            let mut v: Vec<f64> = Vec::with_capacity(n);
            for &r in rows {
                let value = x[[r, c]];
                if !value.is_finite() {
                    return Err(PenalizedError::NonFinite {
                        row: r,
                        col: c,
                        value,
                    });
                }
                v.push(value);
            }
            let m = v.iter().sum::<f64>() / nf;
            let var = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / nf;
            let s = var.sqrt();
            let varies = s > 1e-12 * (1.0 + m.abs());
            let scale = if opts.standardize && varies { s } else { 1.0 };
            v.iter_mut()
                .for_each(|a| *a = if varies { (*a - m) / scale } else { 0.0 });
            xs.push(v);
            mean.push(m);
            sd.push(scale);
            usable.push(varies);
        }

        let family = match response {
            Response::Binary(y) => {
                let yv: Vec<f64> = rows.iter().map(|&r| if y[r] { 1.0 } else { 0.0 }).collect();
                let n1 = yv.iter().filter(|&&v| v > 0.5).count();
                if n1 == 0 || n1 == n {
                    return Err(PenalizedError::Degenerate { n0: n - n1, n1 });
                }
                Family::Binary(yv)
            }
            Response::Survival { time, event, ties } => {
                let t: Vec<f64> = rows.iter().map(|&r| time[r]).collect();
                let e: Vec<bool> = rows.iter().map(|&r| event[r]).collect();
                if let Some((i, &value)) = t.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(PenalizedError::NonFinite {
                        row: rows[i],
                        col: usize::MAX,
                        value,
                    });
                }
                let n1 = e.iter().filter(|&&v| v).count();
                if n1 == 0 {
                    return Err(PenalizedError::Degenerate { n0: n, n1 });
                }
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| t[a].total_cmp(&t[b]).then(a.cmp(&b)));
                let mut groups = Vec::new();
                let mut s = 0;
                while s < n {
                    let mut e2 = s + 1;
                    while e2 < n && t[order[e2]] == t[order[s]] {
                        e2 += 1;
                    }
                    groups.push((s, e2));
                    s = e2;
                }
                Family::Cox(CoxData {
                    event: e,
                    order,
                    groups,
                    ties,
                })
            }
        };
        Ok(Self {
            xs,
            mean,
            sd,
            usable,
            n,
            family,
        })
    }

    fn has_intercept(&self) -> bool {
        matches!(self.family, Family::Binary(_))
    }

    /// Loss, gradient and diagonal Hessian of the linear predictor.
    fn eval(&self, eta: &[f64]) -> Eval {
        match &self.family {
            Family::Binary(y) => binomial_eval(eta, y),
            Family::Cox(d) => cox_eval(eta, d),
        }
    }

    /// The model with all slopes 0 (logistic: intercept at the prevalence logit).
    fn null_state(&self) -> State {
        let b0 = match &self.family {
            Family::Binary(y) => {
                let p = y.iter().sum::<f64>() / self.n as f64;
                (p / (1.0 - p)).ln()
            }
            Family::Cox(_) => 0.0,
        };
        State {
            b0,
            b: vec![0.0; self.xs.len()],
            eta: vec![b0; self.n],
        }
    }

    /// `g_j = (1/n) sum_i x~_ij u_i`.
    fn score(&self, u: &[f64], j: usize) -> f64 {
        self.xs[j].iter().zip(u).map(|(a, b)| a * b).sum::<f64>() / self.n as f64
    }

    fn lambda_max_from(&self, st: &State, alpha: f64) -> f64 {
        let ev = self.eval(&st.eta);
        let gmax = (0..self.xs.len())
            .filter(|&j| self.usable[j])
            .map(|j| self.score(&ev.u, j).abs())
            .fold(0.0f64, f64::max);
        gmax / alpha.max(1e-3)
    }

    fn penalty(&self, b: &[f64], lambda: f64, alpha: f64) -> f64 {
        let l1: f64 = b.iter().map(|v| v.abs()).sum();
        let l2: f64 = b.iter().map(|v| v * v).sum();
        lambda * (alpha * l1 + 0.5 * (1.0 - alpha) * l2)
    }

    fn solve_path(&self, opts: &PathOptions) -> Result<PathFit, PenalizedError> {
        let p = self.xs.len();
        let mut st = self.null_state();
        let lambdas = match &opts.lambdas {
            Some(l) => {
                if l.is_empty() || l.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(PenalizedError::Invalid {
                        field: "lambda",
                        value: l.first().copied().unwrap_or(f64::NAN),
                        expected: "finite values >= 0",
                    });
                }
                l.clone()
            }
            None => {
                let lmax = self.lambda_max_from(&st, opts.alpha).max(1e-12);
                let ratio = opts
                    .lambda_min_ratio
                    .unwrap_or(if self.n > p { 1e-4 } else { 1e-2 });
                let m = opts.n_lambda.max(1);
                (0..m)
                    .map(|k| {
                        let f = if m == 1 {
                            0.0
                        } else {
                            k as f64 / (m - 1) as f64
                        };
                        lmax * ratio.powf(f)
                    })
                    .collect()
            }
        };

        let mut fit = PathFit {
            lambdas: lambdas.clone(),
            intercepts: Vec::with_capacity(lambdas.len()),
            coefs: Vec::with_capacity(lambdas.len()),
            info: Vec::with_capacity(lambdas.len()),
            entry_order: Vec::new(),
        };
        let mut entered = vec![false; p];
        let mut ever_active = vec![false; p];
        let mut prev_lambda = self.lambda_max_from(&st, opts.alpha);
        let mut grad: Vec<f64> = {
            let ev = self.eval(&st.eta);
            (0..p).map(|j| self.score(&ev.u, j)).collect()
        };
        let null_loss = self.eval(&self.null_state().eta).loss;
        let mut explained = Vec::with_capacity(lambdas.len());
        for &lambda in &lambdas {
            if let Some(last) = fit.info.last().copied() {
                // glmnet's stopping rules: deviance explained above 0.999, or (after 5
                // lambdas) a relative gain in it below 1e-5.
                let loss = self.eval(&st.eta).loss;
                let dev = if null_loss > 0.0 {
                    1.0 - loss / null_loss
                } else {
                    0.0
                };
                let k = explained.len();
                let flat = k >= 5 && dev - explained[k - 1] < 1e-5 * dev.abs();
                explained.push(dev);
                if last.saturated || dev > 0.999 || flat {
                    fit.intercepts
                        .push(*fit.intercepts.last().expect("invariant: one fit"));
                    fit.coefs
                        .push(fit.coefs.last().expect("invariant: one fit").clone());
                    fit.info.push(CdInfo {
                        saturated: true,
                        ..last
                    });
                    continue;
                }
            }
            // Strong set from the previous solution's gradient.
            let cut = opts.alpha * (2.0 * lambda - prev_lambda);
            let mut in_set: Vec<bool> = (0..p)
                .map(|j| {
                    self.usable[j] && (ever_active[j] || opts.alpha == 0.0 || grad[j].abs() >= cut)
                })
                .collect();
            let info = loop {
                let set: Vec<usize> = (0..p).filter(|&j| in_set[j]).collect();
                let info = self.solve_lambda(&mut st, &set, lambda, opts);
                let ev = self.eval(&st.eta);
                grad = (0..p).map(|j| self.score(&ev.u, j)).collect();
                // KKT check on the columns left out.
                let mut violated = false;
                for j in 0..p {
                    if self.usable[j]
                        && !in_set[j]
                        && grad[j].abs() > lambda * opts.alpha * (1.0 + 1e-9)
                    {
                        in_set[j] = true;
                        violated = true;
                    }
                }
                if !violated {
                    break info;
                }
            };
            for j in 0..p {
                if st.b[j] != 0.0 {
                    ever_active[j] = true;
                    if !entered[j] {
                        entered[j] = true;
                        fit.entry_order.push(j);
                    }
                }
            }
            prev_lambda = lambda;

            // Back to the original scale.
            let coef: Vec<f64> = (0..p).map(|j| st.b[j] / self.sd[j]).collect();
            let b0 = if self.has_intercept() {
                st.b0 - (0..p).map(|j| coef[j] * self.mean[j]).sum::<f64>()
            } else {
                0.0
            };
            fit.intercepts.push(b0);
            fit.coefs.push(coef);
            fit.info.push(info);
        }
        Ok(fit)
    }

    fn objective(&self, st: &State, lambda: f64, alpha: f64) -> f64 {
        self.eval(&st.eta).loss + self.penalty(&st.b, lambda, alpha)
    }

    /// Solves one lambda from the warm start `st`, cycling over `set` only.
    fn solve_lambda(
        &self,
        st: &mut State,
        set: &[usize],
        lambda: f64,
        opts: &PathOptions,
    ) -> CdInfo {
        let nf = self.n as f64;
        let alpha = opts.alpha;
        let l1 = lambda * alpha;
        let l2 = lambda * (1.0 - alpha);
        let mut passes = 0;
        let mut outer = 0;
        let mut converged = false;
        let mut obj = self.objective(st, lambda, alpha);
        while outer < opts.max_outer {
            outer += 1;
            let ev = self.eval(&st.eta);
            let w = &ev.w;
            // Weighted working residual (W r)_i = u_i; v_j per column.
            let mut wr = ev.u.clone();
            let v: Vec<f64> = set
                .iter()
                .map(|&j| {
                    self.xs[j]
                        .iter()
                        .zip(w)
                        .map(|(a, wi)| wi * a * a)
                        .sum::<f64>()
                        / nf
                })
                .collect();
            let wsum: f64 = w.iter().sum();
            let old = st.clone();
            let mut b0 = st.b0;

            // Coordinate descent: full passes over the set, then over the active columns
            // until they settle, then a full pass again to confirm.
            let mut full = true;
            let mut inner_done = false;
            while passes < opts.max_passes {
                passes += 1;
                let mut max_change = 0.0f64;
                for (k, &j) in set.iter().enumerate() {
                    let bj = st.b[j];
                    if !full && bj == 0.0 {
                        continue;
                    }
                    let xj = &self.xs[j];
                    let g = xj.iter().zip(&wr).map(|(a, r)| a * r).sum::<f64>() / nf + v[k] * bj;
                    let new = soft(g, l1) / (v[k] + l2);
                    if new != bj {
                        let d = new - bj;
                        for (r, (a, wi)) in wr.iter_mut().zip(xj.iter().zip(w)) {
                            *r -= d * wi * a;
                        }
                        st.b[j] = new;
                        max_change = max_change.max(v[k] * d * d);
                    }
                }
                if self.has_intercept() && wsum > 0.0 {
                    let d0 = wr.iter().sum::<f64>() / wsum;
                    if d0 != 0.0 {
                        b0 += d0;
                        for (r, wi) in wr.iter_mut().zip(w) {
                            *r -= d0 * wi;
                        }
                        max_change = max_change.max(wsum / nf * d0 * d0);
                    }
                }
                if max_change < opts.tol {
                    if full {
                        inner_done = true;
                        break;
                    }
                    full = true;
                } else {
                    full = false;
                }
            }
            st.b0 = b0;
            self.update_eta(st, set);

            // Halve the step while the objective goes up.
            let mut new_obj = self.objective(st, lambda, alpha);
            let mut halvings = 0;
            while new_obj > obj + 1e-13 * obj.abs().max(1.0) && halvings < 30 {
                halvings += 1;
                st.b0 = 0.5 * (st.b0 + old.b0);
                for &j in set {
                    st.b[j] = 0.5 * (st.b[j] + old.b[j]);
                }
                self.update_eta(st, set);
                new_obj = self.objective(st, lambda, alpha);
            }
            // The outer change on the inner loop's scale, v_j (delta b_j)^2.
            let d0 = st.b0 - old.b0;
            let change = set
                .iter()
                .enumerate()
                .map(|(k, &j)| v[k] * (st.b[j] - old.b[j]).powi(2))
                .fold(wsum / nf * d0 * d0, f64::max);
            obj = new_obj;
            if inner_done && change < opts.tol {
                converged = true;
                break;
            }
            if passes >= opts.max_passes {
                break;
            }
        }
        CdInfo {
            outer_iterations: outer,
            passes,
            converged,
            objective: obj,
            saturated: false,
        }
    }

    fn update_eta(&self, st: &mut State, set: &[usize]) {
        let b0 = if self.has_intercept() { st.b0 } else { 0.0 };
        st.eta.iter_mut().for_each(|e| *e = b0);
        // Columns outside the set keep b = 0 (the set holds every non-zero column).
        for &j in set {
            let bj = st.b[j];
            if bj != 0.0 {
                for (e, a) in st.eta.iter_mut().zip(&self.xs[j]) {
                    *e += bj * a;
                }
            }
        }
    }
}

/// `log(1 + exp(eta))` without overflow.
fn log1p_exp(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

fn binomial_eval(eta: &[f64], y: &[f64]) -> Eval {
    let n = eta.len() as f64;
    let mut loss = 0.0;
    let mut u = Vec::with_capacity(eta.len());
    let mut w = Vec::with_capacity(eta.len());
    for (&e, &yi) in eta.iter().zip(y) {
        loss += log1p_exp(e) - yi * e;
        let p = if e >= 0.0 {
            1.0 / (1.0 + (-e).exp())
        } else {
            let x = e.exp();
            x / (1.0 + x)
        };
        u.push(yi - p);
        // A floor on the weight keeps v_j > 0 for (nearly) separated rows, as glmnet does.
        w.push((p * (1.0 - p)).max(1e-10));
    }
    Eval {
        loss: loss / n,
        u,
        w,
    }
}

/// Efron/Breslow log partial likelihood, its gradient in eta and the diagonal of minus
/// its Hessian (module docs; `crate::model::cox::fit` for the likelihood).
///
/// With `phi_gl = S0(R_g) - f_l S0(D_g)` and `a_il = w_i (1 - f_l [i in D_g])`:
/// `u_i = delta_i - sum_{g: t_g <= T_i} sum_l a_il / phi_gl`,
/// `W_i = sum_{g: t_g <= T_i} sum_l (a_il / phi_gl - a_il^2 / phi_gl^2)`.
fn cox_eval(eta: &[f64], d: &CoxData) -> Eval {
    let n = eta.len();
    let shift = eta.iter().fold(f64::NEG_INFINITY, |m, &e| m.max(e));
    let w: Vec<f64> = eta.iter().map(|e| (e - shift).exp()).collect();

    // Suffix sums of w over groups (risk set of group g = groups g..).
    let ng = d.groups.len();
    let mut s0r = vec![0.0; ng + 1];
    for g in (0..ng).rev() {
        let (s, e) = d.groups[g];
        s0r[g] = s0r[g + 1] + d.order[s..e].iter().map(|&i| w[i]).sum::<f64>();
    }

    let mut loglik = 0.0;
    // Per group: sum_l 1/phi, 1/phi^2, (1-f)/phi, (1-f)^2/phi^2.
    let mut a = vec![0.0; ng];
    let mut bq = vec![0.0; ng];
    let mut ae = vec![0.0; ng];
    let mut be = vec![0.0; ng];
    for g in 0..ng {
        let (s, e) = d.groups[g];
        let events: Vec<usize> = d.order[s..e]
            .iter()
            .copied()
            .filter(|&i| d.event[i])
            .collect();
        let m = events.len();
        if m == 0 {
            continue;
        }
        let s0d: f64 = events.iter().map(|&i| w[i]).sum();
        loglik += events.iter().map(|&i| eta[i]).sum::<f64>();
        for l in 0..m {
            let f = match d.ties {
                Ties::Efron => l as f64 / m as f64,
                Ties::Breslow => 0.0,
            };
            let phi = s0r[g] - f * s0d;
            loglik -= phi.ln() + shift;
            a[g] += 1.0 / phi;
            bq[g] += 1.0 / (phi * phi);
            ae[g] += (1.0 - f) / phi;
            be[g] += (1.0 - f) * (1.0 - f) / (phi * phi);
        }
    }

    let mut u = vec![0.0; n];
    let mut wd = vec![0.0; n];
    let (mut cum_a, mut cum_b) = (0.0, 0.0);
    for g in 0..ng {
        let (s, e) = d.groups[g];
        for &i in &d.order[s..e] {
            let (sa, sb) = if d.event[i] {
                (cum_a + ae[g], cum_b + be[g])
            } else {
                (cum_a + a[g], cum_b + bq[g])
            };
            let di = if d.event[i] { 1.0 } else { 0.0 };
            u[i] = di - w[i] * sa;
            wd[i] = (w[i] * sa - w[i] * w[i] * sb).max(0.0);
        }
        cum_a += a[g];
        cum_b += bq[g];
    }
    Eval {
        loss: -loglik / n as f64,
        u,
        w: wd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cox;
    use crate::model::logistic::{self, NewtonOptions};
    use ndarray::Array2;

    /// A small design with signal: 60 rows, 4 columns.
    fn toy() -> (Array2<f64>, Vec<bool>, Vec<f64>) {
        let mut rng = crate::stats::rng::stream(5, "penalized/toy");
        use rand::RngExt;
        let n = 60;
        let x = Array2::from_shape_fn((n, 4), |(_, j)| rng.random::<f64>() * (j as f64 + 1.0));
        let y: Vec<bool> = (0..n)
            .map(|i| x[[i, 0]] - 0.5 * x[[i, 1]] / 2.0 + 0.3 * rng.random::<f64>() > 0.4)
            .collect();
        let t: Vec<f64> = (0..n)
            .map(|i| (1.0 + (i * 7 % 13) as f64) / (1.0 + x[[i, 0]]))
            .collect();
        (x, y, t)
    }

    #[test]
    fn ridge_logistic_matches_newton_with_c_scaling() {
        // lambda = 1 / (C n) on unstandardised columns is scikit-learn's L2 objective,
        // which crate::model::logistic solves by Newton's method.
        let (x, y, _) = toy();
        let rows: Vec<usize> = (0..60).collect();
        let cols = [0, 1, 2, 3];
        let c = 0.7;
        let opts = PathOptions {
            alpha: 0.0,
            lambdas: Some(vec![1.0 / (c * 60.0)]),
            standardize: false,
            ..PathOptions::default()
        };
        let f = fit_path(x.view(), &rows, &cols, Response::Binary(&y), &opts).unwrap();
        let r = logistic::fit(x.view(), &y, c, NewtonOptions::default()).unwrap();
        assert!(f.info[0].converged);
        assert!((f.intercepts[0] - r.intercept).abs() < 1e-8);
        for j in 0..4 {
            assert!((f.coefs[0][j] - r.coef[j]).abs() < 1e-8, "{j}");
        }
    }

    #[test]
    fn ridge_cox_matches_newton_for_both_tie_rules() {
        let (x, _, t) = toy();
        let e: Vec<bool> = (0..60).map(|i| i % 4 != 0).collect();
        let rows: Vec<usize> = (0..60).collect();
        let c = 0.5;
        for ties in [Ties::Breslow, Ties::Efron] {
            let opts = PathOptions {
                alpha: 0.0,
                lambdas: Some(vec![1.0 / (c * 60.0)]),
                standardize: false,
                ..PathOptions::default()
            };
            let resp = Response::Survival {
                time: &t,
                event: &e,
                ties,
            };
            let f = fit_path(x.view(), &rows, &[0, 1, 2, 3], resp, &opts).unwrap();
            let r = cox::fit(x.view(), &t, &e, ties, c, NewtonOptions::default()).unwrap();
            for j in 0..4 {
                assert!((f.coefs[0][j] - r.coef[j]).abs() < 1e-7, "{ties:?} {j}");
            }
        }
    }

    #[test]
    fn lasso_path_satisfies_kkt_and_starts_empty() {
        let (x, y, _) = toy();
        let rows: Vec<usize> = (0..60).collect();
        let f = fit_path(
            x.view(),
            &rows,
            &[0, 1, 2, 3],
            Response::Binary(&y),
            &PathOptions::default(),
        )
        .unwrap();
        assert!(f.coefs[0].iter().all(|&b| b == 0.0));
        assert!(
            f.coefs
                .last()
                .unwrap()
                .iter()
                .filter(|&&b| b != 0.0)
                .count()
                >= 2
        );
        assert_eq!(f.entry_order[0], 0);
        // KKT at the 20th lambda on the standardised scale: |g_j| <= lambda, with equality
        // (sign-matched) on the active set.
        let l = 20;
        let prob = Problem::new(
            x.view(),
            &rows,
            &[0, 1, 2, 3],
            Response::Binary(&y),
            &PathOptions::default(),
        )
        .unwrap();
        let eta = f.predict(l, x.view(), &rows, &[0, 1, 2, 3]);
        let ev = prob.eval(&eta);
        for j in 0..4 {
            let g = prob.score(&ev.u, j);
            let b = f.coefs[l][j] * prob.sd[j];
            if b == 0.0 {
                assert!(g.abs() <= f.lambdas[l] * (1.0 + 1e-6), "{j}: {g}");
            } else {
                assert!((g - f.lambdas[l] * b.signum()).abs() < 1e-6, "{j}: {g}");
            }
        }
    }

    #[test]
    fn rejects_single_class_and_bad_alpha() {
        let (x, _, _) = toy();
        let y = vec![true; 60];
        let rows: Vec<usize> = (0..60).collect();
        let err = fit_path(
            x.view(),
            &rows,
            &[0],
            Response::Binary(&y),
            &PathOptions::default(),
        );
        assert!(matches!(
            err,
            Err(PenalizedError::Degenerate { n1: 60, .. })
        ));
        let opts = PathOptions {
            alpha: 1.5,
            ..PathOptions::default()
        };
        let y2: Vec<bool> = (0..60).map(|i| i % 2 == 0).collect();
        let err = fit_path(x.view(), &rows, &[0], Response::Binary(&y2), &opts);
        assert!(matches!(
            err,
            Err(PenalizedError::Invalid { field: "alpha", .. })
        ));
    }

    /// Gradient of -(1/n) log partial likelihood straight from the definition (Efron),
    /// O(n^2), independent of `cox_eval`.
    fn efron_gradient_brute(x: &Array2<f64>, t: &[f64], e: &[bool], b: &[f64]) -> Vec<f64> {
        let (n, p) = x.dim();
        let w: Vec<f64> = (0..n)
            .map(|i| (0..p).map(|j| x[[i, j]] * b[j]).sum::<f64>().exp())
            .collect();
        let mut g = vec![0.0; p];
        let mut times: Vec<f64> = (0..n).filter(|&i| e[i]).map(|i| t[i]).collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        for &tt in &times {
            let dead: Vec<usize> = (0..n).filter(|&i| e[i] && t[i] == tt).collect();
            let risk: Vec<usize> = (0..n).filter(|&i| t[i] >= tt).collect();
            let d = dead.len() as f64;
            for l in 0..dead.len() {
                let f = l as f64 / d;
                let phi: f64 = risk.iter().map(|&i| w[i]).sum::<f64>()
                    - f * dead.iter().map(|&i| w[i]).sum::<f64>();
                for j in 0..p {
                    let s1: f64 = risk.iter().map(|&i| w[i] * x[[i, j]]).sum::<f64>()
                        - f * dead.iter().map(|&i| w[i] * x[[i, j]]).sum::<f64>();
                    g[j] += s1 / phi;
                }
            }
            for &i in &dead {
                for j in 0..p {
                    g[j] -= x[[i, j]];
                }
            }
        }
        g.iter().map(|v| v / n as f64).collect()
    }

    #[test]
    fn efron_lasso_cox_satisfies_kkt_on_rossi() {
        // No external reference fits Efron with an L1 penalty exactly (lifelines smooths
        // |b|), so the optimality conditions are checked with a brute-force gradient.
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/stats/rossi_with_cox_lp.csv"
        ))
        .unwrap();
        let mut t = Vec::new();
        let mut e = Vec::new();
        let mut v = Vec::new();
        for line in text.lines().skip(1) {
            let f: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            t.push(f[0]);
            e.push(f[1] == 1.0);
            v.extend_from_slice(&f[2..9]);
        }
        let mut x = Array2::from_shape_vec((t.len(), 7), v).unwrap();
        for mut col in x.columns_mut() {
            let m = col.mean().unwrap();
            let sd = col.std(0.0);
            col.mapv_inplace(|a| (a - m) / sd);
        }
        let rows: Vec<usize> = (0..t.len()).collect();
        let lambda = 0.02;
        let opts = PathOptions {
            lambdas: Some(vec![lambda]),
            standardize: false,
            tol: 1e-16,
            ..PathOptions::default()
        };
        let resp = Response::Survival {
            time: &t,
            event: &e,
            ties: Ties::Efron,
        };
        let f = fit_path(x.view(), &rows, &[0, 1, 2, 3, 4, 5, 6], resp, &opts).unwrap();
        let b = &f.coefs[0];
        assert!(
            b.iter().any(|&v| v == 0.0) && b.iter().any(|&v| v != 0.0),
            "{b:?}"
        );
        let g = efron_gradient_brute(&x, &t, &e, b);
        for j in 0..7 {
            if b[j] == 0.0 {
                assert!(g[j].abs() <= lambda + 1e-9, "{j}: {}", g[j]);
            } else {
                assert!(
                    (g[j] + lambda * b[j].signum()).abs() < 1e-7,
                    "{j}: {}",
                    g[j]
                );
            }
        }
    }
}
