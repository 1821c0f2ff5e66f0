#!/usr/bin/env python3
"""Reference coefficients of penalised logistic and Cox fits for tests/cv.rs.

Run by hand (about 1 minute):
    python3 -m venv /tmp/cvref && /tmp/cvref/bin/pip install scikit-learn==1.9.1 \
        lifelines==0.30.3 scikit-survival==0.28.0 pandas
    /tmp/cvref/bin/python tests/reference/penalised_reference.py

Writes tests/reference/penalised_coefficients.csv. radaudit's objective (glmnet scaling):
    (1/n) negative log(-partial) likelihood + lambda (a |b|_1 + (1 - a)/2 |b|_2^2)
Each reference tool's own penalty is mapped to this lambda below, and the mapping is
checked here by the KKT (stationarity) conditions of radaudit's objective at the
reference solution; the largest violation is written beside every fit.

Design matrices: WDBC's 30 features standardised with divisor n (ddof 0); Rossi's 7
covariates standardised with divisor n - 1 (ddof 1), because lifelines divides by the
pandas standard deviation internally, which is then exactly 1. radaudit is run on the
same matrices with standardize = false (centring only), so penalties act on one scale.
"""
import csv
import os
import sys
import warnings

import numpy as np
import pandas as pd

import lifelines
import sklearn
import sksurv
from lifelines import CoxPHFitter
from sklearn.linear_model import LogisticRegression
from sksurv.linear_model import CoxnetSurvivalAnalysis

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")
OUT = os.path.join(HERE, "penalised_coefficients.csv")


def wdbc():
    d = pd.read_csv(os.path.join(DATA, "tables", "wdbc_breast_cancer.csv"))
    x = d.iloc[:, 1:31].to_numpy(float)
    x = (x - x.mean(0)) / x.std(0, ddof=0)
    return x, d["diagnosis"].to_numpy(int), list(d.columns[1:31])


def rossi():
    d = pd.read_csv(os.path.join(DATA, "stats", "rossi_with_cox_lp.csv"))
    cols = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    x = d[cols].to_numpy(float)
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    return x, d["week"].to_numpy(float), d["arrest"].to_numpy(int), cols


def soft_kkt(grad, b, lam, a):
    """Largest violation of 0 in grad + lam (a sign(b) + (1-a) b) (subgradient at 0)."""
    worst = 0.0
    for g, bj in zip(grad, b):
        if bj != 0.0:
            worst = max(worst, abs(g + lam * (a * np.sign(bj) + (1 - a) * bj)))
        else:
            worst = max(worst, max(0.0, abs(g) - lam * a))
    return worst


def logistic_kkt(x, y, b0, b, lam, a):
    eta = b0 + x @ b
    p = 1 / (1 + np.exp(-eta))
    n = len(y)
    g = x.T @ (p - y) / n
    return max(abs((p - y).mean()), soft_kkt(g, b, lam, a))


def cox_grad(x, t, e, b, ties):
    """Gradient of -(1/n) log partial likelihood (Breslow or Efron), direct definition."""
    n = len(t)
    eta = x @ b
    w = np.exp(eta - eta.max())
    g = np.zeros(x.shape[1])
    for tt in np.unique(t[e == 1]):
        risk = t >= tt
        dead = (t == tt) & (e == 1)
        d = dead.sum()
        s0r, s1r = w[risk].sum(), (w[risk, None] * x[risk]).sum(0)
        s0d, s1d = w[dead].sum(), (w[dead, None] * x[dead]).sum(0)
        g -= x[dead].sum(0)
        for l in range(d):
            f = l / d if ties == "efron" else 0.0
            g += (s1r - f * s1d) / (s0r - f * s0d)
    return g / n


def main():
    rows = []
    warnings.simplefilter("ignore")
    x, y, names = wdbc()
    n = len(y)
    for label, c, a in [("l1", 0.05, 1.0), ("l2", 0.1, 0.0), ("enet", 0.1, 0.5)]:
        # scikit-learn: C sum(loss) + a |b|_1 + (1-a)/2 |b|^2  ->  lambda = 1 / (C n).
        m = LogisticRegression(C=c, l1_ratio=a, solver="saga", tol=1e-14, max_iter=2_000_000)
        if a == 0.0:
            m = LogisticRegression(C=c, l1_ratio=0.0, solver="lbfgs", tol=1e-14, max_iter=100_000)
        m.fit(x, y)
        lam = 1.0 / (c * n)
        b0, b = float(m.intercept_[0]), m.coef_[0].copy()
        # saga reaches exact zeros only up to its tolerance; entries below 1e-12 are 0.
        b[np.abs(b) < 1e-12] = 0.0
        kkt = logistic_kkt(x, y, b0, b, lam, a)
        src = f"scikit-learn {sklearn.__version__} LogisticRegression(C={c}, l1_ratio={a}, solver={m.solver})"
        rows.append(("wdbc", f"logistic-{label}", "", a, lam, "(intercept)", b0, kkt, src))
        for nm, v in zip(names, b):
            rows.append(("wdbc", f"logistic-{label}", "", a, lam, nm, float(v), kkt, src))

    x, t, e, cols = rossi()
    n = len(t)
    for label, lam, a in [("l1", 0.02, 1.0), ("enet", 0.05, 0.5)]:
        # scikit-survival Coxnet (Breslow ties) uses radaudit's scaling directly.
        m = CoxnetSurvivalAnalysis(alphas=[lam], l1_ratio=a, normalize=False, tol=1e-14, max_iter=10_000_000)
        m.fit(x, np.array(list(zip(e.astype(bool), t)), dtype=[("e", bool), ("t", float)]))
        b = m.coef_[:, 0]
        kkt = soft_kkt(cox_grad(x, t, e, b, "breslow"), b, lam, a)
        src = f"scikit-survival {sksurv.__version__} CoxnetSurvivalAnalysis(alphas=[{lam}], l1_ratio={a})"
        for nm, v in zip(cols, b):
            rows.append(("rossi", f"cox-{label}", "breslow", a, lam, nm, float(v), kkt, src))
    for pen in [0.1, 0.5]:
        # lifelines: -(1/n) loglik + penalizer * (1/2) |b|^2 (l1_ratio = 0) -> lambda = penalizer.
        df = pd.DataFrame(x, columns=cols)
        df["week"], df["arrest"] = t, e
        m = CoxPHFitter(penalizer=pen, l1_ratio=0.0)
        m.fit(df, "week", "arrest", fit_options={"precision": 1e-12, "max_steps": 1000})
        b = m.params_[cols].to_numpy()
        kkt = soft_kkt(cox_grad(x, t, e, b, "efron"), b, pen, 0.0)
        src = f"lifelines {lifelines.__version__} CoxPHFitter(penalizer={pen}, l1_ratio=0)"
        for nm, v in zip(cols, b):
            rows.append(("rossi", "cox-l2", "efron", 0.0, pen, nm, float(v), kkt, src))

    with open(OUT, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dataset", "model", "ties", "alpha", "lambda", "term", "coef", "kkt_violation", "source"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], repr(float(r[3])), repr(float(r[4])), r[5], repr(r[6]), f"{r[7]:.3g}", r[8]])
    worst = max(r[7] for r in rows)
    print(f"wrote {OUT}: {len(rows)} rows; largest KKT violation {worst:.3g}", file=sys.stderr)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
