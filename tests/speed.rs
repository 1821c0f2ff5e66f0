//! Timing runs of the data checks' permutation null (issue 9: "a 300 x 1000 table with
//! 1000 permutations of a filter plus ridge pipeline takes under a minute on 2 cores").
//!
//! Ignored by default (minutes of CPU on a shared machine). Run and time with
//! ```text
//! /usr/bin/time -v cargo nextest run --release --run-ignored only -E 'test(/speed_/)' \
//!     --no-capture
//! ```
//! Each test prints its wall time; `/usr/bin/time` gives the CPU time (user + sys). Set
//! `RAYON_NUM_THREADS` to fix the thread count. The synthetic table is drawn from a fixed
//! stream, 5 of its 1000 columns informative, so the permutation p-value must be its
//! smallest value (the tests check that, and that the permutation null sits at 0.5).

use std::time::Instant;

use ndarray::Array2;
use rand::RngExt;
use rand_distr::StandardNormal;

use radaudit::model::cv::{nested_cv, permutation_test, CvDesign, Dataset};
use radaudit::model::pipeline::{Family, LambdaRule, Outcome, Pipeline, Ranker};

/// 300 x 1000 standard normal features; logistic outcome on 5 columns.
fn table() -> Dataset {
    let mut rng = radaudit::stats::rng::stream(9, "speed/table");
    let (n, p) = (300, 1000);
    let x = Array2::from_shape_fn((n, p), |_| rng.sample::<f64, _>(StandardNormal));
    let beta = [1.0, -0.8, 0.6, 0.5, -0.4];
    let y: Vec<bool> = (0..n)
        .map(|i| {
            let eta: f64 = (0..5).map(|j| beta[j] * x[[i, j]]).sum();
            rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())
        })
        .collect();
    Dataset {
        x,
        names: (0..p).map(|j| format!("f{j}")).collect(),
        outcome: Outcome::Binary(y),
    }
}

/// The permutation check's design in `radaudit audit` (src/audit/data.rs): one repeat of
/// 5 outer folds, 3 inner folds.
fn design() -> CvDesign {
    CvDesign {
        outer: 5,
        inner: 3,
        repeats: 1,
        seed: 20240101,
        leaky: false,
        given_folds: None,
        bbc_resamples: 0,
    }
}

fn time_permutations(pipe: &Pipeline, permutations: usize) {
    let data = table();
    let t0 = Instant::now();
    let observed = nested_cv(&data, pipe, &design()).unwrap().estimate;
    let perm = permutation_test(&data, pipe, &design(), permutations, observed).unwrap();
    let wall = t0.elapsed().as_secs_f64();
    eprintln!(
        "{permutations} permutations: observed AUC {observed:.3}, null mean {:.3}, p = {:.4}; \
         wall {wall:.1} s on {} threads",
        perm.null_mean,
        perm.p_value,
        rayon::current_num_threads()
    );
    assert!(
        observed > 0.7,
        "the 5 informative columns are found: {observed}"
    );
    assert_eq!(perm.exceedances, 0);
    assert!((perm.null_mean - 0.5).abs() < 0.03, "{}", perm.null_mean);
}

#[test]
#[ignore = "timing run (about a minute of CPU); see the module docs"]
fn speed_filter_ridge_1000_permutations_300x1000() {
    // |t| filter keeping 10 columns, ridge logistic with scikit-learn's C = 1, columns
    // standardised on the training rows: nothing to tune, so no inner folds.
    let pipe = Pipeline {
        prefilter: None,
        ranker: Ranker::T,
        prune_correlation: None,
        k_grid: vec![10],
        alpha_grid: vec![0.0],
        family: Family::Logistic,
        lambda: LambdaRule::FixedC(1.0),
        standardize: true,
    };
    time_permutations(&pipe, 1000);
}

#[test]
#[ignore = "timing run; see the module docs"]
fn speed_default_nested_pipeline_50_permutations_300x1000() {
    // The data checks' default pipeline (src/audit/data.rs, default_pipeline): k in
    // {5, 10, 20} and a 20-value ridge path tuned by 3 inner folds. 50 permutations; the
    // time of 1000 is 20 times this.
    let pipe = Pipeline {
        prefilter: None,
        ranker: Ranker::T,
        prune_correlation: None,
        k_grid: vec![5, 10, 20],
        alpha_grid: vec![0.0],
        family: Family::Logistic,
        lambda: LambdaRule::Path {
            n_lambda: 20,
            min_ratio: None,
        },
        standardize: true,
    };
    time_permutations(&pipe, 50);
}
