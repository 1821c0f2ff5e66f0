//! Criterion bench: each texture matrix family on the PyRadiomics lung1 ROI (837 voxels,
//! bin width 25 aligned to multiples of 25, as PyRadiomics), in IBSI mode (every
//! aggregation) and PyRadiomics mode (3D, averaged over directions): one family at a time
//! on the ROI's bounding box, and all families through `compute_families` on the whole
//! image (which crops once).
//! Run: cargo bench --bench texture (about a minute).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use radaudit::features::texture::{compute_families, Family, TextureMode, TextureSettings};
use radaudit::image::{read_mask, read_volume};
use radaudit::preprocess::Discretised;

/// lung1 discretised the PyRadiomics way: `floor(x / 25) - floor(min / 25) + 1`.
fn lung1() -> Discretised {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/pyradiomics"
    ));
    let image = read_volume(&dir.join("lung1_image.nrrd")).expect("lung1 image");
    let mask = read_mask(&dir.join("lung1_label.nrrd")).expect("lung1 mask");
    let roi = mask.labels.mapv(|l| l == 1);
    let min = image
        .data
        .iter()
        .zip(roi.iter())
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .fold(f64::INFINITY, f64::min);
    let levels = ndarray::Zip::from(&image.data)
        .and(&roi)
        .map_collect(|&v, &m| {
            if m {
                ((v / 25.0).floor() - (min / 25.0).floor()) as u32 + 1
            } else {
                0
            }
        });
    let n_g = levels.iter().copied().max().unwrap_or(0);
    Discretised { levels, n_g }
}

/// The ROI's bounding box, so the per-family benches time the matrices, not the scan of
/// the 512 x 512 x 48 image.
fn cropped(d: &Discretised) -> Discretised {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0; 3];
    for ((z, y, x), &g) in d.levels.indexed_iter() {
        if g > 0 {
            for (a, c) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(c);
                hi[a] = hi[a].max(c);
            }
        }
    }
    let window = ndarray::s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]];
    Discretised {
        levels: d.levels.slice(window).to_owned(),
        n_g: d.n_g,
    }
}

fn bench(c: &mut Criterion) {
    let d = lung1();
    let morph = d.levels.mapv(|l| l > 0);
    let roi = cropped(&d);
    let roi_morph = roi.levels.mapv(|l| l > 0);
    let ibsi = TextureSettings::default();
    let py = TextureSettings {
        mode: TextureMode::PyRadiomics(Default::default()),
        ..Default::default()
    };
    let mut group = c.benchmark_group("texture_lung1");
    group.sample_size(20);
    for family in Family::ALL {
        group.bench_function(format!("{}_ibsi_all_aggregations", family.name()), |b| {
            b.iter(|| black_box(family.compute(&roi, &roi_morph, &ibsi)))
        });
        if family != Family::Gldzm {
            group.bench_function(format!("{}_pyradiomics", family.name()), |b| {
                b.iter(|| black_box(family.compute(&roi, &roi_morph, &py)))
            });
        }
    }
    group.bench_function("all_families_ibsi", |b| {
        b.iter(|| black_box(compute_families(&Family::ALL, &d, &morph, &ibsi)))
    });
    group.bench_function("all_families_pyradiomics", |b| {
        b.iter(|| black_box(compute_families(&Family::ALL, &d, &morph, &py)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
