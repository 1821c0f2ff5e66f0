//! PyRadiomics-compatible mode against PyRadiomics' own baseline
//! (`../shared/data/pyradiomics/baseline/baseline_{firstorder,shape}.csv`, brain1,
//! breast1, lung1; settings per column in `diagnostics_Configuration_Settings`, see that
//! folder's README).
//!
//! Supported columns: the plain `<case>` columns (binWidth 25, voxelArrayShift 2000) and
//! `_resegmentation` (mean +/- 3 SD, binWidth 25, shift 0). Not supported, and listed as
//! skipped: `_normalization` (PyRadiomics' z-score normalisation) and `_resampling`
//! (PyRadiomics' own resampling grid, which is not IBSI's).
//!
//! Tolerance: 0.1 % relative (`|ours / ref - 1| <= 1e-3`), exact 0 for a zero baseline.

use std::path::{Path, PathBuf};

use radaudit::features::{config::ExtractConfig, extract, registry, FeatureList};
use radaudit::preprocess::Resegment;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

/// Splits one CSV line (double-quoted fields may hold commas).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Our configuration for a baseline column, `None` when unsupported.
fn config_for(column: &str) -> Option<ExtractConfig> {
    let mut cfg = ExtractConfig::preset("pyradiomics-default").unwrap();
    if column.ends_with("_resegmentation") {
        cfg.preprocess.resegment = Resegment {
            sigma: Some(3.0),
            ..Default::default()
        };
        Some(cfg)
    } else if column.contains('_') {
        None
    } else {
        cfg.voxel_array_shift = 2000.0;
        Some(cfg)
    }
}

fn ours(case: &str, cfg: &ExtractConfig) -> FeatureList {
    extract::extract_files(
        &data(&format!("pyradiomics/{case}_image.nrrd")),
        &data(&format!("pyradiomics/{case}_label.nrrd")),
        1,
        cfg,
    )
    .unwrap()
}

fn check(file: &str) {
    let text = std::fs::read_to_string(data(&format!("pyradiomics/baseline/{file}"))).unwrap();
    let rows: Vec<Vec<String>> = text.lines().map(split_csv).collect();
    let header = &rows[0];
    let (mut matched, mut total) = (0, 0);
    let mut misses = Vec::new();
    for (c, column) in header.iter().enumerate().skip(1) {
        let Some(cfg) = config_for(column) else {
            eprintln!("{file} {column}: settings not supported (skipped)");
            continue;
        };
        let case = column.split('_').next().unwrap();
        let feats = ours(case, &cfg);
        for row in rows
            .iter()
            .skip(1)
            .filter(|r| r[0].starts_with("original_"))
        {
            let want: f64 = row[c].parse().unwrap();
            total += 1;
            let entry = registry::by_pyradiomics(&row[0])
                .unwrap_or_else(|| panic!("{} not in the registry", row[0]));
            let got = feats
                .iter()
                .find(|(n, _)| n == entry.name)
                .map_or(f64::NAN, |f| f.1);
            let rel = (got / want - 1.0).abs();
            let ok = if want == 0.0 { got == 0.0 } else { rel <= 1e-3 };
            if ok {
                matched += 1;
            } else {
                misses.push(format!(
                    "{column:<22} {:<48} ours {got:<16.8} ref {want:<16.8} rel {:.2e}",
                    row[0],
                    (got / want - 1.0).abs()
                ));
            }
        }
    }
    eprintln!("{file}: {matched}/{total} within 0.1 %");
    for m in &misses {
        eprintln!("  MISS {m}");
    }
    assert!(
        misses.is_empty(),
        "{file}: {} of {total} outside 0.1 %",
        misses.len()
    );
}

#[test]
fn pyradiomics_firstorder_baseline() {
    check("baseline_firstorder.csv");
}

#[test]
fn pyradiomics_shape_baseline() {
    check("baseline_shape.csv");
}
