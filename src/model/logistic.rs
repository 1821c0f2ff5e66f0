//! L2-penalised logistic regression fitted by Newton's method (IRLS).
//!
//! The objective is scikit-learn's convention for `LogisticRegression(penalty="l2", C)`:
//! the sum (not the mean) of the log-losses plus `||beta||^2 / (2C)`, with the intercept
//! unpenalised. `C = +inf` gives the unpenalised maximum-likelihood fit.
//!
//! Newton steps solve `H d = -g` with a dense Cholesky factorisation (the models radaudit
//! fits on simulated data have a handful of coefficients), and are halved until the
//! objective decreases. Fit diagnostics (iterations, convergence, gradient norm) are data,
//! returned in [`FitInfo`].
//!
//! # Limitations
//! The Hessian is `(p+1) x (p+1)`, so a fit costs `O(n p^2 + p^3)` per iteration; fits with
//! hundreds of columns work but are slow.
// TODO(model): a dual (n x n) Newton step for p >> n fits (selection "none" on many
// candidates); today such a fit is correct but O(p^3) per iteration.

use faer::{Mat, MatRef};
use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::model::linalg::{Cholesky, Gram, RowSpace};

/// Settings of the Newton solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonOptions {
    /// Maximum Newton iterations.
    pub max_iter: usize,
    /// Convergence when the largest absolute gradient entry is below `tol * max(1, n)`.
    pub tol: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        Self {
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

/// Solver diagnostics returned beside every fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitInfo {
    /// Newton iterations taken.
    pub iterations: usize,
    /// Whether the gradient criterion was met within `max_iter`.
    pub converged: bool,
    /// Largest absolute entry of the objective's gradient at the returned coefficients.
    pub gradient_norm: f64,
    /// The objective (penalised negative log-likelihood) at the returned coefficients.
    pub objective: f64,
}

/// A fitted logistic model.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Intercept `beta_0` (unpenalised).
    pub intercept: f64,
    /// Coefficients `beta_1..beta_p`, one per column of `x`.
    pub coef: Array1<f64>,
    /// Solver diagnostics.
    pub info: FitInfo,
}

/// Errors from the logistic fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogisticError {
    /// `x` has a different number of rows than `y` has labels.
    #[error("x has {rows} rows but y has {labels} labels; expected equal")]
    Shape { rows: usize, labels: usize },
    /// No rows.
    #[error("no rows to fit; expected at least one")]
    Empty,
    /// A non-finite value in `x`.
    #[error("x[{row}, {col}] = {value} is not finite")]
    NonFinite { row: usize, col: usize, value: f64 },
    /// `C` is not positive.
    #[error("penalty C = {0} must be > 0 (use +inf for no penalty)")]
    BadC(f64),
    /// The Newton system could not be solved (singular Hessian: collinear columns and no
    /// penalty, or a single class without penalty).
    #[error(
        "singular Hessian at iteration {iteration}; columns collinear or C = inf on \
             separable data"
    )]
    Singular { iteration: usize },
}

impl LogisticFit {
    /// The linear predictor `eta = beta_0 + x beta` for each row of `x`.
    ///
    /// # Panics
    /// When `x` does not have `coef.len()` columns (a caller bug).
    pub fn linear_predictor(&self, x: ArrayView2<f64>) -> Array1<f64> {
        x.dot(&self.coef) + self.intercept
    }

    /// The same as [`LogisticFit::linear_predictor`] for one row.
    pub fn score_row(&self, row: ArrayView1<f64>) -> f64 {
        self.intercept + row.dot(&self.coef)
    }
}

/// Fits L2-penalised logistic regression by Newton's method.
///
/// # Formula
/// With `eta_i = beta_0 + x_i' beta` and `mu_i = 1 / (1 + exp(-eta_i))`, minimises
/// ```text
/// f(beta_0, beta) = sum_i [ log(1 + exp(eta_i)) - y_i eta_i ] + ||beta||^2 / (2C)
/// g = Z'(mu - y) + P beta~ / C,    H = Z' W Z + P / C,   W = diag(mu_i (1 - mu_i))
/// ```
/// where `Z = [1, X]`, `beta~ = (beta_0, beta)` and `P = diag(0, 1, ..., 1)`.
///
/// # Reference
/// Hastie, Tibshirani & Friedman, *Elements of Statistical Learning* (2009), sec. 4.4.1
/// (IRLS); penalty scaling as scikit-learn's `LogisticRegression` (its user guide,
/// "Logistic regression", L2 objective).
///
/// # Errors
/// [`LogisticError`] for mismatched shapes, no rows, non-finite `x`, `C <= 0` or NaN, or a
/// singular Newton system.
///
/// # Degenerate cases
/// A single class or separable data with `C = inf` has no finite optimum: the coefficients
/// grow until `max_iter` and `info.converged` is false (or the Hessian becomes singular).
/// With finite `C` the objective is strictly convex in `beta` and the optimum is unique; a
/// single class then drives the intercept towards infinity (not converged).
pub fn fit(
    x: ArrayView2<f64>,
    y: &[bool],
    c: f64,
    opts: NewtonOptions,
) -> Result<LogisticFit, LogisticError> {
    validate(x, y, c)?;
    let (n, p) = x.dim();
    let inv_c = if c.is_infinite() { 0.0 } else { 1.0 / c };
    let dim = p + 1;

    // A ridge fit of a wide design is the same fit on its n-column row-space basis.
    let reduced = (inv_c > 0.0 && p > n).then(|| RowSpace::new(x));
    let x = reduced.as_ref().map_or(x, |r| r.z.view());
    let zf = Mat::from_fn(
        n,
        x.ncols() + 1,
        |i, j| if j == 0 { 1.0 } else { x[[i, j - 1]] },
    );

    // Start at the prevalence logit (clamped), all slopes zero.
    let n1 = y.iter().filter(|&&v| v).count() as f64;
    let prev = (n1 / n as f64).clamp(1e-3, 1.0 - 1e-3);
    let mut beta = vec![0.0; x.ncols() + 1];
    beta[0] = (prev / (1.0 - prev)).ln();

    let tol = opts.tol * (n as f64).max(1.0);
    let mut problem = Problem {
        x,
        zf: zf.as_ref(),
        y,
        inv_c,
        w: Vec::new(),
        gram: Gram::default(),
    };
    let run = damped_newton(beta, tol, opts.max_iter, &mut problem)
        .map_err(|iteration| LogisticError::Singular { iteration })?;
    let NewtonRun {
        beta,
        objective,
        grad,
        iterations,
        converged,
    } = run;
    let coef = match &reduced {
        Some(r) => r.expand(&beta[1..]),
        None => beta[1..].to_vec(),
    };
    debug_assert_eq!(coef.len(), dim - 1);

    Ok(LogisticFit {
        intercept: beta[0],
        coef: Array1::from(coef),
        info: FitInfo {
            iterations,
            converged,
            gradient_norm: max_abs(&grad),
            objective,
        },
    })
}

/// A smooth convex objective for [`damped_newton`].
pub(crate) trait NewtonObjective {
    /// The objective at `beta` (the step-halving trials).
    fn value(&mut self, beta: &[f64]) -> f64;

    /// The objective and its gradient at `beta`.
    fn value_gradient(&mut self, beta: &[f64]) -> (f64, Vec<f64>);

    /// The Hessian (row-major `dim x dim`) at the point of the last
    /// [`value_gradient`](NewtonObjective::value_gradient) call.
    fn hessian(&mut self) -> Vec<f64>;
}

/// The end of a damped Newton run: the last accepted point, its objective and gradient.
pub(crate) struct NewtonRun {
    pub(crate) beta: Vec<f64>,
    pub(crate) objective: f64,
    pub(crate) grad: Vec<f64>,
    pub(crate) iterations: usize,
    pub(crate) converged: bool,
}

/// Minimises a smooth convex objective by Newton's method with step halving, shared by
/// the logistic and Cox fits.
///
/// Each step solves `H d = -g` (Cholesky) and halves the step (at most 40 times) until
/// the objective does not increase; the run stops when the largest gradient component is
/// below `tol`, after `max_iter` steps, or when no halving helps. The Hessian is asked
/// for only when a step follows, so the converged point never pays for one.
///
/// # Errors
/// The iteration at which the Hessian was not numerically positive definite.
pub(crate) fn damped_newton(
    mut beta: Vec<f64>,
    tol: f64,
    max_iter: usize,
    f: &mut impl NewtonObjective,
) -> Result<NewtonRun, usize> {
    let dim = beta.len();
    let mut chol = Cholesky::default();
    let (mut objective, mut grad) = f.value_gradient(&beta);
    let mut iterations = 0;
    let mut converged = max_abs(&grad) < tol;
    while !converged && iterations < max_iter {
        iterations += 1;

        // Newton direction: H d = -g, H at beta (the last point with a gradient).
        let hess = f.hessian();
        let neg_g: Vec<f64> = grad.iter().map(|g| -g).collect();
        let d = chol.solve(&hess, dim, &neg_g).ok_or(iterations)?;

        // Step halving until the objective does not increase. The full step is nearly
        // always taken, so it is evaluated with its gradient, which the test of
        // convergence needs.
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = beta.iter().zip(&d).map(|(b, di)| b + step * di).collect();
            let (value, g) = if step == 1.0 {
                let (value, g) = f.value_gradient(&trial);
                (value, Some(g))
            } else {
                (f.value(&trial), None)
            };
            if value <= objective + 1e-12 * objective.abs().max(1.0) {
                accepted = Some((trial, value, g));
                break;
            }
            step *= 0.5;
        }
        let Some((next, value, g)) = accepted else {
            break;
        };
        beta = next;
        (objective, grad) = match g {
            Some(g) => (value, g),
            None => f.value_gradient(&beta),
        };
        converged = max_abs(&grad) < tol;
    }
    Ok(NewtonRun {
        beta,
        objective,
        grad,
        iterations,
        converged,
    })
}

fn validate(x: ArrayView2<f64>, y: &[bool], c: f64) -> Result<(), LogisticError> {
    let (n, _) = x.dim();
    if n != y.len() {
        return Err(LogisticError::Shape {
            rows: n,
            labels: y.len(),
        });
    }
    if n == 0 {
        return Err(LogisticError::Empty);
    }
    if c.is_nan() || c <= 0.0 {
        return Err(LogisticError::BadC(c));
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(LogisticError::NonFinite { row, col, value });
        }
    }
    Ok(())
}

/// `log(1 + exp(eta))` without overflow.
fn log1p_exp(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

/// Logistic function without overflow.
fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

fn objective(x: ArrayView2<f64>, y: &[bool], beta: &[f64], inv_c: f64) -> f64 {
    let mut f = 0.0;
    for (i, row) in x.rows().into_iter().enumerate() {
        let eta = beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
        f += log1p_exp(eta) - if y[i] { eta } else { 0.0 };
    }
    f + 0.5 * inv_c * beta[1..].iter().map(|b| b * b).sum::<f64>()
}

/// The logistic objective of one fit; `zf` is `[1, x]`, whose weighted Gram matrix
/// `Z' W Z` is the information.
struct Problem<'a> {
    x: ArrayView2<'a, f64>,
    zf: MatRef<'a, f64>,
    y: &'a [bool],
    inv_c: f64,
    /// `mu_i (1 - mu_i)` at the last point with a gradient.
    w: Vec<f64>,
    gram: Gram,
}

impl NewtonObjective for Problem<'_> {
    fn value(&mut self, beta: &[f64]) -> f64 {
        objective(self.x, self.y, beta, self.inv_c)
    }

    fn value_gradient(&mut self, beta: &[f64]) -> (f64, Vec<f64>) {
        let dim = beta.len();
        let mut grad = vec![0.0; dim];
        let mut f = 0.0;
        self.w.clear();
        for (i, row) in self.x.rows().into_iter().enumerate() {
            let eta = beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
            let yi = if self.y[i] { 1.0 } else { 0.0 };
            f += log1p_exp(eta) - yi * eta;
            let mu = sigmoid(eta);
            let r = mu - yi;
            grad[0] += r;
            for (g, xj) in grad[1..].iter_mut().zip(row.iter()) {
                *g += r * xj;
            }
            self.w.push(mu * (1.0 - mu));
        }
        for j in 1..dim {
            grad[j] += self.inv_c * beta[j];
            f += 0.5 * self.inv_c * beta[j] * beta[j];
        }
        (f, grad)
    }

    fn hessian(&mut self) -> Vec<f64> {
        let dim = self.zf.ncols();
        let mut h = vec![0.0; dim * dim];
        self.gram.compute(self.zf, &self.w, None, &mut h);
        for j in 1..dim {
            h[j * dim + j] += self.inv_c;
        }
        h
    }
}

pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Axis};

    const WDBC: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/tables/wdbc_breast_cancer.csv"
    );

    /// WDBC (569 x 30) with columns standardised (population sd), outcome malignant.
    fn wdbc() -> (Array2<f64>, Vec<bool>, Vec<String>) {
        let text = std::fs::read_to_string(WDBC).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            rows.extend_from_slice(&v[1..31]);
            y.push(v[31] == 1.0);
        }
        let mut x = Array2::from_shape_vec((y.len(), 30), rows).unwrap();
        for mut col in x.axis_iter_mut(Axis(1)) {
            let m = col.mean().unwrap();
            let sd = col.std(0.0);
            col.mapv_inplace(|v| (v - m) / sd);
        }
        (x, y, header[1..31].to_vec())
    }

    /// Gradient of the objective, computed independently of the solver.
    fn kkt_gradient(x: ArrayView2<f64>, y: &[bool], fit: &LogisticFit, c: f64) -> Vec<f64> {
        let p = x.ncols();
        let mut g = vec![0.0; p + 1];
        for (i, row) in x.rows().into_iter().enumerate() {
            let eta = fit.score_row(row);
            let r = 1.0 / (1.0 + (-eta).exp()) - if y[i] { 1.0 } else { 0.0 };
            g[0] += r;
            for j in 0..p {
                g[j + 1] += r * row[j];
            }
        }
        for j in 0..p {
            g[j + 1] += fit.coef[j] / c;
        }
        g
    }

    /// A separate solver: IRLS as weighted least squares, solved by Gaussian elimination
    /// with partial pivoting, fixed 50 iterations, ridge term added to the normal equations.
    fn reference_irls(x: ArrayView2<f64>, y: &[bool], inv_c: f64) -> Vec<f64> {
        let (n, p) = x.dim();
        let d = p + 1;
        let mut b = vec![0.0; d];
        for _ in 0..50 {
            let mut a = vec![vec![0.0; d + 1]; d];
            for i in 0..n {
                let zi: Vec<f64> = std::iter::once(1.0)
                    .chain(x.row(i).iter().copied())
                    .collect();
                let eta: f64 = zi.iter().zip(&b).map(|(u, v)| u * v).sum();
                let mu = 1.0 / (1.0 + (-eta).exp());
                let w = mu * (1.0 - mu);
                let yi = if y[i] { 1.0 } else { 0.0 };
                // w z with working response z = eta + (y - mu) / w, kept finite as w -> 0
                let wz = w * eta + (yi - mu);
                for r in 0..d {
                    for s in 0..d {
                        a[r][s] += w * zi[r] * zi[s];
                    }
                    a[r][d] += zi[r] * wz;
                }
            }
            for r in 1..d {
                a[r][r] += inv_c;
            }
            for col in 0..d {
                let piv = (col..d)
                    .max_by(|&i, &j| a[i][col].abs().partial_cmp(&a[j][col].abs()).unwrap())
                    .unwrap();
                a.swap(col, piv);
                for r in 0..d {
                    if r != col {
                        let f = a[r][col] / a[col][col];
                        for s in col..=d {
                            a[r][s] -= f * a[col][s];
                        }
                    }
                }
            }
            b = (0..d).map(|r| a[r][d] / a[r][r]).collect();
        }
        b
    }

    #[test]
    fn wdbc_c1_satisfies_kkt_and_matches_reference_irls() {
        let (x, y, _) = wdbc();
        let fit = fit(x.view(), &y, 1.0, NewtonOptions::default()).unwrap();
        assert!(fit.info.converged, "{:?}", fit.info);
        let g = kkt_gradient(x.view(), &y, &fit, 1.0);
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(gmax < 1e-8, "KKT gradient {gmax}");
        let reference = reference_irls(x.view(), &y, 1.0);
        assert!((fit.intercept - reference[0]).abs() < 1e-8);
        for j in 0..30 {
            assert!((fit.coef[j] - reference[j + 1]).abs() < 1e-8, "coef {j}");
        }
    }

    #[test]
    fn wdbc_unpenalised_three_features_matches_reference_irls() {
        // MSM-T's three features (README: worst area, worst smoothness, mean texture);
        // not separable, so the maximum-likelihood estimate exists.
        let (x, y, names) = wdbc();
        let cols: Vec<usize> = ["worst_area", "worst_smoothness", "mean_texture"]
            .iter()
            .map(|n| names.iter().position(|h| h == n).unwrap())
            .collect();
        let xs = x.select(Axis(1), &cols);
        let fit = fit(xs.view(), &y, f64::INFINITY, NewtonOptions::default()).unwrap();
        assert!(fit.info.converged);
        let reference = reference_irls(xs.view(), &y, 0.0);
        assert!((fit.intercept - reference[0]).abs() < 1e-8);
        for j in 0..3 {
            assert!((fit.coef[j] - reference[j + 1]).abs() < 1e-8, "coef {j}");
        }
        // Unpenalised score equations: sum(mu) = sum(y).
        let mu_sum: f64 = fit
            .linear_predictor(xs.view())
            .iter()
            .map(|e| 1.0 / (1.0 + (-e).exp()))
            .sum();
        assert!((mu_sum - 212.0).abs() < 1e-8);
    }

    #[test]
    fn stronger_penalty_shrinks_coefficients() {
        let (x, y, _) = wdbc();
        let a = fit(x.view(), &y, 1.0, NewtonOptions::default()).unwrap();
        let b = fit(x.view(), &y, 0.01, NewtonOptions::default()).unwrap();
        let na = a.coef.dot(&a.coef);
        let nb = b.coef.dot(&b.coef);
        assert!(nb < na, "{nb} !< {na}");
    }

    #[test]
    fn rejects_shape_mismatch() {
        let x = Array2::<f64>::zeros((3, 2));
        let err = fit(x.view(), &[true, false], 1.0, NewtonOptions::default()).unwrap_err();
        assert_eq!(err, LogisticError::Shape { rows: 3, labels: 2 });
    }

    #[test]
    fn rejects_non_finite_and_bad_c() {
        let mut x = Array2::<f64>::zeros((2, 1));
        x[[1, 0]] = f64::NAN;
        let y = [true, false];
        assert!(matches!(
            fit(x.view(), &y, 1.0, NewtonOptions::default()),
            Err(LogisticError::NonFinite { row: 1, col: 0, .. })
        ));
        let x = Array2::<f64>::zeros((2, 1));
        assert_eq!(
            fit(x.view(), &y, 0.0, NewtonOptions::default()).unwrap_err(),
            LogisticError::BadC(0.0)
        );
    }

    #[test]
    fn wide_design_fit_matches_reference_irls_in_full_space() {
        // 20 rows, 30 columns: the fit runs on the 20-column row-space basis; the
        // reference IRLS below works on all 30 columns.
        let (x, y, _) = wdbc();
        let (xs, ys) = (
            x.slice(ndarray::s![0..20, ..]).to_owned(),
            y[0..20].to_vec(),
        );
        assert!(ys.iter().any(|&v| v) && ys.iter().any(|&v| !v));
        let fit = fit(xs.view(), &ys, 0.5, NewtonOptions::default()).unwrap();
        assert!(fit.info.converged);
        let g = kkt_gradient(xs.view(), &ys, &fit, 0.5);
        assert!(max_abs(&g) < 1e-7, "full-space gradient {}", max_abs(&g));
        let r = reference_irls(xs.view(), &ys, 2.0);
        assert!((fit.intercept - r[0]).abs() < 1e-7);
        for (j, b) in fit.coef.iter().enumerate() {
            assert!((b - r[j + 1]).abs() < 1e-7, "coef {j}: {b} vs {}", r[j + 1]);
        }
    }
}
