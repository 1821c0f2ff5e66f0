//! Integration tests for the ICC engine and `radaudit stability`.
//!
//! Reference values: `../shared/data/stats/icc_cases.csv` and `icc_anova_components.csv`
//! (Shrout & Fleiss 1979 Table 2 data; psych 2.2.9, pingouin 0.7.0 and an own ANOVA agree),
//! `answer_key.toml` for the ratings, `cases.md` CASE-11.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use radaudit::stats::icc::{anova, icc_all, satterthwaite_df, IccForm, Ratings};

const STATS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/stats");

fn shrout_fleiss_ratings() -> Ratings {
    let text = std::fs::read_to_string(Path::new(STATS).join("answer_key.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let rows: Vec<Vec<f64>> = doc["icc"]["shrout_fleiss_1979"]["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_integer().unwrap() as f64)
                .collect()
        })
        .collect();
    Ratings::from_rows(&rows).unwrap()
}

/// Splits a CSV line with quoted fields (the reference files quote "ICC(1,1)").
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
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

fn read_reference(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(Path::new(STATS).join(name)).unwrap();
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap());
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

#[test]
fn shrout_fleiss_six_forms_match_reference_to_1e9() {
    // icc_cases.csv: ICC, F, df, p and 95% interval of all six forms (psych 2.2.9 /
    // pingouin 0.7.0 / own ANOVA agree). Tolerance 1e-9 absolute: the references carry 15
    // significant digits; our F quantiles (statrs AS 109 inversion) are accurate to ~1e-13.
    let est = icc_all(&shrout_fleiss_ratings(), 0.95).unwrap();
    let refs = read_reference("icc_cases.csv");
    assert_eq!(refs.len(), 6);
    for row in refs {
        let form: IccForm = row["icc_type_shrout_fleiss"].parse().unwrap();
        let e = est.iter().find(|e| e.form == form).unwrap();
        assert_eq!(row["pingouin_label"].parse::<IccForm>().unwrap(), form);
        let num = |k: &str| row[k].parse::<f64>().unwrap();
        for (what, got, want) in [
            ("icc", e.icc, num("icc")),
            ("F", e.f, num("F")),
            ("df1", e.df1, num("df1")),
            ("df2", e.df2, num("df2")),
            ("p", e.p, num("p_value")),
            ("lower", e.ci_lower, num("ci95_lower")),
            ("upper", e.ci_upper, num("ci95_upper")),
        ] {
            assert!(
                (got - want).abs() < 1e-9,
                "{form} {what}: got {got}, reference {want}"
            );
        }
    }
}

#[test]
fn shrout_fleiss_anova_matches_reference_components() {
    // icc_anova_components.csv, including the Satterthwaite df of ICC(2,1)'s interval
    // (McGraw & Wong 1996, Table 7). Tolerance 1e-9 (references have 12-15 digits).
    let r = shrout_fleiss_ratings();
    let a = anova(&r).unwrap();
    let refs = read_reference("icc_anova_components.csv");
    let row = &refs[0];
    let num = |k: &str| row[k].parse::<f64>().unwrap();
    assert_eq!(a.n as f64, num("n_targets"));
    assert_eq!(a.k as f64, num("k_raters"));
    for (what, got, want) in [
        ("SS_rows", a.ss_rows, num("SS_rows")),
        ("SS_cols", a.ss_cols, num("SS_cols")),
        ("SS_error", a.ss_error, num("SS_error")),
        ("SS_within", a.ss_within, num("SS_within")),
        ("MS_rows", a.ms_rows, num("MS_rows")),
        ("MS_cols", a.ms_cols, num("MS_cols")),
        ("MS_error", a.ms_error, num("MS_error")),
        ("MS_within", a.ms_within, num("MS_within")),
        ("F_raters", a.ms_cols / a.ms_error, num("F_raters")),
        (
            "v",
            satterthwaite_df(&r).unwrap(),
            num("satterthwaite_v_ICC2"),
        ),
    ] {
        assert!(
            (got - want).abs() < 1e-9,
            "{what}: got {got}, reference {want}"
        );
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_infinite() || b.is_infinite() || a.is_nan() || b.is_nan() {
        return a == b || (a.is_nan() && b.is_nan());
    }
    (a - b).abs() <= rel * (1.0 + a.abs().max(b.abs()))
}

fn ratings_strategy() -> impl Strategy<Value = (usize, usize, Vec<f64>)> {
    (3usize..10, 2usize..6).prop_flat_map(|(n, k)| {
        (
            Just(n),
            Just(k),
            prop::collection::vec(-50.0f64..50.0, n * k),
        )
    })
}

fn all_close(a: &Ratings, b: &Ratings) -> Result<(), TestCaseError> {
    let ea = icc_all(a, 0.95).unwrap();
    let eb = icc_all(b, 0.95).unwrap();
    for (x, y) in ea.iter().zip(&eb) {
        // Relative 1e-7: the transformations change rounding in sums of squares, and
        // intervals amplify it near ICC = -1/(k-1).
        prop_assert!(
            close(x.icc, y.icc, 1e-7),
            "{}: {} vs {}",
            x.form,
            x.icc,
            y.icc
        );
        prop_assert!(close(x.ci_lower, y.ci_lower, 1e-7), "{} lower", x.form);
        prop_assert!(close(x.ci_upper, y.ci_upper, 1e-7), "{} upper", x.form);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None,
        ..ProptestConfig::default() })]

    #[test]
    fn icc_invariant_to_adding_a_constant((n, k, v) in ratings_strategy(), c in -1e3f64..1e3) {
        let a = Ratings::complete(n, k, v.clone()).unwrap();
        let b = Ratings::complete(n, k, v.iter().map(|x| x + c).collect()).unwrap();
        all_close(&a, &b)?;
    }

    #[test]
    fn icc_invariant_to_scaling((n, k, v) in ratings_strategy(), s in 1e-3f64..1e3) {
        let a = Ratings::complete(n, k, v.clone()).unwrap();
        let b = Ratings::complete(n, k, v.iter().map(|x| x * s).collect()).unwrap();
        all_close(&a, &b)?;
    }

    #[test]
    fn icc_invariant_to_permuting_targets((n, k, v) in ratings_strategy(), seed in 0u64..1000) {
        let a = Ratings::complete(n, k, v.clone()).unwrap();
        let mut order: Vec<usize> = (0..n).collect();
        // A deterministic permutation from the seed (rotate, then reverse when odd).
        order.rotate_left((seed as usize) % n);
        if seed % 2 == 1 {
            order.reverse();
        }
        let permuted: Vec<f64> =
            order.iter().flat_map(|&i| v[i * k..(i + 1) * k].to_vec()).collect();
        let b = Ratings::complete(n, k, permuted).unwrap();
        all_close(&a, &b)?;
    }

    #[test]
    fn icc3_invariant_to_rater_offsets_icc2_not(
        (n, k, v) in ratings_strategy(),
        offsets in prop::collection::vec(-200.0f64..200.0, 6),
    ) {
        let a = Ratings::complete(n, k, v.clone()).unwrap();
        let shifted: Vec<f64> = v.iter().enumerate().map(|(p, x)| x + offsets[p % k]).collect();
        let b = Ratings::complete(n, k, shifted).unwrap();
        let an = anova(&a).unwrap();
        let spread = offsets[..k].iter().cloned().fold(f64::MIN, f64::max)
            - offsets[..k].iter().cloned().fold(f64::MAX, f64::min);
        // Non-degenerate tables with offsets that really differ between raters.
        prop_assume!(an.ms_error > 1e-6 && (an.ms_rows - an.ms_error).abs() > 1e-3 * an.ms_error);
        prop_assume!(spread > 1.0);
        let ea = icc_all(&a, 0.95).unwrap();
        let eb = icc_all(&b, 0.95).unwrap();
        let c = |es: &[radaudit::stats::icc::IccEstimate], f| {
            es.iter().find(|e| e.form == f).unwrap().clone()
        };
        let (c3a, c3b) = (c(&ea, IccForm::ICC3_1), c(&eb, IccForm::ICC3_1));
        prop_assert!(close(c3a.icc, c3b.icc, 1e-7), "ICC(3,1) {} vs {}", c3a.icc, c3b.icc);
        prop_assert!(close(c3a.ci_lower, c3b.ci_lower, 1e-7));
        let (c2a, c2b) = (c(&ea, IccForm::ICC2_1), c(&eb, IccForm::ICC2_1));
        prop_assert!((c2a.icc - c2b.icc).abs() > 1e-6, "ICC(2,1) unchanged: {}", c2a.icc);
    }
}

// ---------------------------------------------------------------------------------------
// The command, end to end, on a synthetic long table.

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_radaudit"))
}

/// A long table: 40 cases; raters `none/0` and `noise/1..=4`; features
/// - `stat.stable`: case effect (sd 10) + rater noise (sd 1): ICC(1,1) about 0.99;
/// - `stat.unstable`: pure noise: ICC(1,1) about 0;
/// - `glcm.moderate`: case effect sd 1 + noise sd 1: ICC(1,1) about 0.5;
/// - `glcm.constant`: 5.0 everywhere (degenerate, NaN with a note);
/// - `shape.gappy`: like stable, but case c07 lacks replicate noise/3 (1 dropped).
/// Noise is a fixed deterministic pseudo-random sequence (integer hash), so the test has
/// no random seed to report.
fn synth_long() -> String {
    fn noise(a: u64, b: u64, c: u64) -> f64 {
        // SplitMix64 of the triple, mapped to a symmetric value in [-1.73, 1.73] (sd 1).
        let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(21) ^ c.rotate_left(42);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0 * 3f64.sqrt()
    }
    let raters: Vec<(&str, u64)> = vec![
        ("none", 0),
        ("noise", 1),
        ("noise", 2),
        ("noise", 3),
        ("noise", 4),
    ];
    let mut out = String::from("case_id,perturbation,replicate,feature,value\n");
    for c in 0..40u64 {
        let case = format!("c{c:02}");
        for (ri, (p, rep)) in raters.iter().enumerate() {
            let r = ri as u64;
            let e = |f: u64| noise(c, r, f);
            let rows = [
                ("stat.stable", 10.0 * noise(c, 99, 1) + e(1)),
                ("stat.unstable", e(2)),
                ("glcm.moderate", noise(c, 99, 3) + e(3)),
                ("glcm.constant", 5.0),
                ("shape.gappy", 10.0 * noise(c, 99, 4) + e(4)),
            ];
            for (f, v) in rows {
                if f == "shape.gappy" && c == 7 && *rep == 3 {
                    continue;
                }
                out.push_str(&format!("{case},{p},{rep},{f},{v}\n"));
            }
        }
    }
    out
}

fn parse_table(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect()
}

#[test]
fn command_end_to_end_on_synthetic_long_table() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.csv");
    std::fs::write(&input, synth_long()).unwrap();
    let run = |threads: &str, out: &str| {
        let status = Command::new(bin())
            .args(["--quiet", "--threads", threads, "stability", "--input"])
            .arg(&input)
            .args(["--icc", "1,1", "--icc", "A,1", "--out"])
            .arg(dir.path().join(out))
            .arg("--select")
            .arg(dir.path().join("robust.txt"))
            .arg("--plots")
            .arg(dir.path().join("plots"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(dir.path().join(out)).unwrap()
    };
    let one = run("1", "s1.csv");
    let two = run("2", "s2.csv");
    assert_eq!(one, two, "output must not depend on the thread count");

    let rows = parse_table(&one);
    assert_eq!(rows.len(), 10, "5 features x 2 forms");
    let get = |f: &str, form: &str| {
        rows.iter()
            .find(|r| r["feature"] == f && r["form"] == form)
            .unwrap()
            .clone()
    };
    let stable = get("stat.stable", "ICC(1,1)");
    assert!(stable["icc"].parse::<f64>().unwrap() > 0.95, "{stable:?}");
    assert_eq!(stable["robust"], "yes");
    assert_eq!(stable["band"], "excellent");
    assert_eq!(stable["df1"], "39");
    assert_eq!(stable["df2"], "160");
    let unstable = get("stat.unstable", "ICC(1,1)");
    assert!(
        unstable["icc"].parse::<f64>().unwrap() < 0.3,
        "{unstable:?}"
    );
    assert_eq!(unstable["robust"], "no");
    let constant = get("glcm.constant", "ICC(1,1)");
    assert_eq!(constant["icc"], "NaN");
    assert!(constant["note"].contains("all ratings are equal"));
    let gappy = get("shape.gappy", "ICC(2,1)");
    assert_eq!(gappy["dropped"], "1");
    assert_eq!(gappy["n_targets"], "39");
    assert!(gappy["note"].contains("1 subject dropped (missing rating)"));
    for r in &rows {
        if let (Ok(l), Ok(p), Ok(u)) = (
            r["ci_lower"].parse::<f64>(),
            r["icc"].parse::<f64>(),
            r["ci_upper"].parse::<f64>(),
        ) {
            if !p.is_nan() {
                assert!(l <= p && p <= u && u <= 1.0, "{r:?}");
            }
        }
    }

    let robust = std::fs::read_to_string(dir.path().join("robust.txt")).unwrap();
    assert_eq!(robust, "stat.stable\nshape.gappy\n");
    for f in [
        "icc_ranked_1-1.svg",
        "robust_share_1-1.svg",
        "icc_ranked_2-1.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join("plots").join(f)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("stat"), "{f}");
    }
}

#[test]
fn command_reports_bad_value_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    std::fs::write(
        &input,
        "case_id,perturbation,replicate,feature,value\na,none,0,f,1\nb,none,0,f,NaN\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["stability", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("s.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv") && err.contains("line 3") && err.contains("value"),
        "{err}"
    );
}

#[test]
fn command_imports_wide_test_retest_table() {
    // A PyRadiomics-like wide table: two sessions per patient (test-retest).
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("retest.csv");
    let mut text = String::from(
        "Image,Mask,diagnostics_Versions_PyRadiomics,PatientID,session,\
         original_firstorder_Mean,original_glcm_Contrast\n",
    );
    for p in 0..8 {
        for s in ["test", "retest"] {
            let mean = 100.0 + 10.0 * p as f64 + if s == "test" { 0.5 } else { -0.5 };
            let contrast = if (p + usize::from(s == "test")) % 2 == 0 {
                1.0
            } else {
                3.0
            };
            text.push_str(&format!(
                "img{p}.nrrd,m{p}.nrrd,v3.1,P{p},{s},{mean},{contrast}\n"
            ));
        }
    }
    std::fs::write(&wide, text).unwrap();
    let status = Command::new(bin())
        .args(["--quiet", "stability", "--wide"])
        .arg(&wide)
        .args([
            "--case-col",
            "PatientID",
            "--rater-col",
            "session",
            "--icc",
            "3,1",
        ])
        .arg("--long-out")
        .arg(dir.path().join("long.csv"))
        .arg("--out")
        .arg(dir.path().join("s.csv"))
        .status()
        .unwrap();
    assert!(status.success());
    let long = std::fs::read_to_string(dir.path().join("long.csv")).unwrap();
    assert_eq!(long.lines().count(), 1 + 8 * 2 * 2);
    assert!(long.contains("P3,retest,0,original_firstorder_Mean,129.5"));
    let rows = parse_table(&std::fs::read_to_string(dir.path().join("s.csv")).unwrap());
    // Mean: rater offset only -> ICC(3,1) = 1 exactly (consistency), with a note.
    assert_eq!(rows[0]["icc"], "1");
    assert_eq!(rows[0]["robust"], "yes");
    // Contrast alternates between sessions: anti-concordant, negative ICC(3,1).
    assert!(rows[1]["icc"].parse::<f64>().unwrap() < 0.0);
}

/// The ICC is invariant to a common scale (a ratio of mean squares). Values near 1e200
/// used to overflow the sums of squares (1e400): every feature became NaN or infinite.
#[test]
fn command_gives_the_same_iccs_for_values_scaled_by_1e200() {
    let dir = tempfile::tempdir().unwrap();
    let plain = synth_long();
    let mut scaled = String::new();
    for (i, line) in plain.lines().enumerate() {
        if i == 0 {
            scaled.push_str(line);
        } else {
            let (head, v) = line.rsplit_once(',').unwrap();
            let v: f64 = v.parse().unwrap();
            scaled.push_str(&format!("{head},{:e}", v * 1e200));
        }
        scaled.push('\n');
    }
    let run = |name: &str, text: &str| {
        let input = dir.path().join(format!("{name}.csv"));
        std::fs::write(&input, text).unwrap();
        let out = dir.path().join(format!("{name}-icc.csv"));
        let o = Command::new(bin())
            .args(["--quiet", "stability", "--input"])
            .arg(&input)
            .args(["--icc", "1,1", "--icc", "A,1", "--icc", "C,1", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        parse_table(&std::fs::read_to_string(out).unwrap())
    };
    let (a, b) = (run("plain", &plain), run("scaled", &scaled));
    assert_eq!(a.len(), 15, "5 features x 3 forms");
    assert_eq!(a.len(), b.len());
    for (ra, rb) in a.iter().zip(&b) {
        assert_eq!((&ra["feature"], &ra["form"]), (&rb["feature"], &rb["form"]));
        assert_eq!(ra["robust"], rb["robust"], "{ra:?} vs {rb:?}");
        for col in ["icc", "ci_lower", "ci_upper"] {
            let (x, y): (f64, f64) = (ra[col].parse().unwrap(), rb[col].parse().unwrap());
            // Outputs have 10 significant digits; only the rounding of v * 1e200 differs.
            let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9;
            assert!(same, "{} {} {col}: {x} vs {y}", ra["feature"], ra["form"]);
        }
    }
    let stable = a.iter().find(|r| r["feature"] == "stat.stable").unwrap();
    assert!(stable["icc"].parse::<f64>().unwrap() > 0.95);
}
