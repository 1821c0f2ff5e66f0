//! Criterion bench: perturbations per second on the PyRadiomics lung1 case (837-voxel
//! ROI) with every perturbation family in one setting (rotation, translation, noise at
//! the estimated level, volume adaptation, dilation, contour randomisation, resampling to
//! 1 x 1 x 2.5 mm), and the share of an item's time spent perturbing versus extracting
//! (PyRadiomics-like extraction: bin width 25, all feature families).
//! Run: cargo bench --bench perturb (about a minute). The share and a per-step breakdown
//! are printed once before the timings.
//!
//! Measured 2026-12-04 (2 shared cores, load about 10): perturbation 80 ms, extraction
//! 40 ms, item 130 ms (about 8 perturbed extractions per second per thread); steps: rigid
//! motion 28 ms, noise 10 ms, volume adaptation 14 ms, dilation 1.4 ms, contour
//! randomisation 18 ms on the 152 x 154 x 23 crop.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use radaudit::features::config::ExtractConfig;
use radaudit::features::extract::{extract_in_frame, Case};
use radaudit::perturb::chain::{self, Plan};
use radaudit::perturb::run::load_case;

const CONFIG: &str = r#"
discretisation = { bin-width = { width = 25.0, origin = "pyradiomics" } }
pca = "population"
texture = { mode = "pyradiomics" }

[perturbation]
repeats = 1
rotation = [10.0]
translation = [[0.25, 0.25, 0.0]]
spacing = [[1.0, 1.0, 2.5]]
noise = [1.0]
volume = [0.1]
morphology = [1]
contour = [true]
"#;

fn bench(c: &mut Criterion) {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/pyradiomics"
    ));
    let case = Case {
        id: "lung1".into(),
        image: dir.join("lung1_image.nrrd"),
        mask: dir.join("lung1_label.nrrd"),
        label: 1,
    };
    let config: ExtractConfig = toml::from_str(CONFIG).expect("bench config");
    let plan = Plan::from_config(&config).expect("bench plan");
    let setting = plan.settings().remove(0);
    let item_config = chain::config_for(&config, &setting);
    let (base, frame) = load_case(&case, &config, &plan).expect("lung1");

    // Share of one item's time: perturbation versus extraction, over 20 items.
    let (mut tp, mut te) = (0.0, 0.0);
    for r in 1..=20 {
        let t0 = Instant::now();
        let s = chain::apply(&plan, &base, &setting, 1, "lung1", r).expect("perturb");
        let t1 = Instant::now();
        extract_in_frame(&s.image, &s.roi, &item_config, &frame).expect("extract");
        tp += (t1 - t0).as_secs_f64();
        te += t1.elapsed().as_secs_f64();
    }
    eprintln!(
        "lung1, all families: perturbation {:.1} ms, extraction {:.1} ms per item; \
         perturbation share {:.1} %; {:.0} perturbed extractions/s on one thread",
        1e3 * tp / 20.0,
        1e3 * te / 20.0,
        100.0 * tp / (tp + te),
        20.0 / (tp + te)
    );

    step_breakdown(&plan, &base);

    let mut group = c.benchmark_group("perturb_lung1");
    group.sample_size(20);
    let mut r = 0;
    group.bench_function("perturbation_all_families", |b| {
        b.iter(|| {
            r += 1;
            black_box(chain::apply(&plan, &base, &setting, 1, "lung1", r).expect("perturb"))
        })
    });
    let perturbed = chain::apply(&plan, &base, &setting, 1, "lung1", 1).expect("perturb");
    group.bench_function("extraction_of_a_perturbed_sample", |b| {
        b.iter(|| {
            black_box(
                extract_in_frame(&perturbed.image, &perturbed.roi, &item_config, &frame)
                    .expect("extract"),
            )
        })
    });
    group.bench_function("item_perturb_and_extract", |b| {
        b.iter(|| {
            r += 1;
            let s = chain::apply(&plan, &base, &setting, 1, "lung1", r).expect("perturb");
            black_box(extract_in_frame(&s.image, &s.roi, &item_config, &frame).expect("extract"))
        })
    });
    group.finish();
}

/// Milliseconds per step of the chain on the lung1 crop (mean of 10), printed once.
fn step_breakdown(plan: &Plan, base: &radaudit::perturb::chain::CaseBase) {
    use radaudit::perturb::{morphology, noise, rigid, supervoxel, volume};
    let s = &base.sample;
    let sp = s.image.geometry.spacing;
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..10 {
            f();
        }
        1e2 * t.elapsed().as_secs_f64()
    };
    let motion = rigid::Motion {
        translation: [0.25, 0.25, 0.0],
        angle_deg: 10.0,
        centre: base.centre,
    };
    let t_rigid = time(&mut || {
        black_box(rigid::apply(s, &motion, plan.interpolator));
    });
    let t_noise = time(&mut || {
        let mut d = s.image.data.clone();
        let mut r = radaudit::stats::rng::stream(1, "bench");
        noise::add_noise(&mut d, 4.4, &mut r);
        black_box(d);
    });
    let t_volume = time(&mut || {
        black_box(volume::adapt(&s.roi, sp, volume::Adaptation::Fraction(0.1)).unwrap());
    });
    let se = morphology::Structuring {
        element: morphology::Element::Cross,
        radius: 1,
        in_plane: false,
    };
    let t_morph = time(&mut || {
        black_box(morphology::dilate(&s.roi, &se));
    });
    let t_contour = time(&mut || {
        let sv = supervoxel::slic(&s.image, &s.roi, &plan.supervoxels);
        let mut r = radaudit::stats::rng::stream(1, "bench");
        black_box(supervoxel::randomise(
            &s.roi,
            &sv,
            &plan.supervoxels,
            &mut r,
        ));
    });
    let (nz, ny, nx) = s.image.data.dim();
    eprintln!(
        "lung1 crop {nx}x{ny}x{nz}: rigid {t_rigid:.1} ms, noise {t_noise:.1} ms, volume \
         {t_volume:.1} ms, dilation {t_morph:.1} ms, contour {t_contour:.1} ms"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
