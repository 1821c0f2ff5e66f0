//! The index of an audit run, `DIR/README.md`: one row per claim, and the scenarios that
//! could not be audited.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::claim::{check, claimed_text, metric_label, null_figure};
use super::doc::Doc;
use crate::audit::check::CheckId;
use crate::audit::run::ClaimAudit;
use crate::audit::scenario::ScenarioError;
use crate::audit::verdict::Verdict;
use crate::table::{write_atomic, TableError};

/// One claim's row of the index: its cells and its verdict (for the counts).
///
/// Rows are what a sharded audit stores per claim, so `radaudit merge` writes the index
/// without the audits themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRow {
    /// The table cells, in column order.
    pub cells: Vec<String>,
    /// The headline verdict ([`Verdict::as_str`]).
    pub verdict: String,
}

impl IndexRow {
    /// The row of an audited claim.
    pub fn from_audit(a: &ClaimAudit) -> Self {
        Self {
            cells: cells(a),
            verdict: a.verdict.as_str().to_string(),
        }
    }
}

/// Writes `dir/README.md`.
///
/// # Errors
/// [`TableError`] when the file cannot be written.
pub fn write(
    dir: &Path,
    audits: &[ClaimAudit],
    errors: &[ScenarioError],
) -> Result<(), TableError> {
    let rows: Vec<IndexRow> = audits.iter().map(IndexRow::from_audit).collect();
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    write_rows(dir, &rows, &errors)
}

/// Writes `dir/README.md` from claim rows and the texts of the scenario errors.
///
/// # Errors
/// [`TableError`] when the file cannot be written.
pub fn write_rows(dir: &Path, rows: &[IndexRow], errors: &[String]) -> Result<(), TableError> {
    write_atomic(
        &dir.join("README.md"),
        document(rows, errors).to_markdown().as_bytes(),
    )
}

fn document(rows: &[IndexRow], errors: &[String]) -> Doc {
    let mut d = Doc::new("radaudit: audit of the claims");
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v.as_str()).count();
    d.p(format!(
        "{} claims audited: {} survive, {} fragile, {} do not survive, {} not assessable.{}",
        rows.len(),
        count(Verdict::Survives),
        count(Verdict::Fragile),
        count(Verdict::DoesNotSurvive),
        count(Verdict::NotAssessable),
        if errors.is_empty() {
            String::new()
        } else {
            format!(
                " {} scenario file(s) could not be read (listed below).",
                errors.len()
            )
        }
    ));
    d.p(
        "Columns: the null 95th percentile is what the stated pipeline reaches on random \
         features in 95% of simulations; the interval is the 95% interval the claimed value \
         can have on its cohort; the sample-size ratio is the development n divided by the n \
         Riley et al. (2020) require for the selected features (below 1: too few patients). \
         Each claim's report explains its figures and sources.",
    );
    let rows = rows.iter().map(|r| r.cells.clone()).collect();
    d.table(
        &[
            "claim",
            "metric",
            "claimed",
            "null 95th pct",
            "interval",
            "sample-size ratio",
            "verdict",
        ],
        rows,
    );
    if !errors.is_empty() {
        d.h(2, "Scenarios that could not be audited");
        d.list(errors.iter().map(|e| format!("`{e}`")).collect());
    }
    d
}

/// The cells of a claim's row.
fn cells(a: &ClaimAudit) -> Vec<String> {
    let slug = a.scenario.slug();
    let fmt = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
    let prec = check(a, CheckId::Precision);
    let interval = match (
        prec.and_then(|c| c.figure("ci_lower")),
        prec.and_then(|c| c.figure("ci_upper")),
    ) {
        (Some(l), Some(h)) => format!("{l:.3} to {h:.3}"),
        _ => "-".into(),
    };
    let ratio = check(a, CheckId::DevelopmentSize).and_then(|c| c.figure("ratio"));
    let mut verdict = a.verdict.as_str().to_string();
    if !a.depends_on.is_empty() {
        verdict += &format!(" (depends on {})", a.depends_on.join(", "));
    }
    vec![
        format!("[{slug}]({slug}/report.md)"),
        metric_label(a.scenario.claim.metric).to_string(),
        claimed_text(a.scenario.claim.value),
        fmt(null_figure(a, "null_q95")),
        interval,
        ratio
            .map(|r| format!("{r:.2}"))
            .unwrap_or_else(|| "-".into()),
        verdict,
    ]
}
