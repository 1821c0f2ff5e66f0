//! SVG plots for reports (plotters' SVG backend).
//!
//! Text is laid out with DejaVu Sans, bundled in `assets/fonts` (licence beside it) and
//! registered once as "sans-serif", so the output does not depend on the fonts installed.
//! The SVG holds no timestamps or paths: the same values give byte-identical files.

use std::sync::Once;

use plotters::prelude::*;

static FONT: Once = Once::new();

/// Registers the bundled font for plotters' text layout (idempotent).
pub(crate) fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_err() {
            tracing::warn!("the bundled DejaVu Sans font could not be parsed; plots lack text");
        }
    });
}

/// Bins of a histogram: 40 equal bins over the data, the claimed value and `q95`.
struct Bins {
    lo: f64,
    width: f64,
    counts: Vec<u32>,
}

fn bins(values: &[f64], marks: &[f64]) -> Bins {
    const N_BINS: usize = 40;
    let finite = values
        .iter()
        .chain(marks)
        .copied()
        .filter(|v| v.is_finite());
    let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 { 0.03 * span } else { 0.01 };
    lo -= pad;
    hi += pad;
    let width = (hi - lo) / N_BINS as f64;
    let mut counts = vec![0u32; N_BINS];
    for v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / width) as usize).min(N_BINS - 1);
        counts[i] += 1;
    }
    Bins { lo, width, counts }
}

/// Histogram of a null distribution with its 95th percentile and the claimed value
/// marked, as an SVG document.
///
/// `metric` labels the x axis ("auc", "c-index"). Non-finite values are left out of the
/// bars, and a non-finite `q95` or claimed value is not marked. Should plotters fail to draw (it does not with the bundled font), the returned
/// SVG states the error in place of the plot, and a warning is logged.
pub fn null_histogram_svg(values: &[f64], claimed: Option<f64>, q95: f64, metric: &str) -> String {
    register_font();
    let mut svg = String::new();
    let drawn = draw_histogram(&mut svg, values, claimed, q95, metric);
    match drawn {
        Ok(()) => svg,
        Err(e) => {
            tracing::warn!("null histogram not drawn: {e}");
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"60\">\
                 <text x=\"10\" y=\"30\">null histogram not drawn: {}</text></svg>\n",
                e.replace('&', "&amp;").replace('<', "&lt;")
            )
        }
    }
}

fn draw_histogram(
    svg: &mut String,
    values: &[f64],
    claimed: Option<f64>,
    q95: f64,
    metric: &str,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let marks: Vec<f64> = std::iter::once(q95).chain(claimed).collect();
    let b = bins(values, &marks);
    let hi = b.lo + b.width * b.counts.len() as f64;
    let ymax = b.counts.iter().copied().max().unwrap_or(0).max(1) + 1;
    let bar = RGBColor(130, 160, 210);
    let q_colour = RGBColor(200, 40, 40);

    let root = SVGBackend::with_string(svg, (720, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Null distribution: {metric} on random features"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(b.lo..hi, 0u32..ymax)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .disable_x_mesh()
        .disable_y_mesh()
        .x_desc(metric)
        .y_desc("replicates")
        .x_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(|e| err(&e))?;

    let n = values.iter().filter(|v| v.is_finite()).count();
    chart
        .draw_series(
            b.counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, &c)| {
                    let x0 = b.lo + i as f64 * b.width;
                    Rectangle::new([(x0, 0), (x0 + b.width, c)], bar.filled())
                }),
        )
        .map_err(|e| err(&e))?
        .label(format!("null, {n} replicates"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], bar.filled()));
    if q95.is_finite() {
        chart
            .draw_series(LineSeries::new(
                [(q95, 0), (q95, ymax)],
                q_colour.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(format!("95th percentile {q95:.3}"))
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], q_colour.stroke_width(2))
            });
    }
    if let Some(c) = claimed.filter(|c| c.is_finite()) {
        chart
            .draw_series(LineSeries::new([(c, 0), (c, ymax)], BLACK.stroke_width(3)))
            .map_err(|e| err(&e))?
            .label(format!("claimed {c:.3}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_values_and_marks() {
        let b = bins(&[0.5, 0.6, 0.7], &[0.9]);
        assert!(b.lo < 0.5 && b.lo + b.width * 40.0 > 0.9);
        assert_eq!(b.counts.iter().sum::<u32>(), 3);
    }

    #[test]
    fn histogram_svg_has_bars_labels_and_is_deterministic() {
        let v: Vec<f64> = (0..200).map(|i| 0.4 + 0.2 * (i as f64 / 199.0)).collect();
        let a = null_histogram_svg(&v, Some(0.8), 0.59, "auc");
        let b = null_histogram_svg(&v, Some(0.8), 0.59, "auc");
        assert_eq!(a, b);
        assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(200)]);
        assert!(a.contains("claimed 0.800"));
        assert!(a.contains("95th percentile 0.590"));
        assert!(a.contains("<rect"));
        assert!(!a.contains("not drawn"));
    }
}
