//! Degenerate inputs for every texture family: a one-voxel ROI, a single grey level, a 2D
//! slice whose matrices are empty, and an empty ROI. Each gives the active mode's
//! reference convention where one exists (PyRadiomics' `flatRegion` baseline values for
//! one grey level), else NaN with a warning naming the feature, and never panics.

use std::io::Write;
use std::sync::{Arc, Mutex};

use ndarray::Array3;
use radaudit::features::texture::{Family, TextureMode, TextureSettings};
use radaudit::preprocess::Discretised;

/// Runs `f` with warnings captured; returns its value and the log text.
fn with_warnings<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf(Arc::new(Mutex::new(Vec::new())));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

fn all_families(d: &Discretised, settings: &TextureSettings) -> Vec<(String, f64)> {
    let morph = d.levels.mapv(|l| l > 0);
    Family::ALL
        .into_iter()
        .flat_map(|f| f.compute(d, &morph, settings))
        .collect()
}

fn get(out: &[(String, f64)], name: &str) -> f64 {
    out.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

fn pyradiomics() -> TextureSettings {
    TextureSettings {
        mode: TextureMode::PyRadiomics(Default::default()),
        ..Default::default()
    }
}

#[test]
fn one_voxel_roi() {
    let mut levels = Array3::<u32>::zeros((3, 3, 3));
    levels[[1, 1, 1]] = 2;
    let d = Discretised { levels, n_g: 4 };
    let (out, log) = with_warnings(|| all_families(&d, &TextureSettings::default()));

    // No neighbour pair and no neighbour: GLCM and NGTDM are undefined, with warnings.
    assert!(out
        .iter()
        .filter(|(n, _)| n.starts_with("glcm."))
        .all(|(_, v)| v.is_nan()));
    assert!(out
        .iter()
        .filter(|(n, _)| n.starts_with("ngtdm."))
        .all(|(_, v)| v.is_nan()));
    assert!(log.contains("glcm") && log.contains("ngtdm"), "{log}");

    // One run, one zone at distance 1, dependence count 1: all defined.
    assert_eq!(get(&out, "glrlm.r_perc.3d_avg"), 1.0);
    assert_eq!(get(&out, "glszm.sze.3d"), 1.0);
    assert_eq!(get(&out, "gldzm.sde.2d"), 1.0);
    assert_eq!(get(&out, "ngldm.lde.2_5d"), 1.0);
    assert_eq!(get(&out, "glszm.zs_entr.3d"), 0.0);
}

#[test]
fn single_grey_level() {
    let levels = Array3::from_elem((3, 3, 3), 1u32);
    let d = Discretised { levels, n_g: 1 };

    // IBSI defines no value for 0/0: NaN, each with a warning naming the feature.
    let (ibsi, log) = with_warnings(|| all_families(&d, &TextureSettings::default()));
    for name in [
        "glcm.corr.3d_avg",
        "glcm.info_corr_1.2d_avg",
        "ngtdm.coarseness.3d",
    ] {
        assert!(get(&ibsi, name).is_nan(), "{name}");
    }
    for feature in [
        "glcm.corr",
        "glcm.info_corr_1",
        "ngtdm.coarseness",
        "ngtdm.strength",
    ] {
        assert!(log.contains(feature), "no warning for {feature}: {log}");
    }
    assert_eq!(get(&ibsi, "glcm.energy.3d_mrg"), 1.0);
    assert_eq!(get(&ibsi, "glrlm.gl_var.3d_avg"), 0.0);
    assert_eq!(get(&ibsi, "ngtdm.complexity.3d"), 0.0);

    // PyRadiomics' conventions (its flatRegion baseline columns).
    let py = all_families(&d, &pyradiomics());
    assert_eq!(get(&py, "glcm.corr.3d_avg"), 1.0);
    assert_eq!(get(&py, "glcm.info_corr_1.3d_avg"), 0.0);
    assert_eq!(get(&py, "glcm.mcc.3d_avg"), 1.0);
    assert_eq!(get(&py, "ngtdm.coarseness.3d"), 1e6);
    assert_eq!(get(&py, "ngtdm.busyness.3d"), 0.0);
    assert_eq!(get(&py, "glszm.lze.3d"), 27.0 * 27.0);
    assert!(py.iter().all(|(_, v)| v.is_finite()));
}

/// Two slices: one with a 2x2 block, one with a single voxel. The single voxel's in-plane
/// GLCM matrices are empty, so the 2D average is the 2x2 slice's value alone, and a
/// warning says a matrix was left out.
#[test]
fn empty_2d_matrix_is_left_out() {
    let mut levels = Array3::<u32>::zeros((2, 2, 2));
    levels[[0, 0, 0]] = 1;
    levels[[0, 0, 1]] = 2;
    levels[[0, 1, 0]] = 2;
    levels[[0, 1, 1]] = 1;
    let block_only = Discretised {
        levels: levels.clone(),
        n_g: 2,
    };
    levels[[1, 0, 0]] = 2;
    let d = Discretised { levels, n_g: 2 };

    let settings = TextureSettings::default();
    let (out, log) =
        with_warnings(|| Family::Glcm.compute(&d, &d.levels.mapv(|l| l > 0), &settings));
    let alone = Family::Glcm.compute(&block_only, &block_only.levels.mapv(|l| l > 0), &settings);
    for agg in ["2d_avg", "2d_smrg"] {
        let name = format!("glcm.contrast.{agg}");
        assert_eq!(get(&out, &name), get(&alone, &name), "{name}");
    }
    assert!(log.contains("left out"), "{log}");
    assert!(out.iter().all(|(n, v)| v.is_finite() || n.contains("corr")));
}

#[test]
fn empty_roi_is_nan_everywhere() {
    let d = Discretised {
        levels: Array3::zeros((2, 3, 4)),
        n_g: 5,
    };
    for settings in [TextureSettings::default(), pyradiomics()] {
        let (out, log) = with_warnings(|| all_families(&d, &settings));
        assert!(!out.is_empty());
        assert!(out.iter().all(|(_, v)| v.is_nan()));
        assert!(!log.is_empty());
    }
}

/// `compute_families` crops once and runs families in parallel: same values and order as
/// computing each family on the full arrays.
#[test]
fn compute_families_equals_one_by_one() {
    let mut levels = Array3::<u32>::zeros((6, 7, 8));
    for (i, v) in levels.iter_mut().enumerate() {
        let (z, y, x) = (i / 56, (i / 8) % 7, i % 8);
        if (1..5).contains(&z) && (2..6).contains(&y) && (1..7).contains(&x) {
            *v = 1 + ((i * 7919) % 5) as u32;
        }
    }
    let d = Discretised { levels, n_g: 5 };
    let morph = d.levels.mapv(|l| l > 0);
    for settings in [TextureSettings::default(), pyradiomics()] {
        let one_by_one: Vec<(String, f64)> = Family::ALL
            .into_iter()
            .flat_map(|f| f.compute(&d, &morph, &settings))
            .collect();
        let together =
            radaudit::features::texture::compute_families(&Family::ALL, &d, &morph, &settings);
        assert_eq!(one_by_one.len(), together.len());
        for ((n1, v1), (n2, v2)) in one_by_one.iter().zip(&together) {
            assert_eq!(n1, n2);
            assert!(
                v1 == v2 || (v1.is_nan() && v2.is_nan()),
                "{n1}: {v1} vs {v2}"
            );
        }
    }
}
