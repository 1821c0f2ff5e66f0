//! One extraction: image + ROI + configuration -> feature values, and the cohort loop.
//!
//! Pipeline (IBSI-1 figure "image processing"): [`crate::preprocess::prepare`]
//! (interpolate, round, re-segment), discretise the intensity mask, then every enabled
//! [`super::Family`] on one [`super::Context`].

use std::path::{Path, PathBuf};

use ndarray::Array3;

use super::config::{ExtractConfig, Names};
use super::{families, registry, Context, FeatureList};
use crate::filters::{self, FilterSpec};
use crate::image::{self, Volume};
use crate::preprocess::{self, discretise, Prepared};

/// Errors of one extraction.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Reading image or mask.
    #[error(transparent)]
    Image(#[from] image::ImageError),
    /// The mask does not fit the image or the label is absent.
    #[error(transparent)]
    Mask(#[from] image::MaskError),
    /// The mask file does not fit the image file (both named).
    // The cause is in the message (not a `source`), so a log line of one case carries it.
    #[error("mask {mask} on image {image}: {reason}")]
    MaskFile {
        image: std::path::PathBuf,
        mask: std::path::PathBuf,
        reason: image::MaskError,
    },
    /// Preprocessing failed.
    #[error(transparent)]
    Prepare(#[from] preprocess::PrepareError),
    /// Discretisation failed.
    #[error(transparent)]
    Discretise(#[from] discretise::DiscretiseError),
    /// A filter failed.
    #[error(transparent)]
    Filter(#[from] filters::FilterError),
}

/// Extracts every enabled family from `image` inside `roi` (`[z][y][x]`, on the image
/// grid), then the same families (morphology excepted) on each configured filter's
/// response map.
///
/// # Method (IBSI-2 manual, "image processing" with filters)
/// Interpolation and rounding as for the original image, then the filter runs on the
/// *whole* interpolated image (so the boundary rule acts at the image border, not at a
/// crop), then the response is cropped back to the ROI box with margin. Re-segmentation
/// uses the unfiltered intensities; the filtered features use the same intensity mask.
/// Fixed-bin-width discretisation of a response map starts at the ROI minimum (the
/// re-segmentation bound is an intensity of the original image, not of the response).
///
/// # Errors
/// [`ExtractError`] when preprocessing, discretisation or a filter fails (e.g. an empty
/// ROI).
pub fn extract(
    image: &Volume,
    roi: &Array3<bool>,
    config: &ExtractConfig,
) -> Result<FeatureList, ExtractError> {
    extract_in_frame(image, roi, config, &preprocess::Frame::whole(&image.data))
}

/// [`extract`] on a crop of a larger scan: interpolation uses the whole scan's grid
/// (see [`preprocess::prepare_in_frame`]), so values equal those of the whole scan.
///
/// # Errors
/// As [`extract`].
pub fn extract_in_frame(
    image: &Volume,
    roi: &Array3<bool>,
    config: &ExtractConfig,
    frame: &preprocess::Frame,
) -> Result<FeatureList, ExtractError> {
    let (prepared, info) = preprocess::prepare_in_frame(image, roi, &config.preprocess, frame)?;
    tracing::debug!(?info, "re-segmentation");
    let mut out = families_on(&prepared, config, config.preprocess.resegment.lower, true)?;
    if config.filters.is_empty() {
        return Ok(out);
    }

    // The whole image (in a crop: the crop) on the interpolation grid of the scan, so
    // that the filtered map and the ROI's grid line up voxel for voxel.
    let whole = preprocess::PrepSettings {
        margin_mm: WHOLE_IMAGE_MM,
        ..config.preprocess.clone()
    };
    let (full, _) = preprocess::prepare_in_frame(image, roi, &whole, frame)?;
    for spec in &config.filters {
        let response = filters::response(spec, &full.image, full.geometry.spacing)?;
        let filtered = crop_like(&full, response, &prepared);
        let tag = spec.tag();
        out.extend(
            families_on(&filtered, config, None, false)?
                .into_iter()
                .map(|(n, v)| (format!("{tag}.{n}"), v)),
        );
    }
    Ok(out)
}

/// The box of scan voxels `(lo, hi)` (inclusive, `(x, y, z)`) that extraction with
/// `config` reads for an ROI whose box in a scan of `full` voxels of `spacing` mm is
/// `lower..=upper`: [`preprocess::read_box`] with the margin of [`with_filter_margin`], so
/// that the filtered values the features read are those of the whole image. `None` when
/// a filter's response depends on the whole image.
pub fn read_box(
    config: &ExtractConfig,
    spacing: [f64; 3],
    full: [usize; 3],
    lower: [usize; 3],
    upper: [usize; 3],
) -> Option<([usize; 3], [usize; 3])> {
    let prep = with_filter_margin(&config.preprocess, &config.filters, spacing)?;
    Some(preprocess::read_box(&prep, spacing, full, lower, upper))
}

/// `prep` with its margin grown by the largest reach, in mm, of `filters` on the grid
/// they run on (the resampled grid, else the scan's of `spacing` mm); `None` when a
/// filter has no finite reach.
pub fn with_filter_margin(
    prep: &preprocess::PrepSettings,
    filters: &[FilterSpec],
    spacing: [f64; 3],
) -> Option<preprocess::PrepSettings> {
    let grid: [f64; 3] = match &prep.resample {
        Some(r) => std::array::from_fn(|a| {
            if a == 2 && r.in_plane {
                spacing[2]
            } else {
                r.spacing[a]
            }
        }),
        None => spacing,
    };
    let mut extra = 0.0f64;
    for f in filters {
        let r = f.reach(grid)?;
        for a in 0..3 {
            extra = extra.max(r[a] as f64 * grid[a]);
        }
    }
    Some(preprocess::PrepSettings {
        margin_mm: prep.margin_mm.max(0.0) + extra,
        ..prep.clone()
    })
}

/// A margin that keeps the whole image in [`preprocess::prepare`].
const WHOLE_IMAGE_MM: f64 = 1.0e7;

/// Every enabled family on one prepared ROI (morphology only when `with_morph`).
fn families_on(
    prepared: &Prepared,
    config: &ExtractConfig,
    lower: Option<f64>,
    with_morph: bool,
) -> Result<FeatureList, ExtractError> {
    let discretised = if prepared.intensity.iter().any(|&m| m) {
        discretise::discretise(
            &prepared.image,
            &prepared.intensity,
            config.discretisation,
            lower,
        )?
    } else {
        // Every family reports NaN on an empty intensity mask (warned there).
        preprocess::Discretised {
            levels: prepared.image.mapv(|_| 0),
            n_g: 1,
        }
    };
    let ctx = Context {
        prepared,
        discretised: &discretised,
        config,
    };
    let mut out = FeatureList::new();
    for family in families() {
        if config.wants(family.name) && (with_morph || family.name != "morph") {
            out.extend((family.compute)(&ctx));
        }
    }
    Ok(out)
}

/// The part of `response` (on `full`'s grid) covering `target`'s grid, with `target`'s
/// masks. Both grids come from the same interpolation, so `target` is a sub-box of
/// `full` and the offset is a whole number of voxels.
fn crop_like(full: &Prepared, response: Array3<f64>, target: &Prepared) -> Prepared {
    let index = full.geometry.point_to_index(target.geometry.origin);
    let offset: [usize; 3] = index.map(|d| d.round().max(0.0) as usize);
    let (nz, ny, nx) = target.image.dim();
    let image = response
        .slice(ndarray::s![
            offset[2]..offset[2] + nz,
            offset[1]..offset[1] + ny,
            offset[0]..offset[0] + nx
        ])
        .to_owned();
    Prepared {
        image,
        morph: target.morph.clone(),
        intensity: target.intensity.clone(),
        geometry: target.geometry.clone(),
    }
}

/// Reads an image and mask, selects `label`, and extracts.
///
/// # Errors
/// [`ExtractError`] naming what failed.
pub fn extract_files(
    image_path: &Path,
    mask_path: &Path,
    label: i64,
    config: &ExtractConfig,
) -> Result<FeatureList, ExtractError> {
    if matches!(image::detect_format(image_path), Ok(image::Format::Nrrd)) {
        if let Some(feats) = extract_nrrd_cropped(image_path, mask_path, label, config)? {
            return Ok(feats);
        }
    }
    let img = image::read_volume(image_path)?;
    let mask = image::read_mask(mask_path)?;
    let roi = image::roi(&img, &mask, label, &image::RoiRules::default()).map_err(|reason| {
        ExtractError::MaskFile {
            image: image_path.to_path_buf(),
            mask: mask_path.to_path_buf(),
            reason,
        }
    })?;
    extract(&img, &roi.mask, config)
}

/// [`extract_files`] for an NRRD image whose filters (if any) have a finite reach: the
/// mask is read first, and only the box the extraction reads around the ROI ([`read_box`],
/// filters' reach included) of the image is converted to f64 and extracted in its
/// [`preprocess::Frame`], which gives the same features as the whole image with less
/// memory traffic (and filters run on the box, not the whole scan). `None` when the
/// image's header or data call for the whole-image path (which then reports any
/// problem).
fn extract_nrrd_cropped(
    image_path: &Path,
    mask_path: &Path,
    label: i64,
    config: &ExtractConfig,
) -> Result<Option<FeatureList>, ExtractError> {
    let Ok((dim, geometry)) = image::nrrd::read_grid(image_path) else {
        return Ok(None);
    };
    // A filter that depends on the whole image needs the whole-image path; say so before
    // reading the mask, which that path reads again.
    let Some(prep) = with_filter_margin(&config.preprocess, &config.filters, geometry.spacing)
    else {
        return Ok(None);
    };
    let mask = image::read_mask(mask_path)?;
    let roi = image::validate::roi_for(&geometry, dim, &mask, label, &Default::default()).map_err(
        |reason| ExtractError::MaskFile {
            image: image_path.to_path_buf(),
            mask: mask_path.to_path_buf(),
            reason,
        },
    )?;
    drop(mask);

    let full = [dim.2, dim.1, dim.0];
    let b = &roi.bbox;
    let (lo, hi) = preprocess::read_box(&prep, geometry.spacing, full, b.lower, b.upper);
    crate::table::note_input(image_path);
    let Some((data, crop, _, info)) = image::nrrd::read_region(image_path, lo, hi)? else {
        return Ok(None);
    };
    for w in &info.warnings {
        tracing::warn!("{w}");
    }
    let image = Volume {
        data,
        geometry: crop,
    };
    let roi_crop = roi
        .mask
        .slice(ndarray::s![lo[2]..=hi[2], lo[1]..=hi[1], lo[0]..=hi[0]])
        .to_owned();
    let frame = preprocess::Frame { offset: lo, full };
    extract_in_frame(&image, &roi_crop, config, &frame).map(Some)
}

/// Renames features for output: canonical names as they are; PyRadiomics names for the
/// features that have a counterpart (others dropped). Texture features keep PyRadiomics'
/// default aggregation only (3D, averaged over directions: `3d_avg`, or `3d` for the
/// direction-free matrices), so each PyRadiomics name appears once.
pub fn rename(features: FeatureList, names: Names) -> FeatureList {
    rename_for(features, names, &[])
}

/// [`rename`] for an extraction with `filters`: in PyRadiomics names, a filtered feature
/// `<tag>.<family>.<feature>` becomes `<prefix>_<class>_<Feature>` with the filter's
/// PyRadiomics prefix (`log-sigma-3-0-mm-3D_firstorder_Mean`, `wavelet-LHL_glcm_...`);
/// filters without a PyRadiomics counterpart are dropped.
pub fn rename_for(features: FeatureList, names: Names, filters: &[FilterSpec]) -> FeatureList {
    if names == Names::Canonical {
        return features;
    }
    let tags: Vec<(String, Option<String>)> = filters
        .iter()
        .map(|f| (format!("{}.", f.tag()), f.pyradiomics_prefix()))
        .collect();
    let mut out = FeatureList::new();
    for (n, v) in features {
        match tags.iter().find(|(t, _)| n.starts_with(t.as_str())) {
            None => out.extend(rename_original(vec![(n, v)], names)),
            Some((t, prefix)) => {
                let Some(prefix) = prefix else { continue };
                let base = rename_original(vec![(n[t.len()..].to_string(), v)], names);
                for (p, v) in base {
                    if let Some(rest) = p.strip_prefix("original_") {
                        out.push((format!("{prefix}_{rest}"), v));
                    }
                }
            }
        }
    }
    out
}

fn rename_original(features: FeatureList, names: Names) -> FeatureList {
    match names {
        Names::Canonical => features,
        Names::Pyradiomics => features
            .into_iter()
            .filter_map(|(n, v)| {
                let texture = n.ends_with(".3d_avg") || n.ends_with(".3d");
                registry::lookup(&n)
                    .and_then(|e| e.pyradiomics)
                    .map(str::to_string)
                    .or_else(|| {
                        texture
                            .then(|| super::texture::pyradiomics_name(&n))
                            .flatten()
                    })
                    .map(|p| (p, v))
            })
            .collect(),
    }
}

/// One case of a cohort file.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Identifier (first column).
    pub id: String,
    /// Image path (resolved against the cohort file's folder).
    pub image: PathBuf,
    /// Mask path.
    pub mask: PathBuf,
    /// Label (default 1).
    pub label: i64,
}

/// Errors reading a cohort file.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// The file cannot be read as CSV.
    #[error(transparent)]
    Table(crate::table::TableError),
    /// A malformed line.
    #[error("{}:{line}: {reason}", path.display())]
    Format {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a cohort CSV `case_id,image,mask[,label]` (header required; paths relative to
/// the file).
///
/// # Errors
/// [`CohortError`] for unreadable files, a wrong header, short rows, bad labels or
/// duplicate ids.
pub fn read_cohort(path: &Path) -> Result<Vec<Case>, CohortError> {
    // A real CSV reader: quoted fields (paths with commas or spaces), CRLF.
    let (header, records) = crate::table::read_records(path).map_err(CohortError::Table)?;
    let base = path.parent().unwrap_or(Path::new(""));
    let err = |line: usize, reason: String| CohortError::Format {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let cols: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    if cols.len() < 3 || cols[..3] != ["case_id", "image", "mask"] {
        return Err(err(
            1,
            format!("header {cols:?}, expected case_id,image,mask[,label]"),
        ));
    }
    let mut cases: Vec<Case> = Vec::new();
    for (line, rec) in &records {
        let f: Vec<&str> = rec.iter().map(|c| c.trim()).collect();
        if f.iter().all(|c| c.is_empty()) {
            continue;
        }
        if f.len() < 3 {
            return Err(err(
                *line,
                format!("{} fields, expected at least 3", f.len()),
            ));
        }
        if f[0].is_empty() {
            return Err(err(*line, "empty case_id".into()));
        }
        let label = match f.get(3) {
            Some(s) if !s.is_empty() => s
                .parse()
                .map_err(|_| err(*line, format!("label {s:?} is not an integer")))?,
            _ => 1,
        };
        if cases.iter().any(|c| c.id == f[0]) {
            return Err(err(*line, format!("duplicate case_id {:?}", f[0])));
        }
        cases.push(Case {
            id: f[0].to_string(),
            image: base.join(f[1]),
            mask: base.join(f[2]),
            label,
        });
    }
    if cases.is_empty() {
        return Err(err(2, "no cases (only a header)".into()));
    }
    Ok(cases)
}

/// The wide feature table (DESIGN.md): `case_id` then one column per feature, in the
/// order of the first successful case; numbers via [`crate::table::fmt_num`].
pub fn wide_csv(rows: &[(String, FeatureList)]) -> String {
    let Some((_, first)) = rows.first() else {
        return "case_id\n".to_string();
    };
    let mut out = String::from("case_id");
    for (n, _) in first {
        out.push(',');
        out.push_str(&crate::table::csv_field(n));
    }
    out.push('\n');
    for (id, feats) in rows {
        out.push_str(&crate::table::csv_field(id));
        for (n, _) in first {
            let v = feats.iter().find(|(m, _)| m == n).map_or(f64::NAN, |f| f.1);
            out.push(',');
            out.push_str(&crate::table::fmt_num(v));
        }
        out.push('\n');
    }
    out
}
