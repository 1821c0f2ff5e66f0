//! `radaudit samplesize development|validation|reliability`: sample-size criteria.
//!
//! Thin layer over `crate::samplesize`: flags are checked (each error names its flag), the
//! library computes, and the result is printed as text or, with `--json`, as JSON with
//! numbers rounded to 10 significant digits.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::samplesize::bonett::{bonett_icc_n, ReliabilitySize};
use crate::samplesize::cstat::r2cs_from_cstat;
use crate::samplesize::riley::{
    self, BinaryInput, ContinuousInput, DevelopmentSize, SurvivalInput, DEFAULT_MMOE,
    DEFAULT_RISK_MARGIN,
};
use crate::samplesize::validation::{validation, LpDistribution, ValidationInput, ValidationSize};
use crate::table::round_sig;

/// Sample-size calculations for prediction-model and reliability studies.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    radaudit samplesize development --outcome binary --prevalence 0.174 \\\n    \
    --parameters 24 --r2cs 0.288 --n 500\n  \
    radaudit samplesize validation --cstat 0.8 --prevalence 0.018 --lp-mean -5 \\\n    \
    --lp-sd 2.5 --oe-width 1\n  \
    radaudit samplesize reliability --icc 0.8 --raters 2 --width 0.2")]
pub struct Args {
    #[command(subcommand)]
    pub which: Which,
}

/// Which calculation.
#[derive(Debug, Subcommand)]
pub enum Which {
    /// Riley et al. (2020) criteria for developing a prediction model.
    Development(DevelopmentArgs),
    /// Riley et al. (2021) criteria for externally validating a binary-outcome model.
    Validation(ValidationArgs),
    /// Bonett (2002) subjects for an ICC reliability study.
    Reliability(ReliabilityArgs),
}

/// Outcome type of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutcomeArg {
    Binary,
    Survival,
    Continuous,
}

/// Flags of `samplesize development`.
#[derive(Debug, clap::Args)]
pub struct DevelopmentArgs {
    /// Outcome type.
    #[arg(long, value_enum)]
    pub outcome: OutcomeArg,
    /// Candidate predictor parameters.
    #[arg(long)]
    pub parameters: u32,
    /// Anticipated Cox-Snell R-squared (binary, survival).
    #[arg(long, conflicts_with = "cstat")]
    pub r2cs: Option<f64>,
    /// Reported C-statistic, converted to R2_CS (binary; Riley et al. 2021).
    #[arg(long)]
    pub cstat: Option<f64>,
    /// Outcome proportion (binary).
    #[arg(long)]
    pub prevalence: Option<f64>,
    /// Event rate per time unit (survival).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Time point of interest (survival).
    #[arg(long)]
    pub timepoint: Option<f64>,
    /// Mean follow-up (survival).
    #[arg(long)]
    pub meanfup: Option<f64>,
    /// Anticipated adjusted R-squared (continuous).
    #[arg(long)]
    pub r2adj: Option<f64>,
    /// Mean outcome value (continuous).
    #[arg(long, allow_negative_numbers = true)]
    pub intercept: Option<f64>,
    /// Outcome standard deviation (continuous).
    #[arg(long)]
    pub sd: Option<f64>,
    /// Multiplicative margin of error (continuous).
    #[arg(long, default_value_t = DEFAULT_MMOE)]
    pub mmoe: f64,
    /// Target expected shrinkage.
    #[arg(long, default_value_t = riley::DEFAULT_SHRINKAGE)]
    pub shrinkage: f64,
    /// Show the expected shrinkage at this sample size.
    #[arg(long)]
    pub n: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `samplesize validation`.
#[derive(Debug, clap::Args)]
pub struct ValidationArgs {
    /// Anticipated C-statistic.
    #[arg(long)]
    pub cstat: f64,
    /// Outcome proportion.
    #[arg(long)]
    pub prevalence: f64,
    /// Mean of a normal linear predictor (with --lp-sd); default: the calibrated binormal
    /// predictor implied by --cstat and --prevalence.
    #[arg(long, allow_negative_numbers = true, requires = "lp_sd")]
    pub lp_mean: Option<f64>,
    /// SD of a normal linear predictor (with --lp-mean).
    #[arg(long, requires = "lp_mean")]
    pub lp_sd: Option<f64>,
    /// Anticipated observed/expected ratio.
    #[arg(long, default_value_t = 1.0)]
    pub oe: f64,
    /// Target 95% interval width for O/E.
    #[arg(long, default_value_t = 0.2)]
    pub oe_width: f64,
    /// Target 95% interval width for the calibration slope.
    #[arg(long, default_value_t = 0.2)]
    pub slope_width: f64,
    /// Target 95% interval width for the C-statistic.
    #[arg(long, default_value_t = 0.1)]
    pub cstat_width: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `samplesize reliability`.
#[derive(Debug, clap::Args)]
pub struct ReliabilityArgs {
    /// Planning value of the ICC.
    #[arg(long)]
    pub icc: f64,
    /// Ratings per subject (raters or repeated measurements).
    #[arg(long)]
    pub raters: u32,
    /// Desired width of the confidence interval.
    #[arg(long)]
    pub width: f64,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// JSON document of `samplesize development`.
#[derive(Debug, Serialize)]
struct DevelopmentReport {
    /// Where R2 came from ("given" or "from C-statistic").
    r2_source: &'static str,
    /// The C-statistic it was derived from.
    cstat: Option<f64>,
    /// The result.
    result: DevelopmentSize,
    /// `--n` and the expected shrinkage there.
    at_n: Option<AtN>,
}

#[derive(Debug, Serialize)]
struct AtN {
    n: u64,
    expected_shrinkage: f64,
}

/// Runs `radaudit samplesize`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.which {
        Which::Development(a) => development(a),
        Which::Validation(a) => validation_cmd(a),
        Which::Reliability(a) => reliability(a),
    }
}

/// Returns the flag's value or an error naming it.
fn need(value: Option<f64>, flag: &str, outcome: &str) -> anyhow::Result<f64> {
    value.with_context(|| format!("{flag} is required for --outcome {outcome}"))
}

/// Checks that a flag is finite and strictly inside (lo, hi).
fn within(value: f64, flag: &str, lo: f64, hi: f64) -> anyhow::Result<f64> {
    if !(value.is_finite() && value > lo && value < hi) {
        if hi.is_infinite() {
            bail!("{flag} = {value}: expected a number greater than {lo}");
        }
        bail!("{flag} = {value}: expected a number strictly between {lo} and {hi}");
    }
    Ok(value)
}

fn development(a: DevelopmentArgs) -> anyhow::Result<ExitCode> {
    within(a.shrinkage, "--shrinkage", 0.0, 1.0)?;
    if a.parameters == 0 {
        bail!("--parameters must be at least 1");
    }

    let (r2_source, result) = match a.outcome {
        OutcomeArg::Binary => {
            let prevalence = within(
                need(a.prevalence, "--prevalence", "binary")?,
                "--prevalence",
                0.0,
                1.0,
            )?;
            let (source, r2cs) = match (a.r2cs, a.cstat) {
                (Some(r2), None) => ("given", within(r2, "--r2cs", 0.0, 1.0)?),
                (None, Some(c)) => {
                    let r2 = r2cs_from_cstat(c, prevalence).context("--cstat")?;
                    ("from C-statistic, Riley, Van Calster & Collins 2021", r2)
                }
                _ => bail!("give exactly one of --r2cs and --cstat for --outcome binary"),
            };
            let input = BinaryInput {
                r2cs,
                parameters: a.parameters,
                prevalence,
                shrinkage: a.shrinkage,
                risk_margin: DEFAULT_RISK_MARGIN,
            };
            (
                source,
                riley::binary(&input).context("--r2cs/--cstat, --shrinkage, --prevalence")?,
            )
        }
        OutcomeArg::Survival => {
            if a.cstat.is_some() {
                bail!("--cstat is only supported for --outcome binary; give --r2cs");
            }
            let r2cs = within(need(a.r2cs, "--r2cs", "survival")?, "--r2cs", 0.0, 1.0)?;
            let inf = f64::INFINITY;
            let input = SurvivalInput {
                r2cs,
                parameters: a.parameters,
                rate: within(need(a.rate, "--rate", "survival")?, "--rate", 0.0, inf)?,
                timepoint: within(
                    need(a.timepoint, "--timepoint", "survival")?,
                    "--timepoint",
                    0.0,
                    inf,
                )?,
                meanfup: within(
                    need(a.meanfup, "--meanfup", "survival")?,
                    "--meanfup",
                    0.0,
                    inf,
                )?,
                shrinkage: a.shrinkage,
            };
            (
                "given",
                riley::survival(&input).context("--r2cs, --shrinkage, --rate, --meanfup")?,
            )
        }
        OutcomeArg::Continuous => {
            if a.cstat.is_some() || a.r2cs.is_some() {
                bail!("--outcome continuous takes --r2adj (not --r2cs or --cstat)");
            }
            let r2adj = within(need(a.r2adj, "--r2adj", "continuous")?, "--r2adj", 0.0, 1.0)?;
            let intercept = need(a.intercept, "--intercept", "continuous")?;
            if !intercept.is_finite() || intercept == 0.0 {
                bail!("--intercept = {intercept}: expected a finite non-zero mean outcome");
            }
            let input = ContinuousInput {
                r2adj,
                parameters: a.parameters,
                intercept,
                sd: within(
                    need(a.sd, "--sd", "continuous")?,
                    "--sd",
                    0.0,
                    f64::INFINITY,
                )?,
                shrinkage: a.shrinkage,
                mmoe: within(a.mmoe, "--mmoe", 1.0, f64::INFINITY)?,
            };
            (
                "given",
                riley::continuous(&input).context("--r2adj, --shrinkage")?,
            )
        }
    };

    let at_n = match a.n {
        None => None,
        Some(n) => {
            let s = match a.outcome {
                OutcomeArg::Continuous => {
                    riley::expected_shrinkage_continuous(n, a.parameters, result.r2)
                }
                _ => riley::expected_shrinkage(n, a.parameters, result.r2),
            }
            .context("--n")?;
            Some(AtN {
                n,
                expected_shrinkage: s,
            })
        }
    };

    let report = DevelopmentReport {
        r2_source,
        cstat: a.cstat,
        result,
        at_n,
    };
    if a.json {
        print_json(&report)?;
    } else {
        print!("{}", development_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// Text rendering of a development result.
fn development_text(r: &DevelopmentReport) -> String {
    let d = &r.result;
    let mut s = String::new();
    let kind = match d.outcome {
        riley::OutcomeKind::Binary => "binary",
        riley::OutcomeKind::Survival => "time-to-event",
        riley::OutcomeKind::Continuous => "continuous",
    };
    s += &format!("Development sample size (Riley et al. 2020), {kind} outcome\n");
    match d.outcome {
        riley::OutcomeKind::Continuous => {
            s += &format!("  adjusted R2 {}, {} parameters\n", d.r2, d.parameters);
        }
        _ => {
            match r.cstat {
                Some(c) => s += &format!("  R2_CS {:.4} derived from C = {c}", d.r2),
                None => s += &format!("  R2_CS {:.4}", d.r2),
            }
            s += &format!(", {} parameters\n", d.parameters);
            if r.cstat.is_some() {
                s += "  (binormal linear predictor; Riley, Van Calster & Collins 2021)\n";
            }
            if let (Some(m), Some(nk)) = (d.max_r2cs, d.nagelkerke_r2) {
                s += &format!("  max R2_CS {m:.4}, Nagelkerke R2 {nk:.4}\n");
            }
        }
    }
    for c in &d.criteria {
        s += &format!(
            "  criterion {}: n = {:>6}  {}\n",
            c.number, c.n, c.description
        );
    }
    let binding: Vec<String> = d.binding.iter().map(|b| b.to_string()).collect();
    s += &format!("  binding: criterion {}\n", binding.join(" and "));
    s += &format!("  minimum n = {}", d.n);
    match d.events {
        Some(e) => {
            s += &format!(
                ", events {e:.1}, events per parameter {:.2}",
                d.per_parameter
            )
        }
        None => s += &format!(", subjects per parameter {:.2}", d.per_parameter),
    }
    s += &format!(", shrinkage {:.3}\n", d.shrinkage);
    if let Some(ip) = d.intercept_precision {
        s += &format!(
            "  intercept 95% CI {:.3} to {:.3} (MMOE {:.4})\n",
            ip.lower, ip.upper, ip.mmoe
        );
    }
    if let Some(at) = &r.at_n {
        s += &format!(
            "  expected shrinkage at n = {}: {:.3}{}\n",
            at.n,
            at.expected_shrinkage,
            if at.n < d.n {
                " (below the required n: overfitting expected)"
            } else {
                ""
            }
        );
    }
    s
}

fn validation_cmd(a: ValidationArgs) -> anyhow::Result<ExitCode> {
    within(a.cstat, "--cstat", 0.5, 1.0)?;
    within(a.prevalence, "--prevalence", 0.0, 1.0)?;
    within(a.oe, "--oe", 0.0, f64::INFINITY)?;
    within(a.oe_width, "--oe-width", 0.0, f64::INFINITY)?;
    within(a.slope_width, "--slope-width", 0.0, f64::INFINITY)?;
    within(a.cstat_width, "--cstat-width", 0.0, 1.0)?;
    let lp = match (a.lp_mean, a.lp_sd) {
        (Some(mean), Some(sd)) => {
            if !mean.is_finite() {
                bail!("--lp-mean = {mean}: expected a finite number");
            }
            LpDistribution::Normal {
                mean,
                sd: within(sd, "--lp-sd", 0.0, f64::INFINITY)?,
            }
        }
        _ => LpDistribution::Binormal,
    };
    let input = ValidationInput {
        c: a.cstat,
        prevalence: a.prevalence,
        lp,
        oe: a.oe,
        oe_ci_width: a.oe_width,
        cslope_ci_width: a.slope_width,
        cstat_ci_width: a.cstat_width,
    };
    let r = validation(&input).context("samplesize validation")?;
    if a.json {
        print_json(&r)?;
    } else {
        print!("{}", validation_text(&r, &input));
    }
    Ok(ExitCode::SUCCESS)
}

fn validation_text(r: &ValidationSize, input: &ValidationInput) -> String {
    let mut s = String::from("Validation sample size (Riley et al. 2021), binary outcome\n");
    let lp = match r.lp {
        LpDistribution::Normal { mean, sd } => format!("normal LP, mean {mean}, SD {sd}"),
        LpDistribution::Binormal => "calibrated binormal LP implied by C and prevalence".into(),
    };
    s += &format!("  C {}, prevalence {}, {lp}\n", input.c, input.prevalence);
    for c in &r.criteria {
        s += &format!(
            "  criterion {}: n = {:>6}  {} (95% CI width {}, SE {:.4})\n",
            c.number, c.n, c.description, c.ci_width, c.se
        );
    }
    let binding: Vec<String> = r.binding.iter().map(|b| b.to_string()).collect();
    s += &format!("  binding: criterion {}\n", binding.join(" and "));
    s += &format!("  minimum n = {}, events {:.1}\n", r.n, r.events);
    s
}

fn reliability(a: ReliabilityArgs) -> anyhow::Result<ExitCode> {
    if !(a.icc.is_finite() && (0.0..1.0).contains(&a.icc)) {
        bail!("--icc = {}: expected a planning ICC in [0, 1)", a.icc);
    }
    if a.raters < 2 {
        bail!(
            "--raters = {}: an ICC needs at least 2 ratings per subject",
            a.raters
        );
    }
    within(a.width, "--width", 0.0, 2.0)?;
    within(a.level, "--level", 0.0, 1.0)?;
    let r: ReliabilitySize =
        bonett_icc_n(a.icc, a.raters, a.width, a.level).context("samplesize reliability")?;
    if a.json {
        print_json(&r)?;
    } else {
        println!("Reliability study size (Bonett 2002)");
        println!(
            "  ICC {}, {} ratings per subject, {}% interval width {}",
            r.rho,
            r.k,
            r.level * 100.0,
            r.width
        );
        println!("  subjects required: {} (formula {:.2})", r.n, r.n_exact);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints `value` as pretty JSON with every float rounded to 10 significant digits.
fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(value).context("serialising the result")?;
    round_floats(&mut v);
    println!(
        "{}",
        serde_json::to_string_pretty(&v).context("serialising the result")?
    );
    Ok(())
}

fn round_floats(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n
                .as_f64()
                .and_then(|x| serde_json::Number::from_f64(round_sig(x, 10)))
            {
                *n = x;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(round_floats),
        serde_json::Value::Object(o) => o.values_mut().for_each(round_floats),
        _ => {}
    }
}
