//! Criterion bench of the IBSI-2 filters: one configuration per filter kind on the 64^3
//! IBSI-2 phantoms, and the PyRadiomics filter set (LoG at sigma 1, 3, 5 mm plus the 8
//! coif1 wavelet sub-bands) on the PyRadiomics lung2 image (512 x 512 x 61), the work
//! that `benches/peers/filters_pyradiomics_bench.sh` times in PyRadiomics.
//! Run: cargo bench --bench filters (a few minutes); `-- lung2` for the peer set only.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use radaudit::filters::{self, Boundary, Dims, FilterSpec, Orientation};
use radaudit::image::{read_volume, Volume};

fn data(rel: &str) -> Volume {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"));
    read_volume(&root.join(rel)).expect("image reads")
}

/// The PyRadiomics filter set of the peer benchmark.
pub fn pyradiomics_set() -> Vec<FilterSpec> {
    let mut f: Vec<FilterSpec> = [1.0, 3.0, 5.0]
        .map(|sigma_mm| FilterSpec::PyradiomicsLog { sigma_mm })
        .to_vec();
    for band in ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL"] {
        f.push(FilterSpec::PyradiomicsWavelet {
            wavelet: "coif1".into(),
            subband: band.into(),
            level: 1,
        });
    }
    f
}

fn phantoms(c: &mut Criterion) {
    let checkerboard = data("ibsi2/phantoms/checkerboard.nii.gz");
    let impulse = data("ibsi2/phantoms/impulse.nii.gz");
    let cases = [
        (
            "log_3d_sigma5mm",
            &checkerboard,
            FilterSpec::Log {
                sigma_mm: 5.0,
                cutoff: 4.0,
                dims: Dims::D3,
                boundary: Boundary::Mirror,
            },
        ),
        (
            "laws_e3w5r5_rotation_invariant_energy",
            &checkerboard,
            FilterSpec::Laws {
                kernel: "E3W5R5".into(),
                rotation_invariant: true,
                energy_delta: Some(7),
                boundary: Boundary::Mirror,
            },
        ),
        (
            "gabor_axial_single_orientation",
            &impulse,
            FilterSpec::Gabor {
                sigma_mm: 10.0,
                lambda_mm: 4.0,
                gamma: 0.5,
                orientation: Orientation::ThetaDeg(60.0),
                orthogonal_planes: false,
                boundary: Boundary::Zero,
            },
        ),
        (
            "wavelet_coif1_hhl_rotation_invariant",
            &checkerboard,
            FilterSpec::Wavelet {
                wavelet: "coif1".into(),
                subband: "HHL".into(),
                level: 1,
                rotation_invariant: true,
                boundary: Boundary::Periodic,
            },
        ),
        (
            "simoncelli_level1",
            &checkerboard,
            FilterSpec::Simoncelli {
                level: 1,
                dims: Dims::D3,
                boundary: Boundary::Periodic,
            },
        ),
    ];
    let mut g = c.benchmark_group("ibsi2_phantom_64");
    g.sample_size(10);
    for (name, img, spec) in &cases {
        g.bench_function(*name, |b| {
            b.iter(|| filters::apply(black_box(spec), img).unwrap())
        });
    }
    g.finish();
}

fn lung2(c: &mut Criterion) {
    let img = data("pyradiomics/lung2_image.nrrd");
    let set = pyradiomics_set();
    let mut g = c.benchmark_group("lung2");
    // Seconds per iteration: flat sampling runs 10 iterations, not 1 + 2 + ... + 10.
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("log3_wavelet8", |b| {
        b.iter(|| {
            for spec in &set {
                black_box(filters::apply(spec, &img).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, phantoms, lung2);
criterion_main!(benches);
