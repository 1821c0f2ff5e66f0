//! `radaudit samplesize` end to end: the binary on the reference examples and bad input.

use std::process::{Command, Output};

fn radaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .args(["--quiet", "samplesize"])
        .args(args)
        .output()
        .expect("the radaudit binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn development_binary_case12a_text() {
    // CASE-12 (a): 623 / 662 / 221, criterion 2 binds, EPP 4.80.
    let o = radaudit(&[
        "development",
        "--outcome",
        "binary",
        "--prevalence",
        "0.174",
        "--parameters",
        "24",
        "--r2cs",
        "0.288",
        "--n",
        "500",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "criterion 1: n =    623",
        "criterion 2: n =    662",
        "criterion 3: n =    221",
        "binding: criterion 2",
        "minimum n = 662",
        "events per parameter 4.80",
        "expected shrinkage at n = 500",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn development_survival_json_matches_bmj_example() {
    // Riley et al. 2020 BMJ: 5143 participants, 692 events, EPP 23.07.
    let o = radaudit(&[
        "development",
        "--outcome",
        "survival",
        "--parameters",
        "30",
        "--r2cs",
        "0.051",
        "--rate",
        "0.065",
        "--timepoint",
        "2",
        "--meanfup",
        "2.07",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["result"]["n"], 5143);
    let events = v["result"]["events"].as_f64().unwrap();
    assert!((events - 691.99065).abs() < 1e-6, "{events}");
    assert_eq!(v["result"]["binding"][0], 1);
}

#[test]
fn development_continuous_matches_pmsampsize() {
    let o = radaudit(&[
        "development",
        "--outcome",
        "continuous",
        "--parameters",
        "25",
        "--r2adj",
        "0.2",
        "--intercept",
        "1.9",
        "--sd",
        "0.6",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ns: Vec<u64> = v["result"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, vec![918, 401, 259, 918]);
}

#[test]
fn development_from_cstat_runs() {
    let o = radaudit(&[
        "development",
        "--outcome",
        "binary",
        "--prevalence",
        "0.174",
        "--parameters",
        "24",
        "--cstat",
        "0.8",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r2 = v["result"]["r2"].as_f64().unwrap();
    assert!(r2 > 0.1 && r2 < 0.25, "{r2}");
    assert!(v["result"]["n"].as_u64().unwrap() > 0);
}

#[test]
fn r2_above_maximum_exits_2_with_message() {
    // CASE-12 (b).
    let o = radaudit(&[
        "development",
        "--outcome",
        "binary",
        "--prevalence",
        "0.05",
        "--parameters",
        "10",
        "--r2cs",
        "0.4",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("0.327686") && err.contains("--r2cs"), "{err}");
}

#[test]
fn bad_flag_value_exits_2_naming_the_flag() {
    let o = radaudit(&[
        "development",
        "--outcome",
        "binary",
        "--prevalence",
        "1.5",
        "--parameters",
        "10",
        "--r2cs",
        "0.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--prevalence"), "{}", stderr(&o));

    let o = radaudit(&[
        "development",
        "--outcome",
        "survival",
        "--parameters",
        "10",
        "--r2cs",
        "0.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--rate"), "{}", stderr(&o));
}

#[test]
fn validation_worked_example() {
    let o = radaudit(&[
        "validation",
        "--cstat",
        "0.8",
        "--prevalence",
        "0.018",
        "--lp-mean",
        "-5",
        "--lp-sd",
        "2.5",
        "--oe-width",
        "1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["criteria"][0]["n"], 905);
    assert_eq!(v["criteria"][2]["n"], 4252);
}

#[test]
fn reliability_matches_bonett_row() {
    let o = radaudit(&[
        "reliability",
        "--icc",
        "0.7",
        "--raters",
        "2",
        "--width",
        "0.2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("subjects required: 101"),
        "{}",
        stdout(&o)
    );

    let o = radaudit(&[
        "reliability",
        "--icc",
        "0.7",
        "--raters",
        "1",
        "--width",
        "0.2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--raters"));
}
