//! Running the audit: every check at every corner of the assumptions, the headline
//! verdict, what it depends on and the tipping values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::check::CheckResult;
use super::corner::{self, Corner, Corners, Design};
use super::scenario::{Scenario, ScenarioError, Spec, Value};
use super::verdict::{corner_verdict, headline_verdict, Verdict};
use super::{flags, null_check, precision, size};

/// Settings of an audit run. Thresholds not given by a scenario's `[thresholds]` table
/// take these defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Most null replicates per simulated design (sequential stopping may use fewer).
    pub reps: usize,
    /// Seed of every random stream.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            reps: 200,
            seed: 20240101,
        }
    }
}

/// Thresholds used by the checks (AUDIT.md defaults; `[thresholds]` overrides).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// Null check fails at p >= this.
    pub null_alpha: f64,
    /// Riley criterion 1 target shrinkage.
    pub shrinkage: f64,
    /// Riley criterion 2: largest acceptable optimism in Nagelkerke R2.
    pub optimism: f64,
    /// Validation: target width of the C-statistic's 95% interval.
    pub validation_c_width: f64,
    /// A reported interval narrower than this share of the attainable one is flagged.
    pub narrow_ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            null_alpha: 0.05,
            shrinkage: 0.9,
            optimism: 0.05,
            validation_c_width: 0.1,
            narrow_ratio: precision::NARROW_RATIO,
        }
    }
}

impl Thresholds {
    /// Defaults overridden by a scenario's `[thresholds]`.
    ///
    /// # Errors
    /// A [`ScenarioError`] for an unknown threshold name or a value outside its range.
    pub fn for_scenario(s: &Scenario) -> Result<Self, ScenarioError> {
        let mut t = Self::default();
        for (k, &v) in &s.thresholds {
            let (slot, ok) = match k.as_str() {
                "null_alpha" => (&mut t.null_alpha, v > 0.0 && v < 1.0),
                "shrinkage" => (&mut t.shrinkage, v > 0.0 && v < 1.0),
                "optimism" => (&mut t.optimism, v > 0.0 && v < 1.0),
                "validation_c_width" => (&mut t.validation_c_width, v > 0.0 && v < 1.0),
                "narrow_ratio" => (&mut t.narrow_ratio, v > 0.0 && v <= 1.0),
                _ => {
                    return Err(ScenarioError {
                        file: s.path.clone(),
                        key: format!("thresholds.{k}"),
                        problem: "unknown threshold (expected null_alpha, shrinkage, optimism, \
                                  validation_c_width, narrow_ratio)"
                            .into(),
                    })
                }
            };
            if !ok {
                return Err(ScenarioError {
                    file: s.path.clone(),
                    key: format!("thresholds.{k}"),
                    problem: format!("{v} is outside the allowed range"),
                });
            }
            *slot = v;
        }
        Ok(t)
    }
}

/// The audit of one corner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CornerAudit {
    /// Values of the assumed keys at this corner.
    pub assumptions: BTreeMap<String, String>,
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    /// Null replicate values (for the plot), headline corner only.
    #[serde(skip)]
    pub null_values: Vec<f64>,
}

/// Where the verdict flips along one assumed key, the others at their headline values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tipping {
    pub key: String,
    /// Human-readable description of the flip.
    pub text: String,
    /// For numeric keys: the last value with the headline's verdict and the first with the
    /// other verdict.
    pub from: Option<f64>,
    pub to: Option<f64>,
}

/// The audit of one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAudit {
    pub scenario: Scenario,
    pub thresholds: Thresholds,
    pub verdict: Verdict,
    pub headline: CornerAudit,
    /// Every corner, the headline first.
    pub corners: Vec<CornerAudit>,
    pub one_at_a_time: bool,
    /// Assumed keys whose value alone changes the verdict.
    pub depends_on: Vec<String>,
    pub tipping: Vec<Tipping>,
    pub options: Options,
    /// Plots of the data checks (scenarios with `[data]` whose data checks ran).
    pub data_plots: Option<crate::audit::data::DataPlots>,
}

/// Audits one scenario.
///
/// # Errors
/// A [`ScenarioError`] when the thresholds are invalid or a corner's design is impossible
/// (events reaching n when both are assumed).
pub fn audit(s: &Scenario, opts: &Options) -> Result<ClaimAudit, ScenarioError> {
    let thresholds = Thresholds::for_scenario(s)?;
    let Corners {
        headline,
        all,
        one_at_a_time,
    } = corner::corners(s);
    let assumed = s.assumed_keys();

    // Checks 7-10 use the study's data, not the assumptions: computed once, the same at
    // every corner.
    let (data_checks, data_plots) = match &s.data {
        Some(spec) => {
            // A table that cannot be read as the scenario says is a malformed scenario
            // (exit 2); a model that cannot be fitted on good data is "not assessable".
            let result = match crate::audit::data::run(spec, opts.seed) {
                Err(e @ crate::audit::data::DataError::Cv(_)) => Err(e.to_string()),
                Err(e) => {
                    return Err(ScenarioError {
                        file: s.path.clone(),
                        key: "data".to_string(),
                        problem: e.to_string(),
                    })
                }
                Ok(d) => Ok(d),
            };
            let plots = result.as_ref().ok().map(|d| d.plots.clone());
            (crate::audit::data::checks(&s.claim, &result), plots)
        }
        None => (Vec::new(), None),
    };
    let extra = data_checks.as_slice();

    let results: Vec<Result<CornerAudit, ScenarioError>> = all
        .par_iter()
        .enumerate()
        .map(|(i, c)| audit_corner(s, c, &assumed, &thresholds, opts, i == 0, extra))
        .collect();
    let corners: Vec<CornerAudit> = results.into_iter().collect::<Result<_, _>>()?;
    let head = corners[0].clone();
    let verdicts: Vec<Verdict> = corners.iter().map(|c| c.verdict).collect();
    let verdict = headline_verdict(head.verdict, &verdicts);

    // What the verdict depends on: keys whose value alone changes it.
    let mut depends_on = Vec::new();
    let mut tipping = Vec::new();
    if verdict != head.verdict || verdicts.iter().any(|&v| v != head.verdict) {
        for key in &assumed {
            if let Some(t) = tipping_point(s, &headline, key, &thresholds, opts, extra)? {
                depends_on.push(key.to_string());
                tipping.push(t);
            }
        }
    }
    Ok(ClaimAudit {
        scenario: s.clone(),
        thresholds,
        verdict,
        headline: head,
        corners,
        one_at_a_time,
        depends_on,
        tipping,
        options: opts.clone(),
        data_plots,
    })
}

/// Runs every check at one corner.
fn audit_corner(
    s: &Scenario,
    c: &Corner,
    assumed: &[&str],
    t: &Thresholds,
    opts: &Options,
    keep_null: bool,
    extra: &[CheckResult],
) -> Result<CornerAudit, ScenarioError> {
    let d = corner::design(c).map_err(|e| ScenarioError {
        file: s.path.clone(),
        key: format!("design.{}", e.key),
        problem: e.problem,
    })?;
    let checks = run_checks(s, &d, t, opts, extra);
    let verdict = corner_verdict(s.claim.direction, &checks.0);
    Ok(CornerAudit {
        assumptions: assumed
            .iter()
            .map(|&k| (k.to_string(), c[k].to_string()))
            .collect(),
        verdict,
        checks: checks.0,
        null_values: if keep_null { checks.1 } else { Vec::new() },
    })
}

/// Checks 1-6 at one design, then the data checks `extra`; also returns the null
/// replicate values.
fn run_checks(
    s: &Scenario,
    d: &Design,
    t: &Thresholds,
    opts: &Options,
    extra: &[CheckResult],
) -> (Vec<CheckResult>, Vec<f64>) {
    let (null, null_values, cindex_interval) = null_check::check(&s.claim, d, t, opts);
    let prec = precision::check(&s.claim, d, cindex_interval, t.narrow_ratio);
    let dev = size::development(&s.claim, d, &prec, t);
    let val = size::validation(&s.claim, d, t);
    let flags = flags::check(&s.claim, d);
    let base = null_check::baseline(&s.claim, d, &null);
    let mut checks = vec![null, prec, dev, val, flags, base];
    checks.extend(extra.iter().cloned());
    (checks, null_values)
}

/// The verdict at the headline corner with `key` set to `v`.
fn verdict_with(
    s: &Scenario,
    headline: &Corner,
    key: &str,
    v: Value,
    t: &Thresholds,
    opts: &Options,
    extra: &[CheckResult],
) -> Result<Verdict, ScenarioError> {
    let mut c = headline.clone();
    c.insert(key.to_string(), v);
    let d = corner::design(&c).map_err(|e| ScenarioError {
        file: s.path.clone(),
        key: format!("design.{}", e.key),
        problem: e.problem,
    })?;
    Ok(corner_verdict(
        s.claim.direction,
        &run_checks(s, &d, t, opts, extra).0,
    ))
}

/// Largest number of bisection steps for a numeric tipping value.
const TIPPING_STEPS: usize = 6;

/// Where the verdict flips along `key` with the other assumptions at their headline
/// values: bisection between the range's ends for numbers, each listed value for enums.
fn tipping_point(
    s: &Scenario,
    headline: &Corner,
    key: &str,
    t: &Thresholds,
    opts: &Options,
    extra: &[CheckResult],
) -> Result<Option<Tipping>, ScenarioError> {
    match &s.design[key] {
        Spec::Fixed(_) => Ok(None),
        Spec::Choices(vals) => {
            let mut seen = Vec::new();
            for v in vals {
                seen.push((
                    v.clone(),
                    verdict_with(s, headline, key, v.clone(), t, opts, extra)?,
                ));
            }
            if seen.iter().all(|(_, v)| *v == seen[0].1) {
                return Ok(None);
            }
            let text = seen
                .iter()
                .map(|(v, verdict)| format!("{key} = {v}: {}", verdict.as_str()))
                .collect::<Vec<_>>()
                .join("; ");
            Ok(Some(Tipping {
                key: key.to_string(),
                text,
                from: None,
                to: None,
            }))
        }
        Spec::Range(lo, hi) => {
            let count = corner::is_count(key);
            let at = |x: f64| verdict_with(s, headline, key, Value::Num(x), t, opts, extra);
            let (mut a, mut b) = (*lo, *hi);
            let (va, vb) = (at(a)?, at(b)?);
            if va == vb {
                return Ok(None);
            }
            let tol = if count { 1.0 } else { (hi - lo) / 100.0 };
            for _ in 0..TIPPING_STEPS {
                if b - a <= tol {
                    break;
                }
                let m = if count {
                    (0.5 * (a + b)).floor()
                } else {
                    0.5 * (a + b)
                };
                if m <= a || m >= b {
                    break;
                }
                if at(m)? == va {
                    a = m;
                } else {
                    b = m;
                }
            }
            let f = crate::table::fmt_num;
            let text = format!(
                "{key}: {} at {} and below, {} from {} up",
                va.as_str(),
                f(a),
                vb.as_str(),
                f(b)
            );
            Ok(Some(Tipping {
                key: key.to_string(),
                text,
                from: Some(a),
                to: Some(b),
            }))
        }
    }
}

/// The scenario files under a path: the file itself, or every `*.toml` below a folder,
/// sorted by path.
///
/// # Errors
/// An I/O error naming the path when it cannot be listed.
pub fn scenario_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
