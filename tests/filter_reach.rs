//! `FilterSpec::reach`: changing the image beyond a filter's reach must not change its
//! response on the voxels inside. Each filter runs on a random image and on the same
//! image with every voxel farther than the reach (per axis) from a small box replaced;
//! the responses on the box must agree to 1e-12 of the response's scale (the FFT-based
//! Gabor mixes all values in floating point, so bits may differ). A reach too small by
//! one voxel fails this for every filter with non-zero edge taps.

use ndarray::Array3;
use radaudit::filters::{self, FilterSpec};

const SPECS: &str = r#"
[[f]]
filter = "mean"
support = 5
[[f]]
filter = "mean"
support = 3
dims = "2d"
[[f]]
filter = "log"
sigma_mm = 2.0
[[f]]
filter = "pyradiomics-log"
sigma_mm = 1.0
[[f]]
filter = "laws"
kernel = "L5E5S5"
energy_delta = 2
[[f]]
filter = "laws"
kernel = "E3W5"
rotation_invariant = true
[[f]]
filter = "gabor"
sigma_mm = 3.0
lambda_mm = 4.0
gamma = 0.8
theta_step_deg = 45.0
[[f]]
filter = "gabor"
sigma_mm = 2.0
lambda_mm = 3.0
gamma = 1.5
theta_deg = 30.0
orthogonal_planes = true
[[f]]
filter = "wavelet"
wavelet = "coif1"
subband = "LHL"
level = 2
[[f]]
filter = "wavelet"
wavelet = "db2"
subband = "HL"
level = 1
rotation_invariant = true
"#;

#[derive(serde::Deserialize)]
struct Specs {
    f: Vec<FilterSpec>,
}

/// A reproducible pseudo-random value in [0, 100).
fn hash(x: usize, y: usize, z: usize, salt: u64) -> f64 {
    let mut h = (x as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .wrapping_add((z as u64).wrapping_mul(0x1656_67B1_9E37_79F9))
        .wrapping_add(salt);
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 29;
    (h % 10_000) as f64 / 100.0
}

#[test]
fn input_beyond_the_reach_does_not_change_the_response() {
    let specs: Specs = toml::from_str(SPECS).unwrap();
    let (nx, ny, nz) = (61usize, 57usize, 41usize);
    let spacing = [1.5, 1.6, 2.0];
    let a = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| hash(x, y, z, 1));
    // The box whose responses are compared, around the image's centre.
    let (lo, hi) = ([29usize, 27, 19], [31usize, 29, 21]);
    for spec in &specs.f {
        spec.validate().unwrap();
        let r = spec.reach(spacing).expect("a finite filter");
        let n = [nx, ny, nz];
        for k in 0..3 {
            assert!(
                lo[k] > r[k] && hi[k] + r[k] + 1 < n[k],
                "{spec:?}: reach {r:?} must fit in the image for the test to mean anything"
            );
        }
        let inside = |x: usize, y: usize, z: usize| {
            let p = [x, y, z];
            (0..3).all(|k| lo[k] <= p[k] + r[k] && p[k] <= hi[k] + r[k])
        };
        let b = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
            if inside(x, y, z) {
                a[[z, y, x]]
            } else {
                hash(x, y, z, 2)
            }
        });
        let ra = filters::response(spec, &a, spacing).unwrap();
        let rb = filters::response(spec, &b, spacing).unwrap();
        let scale = ra.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
        for z in lo[2]..=hi[2] {
            for y in lo[1]..=hi[1] {
                for x in lo[0]..=hi[0] {
                    let (u, v) = (ra[[z, y, x]], rb[[z, y, x]]);
                    assert!(
                        (u - v).abs() <= 1e-12 * scale,
                        "{}: at {x},{y},{z} {u} vs {v} (reach {r:?})",
                        spec.tag()
                    );
                }
            }
        }

        // One voxel less of reach along an axis the filter acts on must be seen (the
        // reach is not padded beyond the kernel), except for the recursive LoG, whose
        // reach is a bound on a tail.
        if matches!(spec, FilterSpec::PyradiomicsLog { .. }) {
            continue;
        }
        let k = (0..3).find(|&k| r[k] > 0).unwrap();
        let mut c = b.clone();
        // The planes just inside the reach along axis k, on both sides (a kernel may be
        // off-centre).
        let at = [lo[k] - r[k], hi[k] + r[k]];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    if at.contains(&[x, y, z][k]) {
                        c[[z, y, x]] = hash(x, y, z, 3);
                    }
                }
            }
        }
        let rc = filters::response(spec, &c, spacing).unwrap();
        let moved = (lo[2]..=hi[2]).any(|z| {
            (lo[1]..=hi[1])
                .any(|y| (lo[0]..=hi[0]).any(|x| (rc[[z, y, x]] - rb[[z, y, x]]).abs() > 0.0))
        });
        assert!(
            moved,
            "{}: the voxels at the reach {r:?} do not matter",
            spec.tag()
        );
    }
}

#[test]
fn frequency_domain_and_periodic_filters_have_no_finite_reach() {
    let text = r#"
[[f]]
filter = "simoncelli"
level = 1
[[f]]
filter = "riesz-log"
sigma_mm = 2.0
order = [1, 0, 0]
[[f]]
filter = "pyradiomics-wavelet"
wavelet = "coif1"
subband = "LLH"
"#;
    let specs: Specs = toml::from_str(text).unwrap();
    for spec in &specs.f {
        assert_eq!(spec.reach([1.0; 3]), None, "{spec:?}");
    }
}
