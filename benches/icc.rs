//! Criterion bench: the stability screen on a synthetic long table (200 features x 200
//! targets x 10 raters, ICC(1,1)), and one six-form ICC on a 200 x 10 table.
//! Run: cargo bench --bench icc (about a minute). The peer comparison with pingouin is
//! benches/peers/icc_pingouin.sh.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use radaudit::stats::icc::{icc_all, Ratings};
use radaudit::stats::stability::{screen, StabilityConfig};
use radaudit::table::{LongRecord, LongTable};

/// Deterministic values in [-0.5, 0.5) from an integer hash (no random state needed).
fn hash01(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(29);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

fn long_table(n_features: usize, n: usize, k: usize) -> LongTable {
    let mut t = LongTable {
        source: PathBuf::from("bench"),
        cases: (0..n).map(|i| format!("c{i}")).collect(),
        raters: (0..k)
            .map(|j| ("noise".to_string(), j.to_string()))
            .collect(),
        features: (0..n_features)
            .map(|f| format!("fam{}.f{f}", f % 7))
            .collect(),
        records: Vec::with_capacity(n_features * n * k),
    };
    for f in 0..n_features as u64 {
        for c in 0..n as u64 {
            let effect = 4.0 * hash01(f, c);
            for r in 0..k as u64 {
                let value = effect + hash01(f * 7919 + c, r + 1);
                t.records.push(LongRecord {
                    case: c as u32,
                    rater: r as u32,
                    feature: f as u32,
                    value,
                    line: 0,
                });
            }
        }
    }
    t
}

fn bench(c: &mut Criterion) {
    let t = long_table(200, 200, 10);
    let cfg = StabilityConfig::default();
    c.bench_function("stability_200f_200x10_icc11", |b| {
        b.iter(|| screen(black_box(&t), &cfg).expect("screen"))
    });
    let values: Vec<f64> = (0..2000u64)
        .map(|i| hash01(i / 10, 0) * 4.0 + hash01(i, 1))
        .collect();
    let r = Ratings::complete(200, 10, values).expect("ratings");
    c.bench_function("icc_all_six_200x10", |b| {
        b.iter(|| icc_all(black_box(&r), 0.95))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
