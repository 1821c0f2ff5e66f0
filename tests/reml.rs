//! REML variance components and profile intervals for incomplete rating tables, against
//! lme4 1.1-31 (R 4.2.2): `tests/reference/reml_lme4.R` made both reference files.

use radaudit::stats::icc::{icc_fit, IccForm, MissingMethod, Model, Ratings};
use radaudit::stats::reml::Problem;

const RATINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/reference/reml_ratings.csv"
);
const LME4: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/reml_lme4.csv");

/// Rows of a small CSV with quoted text fields, header dropped.
fn rows(path: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect(path);
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

/// One table as (per target its (rater, rating) pairs, number of raters, the full grid with
/// missing cells as None): targets and raters renumbered in order of first appearance.
struct Table {
    cells: Vec<Vec<(usize, f64)>>,
    k: usize,
    grid: Vec<Option<f64>>,
}

fn table(name: &str) -> Table {
    let mut targets: Vec<String> = Vec::new();
    let mut raters: Vec<String> = Vec::new();
    let mut obs = Vec::new();
    for r in rows(RATINGS).into_iter().filter(|r| r[0] == name) {
        let t = position(&mut targets, &r[1]);
        let j = position(&mut raters, &r[2]);
        obs.push((t, j, r[3].parse::<f64>().unwrap()));
    }
    let k = raters.len();
    let mut cells = vec![Vec::new(); targets.len()];
    let mut grid = vec![None; targets.len() * k];
    for (t, j, y) in obs {
        cells[t].push((j, y));
        grid[t * k + j] = Some(y);
    }
    Table { cells, k, grid }
}

fn position(list: &mut Vec<String>, v: &str) -> usize {
    match list.iter().position(|x| x == v) {
        Some(p) => p,
        None => {
            list.push(v.to_string());
            list.len() - 1
        }
    }
}

fn model(name: &str) -> Model {
    match name {
        "one_way" => Model::OneWay,
        "two_way_random" => Model::TwoWayRandom,
        "two_way_mixed" => Model::TwoWayMixed,
        other => panic!("unknown model {other}"),
    }
}

fn num(s: &str) -> f64 {
    s.parse().unwrap()
}

/// The REML criterion at fixed relative standard deviations: pure arithmetic, so it must
/// agree with lme4's deviance function to rounding (1e-8 absolute on values near 100-900).
#[test]
fn criterion_matches_lme4_deviance_function() {
    let reference = rows(LME4);
    let mut checked = 0;
    for r in reference.iter().filter(|r| r[2] == "criterion_at") {
        let t = table(&r[0]);
        let problem = Problem::new(&t.cells, t.k, model(&r[1])).unwrap();
        let (th_a, th_b) = (num(&r[3]), num(&r[4]));
        let (crit, _) = problem.criterion(th_a * th_a, th_b * th_b).unwrap();
        assert!(
            (crit - num(&r[8])).abs() < 1e-8,
            "{} {} theta ({th_a}, {th_b}): ours {crit}, lme4 {}",
            r[0],
            r[1],
            r[8]
        );
        checked += 1;
    }
    assert_eq!(checked, 27);
}

/// Variance components at the optimum. lme4 stops its optimiser at rhoend 1e-12 on theta;
/// ours at 1e-10 on u = g / (1 + g): 1e-6 relative (or 1e-8 absolute at the zero boundary)
/// is well outside both.
#[test]
fn fit_matches_lme4_variance_components() {
    let reference = rows(LME4);
    let mut checked = 0;
    for r in reference.iter().filter(|r| r[2] == "fit") {
        let t = table(&r[0]);
        let problem = Problem::new(&t.cells, t.k, model(&r[1])).unwrap();
        let fit = problem.fit(0.5, 0.5).unwrap();
        let ours = [fit.sigma2_target, fit.sigma2_rater, fit.sigma2_error];
        for (o, theirs) in ours.iter().zip(&r[5..8]) {
            let theirs = num(theirs);
            assert!(
                (o - theirs).abs() <= 1e-6 * theirs.abs() + 1e-8,
                "{} {}: ours {ours:?}, lme4 {:?}",
                r[0],
                r[1],
                &r[5..8]
            );
        }
        assert!((fit.criterion - num(&r[8])).abs() < 1e-7);
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// The 95% profile-likelihood interval of the single-rating ICC, against the same
/// definition computed with R's uniroot/optimize on lme4's deviance function (tolerance
/// 1e-12 there); 1e-6 covers both optimisers.
#[test]
fn profile_interval_matches_lme4_profile() {
    let reference = rows(LME4);
    let mut checked = 0;
    for r in reference.iter().filter(|r| r[2] == "profile_interval_95") {
        let t = table(&r[0]);
        let problem = Problem::new(&t.cells, t.k, model(&r[1])).unwrap();
        let fit = problem.fit(0.5, 0.5).unwrap();
        let (lower, upper) = problem.interval(&fit, 0.95);
        let (ref_lower, ref_upper, ref_icc) = (num(&r[5]), num(&r[6]), num(&r[7]));
        assert!((fit.icc() - ref_icc).abs() < 1e-6, "{} {} icc", r[0], r[1]);
        assert!(
            (lower - ref_lower).abs() < 1e-6,
            "{} {} lower {lower}",
            r[0],
            r[1]
        );
        assert!(
            (upper - ref_upper).abs() < 1e-6,
            "{} {} upper {upper}",
            r[0],
            r[1]
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// Through `icc_fit`: the REML method replaces the Method III point estimate and interval,
/// steps the average forms up by Spearman-Brown with k = 4, and leaves F, df and p alone.
#[test]
fn icc_fit_reml_on_the_incomplete_shrout_fleiss_table() {
    let t = table("sf_incomplete");
    let ratings = Ratings::with_missing(t.cells.len(), t.k, &t.grid).unwrap();
    let forms = [IccForm::ICC2_1, IccForm::ICC2_K];
    let reml = icc_fit(&ratings, &forms, MissingMethod::Reml, 0.95).unwrap();
    let keep = icc_fit(&ratings, &forms, MissingMethod::Keep, 0.95).unwrap();

    // lme4: ICC(2,1) 0.317447506757983, interval [0.0424145253318218, 0.77113611103101].
    let single = &reml.estimates[0];
    assert!((single.icc - 0.317_447_506_757_983).abs() < 1e-6);
    assert!((single.ci_lower - 0.042_414_525_331_821_8).abs() < 1e-6);
    assert!((single.ci_upper - 0.771_136_111_031_01).abs() < 1e-6);
    assert_eq!(single.f, keep.estimates[0].f);
    assert_eq!(single.df2, keep.estimates[0].df2);

    let sb = |x: f64| 4.0 * x / (1.0 + 3.0 * x);
    let average = &reml.estimates[1];
    assert!((average.icc - sb(single.icc)).abs() < 1e-12);
    assert!((average.ci_upper - sb(single.ci_upper)).abs() < 1e-12);
    assert_eq!(reml.method, MissingMethod::Reml);
    assert!(single.warnings.is_empty(), "{:?}", single.warnings);
}

/// On complete data every missing-data method is the exact balanced analysis: REML asked for
/// on the full Shrout-Fleiss table gives their Table 4 value ICC(3,1) = 0.7148...
#[test]
fn icc_fit_reml_on_complete_data_is_the_anova() {
    let rows = [
        [9.0, 2.0, 5.0, 8.0],
        [6.0, 1.0, 3.0, 2.0],
        [8.0, 4.0, 6.0, 8.0],
        [7.0, 1.0, 2.0, 6.0],
        [10.0, 5.0, 6.0, 9.0],
        [6.0, 2.0, 4.0, 7.0],
    ];
    let r = Ratings::from_rows(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap();
    let fit = icc_fit(&r, &[IccForm::ICC3_1], MissingMethod::Reml, 0.95).unwrap();
    assert!((fit.estimates[0].icc - 0.714_840_714_840_715).abs() < 1e-12);
    assert!((fit.estimates[0].ci_lower - 0.342_464_765_033_925).abs() < 1e-9);
}
