//! The ICC of a claim's selected features (audit check 10) as a forest plot: one row per
//! feature (and ICC form, when the stability table has several), the estimate as a dot,
//! its interval as a bar, and the robustness threshold as a dashed line. Dots are green
//! when the stability table marks the row robust, red otherwise, so the colours agree with
//! the table whatever threshold or rule it was screened with. Deterministic: the same
//! points give byte-identical SVG.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::audit::data::IccPoint;

/// Colours of robust and non-robust rows (Tableau green and red).
const ROBUST: RGBColor = RGBColor(44, 160, 44);
const NOT_ROBUST: RGBColor = RGBColor(214, 39, 40);

/// Pixels per row, and the font size of the feature names (plotters writes text at about
/// 0.8 of the size given: 17 is about 13.7 px, near the report's body text).
const ROW: u32 = 32;
const LABEL_FONT: u32 = 17;

/// The SVG of `points` against `threshold` (module docs). Bounds below the plotted range
/// (`-inf`, or below -1) are drawn at its left edge; a row without an estimate says so.
pub fn selected_icc_svg(points: &[IccPoint], threshold: f64, confidence: f64) -> String {
    crate::report::plot::register_font();
    let several_forms = points
        .iter()
        .any(|p| !p.form.is_empty() && p.form != points[0].form);
    let labels: Vec<String> = points
        .iter()
        .map(|p| {
            if several_forms {
                format!("{} {}", p.feature, p.form)
            } else {
                p.feature.clone()
            }
        })
        .collect();
    let form = points
        .first()
        .filter(|p| !p.form.is_empty() && !several_forms)
        .map_or("ICC".to_string(), |p| p.form.clone());

    // From 0 (or the lowest finite bound, at least -1) to 1.
    let low = points
        .iter()
        .flat_map(|p| [p.icc, p.lower])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min)
        .max(-1.0);
    let x_min = (low * 10.0).floor() / 10.0;
    let clamp = |v: f64| v.clamp(x_min, 1.0);

    // Wide enough for the longest name at about 0.5 em per character; with the plot area
    // the figure stays within the report's 60 em column (880 px beside the figure margins).
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    let label_width = (longest * LABEL_FONT / 2 + 24).clamp(120, 440);
    let n = points.len().max(1);
    // Caption, axis and the legend row under it.
    let height = 190 + ROW * n as u32;
    let title = format!(
        "{form} of the selected features with {:.0}% intervals",
        100.0 * confidence
    );

    let mut svg = String::new();
    let drawn = (|| -> Result<(), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let root = SVGBackend::with_string(&mut svg, ((label_width + 420).max(760), height))
            .into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 21))
            .margin(14)
            .margin_bottom(44)
            .x_label_area_size(52)
            .y_label_area_size(label_width)
            // A little room right of 1, so a dot at 1 is not cut.
            .build_cartesian_2d(x_min..1.04f64, -0.5f64..n as f64 - 0.5)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(1)
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&|x: &f64| {
                if *x > 1.0 {
                    String::new()
                } else {
                    format!("{x:.1}")
                }
            })
            .x_desc(format!(
                "{form} (dot) and {:.0}% interval (bar)",
                100.0 * confidence
            ))
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(|e| err(&e))?;

        // The threshold under the marks.
        chart
            .draw_series(DashedLineSeries::new(
                vec![(threshold, -0.5), (threshold, n as f64 - 0.5)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(|e| err(&e))?;

        // First feature at the top.
        let y = |i: usize| (n - 1 - i) as f64;
        let name_style = TextStyle::from(("sans-serif", LABEL_FONT).into_font())
            .pos(Pos::new(HPos::Right, VPos::Center));
        chart
            .draw_series(labels.iter().enumerate().map(|(i, l)| {
                EmptyElement::at((x_min, y(i))) + Text::new(l.clone(), (-10, 0), name_style.clone())
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.lower.is_finite() || p.upper.is_finite())
                    .map(|(i, p)| {
                        let c = if p.robust { ROBUST } else { NOT_ROBUST };
                        let (a, b) = (clamp(p.lower), clamp(p.upper));
                        PathElement::new(vec![(a, y(i)), (b, y(i))], c.stroke_width(3))
                    }),
            )
            .map_err(|e| err(&e))?;
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.icc.is_finite())
                    .map(|(i, p)| {
                        let c = if p.robust { ROBUST } else { NOT_ROBUST };
                        Circle::new((clamp(p.icc), y(i)), 6, c.filled())
                    }),
            )
            .map_err(|e| err(&e))?;
        let note_style = TextStyle::from(("sans-serif", LABEL_FONT).into_font())
            .pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(
                points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.icc.is_finite())
                    .map(|(i, _)| {
                        EmptyElement::at((x_min, y(i)))
                            + Text::new("ICC undefined", (10, 0), note_style.clone())
                    }),
            )
            .map_err(|e| err(&e))?;

        // The legend in a row under the plot, where it covers no mark; squares, so the
        // SVG has exactly one circle per dot.
        let legend_style = TextStyle::from(("sans-serif", LABEL_FONT - 1).into_font())
            .pos(Pos::new(HPos::Left, VPos::Center));
        let y_legend = height as i32 - 22;
        let mut x = 14;
        let entries = [
            (Some(ROBUST), "robust in the stability table".to_string()),
            (Some(NOT_ROBUST), "not robust".to_string()),
            (None, format!("robustness threshold {threshold}")),
        ];
        for (c, text) in entries {
            match c {
                Some(c) => root
                    .draw(
                        &(EmptyElement::at((x, y_legend))
                            + Rectangle::new([(0, -6), (12, 6)], c.filled())),
                    )
                    .map_err(|e| err(&e))?,
                None => {
                    for dash in [0, 9, 18] {
                        root.draw(
                            &(EmptyElement::at((x + dash, y_legend))
                                + PathElement::new(vec![(0, 0), (5, 0)], BLACK)),
                        )
                        .map_err(|e| err(&e))?;
                    }
                }
            }
            root.draw(
                &(EmptyElement::at((x + 30, y_legend))
                    + Text::new(text.clone(), (0, 0), legend_style.clone())),
            )
            .map_err(|e| err(&e))?;
            // About 0.45 em per character of the legend font, then a gap.
            x += 30 + (text.chars().count() as i32) * (LABEL_FONT as i32) * 45 / 100 + 28;
        }
        root.present().map_err(|e| err(&e))
    })();
    match drawn {
        Ok(()) => svg,
        Err(e) => {
            tracing::warn!("ICC plot of the selected features not drawn: {e}");
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"60\">\
                 <text x=\"10\" y=\"30\">ICC plot not drawn: {}</text></svg>\n",
                e.replace('&', "&amp;").replace('<', "&lt;")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(feature: &str, icc: f64, robust: bool) -> IccPoint {
        IccPoint {
            feature: feature.to_string(),
            form: "ICC(1,1)".to_string(),
            icc,
            lower: icc - 0.1,
            upper: (icc + 0.05).min(1.0),
            robust,
        }
    }

    #[test]
    fn one_dot_and_one_label_per_feature() {
        let pts = vec![
            point("original_glcm_ClusterShade", 0.95, true),
            point("original_firstorder_Skewness", 0.42, false),
            point("wavelet-LLH_glszm_SmallAreaEmphasis", -0.2, false),
        ];
        let svg = selected_icc_svg(&pts, 0.75, 0.95);
        assert!(
            svg.starts_with("<svg") && !svg.contains("not drawn"),
            "{svg}"
        );
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        for p in &pts {
            assert!(svg.contains(&p.feature), "{} missing", p.feature);
        }
        assert!(svg.contains("robustness threshold 0.75"));
        assert_eq!(selected_icc_svg(&pts, 0.75, 0.95), svg, "not deterministic");
    }
}
