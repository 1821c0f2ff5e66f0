"""Time pingouin's intraclass_corr on the stability workload, for comparison with
`radaudit stability` (benches/peers/icc_pingouin.sh runs both).

Usage: python icc_pingouin.py make LONG.csv [n_features n_targets n_raters]
       python icc_pingouin.py time LONG.csv OUT.csv
`make` writes a synthetic long table (case_id,perturbation,replicate,feature,value);
`time` computes all ICC forms per feature with pingouin and prints the wall time.
"""
import sys
import time

import numpy as np
import pandas as pd


def make(path, n_features=2000, n_targets=200, n_raters=10):
    rng = np.random.default_rng(20261204)
    cases = np.repeat([f"c{i:03d}" for i in range(n_targets)], n_raters)
    reps = np.tile(np.arange(n_raters), n_targets)
    pert = np.where(reps == 0, "none", "noise")
    frames = []
    for f in range(n_features):
        sd_case = rng.uniform(0.1, 3.0)
        effect = np.repeat(rng.normal(0, sd_case, n_targets), n_raters)
        value = effect + rng.normal(0, 1.0, n_targets * n_raters)
        frames.append(pd.DataFrame({
            "case_id": cases, "perturbation": pert, "replicate": reps,
            "feature": f"fam{f % 7}.feat{f:04d}", "value": value,
        }))
    pd.concat(frames).to_csv(path, index=False, float_format="%.10g")


def time_pingouin(path, out):
    import pingouin as pg

    t0 = time.perf_counter()
    long = pd.read_csv(path, dtype={"case_id": str, "perturbation": str,
                                    "replicate": str, "feature": str})
    long["rater"] = long["perturbation"] + "/" + long["replicate"]
    rows = []
    for feature, g in long.groupby("feature", sort=False):
        res = pg.intraclass_corr(data=g, targets="case_id", raters="rater",
                                 ratings="value")
        # pingouin 0.7 labels the forms "ICC(1,1)" and the interval "CI95"; older
        # releases used "ICC1" and "CI95%".
        r = res[res["Type"].isin(["ICC(1,1)", "ICC1"])].iloc[0]
        ci = r["CI95"] if "CI95" in r else r["CI95%"]
        rows.append((feature, r["ICC"], ci[0], ci[1], r["F"], r["pval"]))
    pd.DataFrame(rows, columns=["feature", "icc", "lo", "hi", "f", "p"]).to_csv(out, index=False)
    print(f"pingouin_seconds {time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], *map(int, sys.argv[3:6]))
    else:
        time_pingouin(sys.argv[2], sys.argv[3])
