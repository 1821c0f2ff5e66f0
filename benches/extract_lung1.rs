//! CPU time of `radaudit extract`'s phases on the PyRadiomics lung1 case with the
//! `pyradiomics-default` preset: reading the image, reading the mask and selecting the
//! ROI, and extracting every family from the arrays in memory; and `extract_files`, the
//! CLI's path (the image converted on the ROI's box only); median of 9 runs, CPU
//! time of the process's threads (`/proc/self/task/*/schedstat`; the machine is shared,
//! so wall time overstates work). The counterpart of benches/peers/extract_pyradiomics.sh,
//! which times whole processes; run with RAYON_NUM_THREADS=1 for a one-thread figure.
//! Run: cargo bench --bench extract_lung1 (a few seconds).

use std::hint::black_box;
use std::path::Path;

use radaudit::features::config::ExtractConfig;
use radaudit::features::extract::{extract, extract_files};
use radaudit::image;

/// CPU seconds of the process's live threads (the rayon pool's included).
fn process_cpu() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let ns: f64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .sum();
    ns * 1e-9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/pyradiomics"
    ));
    let config = ExtractConfig::preset("pyradiomics-default").expect("preset");
    let (mut read_image, mut read_mask, mut features) = (Vec::new(), Vec::new(), Vec::new());
    let mut files = Vec::new();
    for _ in 0..9 {
        let c0 = process_cpu();
        let img = image::read_volume(&dir.join("lung1_image.nrrd")).expect("image");
        let c1 = process_cpu();
        let mask = image::read_mask(&dir.join("lung1_label.nrrd")).expect("mask");
        let roi = image::roi(&img, &mask, 1, &image::RoiRules::default()).expect("roi");
        drop(mask);
        let c2 = process_cpu();
        black_box(extract(&img, &roi.mask, &config).expect("extract"));
        let c3 = process_cpu();
        black_box(
            extract_files(
                &dir.join("lung1_image.nrrd"),
                &dir.join("lung1_label.nrrd"),
                1,
                &config,
            )
            .expect("extract_files"),
        );
        files.push(process_cpu() - c3);
        read_image.push(c1 - c0);
        read_mask.push(c2 - c1);
        features.push(c3 - c2);
    }
    let (a, b, c) = (median(read_image), median(read_mask), median(features));
    eprintln!(
        "lung1, pyradiomics-default, process CPU (median of 9): whole-image path: read image \
         {:.0} ms, read mask + ROI {:.0} ms, extraction {:.0} ms, total {:.0} ms; \
         extract_files (the CLI's path: mask first, image read on the ROI's box) {:.0} ms",
        1e3 * a,
        1e3 * b,
        1e3 * c,
        1e3 * (a + b + c),
        1e3 * median(files)
    );
}
