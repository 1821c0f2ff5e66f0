//! `radaudit compare` on the real reference layouts: PyRadiomics' baseline
//! (`../shared/data/pyradiomics/baseline`) and the IBSI reference values
//! (`../shared/data/ibsi/reference_values.csv`). Our tables are written from the
//! references themselves, so an exact copy must match and a perturbed copy must drift.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .arg("compare")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A quote-aware split, enough for the baseline file.
fn split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// The lung1 column of a baseline file as a wide table, with `scale` applied to `bump`.
fn baseline_as_wide(file: &str, bump: Option<&str>) -> String {
    let text = std::fs::read_to_string(data(&format!("pyradiomics/baseline/{file}"))).unwrap();
    let rows: Vec<Vec<String>> = text.lines().map(split).collect();
    let c = rows[0].iter().position(|h| h == "lung1").unwrap();
    let feats: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0].starts_with("original_"))
        .collect();
    let mut header = vec!["case_id".to_string()];
    let mut values = vec!["lung1".to_string()];
    for r in feats {
        header.push(r[0].clone());
        let v: f64 = r[c].parse().unwrap();
        let v = if Some(r[0].as_str()) == bump {
            v * 1.01
        } else {
            v
        };
        values.push(format!("{v:e}"));
    }
    format!("{}\n{}\n", header.join(","), values.join(","))
}

#[test]
fn pyradiomics_baseline_layout_matches_copy_and_flags_drift() {
    let dir = tempfile::tempdir().unwrap();
    let reference = data("pyradiomics/baseline/baseline_glcm.csv");
    let ours = dir.path().join("ours.csv");
    std::fs::write(&ours, baseline_as_wide("baseline_glcm.csv", None)).unwrap();
    let (code, stdout, stderr) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--allow-missing",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // 24 GLCM features of lung1 match; the other tests' columns have no case in ours.
    assert!(stdout.starts_with("match 24, drift 0"), "{stdout}");

    std::fs::write(
        &ours,
        baseline_as_wide("baseline_glcm.csv", Some("original_glcm_Contrast")),
    )
    .unwrap();
    let cmp = dir.path().join("cmp.csv");
    let (code, stdout, _) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--allow-missing",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("drift\tlung1\toriginal_glcm_Contrast"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(&cmp).unwrap();
    assert!(csv.starts_with("case,feature,ours,reference,difference,tolerance,status\n"));
    assert_eq!(csv.matches(",drift\n").count(), 1);

    // A 1% change passes a 2% relative rule for the GLCM family.
    let tol = dir.path().join("tol.csv");
    std::fs::write(&tol, "pattern,kind,value\noriginal_glcm_*,rel,0.02\n").unwrap();
    let (code, stdout, _) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--allow-missing",
        "--tolerances",
        tol.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");

    // Without --allow-missing the other tests' features count against us.
    let (code, _, _) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--tolerances",
        tol.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
}

fn extract(image: &Path, mask: &Path, preset: &str, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(["--quiet", "extract", "--image", image.to_str().unwrap()])
        .args(["--mask", mask.to_str().unwrap(), "--config", preset])
        .args(["--out", out.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn extracted_digital_phantom_matches_every_ibsi_row_through_compare() {
    // Every digital-phantom row (74 non-texture + 408 texture, all aggregations), keyed by
    // our canonical names through the registries, to 3 significant digits.
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("dp.csv");
    extract(
        &data("ibsi/digital_phantom/image.nii.gz"),
        &data("ibsi/digital_phantom/mask.nii.gz"),
        "ibsi-digital-phantom",
        &ours,
    );
    let reference = data("ibsi/reference_values.csv");
    let (code, stdout, stderr) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--reference-config",
        "digital_phantom",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("match 482, drift 0, missing 0"),
        "{stdout}"
    );

    // The file holds several configurations: one must be picked (exit 2, named).
    let (code, _, stderr) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--reference-config") && stderr.contains("config_A"),
        "{stderr}"
    );
}

#[test]
fn extracted_ct_config_c_matches_every_reference_row_through_compare() {
    // The reference's own tolerances apply; every config C row (mesh rows included) is
    // within them, so compare exits 0 and reports no drift.
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ct.csv");
    extract(
        &data("ibsi/ct_phantom/image.nii.gz"),
        &data("ibsi/ct_phantom/mask.nii.gz"),
        "ibsi-c",
        &ours,
    );
    let reference = data("ibsi/reference_values.csv");
    let (code, stdout, _) = run(&[
        "--ours",
        ours.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--reference-config",
        "config_C",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("drift\t") || l.starts_with("missing\t")),
        "{stdout}"
    );
}

#[test]
fn extracted_lung1_texture_matches_pyradiomics_baseline_through_compare() {
    // End to end: `radaudit extract` (PyRadiomics preset and names) on lung1, then
    // `radaudit compare` against each texture baseline within 0.1% relative.
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort.csv");
    std::fs::write(
        &cohort,
        format!(
            "case_id,image,mask\nlung1,{},{}\n",
            data("pyradiomics/lung1_image.nrrd").display(),
            data("pyradiomics/lung1_label.nrrd").display()
        ),
    )
    .unwrap();
    let ours = dir.path().join("lung1.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(["extract", "--cohort", cohort.to_str().unwrap()])
        .args(["--config", "pyradiomics-default", "--names", "pyradiomics"])
        .args(["--out", ours.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let tol = dir.path().join("tol.csv");
    std::fs::write(&tol, "pattern,kind,value\n*,rel,0.001\n").unwrap();
    // Features per baseline file (PyRadiomics' README): glcm 24, gldm 14, glrlm 16,
    // glszm 16, ngtdm 5.
    for (file, n) in [
        ("glcm", 24),
        ("gldm", 14),
        ("glrlm", 16),
        ("glszm", 16),
        ("ngtdm", 5),
    ] {
        let reference = data(&format!("pyradiomics/baseline/baseline_{file}.csv"));
        let (code, stdout, stderr) = run(&[
            "--ours",
            ours.to_str().unwrap(),
            "--reference",
            reference.to_str().unwrap(),
            "--tolerances",
            tol.to_str().unwrap(),
            "--allow-missing",
        ]);
        assert_eq!(code, 0, "{file}: {stdout}{stderr}");
        assert!(
            stdout.starts_with(&format!("match {n}, drift 0")),
            "{file}: {stdout}"
        );
    }
}
