#!/usr/bin/env python3
"""Nested CV timing: scikit-learn versus `radaudit cv` on the same 200 x 1000 table.

The design of issue 8: repeated stratified nested CV, 5 outer x 5 inner folds, 10 repeats,
L1-penalised logistic regression tuned over a 50-value penalty path by inner CV (AUC),
standardisation inside the training folds, outer AUC averaged over folds and repeats.

scikit-learn: Pipeline(StandardScaler, LogisticRegression(l1_ratio=1, solver=liblinear))
inside GridSearchCV over 50 values of C (log-spaced, the range of radaudit's lambda path
mapped by C = 1 / (n_train lambda)), n_jobs as given. liblinear is the solver the
scikit-learn guide suggests for small L1 problems (it also penalises the intercept).
radaudit: `radaudit cv --selection none --model logistic-l1 --n-lambda 50`
(warm-started coordinate descent along the path), no BBC interval.

Run by hand (about 5-15 minutes on 2 cores):
    python3 -m venv /tmp/cvref && /tmp/cvref/bin/pip install scikit-learn==1.9.1 pandas
    cargo build --release --tests   # provides target/release/radaudit
    /tmp/cvref/bin/python benches/peers/cv_sklearn.py [path/to/radaudit] [threads]
"""
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def make_table(path, n=200, p=1000, seed=0):
    """200 rows, 1000 standard-normal features, 5 of them informative."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    eta = x[:, :5] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    df = pd.DataFrame(x, columns=[f"f{j:04d}" for j in range(p)])
    df.insert(0, "y", y)
    df.insert(0, "case_id", [f"c{i:03d}" for i in range(n)])
    df.to_csv(path, index=False)
    return x, y


def sklearn_nested(x, y, threads):
    warnings.simplefilter("ignore")
    grid = {"logisticregression__C": np.logspace(-1.5, 0.5, 50)}
    aucs = []
    for r in range(10):
        outer = StratifiedKFold(5, shuffle=True, random_state=r)
        for tr, te in outer.split(x, y):
            model = make_pipeline(
                StandardScaler(), LogisticRegression(l1_ratio=1.0, solver="liblinear")
            )
            inner = StratifiedKFold(5, shuffle=True, random_state=100 + r)
            gs = GridSearchCV(model, grid, cv=inner, scoring="roc_auc", n_jobs=threads)
            gs.fit(x[tr], y[tr])
            aucs.append(roc_auc_score(y[te], gs.decision_function(x[te])))
    return float(np.mean(aucs))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/radaudit"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory() as d:
        table = os.path.join(d, "bench_200x1000.csv")
        x, y = make_table(table)

        t0 = time.perf_counter()
        auc_sk = sklearn_nested(x, y, threads)
        t_sk = time.perf_counter() - t0

        out = os.path.join(d, "cv.json")
        cmd = [binary, "cv", "--quiet", "--threads", str(threads), "--table", table,
               "--outcome", "y", "--selection", "none", "--model", "logistic-l1",
               "--n-lambda", "50", "--outer", "5", "--inner", "5", "--repeats", "10",
               "--bbc-resamples", "0", "--out", out]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        t_ra = time.perf_counter() - t0
        auc_ra = pd.read_json(out, typ="series")["estimate"]

    print(f"scikit-learn {sklearn.__version__}: nested AUC {auc_sk:.4f}, {t_sk:.1f} s ({threads} thread(s))")
    print(f"radaudit: nested AUC {auc_ra:.4f}, {t_ra:.1f} s ({threads} thread(s))")
    print(f"ratio scikit-learn / radaudit: {t_sk / t_ra:.1f}x")


if __name__ == "__main__":
    main()
