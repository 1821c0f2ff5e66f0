//! Criterion benchmark of the data checks' permutation null (issue 9: "a 300 x 1000 table
//! with 1000 permutations of a filter plus ridge pipeline takes under a minute on 2
//! cores"), and of the default nested pipeline for comparison. Run by hand:
//! `cargo bench --bench permutation_null` (about 3 minutes; `RAYON_NUM_THREADS` fixes the
//! thread count). The synthetic table has 5 informative columns of 1000; before timing,
//! the bench checks that the pipeline finds them and that the permutation null sits at
//! 0.5, so a fast but wrong pipeline cannot be benchmarked.

use criterion::{criterion_group, criterion_main, Criterion};
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

/// |t| filter keeping 10 columns, ridge logistic with scikit-learn's C = 1, columns
/// standardised on the training rows: nothing to tune, so no inner folds.
fn filter_ridge() -> Pipeline {
    Pipeline {
        prefilter: None,
        ranker: Ranker::T,
        prune_correlation: None,
        k_grid: vec![10],
        alpha_grid: vec![0.0],
        family: Family::Logistic,
        lambda: LambdaRule::FixedC(1.0),
        standardize: true,
    }
}

/// The data checks' default pipeline (src/audit/data.rs, default_pipeline): k in
/// {5, 10, 20} and a 20-value ridge path tuned by 3 inner folds.
fn default_nested() -> Pipeline {
    Pipeline {
        k_grid: vec![5, 10, 20],
        lambda: LambdaRule::Path {
            n_lambda: 20,
            min_ratio: None,
        },
        ..filter_ridge()
    }
}

fn run(data: &Dataset, pipe: &Pipeline, permutations: usize) -> (f64, f64, usize) {
    let observed = nested_cv(data, pipe, &design()).unwrap().estimate;
    let perm = permutation_test(data, pipe, &design(), permutations, observed).unwrap();
    (observed, perm.null_mean, perm.exceedances)
}

fn bench(c: &mut Criterion) {
    let data = table();
    let (observed, null_mean, exceedances) = run(&data, &filter_ridge(), 100);
    assert!(
        observed > 0.7,
        "the 5 informative columns are found: {observed}"
    );
    assert_eq!(exceedances, 0);
    assert!((null_mean - 0.5).abs() < 0.05, "{null_mean}");

    let mut g = c.benchmark_group("permutation_null_300x1000");
    g.sample_size(10);
    g.bench_function("filter_ridge_1000_permutations", |b| {
        b.iter(|| run(&data, &filter_ridge(), 1000))
    });
    g.bench_function("default_nested_50_permutations", |b| {
        b.iter(|| run(&data, &default_nested(), 50))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
