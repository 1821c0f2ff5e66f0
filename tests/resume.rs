//! Kill-and-resume tests of the checkpoints of `null` (replicates), `cv --permutations`
//! (permutations) and `audit` (scenario files), module `radaudit::checkpoint`.
//!
//! Each test runs the command uninterrupted, then again with `RADAUDIT_ABORT_AFTER=N`
//! (the process aborts right after its `N`-th finished item, a kill at a fixed point),
//! then once more without it, and asserts that the resumed run's outputs equal the
//! uninterrupted run's byte for byte, that the interrupted run left no output and a
//! checkpoint with exactly `N` items, that the checkpoint is gone after the finish, and
//! that a checkpoint of other settings is refused with exit code 2 and a message naming
//! what differs. Reruns with more (or fewer) replicates or permutations keep the finished
//! items and write what an uninterrupted run with the new count writes.
//!
//! Cost: a few seconds in release (small designs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::tree;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_radaudit"));
    c.env_remove("RADAUDIT_ABORT_AFTER");
    c
}

/// Runs `radaudit --quiet ARGS`, aborted after `abort` items when given.
fn run(args: &[&str], abort: Option<usize>) -> Output {
    let mut c = bin();
    c.arg("--quiet").args(args);
    if let Some(n) = abort {
        c.env("RADAUDIT_ABORT_AFTER", n.to_string());
    }
    c.output().expect("run radaudit")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn checkpoint(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.checkpoint", out.display()))
}

/// Records in a checkpoint (lines after the header).
fn records(out: &Path) -> usize {
    let text = std::fs::read_to_string(checkpoint(out)).expect("checkpoint left by the abort");
    text.lines().count() - 1
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The ids of a checkpoint's records, sorted; panics on a duplicate.
fn record_ids(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(checkpoint(out)).expect("checkpoint");
    let mut ids: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a record");
            v["id"].as_str().expect("an id").to_string()
        })
        .collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "an item recorded twice");
    ids
}

fn null_args<'a>(out: &'a str, plot: &'a str, seed: &'a str) -> Vec<&'a str> {
    null_args_reps(out, plot, seed, "120")
}

fn null_args_reps<'a>(out: &'a str, plot: &'a str, seed: &'a str, reps: &'a str) -> Vec<&'a str> {
    vec![
        "null",
        "--n",
        "40",
        "--candidates",
        "50",
        "--prevalence",
        "0.5",
        "--selected",
        "3",
        "--design",
        "cv",
        "--folds",
        "4",
        "--leaky",
        "--claimed",
        "0.8",
        "--reps",
        reps,
        "--seed",
        seed,
        "--out",
        out,
        "--plot",
        plot,
    ]
}

#[test]
fn null_resumed_after_a_kill_equals_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (full, full_svg) = (tmp.path().join("full.json"), tmp.path().join("full.svg"));
    ok(&run(&null_args(s(&full), s(&full_svg), "3"), None));
    assert!(
        !checkpoint(&full).exists(),
        "checkpoint left after a finish"
    );

    // Killed in the second batch of 50 replicates.
    let (out, svg) = (tmp.path().join("r.json"), tmp.path().join("r.svg"));
    let o = run(&null_args(s(&out), s(&svg), "3"), Some(70));
    assert!(!o.status.success(), "the hook did not stop the run");
    assert!(
        !out.exists() && !svg.exists(),
        "output written by a killed run"
    );
    assert_eq!(records(&out), 70);

    // Another seed is another run: refused, the checkpoint kept.
    let o = run(&null_args(s(&out), s(&svg), "4"), None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains("r.json.checkpoint") && msg.contains("checkpoint of another run"),
        "{msg}"
    );
    assert!(msg.contains("seed: checkpoint 3, this run 4"), "{msg}");
    assert!(msg.contains("or delete it to start over"), "{msg}");
    assert_eq!(records(&out), 70);

    // A torn last record (a kill while writing) is dropped and recomputed.
    let mut text = std::fs::read_to_string(checkpoint(&out)).unwrap();
    text.push_str("{\"id\":\"99\",\"da");
    std::fs::write(checkpoint(&out), text).unwrap();

    ok(&run(&null_args(s(&out), s(&svg), "3"), None));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&full).unwrap());
    assert_eq!(
        std::fs::read(&svg).unwrap(),
        std::fs::read(&full_svg).unwrap()
    );
    assert!(!checkpoint(&out).exists(), "checkpoint left after a finish");
}

/// Replicate `r` draws only from its own stream, so a rerun with a larger `--reps` keeps
/// the finished replicates and computes only the new ones, and a rerun with a smaller one
/// uses the first ones; either writes what an uninterrupted run with its count writes.
#[test]
fn null_rerun_with_another_reps_equals_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name);
    let full = |reps: &str| {
        let (json, svg) = (
            path(&format!("f{reps}.json")),
            path(&format!("f{reps}.svg")),
        );
        ok(&run(&null_args_reps(s(&json), s(&svg), "3", reps), None));
        (std::fs::read(json).unwrap(), std::fs::read(svg).unwrap())
    };
    let (full_120, full_50) = (full("120"), full("50"));

    // 40 of 60 replicates, then 30 more of 120: the 40 are not recomputed.
    let (out, svg) = (path("r.json"), path("r.svg"));
    let o = run(&null_args_reps(s(&out), s(&svg), "3", "60"), Some(40));
    assert!(!o.status.success(), "the hook did not stop the run");
    assert_eq!(records(&out), 40);
    let o = run(&null_args_reps(s(&out), s(&svg), "3", "120"), Some(30));
    assert!(!o.status.success(), "the hook did not stop the run");
    let ids = record_ids(&out);
    assert_eq!(ids.len(), 70, "finished replicates recomputed: {ids:?}");
    ok(&run(&null_args_reps(s(&out), s(&svg), "3", "120"), None));
    assert!(
        std::fs::read(&out).unwrap() == full_120.0,
        "extended run differs"
    );
    assert!(
        std::fs::read(&svg).unwrap() == full_120.1,
        "extended plot differs"
    );
    assert!(!checkpoint(&out).exists(), "checkpoint left after a finish");

    // 70 of 120 replicates, then a rerun asking for 50: the first 50, nothing computed.
    let o = run(&null_args_reps(s(&out), s(&svg), "3", "120"), Some(70));
    assert!(!o.status.success(), "the hook did not stop the run");
    let o = run(&null_args_reps(s(&out), s(&svg), "3", "50"), Some(1));
    ok(&o);
    assert!(
        std::fs::read(&out).unwrap() == full_50.0,
        "shortened run differs"
    );
    assert!(
        std::fs::read(&svg).unwrap() == full_50.1,
        "shortened plot differs"
    );
}

const CV_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/stats/null_seed0_p100.csv"
);

fn cv_args<'a>(out: &'a str, plots: &'a str, seed: &'a str) -> Vec<&'a str> {
    cv_args_with(CV_TABLE, "6", out, plots, seed)
}

fn cv_args_with<'a>(
    table: &'a str,
    permutations: &'a str,
    out: &'a str,
    plots: &'a str,
    seed: &'a str,
) -> Vec<&'a str> {
    vec![
        "cv",
        "--table",
        table,
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
        "1",
        "--leaky",
        "--permutations",
        permutations,
        "--bbc-resamples",
        "10",
        "--n-lambda",
        "8",
        "--seed",
        seed,
        "--out",
        out,
        "--plots",
        plots,
    ]
}

#[test]
fn cv_permutations_resumed_after_a_kill_equal_an_uninterrupted_run() {
    assert!(Path::new(DATA).join("stats/null_seed0_p100.csv").is_file());
    let tmp = tempfile::tempdir().unwrap();
    let (full, full_plots) = (tmp.path().join("full.json"), tmp.path().join("fp"));
    ok(&run(&cv_args(s(&full), s(&full_plots), "7"), None));
    assert!(
        !checkpoint(&full).exists(),
        "checkpoint left after a finish"
    );

    let (out, plots) = (tmp.path().join("r.json"), tmp.path().join("rp"));
    let o = run(&cv_args(s(&out), s(&plots), "7"), Some(3));
    assert!(!o.status.success(), "the hook did not stop the run");
    assert!(!out.exists(), "output written by a killed run");
    assert_eq!(records(&out), 3);

    let o = run(&cv_args(s(&out), s(&plots), "8"), None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("checkpoint of another run"), "{msg}");
    assert!(msg.contains("seed: checkpoint 7, this run 8"), "{msg}");

    ok(&run(&cv_args(s(&out), s(&plots), "7"), None));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&full).unwrap());
    assert_eq!(tree(&plots), tree(&full_plots));
    assert!(!checkpoint(&out).exists(), "checkpoint left after a finish");
}

/// Permutation `i` draws only from its own streams: a rerun with more permutations keeps
/// the finished ones, one with fewer uses the first ones, and both write what an
/// uninterrupted run writes. A changed table is named with its path.
#[test]
fn cv_rerun_with_another_permutation_count_equals_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t.csv");
    let original = std::fs::read(CV_TABLE).unwrap();
    std::fs::write(&table, &original).unwrap();
    let args = |perms: &'static str, out: &Path, plots: &Path| -> Vec<String> {
        cv_args_with(s(&table), perms, s(out), s(plots), "7")
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    let call = |perms, out: &Path, plots: &Path, abort| {
        let a = args(perms, out, plots);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>(), abort)
    };
    let full = |perms| {
        let (out, plots) = (
            tmp.path().join(format!("f{perms}.json")),
            tmp.path().join("fp"),
        );
        ok(&call(perms, &out, &plots, None));
        (std::fs::read(out).unwrap(), tree(&plots))
    };
    let (full_9, full_2) = (full("9"), full("2"));

    // 3 of 6 permutations done; the table then changes: refused, naming it.
    let (out, plots) = (tmp.path().join("r.json"), tmp.path().join("rp"));
    assert!(!call("6", &out, &plots, Some(3)).status.success());
    assert_eq!(records(&out), 3);
    let mut edited = original.clone();
    edited.extend_from_slice(b"\n");
    std::fs::write(&table, &edited).unwrap();
    let o = call("6", &out, &plots, None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    let named = format!("table {} changed (sha256 ", table.display());
    assert!(msg.contains(&named), "{msg}");
    assert_eq!(records(&out), 3);
    std::fs::write(&table, &original).unwrap();

    // 9 permutations: 2 more computed, then finished; the first 3 are never recomputed.
    assert!(!call("9", &out, &plots, Some(2)).status.success());
    assert_eq!(
        record_ids(&out).len(),
        5,
        "finished permutations recomputed"
    );
    ok(&call("9", &out, &plots, None));
    assert!(
        std::fs::read(&out).unwrap() == full_9.0,
        "extended run differs"
    );
    assert!(tree(&plots) == full_9.1, "extended plots differ");

    // 4 of 9 done (one thread: permutations 0-3), then a rerun asking for 2 uses the
    // first 2 and computes nothing (the hook would stop it at its first record).
    let mut one_thread = args("9", &out, &plots);
    one_thread.extend(["--threads".to_string(), "1".to_string()]);
    let a: Vec<&str> = one_thread.iter().map(String::as_str).collect();
    assert!(!run(&a, Some(4)).status.success());
    assert_eq!(record_ids(&out), ["perm/0", "perm/1", "perm/2", "perm/3"]);
    ok(&call("2", &out, &plots, Some(1)));
    assert!(
        std::fs::read(&out).unwrap() == full_2.0,
        "shortened run differs"
    );
    assert!(tree(&plots) == full_2.1, "shortened plots differ");
    assert!(!checkpoint(&out).exists(), "checkpoint left after a finish");
}

#[test]
fn audit_resumed_after_a_kill_equals_an_uninterrupted_run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let sc = tmp.path().join("sc");
    std::fs::create_dir(&sc).unwrap();
    for name in [
        "bo-hcc-lenvatinib-response--external-auc.toml",
        "he-2022-bclm-anti-her2--auc.toml",
        "qin-pcca-early-recurrence--auc.toml",
        "fontaine-hcc-sbrt-os--sens-spec.toml",
    ] {
        std::fs::copy(
            root.join("scenarios/liver-review").join(name),
            sc.join(name),
        )
        .unwrap();
    }
    // An invalid file: its error is an item too, and goes to the index.
    std::fs::write(sc.join("broken.toml"), "[claim]\nmetric = 3\n").unwrap();
    let args = |out: &Path, seed: &'static str| -> Vec<String> {
        [
            "audit",
            s(&sc),
            "--out",
            s(out),
            "--reps",
            "40",
            "--seed",
            seed,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let call = |out: &Path, seed, abort| {
        let a = args(out, seed);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>(), abort)
    };

    // Exit 2: one scenario file is invalid, in every run alike.
    let full = tmp.path().join("full");
    assert_eq!(call(&full, "5", None).status.code(), Some(2));
    assert!(
        !checkpoint(&full).exists(),
        "checkpoint left after a finish"
    );
    assert!(full.join("README.md").is_file());

    let out = tmp.path().join("r");
    let o = call(&out, "5", Some(3));
    assert!(
        !matches!(o.status.code(), Some(0 | 1 | 2)),
        "the hook did not stop the run"
    );
    assert!(!out.exists(), "reports written by a killed run");
    assert_eq!(records(&out), 3);

    let o = call(&out, "6", None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("checkpoint of another run"), "{msg}");
    assert!(msg.contains("seed: checkpoint 5, this run 6;"), "{msg}");

    // Each report depends on --reps, so another count is refused, saying why.
    let mut more = args(&out, "5");
    let at = more.iter().position(|a| a == "--reps").unwrap() + 1;
    more[at] = "60".to_string();
    let o = run(&more.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("reps: checkpoint 40, this run 60 ("), "{msg}");
    assert!(msg.contains("cannot be extended"), "{msg}");

    // A changed claim in a scenario file is named by file and key.
    let edited = sc.join("he-2022-bclm-anti-her2--auc.toml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replace("value = 0.865", "value = 0.87")).unwrap();
    let o = call(&out, "5", None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains(
            "he-2022-bclm-anti-her2--auc.toml: claim.value: checkpoint 0.865, this run 0.87"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("scenario he-2022-bclm-anti-her2--auc.toml "),
        "{msg}"
    );
    std::fs::write(&edited, text).unwrap();
    assert_eq!(records(&out), 3);

    assert_eq!(call(&out, "5", None).status.code(), Some(2));
    let (a, b) = (tree(&full), tree(&out));
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs after resuming", pa.display());
    }
    assert!(!checkpoint(&out).exists(), "checkpoint left after a finish");
    let staging = PathBuf::from(format!("{}.staging", checkpoint(&out).display()));
    assert!(!staging.exists(), "drafts left after a finish");
}

/// A record that parses as JSON but not as a replicate (edited or from a damaged disk)
/// is refused with a message naming the checkpoint and how to start over.
#[test]
fn a_malformed_checkpoint_record_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, svg) = (tmp.path().join("m.json"), tmp.path().join("m.svg"));
    let o = run(&null_args(s(&out), s(&svg), "3"), Some(10));
    assert!(!o.status.success(), "the hook did not stop the run");
    let text = std::fs::read_to_string(checkpoint(&out)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines[3].find("\"value\":\"").expect("a replicate record") + 9;
    let end = at + lines[3][at..].find('"').unwrap();
    lines[3].replace_range(at..end, "abc");
    std::fs::write(checkpoint(&out), lines.join("\n") + "\n").unwrap();

    let o = run(&null_args(s(&out), s(&svg), "3"), None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains("m.json.checkpoint") && msg.contains("malformed record"),
        "{msg}"
    );
    assert!(msg.contains("delete the checkpoint"), "{msg}");
}

/// The same for an audit record (a scenario's reports) without its slug.
#[test]
fn a_malformed_audit_record_names_the_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = tmp.path().join("sc");
    std::fs::create_dir(&scenarios).unwrap();
    for (name, value) in [("a.toml", "0.80"), ("b.toml", "0.75")] {
        let text = format!(
            "[study]\nid = \"toy-{name}\"\n[claim]\nid = \"auc\"\nmetric = \"auc\"\n\
             value = {value}\ncohort = \"training\"\n[design]\nn_development = 60\n\
             events_development = 30\ncandidate_features = 100\nselected_features = 5\n\
             selection = \"univariate\"\nmodel = \"logistic\"\nvalidation = \"apparent\"\n"
        );
        std::fs::write(scenarios.join(name), text).unwrap();
    }
    let out = tmp.path().join("rep");
    let argv = ["audit", s(&scenarios), "--out", s(&out), "--reps", "20"];
    let o = run(&argv, Some(1));
    assert!(!o.status.success(), "the hook did not stop the run");
    let text = std::fs::read_to_string(checkpoint(&out)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut record: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    record["data"]
        .as_object_mut()
        .expect("a report record")
        .remove("slug")
        .expect("the record had a slug");
    lines[1] = record.to_string();
    std::fs::write(checkpoint(&out), lines.join("\n") + "\n").unwrap();

    let o = run(&argv, None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains("rep.checkpoint: a.toml: malformed record"),
        "{msg}"
    );
    assert!(msg.contains("delete the checkpoint"), "{msg}");
}

/// A cv run refused for its settings after the checkpoint was opened (too many outer
/// folds for the smaller class) left a header-only checkpoint, so the corrected rerun was
/// refused as "checkpoint of another run".
#[test]
fn a_run_failing_before_any_item_leaves_no_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, plots) = (tmp.path().join("f.json"), tmp.path().join("plots"));
    let mut argv = cv_args(s(&out), s(&plots), "3");
    let at = argv.iter().position(|a| *a == "--outer").unwrap() + 1;
    argv[at] = "500";
    let o = run(&argv, None);
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("outer = 500 is invalid"), "{msg}");
    assert!(
        !checkpoint(&out).exists(),
        "checkpoint left by a failed run"
    );

    ok(&run(&cv_args(s(&out), s(&plots), "3"), None));
}
