//! Criterion bench: preprocessing and each feature family of issue 4 on the IBSI CT
//! phantom (GTV-1, 125 256 voxels) under configuration C (2 mm trilinear), and the whole
//! extraction under configuration A (no interpolation, 0.98 x 0.98 x 3 mm).
//! Run: cargo bench --bench intensity_families (a few minutes).
// TODO(bench): benches/peers/ script timing PyRadiomics (pyradiomics-bhklab) on brain1
// and lung1 is not written yet.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use radaudit::features::{config::ExtractConfig, extract::extract, families, Context};
use radaudit::image;
use radaudit::preprocess::{discretise::discretise, prepare};

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn bench(c: &mut Criterion) {
    let img = image::read_volume(&data("ibsi/ct_phantom/image.nii.gz")).unwrap();
    let mask = image::read_mask(&data("ibsi/ct_phantom/mask.nii.gz")).unwrap();
    let roi = image::roi(&img, &mask, 1, &image::RoiRules::default()).unwrap();
    let cfg = ExtractConfig::preset("ibsi-c").unwrap();

    let mut g = c.benchmark_group("ct_phantom_config_c");
    g.sample_size(10);
    g.bench_function("prepare", |b| {
        b.iter(|| prepare(&img, black_box(&roi.mask), &cfg.preprocess))
    });
    let (p, _) = prepare(&img, &roi.mask, &cfg.preprocess).unwrap();
    let d = discretise(&p.image, &p.intensity, cfg.discretisation, Some(-1000.0)).unwrap();
    let ctx = Context {
        prepared: &p,
        discretised: &d,
        config: &cfg,
    };
    for f in families() {
        g.bench_function(f.name, |b| b.iter(|| (f.compute)(black_box(&ctx))));
    }
    g.finish();

    let cfg_a = ExtractConfig::preset("ibsi-a").unwrap();
    let mut g = c.benchmark_group("ct_phantom_config_a");
    g.sample_size(10);
    g.bench_function("extract", |b| {
        b.iter(|| extract(&img, black_box(&roi.mask), &cfg_a))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
