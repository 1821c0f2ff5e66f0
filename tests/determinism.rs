//! Results reproduce: every command that draws random numbers gives byte-identical
//! outputs for the same seed with `--threads 1` and `--threads 2`, and different outputs
//! for another seed (so a command that ignored its seed, or the comparison itself, would
//! fail here).
//!
//! The random commands are those whose code calls `radaudit::stats::rng::stream`:
//! `null` (replicates), `cv` (folds, permutations, BBC bootstrap), `perturb` (noise and
//! contour randomisation) and `audit` (null simulations, the simulated C-index interval,
//! and on `[data]` scenarios the nested CV and its permutations).
//! `every_random_stream_user_is_covered` fails when a new file of `src/` draws from a
//! stream, so a new random command cannot go untested. `samplesize`, `stability`,
//! `extract`, `compare` and `inspect` draw nothing.
//!
//! Cost: 12 small runs, a few seconds in release.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::tree;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// Runs `radaudit --quiet --threads T ARGS` for (threads, seed) = (1, a), (2, a) and
/// (2, b), each writing below its own folder (`args(dir, seed)`), and asserts the first
/// two trees are equal byte for byte and the third differs.
fn assert_reproducible(
    name: &str,
    expected_files: usize,
    args: impl Fn(&Path, &str) -> Vec<String>,
) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |threads: &str, seed: &str| -> Vec<(PathBuf, Vec<u8>)> {
        let dir = tmp.path().join(format!("t{threads}-s{seed}"));
        std::fs::create_dir(&dir).expect("mkdir");
        let o = Command::new(env!("CARGO_BIN_EXE_radaudit"))
            .args(["--quiet", "--threads", threads])
            .args(args(&dir, seed))
            .env_remove("RADAUDIT_ABORT_AFTER")
            .output()
            .expect("run radaudit");
        assert!(
            o.status.success(),
            "{name} (threads {threads}, seed {seed}): {}",
            String::from_utf8_lossy(&o.stderr)
        );
        tree(&dir)
    };
    let one = run("1", "11");
    let two = run("2", "11");
    let other = run("2", "12");

    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(one.len(), expected_files, "{name}: {:?}", names(&one));
    assert_eq!(
        names(&one),
        names(&two),
        "{name}: files differ between thread counts"
    );
    for ((p, a), (_, b)) in one.iter().zip(&two) {
        assert!(
            a == b,
            "{name}: {} differs between 1 and 2 threads",
            p.display()
        );
    }
    assert!(
        one.iter().zip(&other).any(|((_, a), (_, b))| a != b) || one.len() != other.len(),
        "{name}: seeds 11 and 12 gave identical outputs"
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn join(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn null_reproduces() {
    assert_reproducible("null", 2, |dir, seed| {
        let mut a = strings(&[
            "null",
            "--n",
            "40",
            "--candidates",
            "60",
            "--prevalence",
            "0.3",
            "--selected",
            "3",
            "--design",
            "cv",
            "--folds",
            "4",
            "--models-compared",
            "2",
            "--claimed",
            "0.7",
            "--reps",
            "110",
            "--seed",
            seed,
        ]);
        a.extend([
            "--out".into(),
            join(dir, "null.json"),
            "--plot".into(),
            join(dir, "null.svg"),
        ]);
        a
    });
}

#[test]
fn null_survival_reproduces() {
    assert_reproducible("null cox", 1, |dir, seed| {
        let mut a = strings(&[
            "null",
            "--n",
            "50",
            "--candidates",
            "30",
            "--events",
            "25",
            "--selected",
            "3",
            "--model",
            "cox",
            "--design",
            "bootstrap",
            "--resamples",
            "5",
            "--reps",
            "30",
            "--seed",
            seed,
        ]);
        a.extend(["--out".into(), join(dir, "null.json")]);
        a
    });
}

#[test]
fn cv_reproduces() {
    assert_reproducible("cv", 4, |dir, seed| {
        let mut a = strings(&[
            "cv",
            "--outcome",
            "y",
            "--ignore",
            "fold",
            "--k",
            "5",
            "--outer",
            "3",
            "--inner",
            "3",
            "--repeats",
            "2",
            "--leaky",
            "--permutations",
            "4",
            "--bbc-resamples",
            "20",
            "--n-lambda",
            "8",
            "--seed",
            seed,
        ]);
        a.extend([
            "--table".into(),
            format!("{DATA}/stats/null_seed0_p100.csv"),
            "--out".into(),
            join(dir, "cv.json"),
            "--plots".into(),
            join(dir, "plots"),
        ]);
        a
    });
}

/// Noise and contour randomisation, 2 replicates each, on the PyRadiomics lung1 case.
const PERTURB_CONFIG: &str = r#"
discretisation = { bin-width = { width = 25.0, origin = "pyradiomics" } }
texture = { mode = "pyradiomics" }

[perturbation]
repeats = 2
noise = [1.0]
contour = [true]
"#;

#[test]
fn perturb_reproduces() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cohort = tmp.path().join("cohort.csv");
    let py = format!("{DATA}/pyradiomics");
    std::fs::write(
        &cohort,
        format!("case_id,image,mask\nlung1,{py}/lung1_image.nrrd,{py}/lung1_label.nrrd\n"),
    )
    .expect("cohort");
    let config = tmp.path().join("perturb.toml");
    std::fs::write(&config, PERTURB_CONFIG).expect("config");
    assert_reproducible("perturb", 1, |dir, seed| {
        vec![
            "perturb".into(),
            "--cohort".into(),
            cohort.to_string_lossy().into_owned(),
            "--config".into(),
            config.to_string_lossy().into_owned(),
            "--seed".into(),
            seed.into(),
            "--out".into(),
            join(dir, "long.csv"),
        ]
    });
}

/// A design-only binary claim, a C-index claim (simulated interval, Cox nulls) and a
/// `[data]` claim (nested CV, permutations, volume-free) on the null table.
fn audit_scenarios(dir: &Path) {
    let files = [
        (
            "a.toml",
            "[study]\nid = \"toy-apparent\"\n[claim]\nid = \"training-auc\"\nmetric = \"auc\"\n\
             value = 0.80\ncohort = \"training\"\n[design]\nn_development = 60\n\
             events_development = 30\ncandidate_features = 200\nselected_features = 5\n\
             selection = \"univariate\"\nmodel = \"logistic\"\nvalidation = \"apparent\"\n"
                .to_string(),
        ),
        (
            "c.toml",
            "[study]\nid = \"toy-cindex\"\n[claim]\nid = \"external-c\"\nmetric = \"c-index\"\n\
             value = 0.75\ncohort = \"external\"\n[design]\nn_development = 100\n\
             events_development = 50\nn_validation = 80\nevents_validation = 40\n\
             candidate_features = 20\nselected_features = 5\nselection = \"univariate\"\n\
             model = \"cox\"\nvalidation = \"external\"\n"
                .to_string(),
        ),
        (
            "d.toml",
            format!(
                "[study]\nid = \"toy-data\"\n[claim]\nid = \"cv-auc\"\nmetric = \"auc\"\n\
                 value = 0.8\ncohort = \"validation\"\n[design]\nn_development = 100\n\
                 events_development = 50\ncandidate_features = 100\nselected_features = 5\n\
                 selection = \"univariate\"\nmodel = \"logistic\"\n\
                 validation = \"cross-validation\"\nfolds = 5\n[data]\n\
                 table = \"{DATA}/stats/null_seed0_p100.csv\"\noutcome = \"y\"\n\
                 ignore = [\"fold\"]\npermutations = 4\nrepeats = 1\n"
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("scenario");
    }
}

#[test]
fn audit_reproduces() {
    let tmp = tempfile::tempdir().expect("tempdir");
    audit_scenarios(tmp.path());
    let sc = tmp.path().to_string_lossy().into_owned();
    // Index + 4 files per design claim + 7 per data claim.
    assert_reproducible("audit", 1 + 4 + 4 + 7, |dir, seed| {
        let out = join(dir, "reports");
        strings(&["audit", &sc, "--out", &out, "--reps", "40", "--seed", seed])
    });
}

/// Files of `src/` outside tests that draw from a seeded stream, with the command test
/// above that covers each.
const STREAM_USERS: &[(&str, &str)] = &[
    (
        "src/audit/size.rs",
        "audit_reproduces (fixed seed: R2_CS from a C-index)",
    ),
    ("src/model/cv.rs", "cv_reproduces, audit_reproduces"),
    ("src/null/cindex.rs", "audit_reproduces"),
    (
        "src/null/mod.rs",
        "null_reproduces, null_survival_reproduces, audit_reproduces",
    ),
    ("src/perturb/chain.rs", "perturb_reproduces"),
    ("src/stats/rng.rs", "the streams themselves"),
];

#[test]
fn every_random_stream_user_is_covered() {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::from(ROOT).join("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read src") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("read source");
            // Unit tests draw from streams of their own; they are not commands.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let draws = code.lines().any(|l| {
                let l = l.trim_start();
                !l.starts_with("//")
                    && (l.contains("rng::stream(")
                        || l.contains(" stream(")
                        || l.contains("stream_indexed("))
            });
            if draws {
                let rel = p.strip_prefix(ROOT).expect("prefix").to_string_lossy();
                found.push(rel.trim_start_matches('/').to_string());
            }
        }
    }
    found.sort();
    let known: Vec<&str> = STREAM_USERS.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        found, known,
        "a file draws random numbers without a determinism test here (or one stopped)"
    );
}
