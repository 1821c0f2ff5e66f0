//! SVG plots of a cross-validation run: the ROC curves of the outer folds, a calibration
//! plot of pooled out-of-fold probabilities, and the permutation null with the observed
//! value. Deterministic: the same inputs give byte-identical SVG.

use plotters::prelude::*;

/// Empirical ROC points `(1 - specificity, sensitivity)` of `scores` for `labels`
/// (`true` = case), thresholds at every distinct score from high to low; tied scores form
/// one step (a diagonal segment). Empty when either class is missing.
pub fn roc_points(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let m = labels.iter().filter(|&&l| l).count() as f64;
    let n = labels.len() as f64 - m;
    if m == 0.0 || n == 0.0 {
        return Vec::new();
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut pts = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            if labels[idx[j]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            j += 1;
        }
        pts.push((fp / n, tp / m));
        i = j;
    }
    pts
}

fn fallback(what: &str, e: &str) -> String {
    tracing::warn!("{what} not drawn: {e}");
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"60\">\
         <text x=\"10\" y=\"30\">{what} not drawn: {}</text></svg>\n",
        e.replace('&', "&amp;").replace('<', "&lt;")
    )
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// ROC curves, one per outer fold: `curves[i] = (label, scores, labels)`.
pub fn roc_svg(curves: &[(String, Vec<f64>, Vec<bool>)], title: &str) -> String {
    crate::report::plot::register_font();
    let mut svg = String::new();
    let r = (|| -> Result<(), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (560, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .x_desc("1 - specificity")
            .y_desc("sensitivity")
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                RGBColor(170, 170, 170),
            ))
            .map_err(|e| err(&e))?;
        for (i, (label, s, l)) in curves.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(roc_points(s, l), colour.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 15))
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))
    })();
    match r {
        Ok(()) => svg,
        Err(e) => fallback("ROC plot", &e),
    }
}

/// Calibration plot: predicted probability `p` in `bins` equal-count groups against the
/// observed fraction of cases, with the identity line.
pub fn calibration_svg(p: &[f64], y: &[bool], bins: usize, title: &str) -> String {
    crate::report::plot::register_font();
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let bins = bins.clamp(1, p.len().max(1));
    let pts: Vec<(f64, f64)> = (0..bins)
        .filter_map(|b| {
            let lo = b * p.len() / bins;
            let hi = (b + 1) * p.len() / bins;
            (hi > lo).then(|| {
                let g = &idx[lo..hi];
                let mp = g.iter().map(|&i| p[i]).sum::<f64>() / g.len() as f64;
                let my = g.iter().filter(|&&i| y[i]).count() as f64 / g.len() as f64;
                (mp, my)
            })
        })
        .collect();
    let mut svg = String::new();
    let r = (|| -> Result<(), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (560, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .x_desc("predicted probability")
            .y_desc("observed fraction of cases")
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                RGBColor(170, 170, 170),
            ))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(pts.clone(), PALETTE[0].stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(format!("{bins} equal-count groups"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], PALETTE[0].stroke_width(2)));
        chart
            .draw_series(
                pts.iter()
                    .map(|&(a, b)| Circle::new((a, b), 4, PALETTE[0].filled())),
            )
            .map_err(|e| err(&e))?;
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 15))
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))
    })();
    match r {
        Ok(()) => svg,
        Err(e) => fallback("calibration plot", &e),
    }
}

/// Histogram of a permutation null with the observed value marked.
pub fn permutation_svg(values: &[f64], observed: f64, metric: &str, p_value: f64) -> String {
    crate::report::plot::register_font();
    const N_BINS: usize = 30;
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (mut lo, mut hi) = finite
        .iter()
        .chain(std::iter::once(&observed).filter(|v| v.is_finite()))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = if hi > lo { 0.03 * (hi - lo) } else { 0.01 };
    lo -= pad;
    hi += pad;
    let width = (hi - lo) / N_BINS as f64;
    let mut counts = vec![0u32; N_BINS];
    for v in &finite {
        counts[(((v - lo) / width) as usize).min(N_BINS - 1)] += 1;
    }
    let ymax = counts.iter().copied().max().unwrap_or(0).max(1) + 1;
    let mut svg = String::new();
    let r = (|| -> Result<(), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Permutation null of the nested {metric} (p = {p_value:.3})"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(lo..hi, 0u32..ymax)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .disable_x_mesh()
            .disable_y_mesh()
            .x_desc(metric)
            .y_desc("permutations")
            .x_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(|e| err(&e))?;
        let bar = RGBColor(130, 160, 210);
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, &c)| {
                        let x0 = lo + i as f64 * width;
                        Rectangle::new([(x0, 0), (x0 + width, c)], bar.filled())
                    }),
            )
            .map_err(|e| err(&e))?
            .label(format!("outcomes permuted, {} runs", finite.len()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], bar.filled()));
        if observed.is_finite() {
            chart
                .draw_series(LineSeries::new(
                    [(observed, 0), (observed, ymax)],
                    BLACK.stroke_width(3),
                ))
                .map_err(|e| err(&e))?
                .label(format!("observed {observed:.3}"))
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
        root.present().map_err(|e| err(&e))
    })();
    match r {
        Ok(()) => svg,
        Err(e) => fallback("permutation plot", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_points_of_perfect_and_tied_scores() {
        let p = roc_points(&[0.9, 0.8, 0.2, 0.1], &[true, true, false, false]);
        assert_eq!(
            p,
            vec![(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)]
        );
        let t = roc_points(&[1.0; 4], &[true, true, false, false]);
        assert_eq!(t, vec![(0.0, 0.0), (1.0, 1.0)]);
        assert!(roc_points(&[0.1], &[true]).is_empty());
    }

    #[test]
    fn plots_are_svg_and_deterministic() {
        let s: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let l: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
        let a = roc_svg(&[("fold 1".into(), s.clone(), l.clone())], "ROC");
        assert_eq!(
            a,
            roc_svg(&[("fold 1".into(), s.clone(), l.clone())], "ROC")
        );
        assert!(a.starts_with("<svg") && !a.contains("not drawn"));
        let c = calibration_svg(&s, &l, 5, "Calibration");
        assert!(c.starts_with("<svg") && c.contains("<circle"));
        let h = permutation_svg(&s, 0.8, "auc", 0.05);
        assert!(h.contains("observed 0.800") && h.contains("<rect"));
    }
}
