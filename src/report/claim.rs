//! The report of one audited claim: `report.md`, `report.html`, `verdict.json` and the
//! null-distribution plot, written into `DIR/<study>--<claim>/`.

use std::path::Path;

use serde_json::json;

use super::doc::Doc;
use crate::audit::check::{CheckId, CheckResult};
use crate::audit::run::ClaimAudit;
use crate::audit::scenario::{ClaimValue, Metric, Spec};
use crate::table::{fmt_num, round_sig, write_atomic, TableError};

/// verdict.json's schema version; bump when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// File name of the null plot beside the report.
pub const NULL_PLOT: &str = "null.svg";
/// The permutation null of the data checks.
pub const PERMUTATION_PLOT: &str = "permutation.svg";
/// ROC curves of the re-estimate.
pub const ROC_PLOT: &str = "roc.svg";
/// Calibration of the re-estimate.
pub const CALIBRATION_PLOT: &str = "calibration.svg";
/// ICC of the selected features (check 10).
pub const ICC_PLOT: &str = "icc.svg";

/// Writes the report files of one claim into `dir/<slug>/`.
///
/// # Errors
/// [`TableError`] naming the file that could not be written.
pub fn write(dir: &Path, a: &ClaimAudit) -> Result<(), TableError> {
    let out = dir.join(a.scenario.slug());
    let has_plot = !a.headline.null_values.is_empty();
    let mut plots: Vec<(&str, String)> = Vec::new();
    if has_plot {
        let q95 = null_figure(a, "null_q95").unwrap_or(f64::NAN);
        let claimed = match a.scenario.claim.value {
            ClaimValue::Single(x) if x.is_finite() => Some(x),
            _ => None,
        };
        let svg = super::plot::null_histogram_svg(
            &a.headline.null_values,
            claimed,
            q95,
            metric_label(a.scenario.claim.metric),
        );
        write_atomic(&out.join(NULL_PLOT), svg.as_bytes())?;
        plots.push((NULL_PLOT, svg));
    }
    if let Some(dp) = &a.data_plots {
        let label = if dp.metric == "auc" { "AUC" } else { "C-index" };
        let svg = super::cv_plot::permutation_svg(&dp.permutation, dp.observed, label, dp.p_value);
        write_atomic(&out.join(PERMUTATION_PLOT), svg.as_bytes())?;
        plots.push((PERMUTATION_PLOT, svg));
        if !dp.roc.is_empty() {
            let svg = super::cv_plot::roc_svg(&dp.roc, "ROC of the re-estimate");
            write_atomic(&out.join(ROC_PLOT), svg.as_bytes())?;
            plots.push((ROC_PLOT, svg));
        }
        if let Some((p, y)) = &dp.calibration {
            let svg = super::cv_plot::calibration_svg(p, y, 10, "Calibration of the re-estimate");
            write_atomic(&out.join(CALIBRATION_PLOT), svg.as_bytes())?;
            plots.push((CALIBRATION_PLOT, svg));
        }
        if !dp.icc.is_empty() {
            // The stability table does not store its threshold: `radaudit stability`'s
            // default is drawn, and the colours follow the table's own verdicts.
            let cfg = crate::stats::stability::StabilityConfig::default();
            let svg = super::icc_plot::selected_icc_svg(&dp.icc, cfg.threshold, cfg.confidence);
            write_atomic(&out.join(ICC_PLOT), svg.as_bytes())?;
            plots.push((ICC_PLOT, svg));
        }
    }
    let mut doc = document(a, has_plot);
    // The HTML page carries its plots inline; the Markdown links the files.
    for (name, svg) in plots {
        doc.svg.insert(name.to_string(), svg);
    }
    write_atomic(&out.join("report.md"), doc.to_markdown().as_bytes())?;
    write_atomic(&out.join("report.html"), doc.to_html().as_bytes())?;
    let json = serde_json::to_string_pretty(&verdict_json(a)).unwrap_or_default() + "\n";
    write_atomic(&out.join("verdict.json"), json.as_bytes())
}

/// The label of a metric in plots and tables.
pub fn metric_label(m: Metric) -> &'static str {
    match m {
        Metric::Auc => "AUC",
        Metric::CIndex => "C-index",
        Metric::Accuracy => "accuracy",
        Metric::SensitivitySpecificity => "sensitivity/specificity",
        Metric::None => "none",
    }
}

/// The claimed value as text.
pub fn claimed_text(v: ClaimValue) -> String {
    match v {
        ClaimValue::Single(x) if x.is_finite() => format!("{x:.3}"),
        ClaimValue::Single(_) => "none reported".into(),
        ClaimValue::Pair(a, b) => format!("{a:.3} / {b:.3}"),
    }
}

/// A figure of the headline's null check.
pub fn null_figure(a: &ClaimAudit, name: &str) -> Option<f64> {
    check(a, CheckId::Null)
        .and_then(|c| c.figure(name))
        .filter(|x| x.is_finite())
}

/// A headline check.
pub fn check(a: &ClaimAudit, id: CheckId) -> Option<&CheckResult> {
    a.headline.checks.iter().find(|c| c.id == id)
}

fn document(a: &ClaimAudit, has_plot: bool) -> Doc {
    let s = &a.scenario;
    let title = if s.study.title.is_empty() {
        s.study.id.clone()
    } else {
        s.study.title.clone()
    };
    let mut d = Doc::new(format!("{title}: {}", s.claim.id));

    // Headline.
    let mut verdict = format!("**Verdict: {}**", a.verdict.as_str());
    if !a.depends_on.is_empty() {
        verdict += &format!(" (depends on {})", a.depends_on.join(", "));
    } else if a.verdict != a.headline.verdict {
        verdict += " (the corners of the assumptions disagree)";
    }
    d.p(verdict + ".");
    d.p(format!(
        "Claim: {} {} on the {} cohort{}{}. Outcome: {}. Citation: {}.",
        metric_label(s.claim.metric),
        claimed_text(s.claim.value),
        s.claim.cohort.as_str(),
        s.claim
            .ci
            .map(|(l, h)| format!(" (reported 95% CI {l:.3} to {h:.3})"))
            .unwrap_or_default(),
        if s.claim.direction == crate::audit::scenario::Direction::Negative {
            ", reported as showing no useful model"
        } else {
            ""
        },
        or_unknown(&s.study.outcome),
        or_unknown(&s.study.citation),
    ));
    if !s.claim.note.is_empty() {
        d.p(format!("Note on the claim: {}", s.claim.note));
    }
    for t in &a.tipping {
        d.p(format!("Tipping value: {}.", t.text));
    }

    // Checks at the headline corner.
    d.h(2, "Checks at the headline corner");
    d.p(
        "The headline corner uses every reported value, the middle of each assumed range and \
         the first listed value of each assumed choice.",
    );
    for c in &a.headline.checks {
        d.h(
            3,
            format!(
                "{}. {}: {}",
                c.id.number(),
                c.id.title(),
                c.outcome.as_str()
            ),
        );
        d.p(c.sentence.clone());
        if c.id == CheckId::Null && has_plot {
            d.image(
                NULL_PLOT,
                "Null distribution of the stated pipeline on random features",
            );
        }
        if let Some(dp) = &a.data_plots {
            if c.id == CheckId::ReEstimate && !dp.roc.is_empty() {
                d.image(ROC_PLOT, "ROC curves of the re-estimate");
                if dp.calibration.is_some() {
                    d.image(CALIBRATION_PLOT, "Calibration of the re-estimate");
                }
            }
            if c.id == CheckId::SelectedStability && !dp.icc.is_empty() {
                d.image(
                    ICC_PLOT,
                    "ICC of each selected feature with its 95% interval against the \
                     robustness threshold (dashed; radaudit stability's default 0.75); green \
                     when the stability table marks it robust",
                );
            }
            if c.id == CheckId::PermutationNull {
                d.image(
                    PERMUTATION_PLOT,
                    "Nested estimates with permuted outcomes, and the observed one",
                );
            }
        }
        if !c.figures.is_empty() {
            let rows = c
                .figures
                .iter()
                .map(|f| vec![f.name.clone(), fmt_num(f.value)])
                .collect();
            d.table(&["figure", "value"], rows);
        }
        d.p(format!("Rule: {}.", c.threshold));
        d.list(c.notes.clone());
    }

    // Corners.
    if a.corners.len() > 1 {
        d.h(2, "Corners of the assumptions");
        d.p(if a.one_at_a_time {
            "Too many assumptions for a full factorial: each was varied alone around the \
             headline corner, with the same random numbers in every corner."
        } else {
            "Every combination of the assumptions' extremes, with the same random numbers in \
             every corner."
        });
        let keys: Vec<&String> = a.headline.assumptions.keys().collect();
        let mut header: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        header.extend(["null p", "interval", "verdict"]);
        let rows = a
            .corners
            .iter()
            .map(|c| {
                let mut r: Vec<String> = keys.iter().map(|k| c.assumptions[*k].clone()).collect();
                let get = |id: CheckId, f: &str| {
                    c.checks
                        .iter()
                        .find(|x| x.id == id)
                        .and_then(|x| x.figure(f))
                };
                r.push(
                    get(CheckId::Null, "p_value")
                        .map(|p| format!("{p:.3}"))
                        .unwrap_or("-".into()),
                );
                r.push(
                    match (
                        get(CheckId::Precision, "ci_lower"),
                        get(CheckId::Precision, "ci_upper"),
                    ) {
                        (Some(l), Some(h)) => format!("{l:.3} to {h:.3}"),
                        _ => "-".into(),
                    },
                );
                r.push(c.verdict.as_str().to_string());
                r
            })
            .collect();
        d.table(&header, rows);
    }

    // Sources.
    // Checklist items answerable from the scenario.
    let items = super::checklist::items(a);
    if !items.is_empty() {
        d.h(2, "Checklist items the audit could evaluate");
        d.p(
            "Items of CLEAR (Kocak et al. 2023) and the Radiomics Quality Score (Lambin et al. \
             2017) that follow from the stated design and the checks above; the others need \
             the paper itself.",
        );
        let rows = items
            .into_iter()
            .map(|i| vec![i.checklist.to_string(), i.item.to_string(), i.answer])
            .collect();
        d.table(&["checklist", "item", "answer"], rows);
    }

    d.h(2, "Values and their sources");
    let mut rows = Vec::new();
    for (k, v) in [
        ("metric", s.claim.metric.as_str().to_string()),
        ("value", claimed_text(s.claim.value)),
        ("cohort", s.claim.cohort.as_str().to_string()),
    ] {
        rows.push(vec![format!("claim.{k}"), v, source(a, k)]);
    }
    for (k, spec) in &s.design {
        let shown = match spec {
            Spec::Fixed(v) => v.to_string(),
            Spec::Range(lo, hi) => format!("assumed {} to {}", fmt_num(*lo), fmt_num(*hi)),
            Spec::Choices(vals) => format!(
                "assumed one of {}",
                vals.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        rows.push(vec![format!("design.{k}"), shown, source(a, k)]);
    }
    d.table(&["key", "value", "source"], rows);

    // Rules, thresholds and reproduction.
    d.h(2, "Verdict rules and thresholds");
    d.list(vec![
        "does not survive: the null check or the precision check fails".into(),
        "fragile: the development or validation sample size or the design flags fail, or the \
         corners of the assumptions disagree"
            .into(),
        "survives: none of these fails; not assessable: neither the null check nor the \
         precision check can be computed"
            .into(),
        "a negative claim (no useful model) survives when the null check does not reject it".into(),
    ]);
    let t = &a.thresholds;
    d.table(
        &["threshold", "value"],
        vec![
            vec!["null check alpha".into(), fmt_num(t.null_alpha)],
            vec![
                "target shrinkage (Riley criterion 1)".into(),
                fmt_num(t.shrinkage),
            ],
            vec![
                "optimism in R2 (Riley criterion 2)".into(),
                fmt_num(t.optimism),
            ],
            vec![
                "validation C-statistic CI width".into(),
                fmt_num(t.validation_c_width),
            ],
            vec![
                "narrow reported interval ratio".into(),
                fmt_num(t.narrow_ratio),
            ],
        ],
    );
    d.h(2, "Reproduce");
    d.p(format!(
        "radaudit {} with seed {} and at most {} null replicates per design; scenario file \
         `{}` (SHA-256 {}).",
        env!("CARGO_PKG_VERSION"),
        a.options.seed,
        a.options.reps,
        file_name(&s.path),
        s.file_hash
    ));
    d
}

fn source(a: &ClaimAudit, key: &str) -> String {
    a.scenario
        .sources
        .get(key)
        .cloned()
        .unwrap_or_else(|| "source not given".into())
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() {
        "not given"
    } else {
        s
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The machine-readable verdict (`verdict.json`).
pub fn verdict_json(a: &ClaimAudit) -> serde_json::Value {
    let s = &a.scenario;
    let value = match s.claim.value {
        ClaimValue::Single(x) if x.is_finite() => json!(round_sig(x, 10)),
        ClaimValue::Single(_) => serde_json::Value::Null,
        ClaimValue::Pair(x, y) => json!([x, y]),
    };
    json!({
        "schema_version": SCHEMA_VERSION,
        "verdict": a.verdict.as_str(),
        "headline_corner_verdict": a.headline.verdict.as_str(),
        "depends_on": a.depends_on,
        "tipping": a.tipping,
        "study": { "id": s.study.id, "title": s.study.title, "citation": s.study.citation },
        "claim": {
            "id": s.claim.id,
            "metric": s.claim.metric.as_str(),
            "value": value,
            "cohort": s.claim.cohort.as_str(),
            "direction": match s.claim.direction {
                crate::audit::scenario::Direction::Positive => "positive",
                crate::audit::scenario::Direction::Negative => "negative",
            },
        },
        "checks": a.headline.checks,
        "corners": a.corners,
        "one_at_a_time": a.one_at_a_time,
        "thresholds": a.thresholds,
        "seed": a.options.seed,
        "max_null_replicates": a.options.reps,
        "radaudit_version": env!("CARGO_PKG_VERSION"),
        "scenario_file": file_name(&s.path),
        "scenario_sha256": s.file_hash,
    })
}
