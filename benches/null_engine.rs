//! Benchmark of the null engine: one 5-fold cross-validation replicate at n = 100,
//! p = 1000 candidates, top-10 |t| selection inside the folds, L2 logistic (C = 1).
//! Run briefly: `cargo bench --bench null_engine -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use radaudit::model::select::Selection;
use radaudit::null::{replicate_value, ModelKind, NullDesign, Validation};

fn cv_replicate(c: &mut Criterion) {
    let nested = NullDesign::new(
        100,
        50,
        1000,
        10,
        Selection::Univariate,
        ModelKind::Logistic,
        Validation::Cv { folds: 5 },
    );
    let mut leaky = nested.clone();
    leaky.leaky_selection = true;
    let mut r = 0usize;
    c.bench_function("null cv replicate n100 p1000 nested", |b| {
        b.iter(|| {
            r += 1;
            black_box(replicate_value(black_box(&nested), 1, r).expect("valid design"))
        })
    });
    c.bench_function("null cv replicate n100 p1000 leaky", |b| {
        b.iter(|| {
            r += 1;
            black_box(replicate_value(black_box(&leaky), 1, r).expect("valid design"))
        })
    });
}

criterion_group!(benches, cv_replicate);
criterion_main!(benches);
