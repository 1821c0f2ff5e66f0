//! Criterion benchmarks of the penalised path and nested cross-validation on a synthetic
//! 200 x 1000 table (5 informative columns), the size of issue 8's peer benchmark
//! (benches/peers/cv_sklearn.py times the full 5x5x10 design against scikit-learn).

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use rand::RngExt;
use rand_distr::StandardNormal;

use radaudit::model::cv::{nested_cv, CvDesign, Dataset};
use radaudit::model::penalized::{fit_path, PathOptions, Response};
use radaudit::model::pipeline::{Family, LambdaRule, Outcome, Pipeline, Ranker};

fn data() -> Dataset {
    let mut rng = radaudit::stats::rng::stream(0, "bench/cv");
    let (n, p) = (200, 1000);
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

fn bench(c: &mut Criterion) {
    let d = data();
    let Outcome::Binary(y) = &d.outcome else {
        unreachable!()
    };
    let rows: Vec<usize> = (0..160).collect();
    let cols: Vec<usize> = (0..1000).collect();
    // The accuracy the CV pipeline uses (crate::model::pipeline::Pipeline::path_options).
    let opts = PathOptions {
        tol: 1e-8,
        max_passes: 2_000,
        ..PathOptions::default()
    };
    c.bench_function("lasso_logistic_path_160x1000_50_lambdas", |b| {
        b.iter(|| fit_path(d.x.view(), &rows, &cols, Response::Binary(y), &opts).unwrap())
    });
    let pipe = Pipeline {
        prefilter: None,
        ranker: Ranker::None,
        prune_correlation: None,
        k_grid: vec![1],
        alpha_grid: vec![1.0],
        family: Family::Logistic,
        lambda: LambdaRule::Path {
            n_lambda: 50,
            min_ratio: None,
        },
        standardize: true,
    };
    let design = CvDesign {
        outer: 5,
        inner: 5,
        repeats: 1,
        seed: 1,
        leaky: false,
        given_folds: None,
        bbc_resamples: 0,
    };
    let mut g = c.benchmark_group("nested_cv");
    g.sample_size(10);
    g.bench_function("lasso_logistic_5x5_1_repeat_200x1000", |b| {
        b.iter(|| nested_cv(&d, &pipe, &design).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
