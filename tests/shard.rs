//! Sharded runs (`--shard I/N`), `radaudit merge` and `radaudit slurm`: merged outputs
//! are byte-identical to single-process outputs for `extract --cohort`, `perturb`, `null`
//! and `audit DIR`; killed or truncated parts are redone on resubmission without redoing the
//! finished ones; foreign and missing parts are refused. The Slurm tests run only with
//! `RADAUDIT_SLURM=1` (set by `.ci/run` after `tests/slurm/start.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn radaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(args)
        .output()
        .expect("run radaudit")
}

fn ok(args: &[&str]) -> Output {
    let o = radaudit(args);
    assert!(
        o.status.success(),
        "radaudit {args:?} failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The part files of `out`, sorted.
fn parts(out: &Path) -> Vec<PathBuf> {
    let dir = PathBuf::from(format!("{}.parts", out.display()));
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("parts folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("part-") && name.ends_with(".json")
        })
        .collect();
    v.sort();
    v
}

/// Runs parts `0..n` of `args` (which hold `--out out`) and merges them into `merged`.
fn shard_and_merge(args: &[&str], n: usize, out: &Path, merged: &Path) -> Output {
    for i in 0..n {
        let spec = format!("{i}/{n}");
        let mut a = args.to_vec();
        a.extend(["--shard", &spec]);
        ok(&a);
    }
    let files = parts(out);
    assert_eq!(files.len(), n, "one file per part: {files:?}");
    let mut a = vec!["--quiet", "merge"];
    a.extend(files.iter().map(|p| s(p)));
    a.extend(["--out", s(merged)]);
    radaudit(&a)
}

/// A cohort CSV of the PyRadiomics lung1 and brain1 cases (absolute paths).
fn cohort(dir: &Path) -> PathBuf {
    let mut text = String::from("case_id,image,mask\n");
    for case in ["lung1", "brain1"] {
        text += &format!(
            "{case},{},{}\n",
            data(&format!("pyradiomics/{case}_image.nrrd")).display(),
            data(&format!("pyradiomics/{case}_label.nrrd")).display()
        );
    }
    let path = dir.join("cohort.csv");
    std::fs::write(&path, text).expect("write cohort");
    path
}

#[test]
fn extract_cohort_sharded_and_merged_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = cohort(dir.path());
    let single = dir.path().join("single.csv");
    let base = [
        "--quiet",
        "extract",
        "--cohort",
        s(&cohort),
        "--config",
        "pyradiomics-default",
        "--names",
        "pyradiomics",
    ];
    let mut a = base.to_vec();
    a.extend(["--out", s(&single)]);
    ok(&a);

    // Three parts for two cases: at least one part is empty and must still merge.
    let out = dir.path().join("sharded.csv");
    let merged = dir.path().join("merged.csv");
    let mut a = base.to_vec();
    a.extend(["--out", s(&out)]);
    let o = shard_and_merge(&a, 3, &out, &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The hash puts brain1 in part 1, lung1 in part 2 and nothing in part 0.
    let sizes: Vec<usize> = parts(&out)
        .iter()
        .map(|p| json(p)["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [0, 1, 1]);
    let want = std::fs::read(&single).unwrap();
    assert_eq!(std::fs::read(&merged).unwrap(), want);
    let text = String::from_utf8(want).unwrap();
    assert_eq!(text.lines().count(), 3, "header + lung1 + brain1");
    assert!(text.lines().nth(1).unwrap().starts_with("lung1,"));
    assert!(text.contains("original_glcm_JointEnergy"));
}

#[test]
fn extract_with_a_missing_image_fails_the_case_not_the_part() {
    // A single run leaves the case out and exits 2; the merge of the parts must too.
    let dir = tempfile::tempdir().unwrap();
    let cohort = cohort(dir.path());
    let mut text = std::fs::read_to_string(&cohort).unwrap();
    text += "ghost,missing_image.nrrd,missing_label.nrrd\n";
    std::fs::write(&cohort, text).unwrap();
    let base = [
        "--quiet",
        "extract",
        "--cohort",
        s(&cohort),
        "--config",
        "ibsi-c",
    ];
    let single = dir.path().join("single.csv");
    let mut a = base.to_vec();
    a.extend(["--out", s(&single)]);
    assert_eq!(radaudit(&a).status.code(), Some(2));

    let out = dir.path().join("sharded.csv");
    let merged = dir.path().join("merged.csv");
    let mut a = base.to_vec();
    a.extend(["--out", s(&out)]);
    let o = shard_and_merge(&a, 2, &out, &merged);
    assert_eq!(o.status.code(), Some(2));
    let want = std::fs::read_to_string(&single).unwrap();
    assert_eq!(std::fs::read_to_string(&merged).unwrap(), want);
    assert_eq!(want.lines().count(), 3, "header + lung1 + brain1, no ghost");
}

/// A tiny perturbation chain: 2 settings (rotation -10 and 10 degrees, with noise) x 1
/// replicate plus `none` per case, three families (a second per run on lung1 and brain1).
const PERTURB: &str = r#"
families = ["stat", "ih", "glcm"]
discretisation = { bin-width = { width = 25.0, origin = "pyradiomics" } }
texture = { mode = "pyradiomics" }

[perturbation]
repeats = 1
rotation = [-10.0, 10.0]
noise = [1.0]
"#;

/// `a` followed by `b`.
fn joined<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    a.iter().chain(b).copied().collect()
}

/// `perturb` arguments (without `--out`) for `cohort` and the [`PERTURB`] chain in `dir`.
fn perturb_args(dir: &Path, cohort: &Path) -> Vec<String> {
    let config = dir.join("perturb.toml");
    std::fs::write(&config, PERTURB).unwrap();
    [
        "perturb",
        "--cohort",
        s(cohort),
        "--config",
        s(&config),
        "--seed",
        "5",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn perturb_sharded_and_merged_is_byte_identical() {
    // lung1 and brain1 x (none + 2 settings) = 6 items in 3 parts, plus a case whose image
    // is missing: a single run leaves it out and exits 2, and so must the merge.
    let dir = tempfile::tempdir().unwrap();
    let cohort = cohort(dir.path());
    let mut text = std::fs::read_to_string(&cohort).unwrap();
    text += "ghost,missing_image.nrrd,missing_label.nrrd\n";
    std::fs::write(&cohort, text).unwrap();
    let base = perturb_args(dir.path(), &cohort);
    let mut base: Vec<&str> = base.iter().map(String::as_str).collect();
    base.insert(0, "--quiet");
    let single = dir.path().join("single.csv");
    let o = radaudit(&joined(&base, &["--out", s(&single)]));
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Part 1 is killed (SIGABRT) after its first item: no part file; a rerun redoes it.
    let out = dir.path().join("sharded.csv");
    let killed = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(joined(&base, &["--out", s(&out), "--shard", "1/3"]))
        .env("RADAUDIT_FAULT_ABORT_AFTER", "1")
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the fault hook must kill part 1");
    let dir_parts = PathBuf::from(format!("{}.parts", out.display()));
    assert!(
        !dir_parts.exists() || parts(&out).is_empty(),
        "a killed part leaves no part file"
    );

    let merged = dir.path().join("merged.csv");
    let o = shard_and_merge(&joined(&base, &["--out", s(&out)]), 3, &out, &merged);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let want = std::fs::read(&single).unwrap();
    assert_eq!(std::fs::read(&merged).unwrap(), want);

    // Items are (case, setting, replicate), so both cases are split across the parts.
    let mut ids: Vec<(usize, String)> = Vec::new();
    for (i, p) in parts(&out).iter().enumerate() {
        for item in json(p)["items"].as_array().unwrap() {
            ids.push((i, item["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(ids.len(), 9, "{ids:?}");
    let lung1_parts: std::collections::BTreeSet<usize> = ids
        .iter()
        .filter(|(_, id)| id.starts_with("lung1/"))
        .map(|(i, _)| *i)
        .collect();
    assert!(lung1_parts.len() > 1, "lung1 in one part only: {ids:?}");
    assert!(ids.iter().any(|(_, id)| id == "lung1/none/1"), "{ids:?}");
    assert!(
        ids.iter().any(|(_, id)| id == "brain1/rot=10;noise=1/1"),
        "{ids:?}"
    );

    // The table: header + 6 items x the same feature count, in the single run's order.
    let text = String::from_utf8(want).unwrap();
    let keys: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect();
    let mut order = keys.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            "lung1,none,1",
            "lung1,rot=-10;noise=1,1",
            "lung1,rot=10;noise=1,1",
            "brain1,none,1",
            "brain1,rot=-10;noise=1,1",
            "brain1,rot=10;noise=1,1",
        ]
    );
    assert_eq!(keys.len() % 6, 0);

    // A single run into the folder of the parts says what the folder holds.
    let o = radaudit(&joined(&base, &["--out", s(&out)]));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("holds the parts of a sharded run"), "{err}");
    assert_eq!(parts(&out).len(), 3, "the parts are kept");

    // A rerun of every part skips them all and the merge is unchanged.
    let before: Vec<SystemTime> = parts(&out).iter().map(|p| mtime(p)).collect();
    let again = dir.path().join("again.csv");
    let o = shard_and_merge(&joined(&base, &["--out", s(&out)]), 3, &out, &again);
    assert_eq!(o.status.code(), Some(2));
    let after: Vec<SystemTime> = parts(&out).iter().map(|p| mtime(p)).collect();
    assert_eq!(before, after);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&single).unwrap()
    );
}

fn null_args<'a>(out: &'a Path, claimed: Option<&'a str>, reps: &'a str) -> Vec<&'a str> {
    let mut a = vec![
        "--quiet",
        "null",
        "--n",
        "40",
        "--prevalence",
        "0.5",
        "--candidates",
        "30",
        "--selected",
        "3",
        "--design",
        "cv",
        "--folds",
        "3",
        "--reps",
        reps,
        "--seed",
        "11",
        "--out",
        s(out),
    ];
    if let Some(c) = claimed {
        a.extend(["--claimed", c]);
    }
    a
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn null_sharded_and_merged_is_byte_identical_with_sequential_stopping() {
    // Cross-validated null AUCs centre on 0.5, so a claimed 0.55 is exceeded often: the
    // single run stops at its first check (200 replicates, h = 20 exceedances), while the
    // parts compute the whole budget of 300 and the merge replays the stopping rule.
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single.json");
    let (svg_single, svg_merged) = (dir.path().join("single.svg"), dir.path().join("m.svg"));
    let mut a = null_args(&single, Some("0.55"), "300");
    a.extend(["--plot", s(&svg_single)]);
    ok(&a);
    let doc = json(&single);
    assert!(
        doc["reps_used"].as_u64().unwrap() < 300,
        "the test needs an early stop: {}",
        doc["stop_reason"]
    );

    let out = dir.path().join("sharded.json");
    let merged = dir.path().join("merged.json");
    let mut a = null_args(&out, Some("0.55"), "300");
    a.extend(["--plot", s(&svg_merged)]);
    let o = shard_and_merge(&a, 4, &out, &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&single).unwrap()
    );
    // The merge writes the plot a single run writes.
    assert_eq!(
        std::fs::read(&svg_merged).unwrap(),
        std::fs::read(&svg_single).unwrap()
    );
}

#[test]
fn null_without_claim_sharded_and_merged_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single.json");
    ok(&null_args(&single, None, "70"));
    let out = dir.path().join("sharded.json");
    let merged = dir.path().join("merged.json");
    let o = shard_and_merge(&null_args(&out, None, "70"), 2, &out, &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&single).unwrap()
    );
    assert_eq!(json(&merged)["values"].as_array().unwrap().len(), 70);
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn killed_part_is_redone_on_resubmission_and_finished_parts_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single.json");
    ok(&null_args(&single, None, "60"));
    let out = dir.path().join("sharded.json");
    let args = null_args(&out, None, "60");
    let with_shard = |i: usize| {
        let mut a = args.clone();
        a.push("--shard");
        a.push(["0/3", "1/3", "2/3"][i]);
        a
    };

    // Parts 0 and 2 finish; part 1 is killed (SIGABRT) after 5 of its replicates.
    ok(&with_shard(0));
    ok(&with_shard(2));
    let killed = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(with_shard(1))
        .env("RADAUDIT_FAULT_ABORT_AFTER", "5")
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the fault hook must kill part 1");
    let done = parts(&out);
    assert_eq!(done.len(), 2, "a killed part leaves no part file: {done:?}");
    let names: Vec<String> = done
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names[0].starts_with("part-0000-of-0003-") && names[1].starts_with("part-0002"));
    let before: Vec<SystemTime> = done.iter().map(|p| mtime(p)).collect();

    // A merge now names the missing part.
    let o = radaudit(&["merge", s(&done[0]), s(&done[1]), "--out", "unused.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing part(s) 1 of 3"), "{err}");
    assert!(err.contains("part-0001-of-0003-*.json"), "{err}");

    // Resubmit the whole array: 0 and 2 are skipped untouched, 1 is computed.
    for i in 0..3 {
        let mut a = with_shard(i);
        a.retain(|x| *x != "--quiet");
        let o = ok(&a);
        let log = String::from_utf8_lossy(&o.stderr);
        assert_eq!(log.contains("skipped"), i != 1, "part {i}: {log}");
    }
    let all = parts(&out);
    assert_eq!(all.len(), 3);
    assert_eq!(mtime(&all[0]), before[0]);
    assert_eq!(mtime(&all[2]), before[1]);

    // A truncated part (written by other means) is refused by merge and redone.
    let text = std::fs::read_to_string(&all[1]).unwrap();
    std::fs::write(&all[1], &text[..text.len() / 2]).unwrap();
    let merged = dir.path().join("merged.json");
    let mut a = vec!["merge"];
    a.extend(all.iter().map(|p| s(p)));
    a.extend(["--out", s(&merged)]);
    let o = radaudit(&a);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(s(&all[1])) && err.contains("not a complete"),
        "{err}"
    );
    ok(&with_shard(1));
    ok(&a);
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&single).unwrap()
    );
}

#[test]
fn merge_refuses_parts_of_other_settings_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a_out = dir.path().join("a.json");
    let b_out = dir.path().join("b.json");
    let mut a = null_args(&a_out, None, "30");
    a.extend(["--shard", "0/2"]);
    ok(&a);
    // Same run but another seed for part 1.
    let mut b = null_args(&b_out, None, "30");
    let seed = b.iter().position(|x| *x == "11").unwrap();
    b[seed] = "12";
    b.extend(["--shard", "1/2"]);
    ok(&b);
    let (pa, pb) = (parts(&a_out).remove(0), parts(&b_out).remove(0));
    let o = radaudit(&[
        "merge",
        s(&pa),
        s(&pb),
        "--out",
        s(&dir.path().join("m.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(s(&pb)) && err.contains("other settings"),
        "{err}"
    );
    assert!(!dir.path().join("m.json").exists());

    // Two copies of one part index are refused too.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&pa, &copy).unwrap();
    let o = radaudit(&[
        "merge",
        s(&pa),
        s(&copy),
        "--out",
        s(&dir.path().join("m.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("are both part 0 of 2"));
}

const APPARENT: &str = r#"
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
candidate_features = 100
selected_features = 5
selection = "univariate"
model = "logistic"
validation = "apparent"
"#;

const EXTERNAL: &str = r#"
[study]
id = "toy-external"
[claim]
id = "external-auc"
metric = "auc"
value = 0.80
cohort = "external"
[design]
n_development = 300
events_development = 150
n_validation = 200
events_validation = 100
candidate_features = 10
selected_features = 10
selection = "none"
model = "logistic"
validation = "external"
"#;

/// Every file below `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn audit_dir_sharded_and_merged_is_byte_identical() {
    // Two claims, an invalid file and a duplicate claim: reports, index, stdout and the
    // exit code (2, for the bad files) must all match the single run.
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("scenarios");
    std::fs::create_dir_all(scen.join("sub")).unwrap();
    std::fs::write(scen.join("a.toml"), APPARENT).unwrap();
    std::fs::write(scen.join("sub/b.toml"), EXTERNAL).unwrap();
    std::fs::write(scen.join("c.toml"), "[study]\nid = \"broken\"\n").unwrap();
    std::fs::write(scen.join("d.toml"), APPARENT).unwrap();
    let single = dir.path().join("single");
    let base = ["audit", s(&scen), "--reps", "60"];
    let mut a = base.to_vec();
    a.extend(["--out", s(&single)]);
    let want = radaudit(&a);
    assert_eq!(
        want.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );

    let out = dir.path().join("sharded");
    let merged = dir.path().join("merged");
    let mut a = base.to_vec();
    a.extend(["--out", s(&out)]);
    let got = shard_and_merge(&a, 2, &out, &merged);
    for p in parts(&out) {
        let items = json(&p)["items"].as_array().unwrap().len();
        assert!(
            items >= 1,
            "{}: the test needs files in both parts",
            p.display()
        );
    }
    assert_eq!(got.status.code(), want.status.code());
    assert_eq!(got.stdout, want.stdout);
    let (t_single, t_merged) = (tree(&single), tree(&merged));
    let names: Vec<&str> = t_single.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"README.md"), "{names:?}");
    assert!(
        names.contains(&"toy-external--external-auc/verdict.json"),
        "{names:?}"
    );
    assert!(
        names.contains(&"toy-apparent--training-auc/null.svg"),
        "{names:?}"
    );
    for ((na, a), (nb, b)) in t_single.iter().zip(&t_merged) {
        assert_eq!(na, nb);
        assert!(a == b, "{na} differs");
    }
    assert_eq!(t_single.len(), t_merged.len());
}

#[test]
fn slurm_dry_run_prints_an_array_and_a_dependent_merge() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.json");
    let mut a = vec!["slurm"];
    a.extend(null_args(&out, None, "100"));
    a.extend(["--parts", "4", "--time", "00:05:00", "--dry-run"]);
    let o = ok(&a);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("#SBATCH --array=0-3\n"), "{text}");
    assert!(text.contains("#SBATCH --time=00:05:00\n"), "{text}");
    assert!(
        text.contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""),
        "{text}"
    );
    assert!(text.contains(" merge "), "{text}");
    assert!(text.contains("part-*-of-0004-*.json --out "), "{text}");
    assert!(!PathBuf::from(format!("{}.parts", out.display())).exists());

    // perturb runs in parts too.
    let p_out = dir.path().join("long.csv");
    let cohort = cohort(dir.path());
    let mut a = vec!["slurm".to_string()];
    a.extend(perturb_args(dir.path(), &cohort));
    a.extend(["--out", s(&p_out), "--parts", "3", "--dry-run"].map(String::from));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let text = String::from_utf8_lossy(&ok(&a).stdout).into_owned();
    assert!(text.contains("#SBATCH --array=0-2\n"), "{text}");
    assert!(text.contains(" perturb --cohort "), "{text}");
    assert!(
        text.contains("long.csv.parts/part-*-of-0003-*.json --out "),
        "{text}"
    );

    // Commands that cannot run in parts, and missing --parts, are usage errors.
    let o = radaudit(&["slurm", "inspect", "x.nrrd", "--parts", "2", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    let o = radaudit(&["slurm", "null", "--n", "10", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Waits until Slurm has forgotten or finished `jobs` (squeue prints nothing).
fn wait_for(jobs: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        let o = Command::new("squeue")
            .args(["-h", "-j", jobs])
            .output()
            .expect("squeue");
        if o.stdout.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "jobs {jobs} still queued after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn job_ids(stdout: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(stdout);
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_string()
    };
    (get("array_job="), get("merge_job="))
}

fn slurm_logs(out: &Path) -> String {
    let dir = PathBuf::from(format!("{}.parts", out.display()));
    let mut text = String::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "out") {
            text += &format!(
                "--- {}\n{}",
                p.display(),
                std::fs::read_to_string(&p).unwrap()
            );
        }
    }
    text
}

/// The log of array task `task` of job `array` among `logs` (see [`slurm_logs`]).
fn task_log<'a>(logs: &'a str, array: &str, task: usize) -> &'a str {
    let name = format!("slurm-{array}_{task}.out");
    logs.split("--- ")
        .find(|l| l.lines().next().is_some_and(|h| h.ends_with(&name)))
        .unwrap_or_else(|| panic!("no log {name} in\n{logs}"))
}

#[test]
fn slurm_job_array_and_dependent_merge_equal_a_local_run() {
    if std::env::var("RADAUDIT_SLURM").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED: Slurm is not running (start it with tests/slurm/start.sh and set \
             RADAUDIT_SLURM=1 and SLURM_CONF, as .ci/run does)"
        );
        return;
    }
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // Four PyRadiomics cases; with 2 parts the hash gives part 0 brain2 and part 1 lung1,
    // brain1 and breast1 (asserted below through the part files).
    let mut text = String::from("case_id,image,mask\n");
    for case in ["lung1", "brain1", "breast1", "brain2"] {
        text += &format!(
            "{case},{},{}\n",
            data(&format!("pyradiomics/{case}_image.nrrd")).display(),
            data(&format!("pyradiomics/{case}_label.nrrd")).display()
        );
    }
    let cohort = dir.path().join("cohort.csv");
    std::fs::write(&cohort, text).unwrap();
    let local = dir.path().join("local.csv");
    let base = [
        "extract",
        "--cohort",
        s(&cohort),
        "--config",
        "pyradiomics-default",
    ];
    let mut a = vec!["--quiet"];
    a.extend(base);
    a.extend(["--out", s(&local)]);
    ok(&a);
    let local_done = start.elapsed();

    // First submission: every task aborts once it has computed 2 cases (the fault hook,
    // inherited through sbatch's environment), so part 1 dies after 2 of its 3 cases and
    // part 0 (one case) finishes; the merge job is cancelled, not left pending.
    let out = dir.path().join("cluster.csv");
    let mut a = vec!["slurm"];
    a.extend(base);
    a.extend([
        "--out",
        s(&out),
        "--parts",
        "2",
        "--time",
        "00:10:00",
        "--submit",
    ]);
    let o = Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(&a)
        .env("RADAUDIT_FAULT_ABORT_AFTER", "2")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (array, merge) = job_ids(&o.stdout);
    wait_for(&format!("{array},{merge}"), Duration::from_secs(300));
    assert!(!out.exists(), "the merge ran although a task failed");
    let done = parts(&out);
    assert_eq!(done.len(), 1, "{done:?}\n{}", slurm_logs(&out));
    assert!(s(&done[0]).contains("part-0000-of-0002-"), "{done:?}");
    let kept = mtime(&done[0]);
    let first = start.elapsed() - local_done;

    // Resubmission: part 0 is skipped untouched, part 1 runs, the merge equals a local run.
    let o = ok(&a);
    let (array2, merge2) = job_ids(&o.stdout);
    wait_for(&format!("{array2},{merge2}"), Duration::from_secs(300));
    assert!(
        out.exists(),
        "the merge job wrote nothing; Slurm logs:\n{}",
        slurm_logs(&out)
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&local).unwrap());
    let logs = slurm_logs(&out);
    assert!(task_log(&logs, &array2, 0).contains("skipped"), "{logs}");
    assert!(!task_log(&logs, &array2, 1).contains("skipped"), "{logs}");
    assert_eq!(mtime(&parts(&out)[0]), kept);
    eprintln!(
        "slurm test: local run {:.1} s, killed submission {:.1} s, resubmission {:.1} s",
        local_done.as_secs_f64(),
        first.as_secs_f64(),
        (start.elapsed() - local_done - first).as_secs_f64()
    );
}

#[test]
fn slurm_perturb_job_array_and_dependent_merge_equal_a_local_run() {
    if std::env::var("RADAUDIT_SLURM").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED: Slurm is not running (start it with tests/slurm/start.sh and set \
             RADAUDIT_SLURM=1 and SLURM_CONF, as .ci/run does)"
        );
        return;
    }
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let cohort = cohort(dir.path());
    let base = perturb_args(dir.path(), &cohort);
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let local = dir.path().join("local.csv");
    let mut a = vec!["--quiet"];
    a.extend(&base);
    a.extend(["--out", s(&local)]);
    ok(&a);

    // 6 items (lung1 and brain1 x none and 2 settings) in a 3-task array, then the merge.
    let out = dir.path().join("cluster.csv");
    let mut a = vec!["slurm"];
    a.extend(&base);
    a.extend([
        "--out",
        s(&out),
        "--parts",
        "3",
        "--time",
        "00:10:00",
        "--submit",
    ]);
    let o = ok(&a);
    let (array, merge) = job_ids(&o.stdout);
    wait_for(&format!("{array},{merge}"), Duration::from_secs(300));
    assert!(
        out.exists(),
        "the merge job wrote nothing; Slurm logs:\n{}",
        slurm_logs(&out)
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&local).unwrap());
    let logs = slurm_logs(&out);
    for task in 0..3 {
        assert!(
            task_log(&logs, &array, task).contains("wrote part"),
            "{logs}"
        );
    }
    assert_eq!(parts(&out).len(), 3);
    eprintln!(
        "slurm perturb test: {:.1} s in all",
        start.elapsed().as_secs_f64()
    );
}
