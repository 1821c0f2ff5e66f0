//! Integration tests of `radaudit audit`: verdicts on reference designs, malformed
//! scenarios, determinism across thread counts, and the committed liver-review reports.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::tree;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radaudit"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` as `name` in `dir`.
fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scenario");
    p
}

/// Runs the audit of one file and returns verdict.json.
fn audit_one(text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path(), "s.toml", text);
    let out = dir.path().join("out");
    let o = bin()
        .args(["--quiet", "audit"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--reps", "400"])
        .output()
        .expect("run radaudit");
    assert!(
        o.status.success(),
        "audit failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let slug = std::fs::read_dir(&out)
        .expect("out dir")
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .expect("a claim folder")
        .path();
    for f in ["report.md", "report.html", "verdict.json"] {
        assert!(slug.join(f).is_file(), "{f} missing");
    }
    let text = std::fs::read_to_string(slug.join("verdict.json")).expect("verdict.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn check<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == id)
        .expect(id)
}

fn figure(c: &serde_json::Value, name: &str) -> f64 {
    c["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_f64())
        .unwrap_or_else(|| panic!("figure {name} missing in {c}"))
}

const APPARENT_60: &str = r#"
[study]
id = "toy-apparent"
[claim]
id = "training-auc"
metric = "auc"
value = 0.80
cohort = "training"
[design]
n_development = 60
events_development = 30
candidate_features = 1000
selected_features = 10
selection = "univariate"
model = "logistic"
validation = "apparent"
"#;

#[test]
fn apparent_auc_on_60_patients_with_1000_candidates_does_not_survive() {
    let v = audit_one(APPARENT_60);
    assert_eq!(v["verdict"], "does not survive");
    let null = check(&v, "null");
    assert_eq!(null["outcome"], "fail");
    // Ten features picked from 1000 on 60 patients fit noise far beyond 0.80.
    assert!(
        figure(null, "null_q50") > 0.80,
        "null median {}",
        figure(null, "null_q50")
    );
}

const EXTERNAL_400: &str = r#"
[study]
id = "toy-external"
[claim]
id = "external-auc"
metric = "auc"
value = 0.80
cohort = "external"
[design]
n_development = 1000
events_development = 500
n_validation = 400
events_validation = 200
candidate_features = 10
selected_features = 10
selection = "none"
model = "logistic"
validation = "external"
"#;

#[test]
fn external_auc_on_400_with_prespecified_features_survives() {
    let v = audit_one(EXTERNAL_400);
    assert_eq!(v["verdict"], "survives", "{v:#}");
    let prec = check(&v, "precision");
    assert!(figure(prec, "ci_lower") > 0.75 && figure(prec, "ci_upper") < 0.85);
}

#[test]
fn negative_external_claim_at_055_survives() {
    let text = EXTERNAL_400
        .replace("value = 0.80", "value = 0.55\ndirection = \"negative\"")
        .replace(
            "n_validation = 400\nevents_validation = 200",
            "n_validation = 100\nevents_validation = 40",
        );
    let v = audit_one(&text);
    assert_eq!(v["verdict"], "survives", "{v:#}");
    assert_eq!(check(&v, "null")["outcome"], "pass");
}

#[test]
fn sensitivity_specificity_claim_gets_wilson_intervals() {
    let text = EXTERNAL_400
        .replace(
            "metric = \"auc\"\nvalue = 0.80",
            "metric = \"sensitivity-specificity\"\nvalue = [0.85, 0.92]",
        )
        .replace(
            "n_validation = 400\nevents_validation = 200",
            "n_validation = 200\nevents_validation = 100",
        );
    let v = audit_one(&text);
    let prec = check(&v, "precision");
    // Wilson (1927) score intervals for 85/100 and 92/100, computed from the closed form
    // (z = 1.959964); the same formula reproduces Newcombe (1998) Table I, 81/263 ->
    // 0.2553 to 0.3662.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert!(close(figure(prec, "sensitivity_ci_lower"), 0.767164404));
    assert!(close(figure(prec, "sensitivity_ci_upper"), 0.906940147));
    assert!(close(figure(prec, "specificity_ci_lower"), 0.850018923));
    assert!(close(figure(prec, "specificity_ci_upper"), 0.958906539));
    assert_eq!(check(&v, "null")["outcome"], "not-assessable");
}

#[test]
fn deep_learning_claim_is_not_assessable_for_the_null_check() {
    let text = EXTERNAL_400.replace("model = \"logistic\"", "model = \"deep\"");
    let v = audit_one(&text);
    let null = check(&v, "null");
    assert_eq!(null["outcome"], "not-assessable");
    assert!(null["sentence"]
        .as_str()
        .expect("sentence")
        .contains("deep-learning"));
}

#[test]
fn malformed_scenarios_are_named_and_the_rest_still_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = dir.path().join("sc");
    std::fs::create_dir(&sc).expect("mkdir");
    scenario(&sc, "a-good.toml", EXTERNAL_400);
    let bad = [
        (
            "b-missing.toml",
            EXTERNAL_400.replace("candidate_features = 10\n", ""),
            "design.candidate_features",
        ),
        (
            "c-range.toml",
            EXTERNAL_400.replace("value = 0.80", "value = 1.80"),
            "claim.value",
        ),
        (
            "d-metric.toml",
            EXTERNAL_400.replace("\"auc\"", "\"f1-score\""),
            "claim.metric",
        ),
        (
            "e-events.toml",
            EXTERNAL_400.replace("events_development = 500", "events_development = 1500"),
            "design.events_development",
        ),
    ];
    for (name, text, _) in &bad {
        scenario(&sc, name, text);
    }
    let out = dir.path().join("out");
    let o = bin()
        .args(["--quiet", "audit"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .args(["--reps", "100"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for (name, _, key) in &bad {
        assert!(
            stderr.lines().any(|l| l.contains(name) && l.contains(key)),
            "{name}/{key} not reported in:\n{stderr}"
        );
    }
    assert!(out
        .join("toy-external--external-auc/verdict.json")
        .is_file());
    let index = std::fs::read_to_string(out.join("README.md")).expect("index");
    assert!(index.contains("toy-external--external-auc"));
    assert!(index.contains("c-range.toml"));
}

#[test]
fn same_seed_gives_identical_bytes_with_one_and_two_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = dir.path().join("sc");
    std::fs::create_dir(&sc).expect("mkdir");
    scenario(&sc, "a.toml", APPARENT_60);
    let text = EXTERNAL_400.to_string() + "[assumptions]\nmodels_compared = [1, 3]\n";
    scenario(&sc, "b.toml", &text);
    let run = |threads: &str, out: &Path| {
        let o = bin()
            .args(["--quiet", "--threads", threads, "audit"])
            .arg(&sc)
            .arg("--out")
            .arg(out)
            .args(["--reps", "200", "--seed", "7"])
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b) = (dir.path().join("t1"), dir.path().join("t2"));
    run("1", &a);
    run("2", &b);
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.len(), tb.len());
    for ((pa, ba), (pb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between 1 and 2 threads", pa.display());
    }
}

/// The committed reports are what the main job writes: regenerate a few scenarios with
/// the main job's settings and compare byte for byte.
#[test]
fn committed_liver_review_reports_match_a_fresh_run() {
    let scenarios = root().join("scenarios/liver-review");
    let committed = root().join("reports/liver-review");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&scenarios)
        .expect("scenarios")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 32, "expected the liver-review scenarios");
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = dir.path().join("sc");
    std::fs::create_dir(&sc).expect("mkdir");
    // Three spread-out scenarios: first, middle and last.
    for f in [&files[0], &files[files.len() / 2], &files[files.len() - 1]] {
        std::fs::copy(f, sc.join(f.file_name().expect("name"))).expect("copy");
    }
    let out = dir.path().join("out");
    let o = bin()
        .args(["--quiet", "audit"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (rel, bytes) in tree(&out) {
        if rel == Path::new("README.md") {
            continue; // the index covers only these three here
        }
        let theirs = std::fs::read(committed.join(&rel))
            .unwrap_or_else(|_| panic!("{} is not committed", rel.display()));
        assert!(
            theirs == bytes,
            "{} differs from the committed report",
            rel.display()
        );
    }
}
