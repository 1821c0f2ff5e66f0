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
    assert!(String::from_utf8_lossy(&o.stderr).contains("checkpoint of a different run"));

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
        let out = chain::apply(&plan, &base, &s, 1, "lung1", 1).unwrap();
        let got = out.roi_count() as f64;
        assert!(
            (got - want).abs() <= 1.0,
            "fraction {f}: {got} voxels, want {want}"
        );
    }
}
