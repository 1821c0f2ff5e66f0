//! Integration tests of `radaudit perturb` on the PyRadiomics lung1 case
//! (`../shared/data/pyradiomics`): the unperturbed rows equal `radaudit extract`, the
//! same seed gives the same bytes with 1 and with all threads, an interrupted run
//! resumed gives the same bytes as an uninterrupted one, and the table feeds
//! `radaudit stability`.
//!
//! Cost: about 6 runs of a 9-item chain on an 837-voxel ROI (a few seconds in release).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use radaudit::features::config::ExtractConfig;
use radaudit::features::extract::Case;
use radaudit::perturb::chain::{self, Plan, Setting};
use radaudit::perturb::run::load_case;
use radaudit::perturb::volume::Adaptation;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/pyradiomics");

/// A chain with every family: resampling, rotation, translation, noise, volume
/// adaptation, dilation and contour randomisation; 4 settings x 2 draws + none.
const CONFIG: &str = r#"
discretisation = { bin-width = { width = 25.0, origin = "pyradiomics" } }
pca = "population"
texture = { mode = "pyradiomics" }

[perturbation]
repeats = 2
rotation = [0.0, 10.0]
translation = [[0.25, 0.25, 0.0]]
spacing = [[1.0, 1.0, 2.5]]
noise = [1.0]
volume = [-0.1, 0.1]
morphology = [1]
contour = [true]
"#;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_radaudit")
}

fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let cohort = dir.join("cohort.csv");
    std::fs::write(
        &cohort,
        format!("case_id,image,mask\nlung1,{DATA}/lung1_image.nrrd,{DATA}/lung1_label.nrrd\n"),
    )
    .unwrap();
    let config = dir.join("perturb.toml");
    std::fs::write(&config, CONFIG).unwrap();
    (cohort, config)
}

fn perturb(
    cohort: &Path,
    config: &Path,
    out: &Path,
    extra: &[&str],
    abort: Option<&str>,
) -> Output {
    let mut c = Command::new(bin());
    c.arg("perturb")
        .arg("--cohort")
        .arg(cohort)
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .env_remove("RADAUDIT_ABORT_AFTER");
    if !extra.contains(&"--seed") {
        c.args(["--seed", "7"]);
    }
    if let Some(n) = abort {
        c.env("RADAUDIT_ABORT_AFTER", n);
    }
    c.output().unwrap()
}

#[test]
fn perturb_is_thread_independent_resumable_and_feeds_stability() {
    let tmp = tempfile::tempdir().unwrap();
    let (cohort, config) = setup(tmp.path());

    // Uninterrupted, all threads.
    let full = tmp.path().join("full.csv");
    let o = perturb(&cohort, &config, &full, &[], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&full).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("case_id,perturbation,replicate,feature,value\n"));
    assert!(
        !tmp.path().join("full.csv.parts").exists(),
        "checkpoint left behind"
    );

    // Every setting x replicate plus none, with the same features each.
    let mut raters: Vec<(String, String)> = Vec::new();
    let mut per_rater = std::collections::BTreeMap::<(String, String), usize>::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "{line}");
        assert_eq!(f[0], "lung1");
        let key = (f[1].to_string(), f[2].to_string());
        if !raters.contains(&key) {
            raters.push(key.clone());
        }
        *per_rater.entry(key).or_default() += 1;
    }
    assert_eq!(raters.len(), 1 + 4 * 2, "{raters:?}");
    assert_eq!(raters[0], ("none".to_string(), "1".to_string()));
    assert_eq!(
        raters[1].0,
        "sp=1:1:2.5;rot=0;tr=0.25:0.25:0;noise=1;vol=-0.1;morph=1;contour=1"
    );
    let counts: std::collections::BTreeSet<usize> = per_rater.values().copied().collect();
    assert_eq!(
        counts.len(),
        1,
        "raters differ in feature count: {per_rater:?}"
    );

    // Perturbed values differ from the unperturbed ones (the chain did something).
    let value = |p: &str, r: &str, feat: &str| -> f64 {
        text.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[1] == p && f[2] == r && f[3] == feat)
            .map(|f| f[4].parse().unwrap())
            .unwrap()
    };
    let p1 = &raters[1].0;
    assert_ne!(value("none", "1", "stat.mean"), value(p1, "1", "stat.mean"));
    assert_ne!(value(p1, "1", "stat.mean"), value(p1, "2", "stat.mean"));

    // One thread: the same bytes.
    let one = tmp.path().join("one.csv");
    let o = perturb(&cohort, &config, &one, &["--threads", "1"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&one).unwrap(),
        bytes,
        "1 thread differs from all threads"
    );

    // Interrupted after 3 items (exit 2, checkpoint kept, no output), then resumed.
    let resumed = tmp.path().join("resumed.csv");
    let o = perturb(&cohort, &config, &resumed, &[], Some("3"));
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!resumed.exists());
    let parts = std::fs::read_dir(tmp.path().join("resumed.csv.parts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part")
        })
        .count();
    assert!((3..9).contains(&parts), "{parts} parts after abort at 3");
    let o = perturb(&cohort, &config, &resumed, &["--threads", "1"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&resumed).unwrap(),
        bytes,
        "resumed run differs"
    );

    // A checkpoint of another run (other seed) is refused.
    let other = tmp.path().join("other.csv");
    let o = perturb(&cohort, &config, &other, &[], Some("1"));
    assert_eq!(o.status.code(), Some(2));
    let o = perturb(&cohort, &config, &other, &["--seed", "8"], None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("checkpoint of a different run: seed: checkpoint 7, this run 8;"));
    assert!(msg.contains("remove the folder to start over"), "{msg}");
    // A changed config setting is named by its path in the config.
    let config2 = tmp.path().join("perturb2.toml");
    std::fs::write(&config2, CONFIG.replace("repeats = 2", "repeats = 3")).unwrap();
    let o = perturb(&cohort, &config2, &other, &[], None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains("config.perturbation.repeats: checkpoint 2, this run 3"),
        "{msg}"
    );
    // A manifest of an earlier radaudit (a bare hash) is refused too.
    let manifest = tmp.path().join("other.csv.parts/manifest");
    std::fs::write(&manifest, format!("{}\n", "0f".repeat(32))).unwrap();
    let o = perturb(&cohort, &config, &other, &[], None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("not a radaudit checkpoint"), "{msg}");

    // The table feeds `radaudit stability`.
    let stab = tmp.path().join("stability.csv");
    let o = Command::new(bin())
        .args(["stability", "--quiet", "--input"])
        .arg(&full)
        .arg("--out")
        .arg(&stab)
        .output()
        .unwrap();
    // One case has no between-case variance: every ICC is undefined, but the command
    // runs and lists every feature.
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = std::fs::read_to_string(&stab).unwrap();
    assert!(s.starts_with("feature,form,icc"), "{s}");
    assert_eq!(s.lines().count() - 1, per_rater[&raters[0]]);
}

#[test]
fn unperturbed_rows_equal_radaudit_extract_on_the_whole_scan() {
    // The run works on a crop around the ROI with the whole scan's interpolation grid:
    // its `none` rows must equal `radaudit extract` on the whole scan, here with
    // resampling (IBSI grid alignment) to 1 x 1 x 2.5 mm.
    let tmp = tempfile::tempdir().unwrap();
    let (cohort, _) = setup(tmp.path());
    let config = tmp.path().join("c.toml");
    std::fs::write(
        &config,
        "discretisation = { bin-count = 16 }\n\
         [preprocess.resample]\nspacing = [1.0, 1.0, 2.5]\ninterpolator = \"linear\"\n\
         mask_interpolator = \"linear\"\n\
         [perturbation]\nrotation = [5.0]\n",
    )
    .unwrap();
    let long = tmp.path().join("long.csv");
    let saved = tmp.path().join("saved");
    let saved_arg = saved.to_string_lossy().into_owned();
    let o = perturb(
        &cohort,
        &config,
        &long,
        &["--save-perturbed", &saved_arg],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // --save-perturbed: the rotated crop and its mask, readable, at the scan's positions.
    let img = radaudit::image::read_volume(&saved.join("lung1/rot5__r1_image.nii.gz")).unwrap();
    let mask = radaudit::image::read_mask(&saved.join("lung1/rot5__r1_mask.nii.gz")).unwrap();
    let none = radaudit::image::read_volume(&saved.join("lung1/none__r1_image.nii.gz")).unwrap();
    let scan =
        radaudit::image::read_volume(Path::new(&format!("{DATA}/lung1_image.nrrd"))).unwrap();
    assert_eq!(img.data.dim(), mask.labels.dim());
    assert!(
        mask.count(1) > 700,
        "{} voxels in the rotated mask",
        mask.count(1)
    );
    // The unperturbed crop holds the scan's voxels where its origin says (f32 on disk).
    let p = none.geometry.index_to_point([0.0; 3]);
    let idx = scan.geometry.point_to_index(p).map(|v| v.round() as usize);
    assert!((none.data[[0, 0, 0]] - scan.data[[idx[2], idx[1], idx[0]]]).abs() < 1e-3);

    let wide = tmp.path().join("wide.csv");
    let o = Command::new(bin())
        .args(["extract", "--quiet", "--image"])
        .arg(format!("{DATA}/lung1_image.nrrd"))
        .arg("--mask")
        .arg(format!("{DATA}/lung1_label.nrrd"))
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&wide)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let wide = std::fs::read_to_string(&wide).unwrap();
    let mut lines = wide.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').skip(1).collect();
    let values: Vec<&str> = lines.next().unwrap().split(',').skip(1).collect();
    let long = std::fs::read_to_string(&long).unwrap();
    let none: Vec<(&str, &str)> = long
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1], f[3], f[4])
        })
        .filter(|(p, _, _)| *p == "none")
        .map(|(_, n, v)| (n, v))
        .collect();
    assert_eq!(none.len(), names.len());
    for ((n, v), (wn, wv)) in none.iter().zip(names.iter().zip(&values)) {
        assert_eq!((n, v), (wn, wv), "none row differs from extract");
    }
}

#[test]
fn volume_adaptation_on_lung1_hits_the_target_within_one_voxel() {
    // MIRP-style band: growing the 837-voxel lung1 ROI by 20 % gives 1004.4 voxels
    // (round: 1004), shrinking by 20 % gives 669.6 (670).
    let case = Case {
        id: "lung1".into(),
        image: format!("{DATA}/lung1_image.nrrd").into(),
        mask: format!("{DATA}/lung1_label.nrrd").into(),
        label: 1,
    };
    let mut cfg: ExtractConfig = toml::from_str(CONFIG).unwrap();
    cfg.perturbation.as_mut().unwrap().insert(
        "volume".into(),
        toml::Value::Array(vec![toml::Value::Float(0.2)]),
    );
    let plan = Plan::from_config(&cfg).unwrap();
    let (base, _) = load_case(&case, &cfg, &plan).unwrap();
    assert_eq!(base.sample.roi_count(), 837);
    for (f, want) in [(0.2, 837.0 * 1.2), (-0.2, 837.0 * 0.8)] {
        let s = Setting {
            volume: Some(Adaptation::Fraction(f)),
            ..Default::default()
        };
        let (out, _) = chain::apply(&plan, &base, &s, 1, "lung1", 1).unwrap();
        let got = out.roi_count() as f64;
        assert!(
            (got - want).abs() <= 1.0,
            "fraction {f}: {got} voxels, want {want}"
        );
    }
}

/// The chain of the crop test: every family, with levels large enough to move the ROI
/// across voxels; noise at the estimated level.
const CROP_CONFIG: &str = r#"
discretisation = { bin-count = 16 }
texture = { mode = "pyradiomics" }

[perturbation]
repeats = 1
noise_sigma = "estimate"
rotation = [15.0]
translation = [[0.3, -0.6, 0.4]]
spacing = [[1.0, 1.0, 2.0]]
noise = [1.0]
volume = [-0.2, 0.25]
morphology = [-1, 2]
contour = [true]
supervoxels = { count = 12 }
"#;

/// A 256 x 240 x 80 scan (0.8 x 0.8 x 2.5 mm): a bright blob with texture in a noisy
/// background, and an ellipsoidal ROI off the scan's centre.
fn crop_case() -> (radaudit::image::Volume, ndarray::Array3<bool>) {
    use radaudit::image::{Geometry, Volume};
    let hash = |x: usize, y: usize, z: usize| {
        let mut h = (x * 73_856_093 ^ y * 19_349_663 ^ z * 83_492_791) as u64;
        h = (h ^ (h >> 13)).wrapping_mul(0x5bd1_e995);
        (h % 1000) as f64 / 1000.0
    };
    let data = ndarray::Array3::from_shape_fn((80, 240, 256), |(z, y, x)| {
        let r2 = ((x as f64 - 130.0) / 9.0).powi(2)
            + ((y as f64 - 112.0) / 7.0).powi(2)
            + ((z as f64 - 29.0) / 2.5).powi(2);
        200.0 * (-r2).exp()
            + 40.0 * ((x + 2 * y) % 5) as f64 * (r2 < 1.5) as u8 as f64
            + 30.0 * hash(x, y, z)
    });
    let roi = ndarray::Array3::from_shape_fn((80, 240, 256), |(z, y, x)| {
        ((x as f64 - 129.5) / 8.0).powi(2)
            + ((y as f64 - 112.0) / 6.0).powi(2)
            + ((z as f64 - 29.0) / 2.2).powi(2)
            <= 1.0
    });
    let image = Volume {
        data,
        geometry: Geometry {
            spacing: [0.8, 0.8, 2.5],
            origin: [-20.0, 13.5, 100.0],
            ..Default::default()
        },
    };
    (image, roi)
}

/// The chain of `setting` done the plain way, on the whole scan with whole-array steps
/// (noise drawn for every voxel of the scan), then extracted on the whole scan.
fn whole_scan_reference(
    plan: &Plan,
    image: &radaudit::image::Volume,
    roi: &ndarray::Array3<bool>,
    sigma: f64,
    setting: &Setting,
    config: &ExtractConfig,
) -> Vec<(String, f64)> {
    use radaudit::perturb::{morphology, noise, rigid, supervoxel, volume, Sample};
    let name = setting.name();
    let mut s = Sample {
        image: image.clone(),
        roi: roi.clone(),
    };
    let angle = setting.rotation.unwrap_or(0.0);
    let translation = setting.translation.unwrap_or([0.0; 3]);
    if angle != 0.0 || translation != [0.0; 3] {
        let m = rigid::Motion {
            translation,
            angle_deg: angle,
            centre: radaudit::perturb::roi_centroid(roi).unwrap(),
        };
        s = rigid::apply(&s, &m, plan.interpolator);
    }
    if let Some(level) = setting.noise.filter(|&l| l > 0.0) {
        let mut r = chain::step_stream(1, "c", &name, 1, "noise");
        noise::add_noise(&mut s.image.data, level * sigma, &mut r);
    }
    let sp = image.geometry.spacing;
    if let Some(a) = setting.volume {
        s.roi = volume::adapt(&s.roi, sp, a).unwrap();
    }
    if let Some(m) = setting.morphology.filter(|&m| m != 0) {
        let se = morphology::Structuring {
            element: plan.structuring_element.element,
            radius: m.unsigned_abs() as usize,
            in_plane: plan.structuring_element.in_plane,
        };
        s.roi = if m > 0 {
            morphology::dilate(&s.roi, &se)
        } else {
            morphology::erode(&s.roi, &se)
        };
    }
    if setting.contour == Some(true) {
        let sv = supervoxel::slic(&s.image, &s.roi, &plan.supervoxels);
        let mut r = chain::step_stream(1, "c", &name, 1, "contour");
        s.roi = supervoxel::randomise(&s.roi, &sv, &plan.supervoxels, &mut r).0;
    }
    let cfg = chain::config_for(config, setting);
    radaudit::features::extract::extract(&s.image, &s.roi, &cfg).unwrap()
}

#[test]
fn perturbing_the_crop_equals_perturbing_the_whole_scan() {
    // Every family alone and all together, on the crop around the ROI (each step on
    // the box it reaches) and on the whole scan with whole-array steps: the features
    // must agree to 1e-12 (relative), which holds only if every perturbed voxel the
    // extraction reads is the same, noise draws included.
    use radaudit::features::extract::extract_in_frame;
    use radaudit::perturb::chain::CaseBase;
    let (image, roi) = crop_case();
    let config: ExtractConfig = toml::from_str(CROP_CONFIG).unwrap();
    let plan = Plan::from_config(&config).unwrap();
    let base = CaseBase::new(&image, &roi, &config, &plan, None).unwrap();
    let (nz, ny, nx) = base.sample.roi.dim();
    assert!(
        nx < 256 && ny < 240 && nz < 80,
        "the crop {nx}x{ny}x{nz} must be smaller than the scan for the test to mean anything"
    );
    // The noise level is estimated on a fixed region, not on the crop.
    let whole = CaseBase::new(&image, &roi, &config, &plan, Some([1000; 3])).unwrap();
    assert_eq!(whole.sample.roi.dim(), (80, 240, 256));
    let sigma = base.noise_sigma.unwrap();
    assert_eq!(sigma.to_bits(), whole.noise_sigma.unwrap().to_bits());

    let full = Setting {
        spacing: Some([1.0, 1.0, 2.0]),
        rotation: Some(15.0),
        translation: Some([0.3, -0.6, 0.4]),
        noise: Some(1.0),
        volume: Some(Adaptation::Fraction(0.25)),
        morphology: Some(-1),
        contour: Some(true),
    };
    let kinds = [
        Setting {
            spacing: full.spacing,
            ..Default::default()
        },
        Setting {
            rotation: full.rotation,
            ..Default::default()
        },
        Setting {
            translation: full.translation,
            ..Default::default()
        },
        Setting {
            noise: full.noise,
            ..Default::default()
        },
        Setting {
            volume: Some(Adaptation::Fraction(-0.2)),
            ..Default::default()
        },
        Setting {
            volume: full.volume,
            ..Default::default()
        },
        Setting {
            morphology: Some(-1),
            ..Default::default()
        },
        Setting {
            morphology: Some(2),
            ..Default::default()
        },
        Setting {
            contour: Some(true),
            ..Default::default()
        },
        full.clone(),
        Setting {
            morphology: Some(2),
            volume: Some(Adaptation::Fraction(-0.2)),
            ..full.clone()
        },
    ];
    for setting in &kinds {
        let name = setting.name();
        let cfg = chain::config_for(&config, setting);
        let (s, frame) = chain::apply(&plan, &base, setting, 1, "c", 1).unwrap();
        let ours = extract_in_frame(&s.image, &s.roi, &cfg, &frame).unwrap();
        // The same chain from the uncropped base takes the same path on the same boxes.
        let (w, wframe) = chain::apply(&plan, &whole, setting, 1, "c", 1).unwrap();
        assert_eq!((&s, frame), (&w, wframe), "{name}: crop vs whole-scan base");
        let reference = whole_scan_reference(&plan, &image, &roi, sigma, setting, &config);
        assert_eq!(ours.len(), reference.len(), "{name}");
        for ((n, a), (rn, b)) in ours.iter().zip(&reference) {
            assert_eq!(n, rn);
            let same = (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            assert!(same, "{name}: {n} {a} (crop) vs {b} (whole scan)");
        }
    }
}

/// [`CROP_CONFIG`] with filters of finite reach (IBSI LoG, Laws energy, a level-2
/// wavelet, Gabor) and PyRadiomics' recursive LoG.
const FILTER_CONFIG: &str = r#"
discretisation = { bin-count = 16 }
texture = { mode = "pyradiomics" }

[[filters]]
filter = "log"
sigma_mm = 2.0
[[filters]]
filter = "laws"
kernel = "L5E5S5"
energy_delta = 2
[[filters]]
filter = "wavelet"
wavelet = "db2"
subband = "HLH"
level = 2
[[filters]]
filter = "gabor"
sigma_mm = 2.0
lambda_mm = 3.0
gamma = 1.0
theta_step_deg = 90.0
[[filters]]
filter = "pyradiomics-log"
sigma_mm = 1.0

[perturbation]
repeats = 1
noise_sigma = "estimate"
rotation = [5.0]
translation = [[0.3, -0.6, 0.4]]
spacing = [[1.0, 1.0, 2.0]]
noise = [1.0]
volume = [0.25]
contour = [true]
supervoxels = { count = 12 }
"#;

#[test]
fn filtered_features_from_the_crop_equal_the_whole_scan() {
    // The filters' reach widens the region each item computes; the filtered features
    // must then equal the whole-scan chain's (filters run on the whole resampled scan).
    // The recursive LoG's reach bounds a tail below 1e-14 of its peak, so 1e-9 here.
    use radaudit::features::extract::extract_in_frame;
    use radaudit::perturb::chain::CaseBase;
    let (image, roi) = crop_case();
    let config: ExtractConfig = toml::from_str(FILTER_CONFIG).unwrap();
    let plan = Plan::from_config(&config).unwrap();
    let base = CaseBase::new(&image, &roi, &config, &plan, None).unwrap();
    let sigma = base.noise_sigma.unwrap();
    let full = plan.settings().remove(0);
    let rotation = Setting {
        rotation: full.rotation,
        ..Default::default()
    };
    for setting in [rotation, full] {
        let name = setting.name();
        let cfg = chain::config_for(&config, &setting);
        let (s, frame) = chain::apply(&plan, &base, &setting, 1, "c", 1).unwrap();
        let (nz, ny, nx) = s.roi.dim();
        assert!(
            nx < 200 && ny < 200 && nz < 60,
            "{name}: the region {nx}x{ny}x{nz} must be well inside the 256x240x80 scan"
        );
        let ours = extract_in_frame(&s.image, &s.roi, &cfg, &frame).unwrap();
        let reference = whole_scan_reference(&plan, &image, &roi, sigma, &setting, &config);
        assert_eq!(ours.len(), reference.len(), "{name}");
        assert!(
            ours.iter()
                .any(|(n, _)| n.starts_with("log_s1_pyradiomics.")),
            "{name}"
        );
        for ((n, a), (rn, b)) in ours.iter().zip(&reference) {
            assert_eq!(n, rn);
            let same = (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(same, "{name}: {n} {a} (crop) vs {b} (whole scan)");
        }
    }
}

#[test]
fn a_filter_without_finite_reach_keeps_the_whole_scan() {
    use radaudit::perturb::chain::CaseBase;
    let (image, roi) = crop_case();
    let text = "discretisation = { bin-count = 16 }\n[[filters]]\nfilter = \"simoncelli\"\n\
                [perturbation]\nrotation = [5.0]\n";
    let config: ExtractConfig = toml::from_str(text).unwrap();
    let plan = Plan::from_config(&config).unwrap();
    let base = CaseBase::new(&image, &roi, &config, &plan, None).unwrap();
    assert_eq!(base.sample.roi.dim(), (80, 240, 256));
    let (s, frame) = chain::apply(&plan, &base, &plan.settings()[0], 1, "c", 1).unwrap();
    assert_eq!((s.roi.dim(), frame.offset), ((80, 240, 256), [0, 0, 0]));
}
