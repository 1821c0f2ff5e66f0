//! Criterion bench: perturbations per second on the PyRadiomics lung1 case (837-voxel
//! ROI) with every perturbation family in one setting (rotation, translation, noise at
//! the estimated level, volume adaptation, dilation, contour randomisation, resampling to
//! 1 x 1 x 2.5 mm), and the share of an item's time spent perturbing versus extracting
//! (PyRadiomics-like extraction: bin width 25, all feature families).
//! Run: cargo bench --bench perturb (about a minute). The share (CPU time of the
//! thread, and wall time) and a per-family breakdown are printed before the timings.
//!
//! Measured 2026-12-05, one thread, at a moment the process got 99 % of a core (so wall
//! time equals CPU time here):
//! - before (every step on the whole 152 x 154 x 23 crop, noise drawn in C order over
//!   it): perturbation 29.9 ms, extraction 19.3 ms, item 52.0 ms (58 % perturbing, 19
//!   items per second);
//! - after (each step on the box it reaches, noise keyed by scan voxel, SLIC without
//!   divisions and in f32, FFT twiddles cached in the extraction): perturbation 10.8 ms,
//!   extraction 12.5 ms, item 25.0 ms (43 % perturbing, 40 items per second). The
//!   supervoxels are the largest step (3.4 ms for contour randomisation alone; rigid
//!   motion 1.0, volume adaptation 1.5, noise 0.6, dilation 0.1).
//! - then (the extraction's exact read box instead of a bound, each perturbed voxel
//!   computed once for the supervoxels and the extraction, SLIC's assignment voxel-major
//!   in blocks of eight with AVX2 where present; same output bits): perturbation 8.9 ms,
//!   extraction 14.3 ms (38 % perturbing, 43 items per CPU second; the load was 2.6 on 2
//!   cores, so both sides ran slower than above). Contour randomisation of a noisy image
//!   alone 2.7 ms (`contour_randomisation_of_a_noisy_image`), rigid motion 0.6, noise 0.2;
//!   the chain costs more than its parts because volume adaptation and dilation double
//!   the ROI, and with it the supervoxel region.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use radaudit::features::config::ExtractConfig;
use radaudit::features::extract::{extract_in_frame, Case};
use radaudit::perturb::chain::{self, Plan, Setting};
use radaudit::perturb::run::load_case;
use radaudit::perturb::volume::Adaptation;

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

/// CPU time of the calling thread (seconds), from `/proc/thread-self/schedstat` (its first
/// field is the time on CPU in ns): the machine is shared, so wall time overstates work.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

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
    let (base, _) = load_case(&case, &config, &plan).expect("lung1");

    // Share of one item's time: perturbation versus extraction, over 40 items, in CPU
    // time of this thread and in wall time.
    let n = 40;
    let (mut tp, mut te, mut cp, mut ce) = (0.0, 0.0, 0.0, 0.0);
    for r in 1..=n {
        let (c0, t0) = (thread_cpu(), Instant::now());
        let (s, frame) = chain::apply(&plan, &base, &setting, 1, "lung1", r).expect("perturb");
        let (c1, t1) = (thread_cpu(), Instant::now());
        extract_in_frame(&s.image, &s.roi, &item_config, &frame).expect("extract");
        let c2 = thread_cpu();
        tp += (t1 - t0).as_secs_f64();
        te += t1.elapsed().as_secs_f64();
        cp += c1 - c0;
        ce += c2 - c1;
    }
    let k = n as f64;
    eprintln!(
        "lung1, all families, one thread: CPU perturbation {:.1} ms, extraction {:.1} ms per \
         item (perturbation share {:.1} %, {:.1} items per CPU second); wall {:.1} ms + \
         {:.1} ms",
        1e3 * cp / k,
        1e3 * ce / k,
        100.0 * cp / (cp + ce),
        k / (cp + ce),
        1e3 * tp / k,
        1e3 * te / k,
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
    let contour = Setting {
        contour: Some(true),
        noise: Some(1.0),
        ..Default::default()
    };
    group.bench_function("contour_randomisation_of_a_noisy_image", |b| {
        b.iter(|| {
            r += 1;
            black_box(chain::apply(&plan, &base, &contour, 1, "lung1", r).expect("perturb"))
        })
    });
    let (perturbed, frame) = chain::apply(&plan, &base, &setting, 1, "lung1", 1).expect("perturb");
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
            let (s, f) = chain::apply(&plan, &base, &setting, 1, "lung1", r).expect("perturb");
            black_box(extract_in_frame(&s.image, &s.roi, &item_config, &f).expect("extract"))
        })
    });
    group.finish();
}

/// CPU milliseconds per chain (mean of 20) with one family at a time, printed once.
fn step_breakdown(plan: &Plan, base: &radaudit::perturb::chain::CaseBase) {
    let one = |s: Setting| {
        let c0 = thread_cpu();
        for r in 1..=20 {
            black_box(chain::apply(plan, base, &s, 1, "lung1", r).expect("perturb"));
        }
        50.0 * (thread_cpu() - c0)
    };
    let none = one(Setting::default());
    let rigid = one(Setting {
        rotation: Some(10.0),
        translation: Some([0.25, 0.25, 0.0]),
        ..Default::default()
    });
    let noise = one(Setting {
        noise: Some(1.0),
        ..Default::default()
    });
    let volume = one(Setting {
        volume: Some(Adaptation::Fraction(0.1)),
        ..Default::default()
    });
    let dilation = one(Setting {
        morphology: Some(1),
        ..Default::default()
    });
    let contour = one(Setting {
        contour: Some(true),
        ..Default::default()
    });
    let (nz, ny, nx) = base.sample.image.data.dim();
    eprintln!(
        "lung1 (crop {nx}x{ny}x{nz}), CPU ms per chain of one family: none {none:.2}, rigid \
         {rigid:.2}, noise {noise:.2}, volume {volume:.2}, dilation {dilation:.2}, contour \
         {contour:.2}"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
