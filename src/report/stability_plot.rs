//! SVG plots of a stability screen: every feature's ICC ranked with its interval, coloured
//! by family, and the share of robust features per family.
//!
//! # Limitations
//! Plotters measures label text with a TrueType font registered at run time: the file
//! named by `RADAUDIT_FONT`, else DejaVu Sans from the usual system folders.
//! TODO(report): bundle DejaVu Sans in the crate so plots do not depend on system fonts.
//! Values outside the plotted range (an ICC of `-inf`, a bound below -1) are drawn at the
//! lower edge; NaN estimates (degenerate features) are left out of the ranked plot and
//! counted as not robust in the share plot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::stats::icc::IccForm;
use crate::stats::stability::StabilityReport;
use crate::table::write_atomic;

/// Errors from drawing or writing plots.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("no font for plot labels: set RADAUDIT_FONT to a .ttf file (tried {tried})")]
    NoFont { tried: String },
    #[error("drawing {plot}: {message}")]
    Draw { plot: String, message: String },
    #[error(transparent)]
    Write(#[from] crate::table::TableError),
}

/// Paths searched for a TrueType font after `RADAUDIT_FONT`.
const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Ten distinguishable colours (Tableau 10), cycled over families.
const COLOURS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    let (r, g, b) = COLOURS[i % COLOURS.len()];
    RGBColor(r, g, b)
}

/// Registers a font for label layout once per process.
fn ensure_font() -> Result<(), PlotError> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = FONT.get_or_init(|| {
        let mut tried: Vec<String> = Vec::new();
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(p) = std::env::var_os("RADAUDIT_FONT") {
            candidates.push(PathBuf::from(p));
        }
        candidates.extend(FONT_PATHS.iter().map(PathBuf::from));
        for p in candidates {
            tried.push(p.display().to_string());
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            // Plotters keeps fonts for the process lifetime: leak the bytes once.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font(
                "sans-serif",
                plotters::style::FontStyle::Normal,
                bytes,
            )
            .is_ok()
            {
                return Ok(());
            }
        }
        Err(tried.join(", "))
    });
    result.clone().map_err(|tried| PlotError::NoFont { tried })
}

fn draw_err<E: std::fmt::Display>(plot: &str) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError::Draw {
        plot: plot.to_string(),
        message: e.to_string(),
    }
}

/// The families of the report in order of first appearance, with their colour index.
fn families(report: &StabilityReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &report.rows {
        if !out.contains(&r.family) {
            out.push(r.family.clone());
        }
    }
    out
}

/// SVG: the ICC of every feature under `form`, ranked from lowest to highest, with its
/// interval as a vertical bar, coloured by family, and the threshold as a dashed line.
///
/// # Errors
/// [`PlotError::NoFont`], [`PlotError::Draw`].
pub fn ranked_icc_svg(
    report: &StabilityReport,
    form: IccForm,
    threshold: f64,
) -> Result<String, PlotError> {
    ensure_font()?;
    let fams = families(report);
    let mut pts: Vec<(f64, f64, f64, usize)> = report
        .rows
        .iter()
        .filter(|r| r.form == form)
        .filter_map(|r| {
            let e = r.estimate.as_ref().ok()?;
            if e.icc.is_nan() {
                return None;
            }
            let fam = fams.iter().position(|f| f == &r.family).unwrap_or(0);
            Some((e.icc, e.ci_lower, e.ci_upper, fam))
        })
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));

    let finite_low = pts
        .iter()
        .flat_map(|p| [p.0, p.1])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    let y_min = (finite_low.max(-1.0) * 10.0).floor() / 10.0 - 0.05;
    let clamp = |v: f64| if v.is_nan() { v } else { v.max(y_min) };
    let n = pts.len().max(1) as f64;

    let title = format!(
        "{} (McGraw-Wong {}) of {} features, ranked, with {:.0}% intervals",
        form.shrout_fleiss(),
        form.mcgraw_wong(),
        pts.len(),
        report.config.confidence * 100.0
    );
    let name = "ranked ICC";
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err(name))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..n - 0.5, y_min..1.02f64)
            .map_err(draw_err(name))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(1)
            .x_label_formatter(&|x: &f64| format!("{x:.0}"))
            .x_desc("feature rank (lowest ICC first)")
            .y_desc(format!("{} with interval", form.shrout_fleiss()))
            .draw()
            .map_err(draw_err(name))?;

        // Intervals first, points on top.
        chart
            .draw_series(
                pts.iter()
                    .enumerate()
                    .filter(|(_, p)| !p.1.is_nan())
                    .map(|(i, p)| {
                        let x = i as f64;
                        PathElement::new(
                            vec![(x, clamp(p.1)), (x, clamp(p.2))],
                            colour(p.3).mix(0.45).stroke_width(1),
                        )
                    }),
            )
            .map_err(draw_err(name))?;
        for (fi, fam) in fams.iter().enumerate() {
            let c = colour(fi);
            chart
                .draw_series(
                    pts.iter()
                        .enumerate()
                        .filter(|(_, p)| p.3 == fi)
                        .map(|(i, p)| Circle::new((i as f64, clamp(p.0)), 2, c.filled())),
                )
                .map_err(draw_err(name))?
                .label(fam.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
        }
        chart
            .draw_series(DashedLineSeries::new(
                vec![(-0.5, threshold), (n - 0.5, threshold)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(draw_err(name))?
            .label(format!("threshold {threshold}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
        // Ranked lowest first, the points rise to the right: the lower right is empty.
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(draw_err(name))?;
        root.present().map_err(draw_err(name))?;
    }
    Ok(svg)
}

/// SVG: per family, the share of its features that are robust under `form`, with the
/// count on each bar.
///
/// # Errors
/// [`PlotError::NoFont`], [`PlotError::Draw`].
pub fn robust_share_svg(report: &StabilityReport, form: IccForm) -> Result<String, PlotError> {
    ensure_font()?;
    let fams = families(report);
    let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for r in report.rows.iter().filter(|r| r.form == form) {
        let fi = fams.iter().position(|f| f == &r.family).unwrap_or(0);
        let e = counts.entry(fi).or_insert((0, 0));
        e.0 += usize::from(r.robust);
        e.1 += 1;
    }
    let nf = fams.len().max(1) as f64;
    let rule = match report.config.rule {
        crate::stats::stability::Rule::Point => "ICC",
        crate::stats::stability::Rule::Lower => "interval lower bound",
    };
    let title = format!(
        "Share of robust features per family ({}: {rule} >= {})",
        form.shrout_fleiss(),
        report.config.threshold
    );
    let name = "robust share";
    let labels = fams.clone();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err(name))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..nf - 0.5, 0f64..1.08f64)
            .map_err(draw_err(name))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(fams.len().max(1) * 2 + 1)
            .x_label_formatter(&|x: &f64| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("feature family")
            .y_desc("share robust")
            .draw()
            .map_err(draw_err(name))?;
        chart
            .draw_series(counts.iter().map(|(&fi, &(rob, tot))| {
                let share = rob as f64 / tot.max(1) as f64;
                let x = fi as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, share)], colour(fi).filled())
            }))
            .map_err(draw_err(name))?;
        chart
            .draw_series(counts.iter().map(|(&fi, &(rob, tot))| {
                let share = rob as f64 / tot.max(1) as f64;
                Text::new(
                    format!("{rob}/{tot}"),
                    (fi as f64 - 0.2, (share + 0.05).min(1.06)),
                    ("sans-serif", 13),
                )
            }))
            .map_err(draw_err(name))?;
        root.present().map_err(draw_err(name))?;
    }
    Ok(svg)
}

/// Writes both plots for every form of the report into `dir`:
/// `icc_ranked_<form>.svg` and `robust_share_<form>.svg` (form as `1-1`, `2-k`, ...).
///
/// # Errors
/// As the plot functions; [`PlotError::Write`] when a file cannot be written.
pub fn write_stability_plots(
    report: &StabilityReport,
    dir: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for &form in &report.config.forms {
        let tag = form
            .shrout_fleiss()
            .trim_start_matches("ICC(")
            .trim_end_matches(')');
        let tag = tag.replace(',', "-");
        let ranked = dir.join(format!("icc_ranked_{tag}.svg"));
        write_atomic(
            &ranked,
            ranked_icc_svg(report, form, report.config.threshold)?.as_bytes(),
        )?;
        let share = dir.join(format!("robust_share_{tag}.svg"));
        write_atomic(&share, robust_share_svg(report, form)?.as_bytes())?;
        written.push(ranked);
        written.push(share);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::stability::{screen, StabilityConfig};
    use crate::table::{LongRecord, LongTable};

    #[test]
    fn plots_render_with_every_family_in_the_legend() {
        let mut t = LongTable {
            source: PathBuf::from("mem"),
            cases: (0..6).map(|i| format!("c{i}")).collect(),
            raters: (0..3)
                .map(|j| ("noise".to_string(), j.to_string()))
                .collect(),
            features: vec!["glcm.a".into(), "glcm.b".into(), "stat.mean".into()],
            records: Vec::new(),
        };
        for f in 0..3u32 {
            for c in 0..6u32 {
                for r in 0..3u32 {
                    let value = c as f64 + 0.3 * f as f64 * ((c * 7 + r * 3) % 5) as f64;
                    t.records.push(LongRecord {
                        case: c,
                        rater: r,
                        feature: f,
                        value,
                        line: 0,
                    });
                }
            }
        }
        let rep = screen(&t, &StabilityConfig::default()).unwrap();
        let svg = ranked_icc_svg(&rep, IccForm::ICC1_1, 0.75).unwrap();
        assert!(svg.contains("<svg") && svg.contains("glcm") && svg.contains("stat"));
        let share = robust_share_svg(&rep, IccForm::ICC1_1).unwrap();
        assert!(
            share.contains("/2") && share.contains("/1"),
            "counts on bars"
        );
    }
}
