//! DICOM input: a folder of single-frame CT/MR slices as one volume, and RTSTRUCT contours
//! rasterised onto an image grid.
//!
//! # Reference
//! DICOM PS3.3 (2024): C.7.6.2 Image Plane Module (Image Position (Patient) is the centre
//! of the first transmitted voxel, in LPS mm; Image Orientation (Patient) holds the row
//! and column direction cosines; Pixel Spacing is `row spacing \ column spacing`);
//! C.11.1 Modality LUT Module (`value = RescaleSlope * stored + RescaleIntercept`);
//! C.8.8.6 ROI Contour Module (Contour Data in LPS mm, CLOSED_PLANAR polygons).
//!
//! # Conventions
//! - Slices are grouped by Series Instance UID (a folder with several image series is
//!   refused, listing them) and sorted by the projection of Image Position (Patient) on
//!   the slice normal `n = row x column`. The slice spacing is the gap between sorted
//!   positions, not Slice Thickness; unequal gaps (beyond 1e-3 of the mean gap or 1e-4 mm)
//!   and positions that do not move along `n` (gantry tilt) are refused.
//! - Geometry: i along the row direction (increasing column index), j along the column
//!   direction, k along `n`; origin = position of the first sorted slice. Pixel Spacing's
//!   first value is the spacing between rows (j), the second between columns (i).
//! - RTSTRUCT rasterisation: a voxel is inside when its centre is inside the polygon of
//!   its slice (even-odd rule, crossing-number test; a centre exactly on an edge counts by
//!   the half-open convention). Several contours of one ROI on a slice combine by
//!   exclusive or, so a contour inside another is a hole.
//!
//! # Limitations
//! Multi-frame (enhanced) images and colour images are refused with
//! [`ImageError::Unsupported`]. DICOM-SEG masks are read by [`super::seg`].

use std::path::{Path, PathBuf};

use dicom_object::{open_file, DefaultDicomObject, InMemDicomObject, Tag};
use dicom_pixeldata::{ConvertOptions, ModalityLutOption, PixelDecoder};
use ndarray::{Array2, Array3};

use super::raw::{self, DataType};
use super::{Geometry, ImageError, Mask};

const MODALITY: Tag = Tag(0x0008, 0x0060);
const SERIES_UID: Tag = Tag(0x0020, 0x000E);
const IMAGE_POSITION: Tag = Tag(0x0020, 0x0032);
const IMAGE_ORIENTATION: Tag = Tag(0x0020, 0x0037);
const PIXEL_SPACING: Tag = Tag(0x0028, 0x0030);
const ROWS: Tag = Tag(0x0028, 0x0010);
const COLUMNS: Tag = Tag(0x0028, 0x0011);
const SAMPLES_PER_PIXEL: Tag = Tag(0x0028, 0x0002);
const NUMBER_OF_FRAMES: Tag = Tag(0x0028, 0x0008);
const BITS_ALLOCATED: Tag = Tag(0x0028, 0x0100);
const PIXEL_REPRESENTATION: Tag = Tag(0x0028, 0x0103);
const RESCALE_INTERCEPT: Tag = Tag(0x0028, 0x1052);
const RESCALE_SLOPE: Tag = Tag(0x0028, 0x1053);
const SLICE_THICKNESS: Tag = Tag(0x0018, 0x0050);
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
const STRUCTURE_SET_ROI_SEQ: Tag = Tag(0x3006, 0x0020);
const ROI_NUMBER: Tag = Tag(0x3006, 0x0022);
const ROI_NAME: Tag = Tag(0x3006, 0x0026);
const ROI_CONTOUR_SEQ: Tag = Tag(0x3006, 0x0039);
const REFERENCED_ROI_NUMBER: Tag = Tag(0x3006, 0x0084);
const CONTOUR_SEQ: Tag = Tag(0x3006, 0x0040);
const CONTOUR_TYPE: Tag = Tag(0x3006, 0x0042);
const CONTOUR_DATA: Tag = Tag(0x3006, 0x0050);

/// A read DICOM series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Voxels `[z][y][x]` after the modality rescale.
    pub data: Array3<f64>,
    /// LPS geometry.
    pub geometry: Geometry,
    /// Stored pixel type.
    pub dtype: DataType,
    /// True when a slope other than 1 or an intercept other than 0 was applied.
    pub scaled: bool,
    /// Warnings (skipped files, single slice, ...).
    pub warnings: Vec<String>,
}

pub(super) fn dicom_err(path: &Path, reason: impl Into<String>) -> ImageError {
    ImageError::Dicom {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

pub(super) fn get_str(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    obj.get(tag)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_matches(['\0', ' ']).to_string())
}

pub(super) fn get_floats(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    obj.get(tag).and_then(|e| e.to_multi_float64().ok())
}

pub(super) fn get_int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag).and_then(|e| e.to_int::<i64>().ok())
}

pub(super) fn need_floats(
    path: &Path,
    obj: &InMemDicomObject,
    tag: Tag,
    name: &str,
    n: usize,
) -> Result<Vec<f64>, ImageError> {
    let v = get_floats(obj, tag)
        .ok_or_else(|| dicom_err(path, format!("{name} {tag} missing or not numeric")))?;
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        return Err(dicom_err(
            path,
            format!("{name} is {v:?}; expected {n} finite numbers"),
        ));
    }
    Ok(v)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// One image slice's header facts.
struct Slice {
    path: PathBuf,
    obj: DefaultDicomObject,
    position: [f64; 3],
    orientation: [f64; 6],
    spacing: [f64; 2],
    rows: usize,
    columns: usize,
}

/// True when the file starts like a DICOM Part 10 file (preamble + "DICM").
pub(super) fn looks_like_dicom(path: &Path) -> bool {
    use std::io::Read;
    let mut b = [0u8; 132];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .map(|_| &b[128..132] == b"DICM")
        .unwrap_or(false)
}

/// Lists the DICOM files in a folder (not recursive), sorted by name.
fn dicom_files(dir: &Path) -> Result<Vec<PathBuf>, ImageError> {
    let io = |e| ImageError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && looks_like_dicom(p))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a folder of single-frame slices as one volume (see the module conventions).
///
/// # Errors
/// [`ImageError::Dicom`] for no image slices, several series, inconsistent orientation,
/// size or pixel spacing, duplicate or unevenly spaced positions, or gantry tilt;
/// [`ImageError::Unsupported`] for multi-frame or colour images; [`ImageError::TooLarge`]
/// before allocating the volume.
pub fn read_series(dir: &Path) -> Result<Series, ImageError> {
    let mut warnings = Vec::new();

    // Collect image slices of one series.
    let mut slices: Vec<Slice> = Vec::new();
    let mut series_uids: Vec<(String, usize)> = Vec::new();
    for p in dicom_files(dir)? {
        let obj = match open_file(&p) {
            Ok(o) => o,
            Err(e) => {
                warnings.push(format!(
                    "{}: skipped, not readable as DICOM ({e})",
                    p.display()
                ));
                continue;
            }
        };
        let modality = get_str(&obj, MODALITY).unwrap_or_default();
        if obj.get(PIXEL_DATA).is_none() || modality == "RTSTRUCT" || modality == "SEG" {
            continue;
        }
        let uid = get_str(&obj, SERIES_UID).unwrap_or_default();
        match series_uids.iter_mut().find(|(u, _)| *u == uid) {
            Some((_, n)) => *n += 1,
            None => series_uids.push((uid, 1)),
        }
        if get_int(&obj, NUMBER_OF_FRAMES).unwrap_or(1) > 1 {
            return Err(ImageError::Unsupported {
                path: p,
                what: "multi-frame (enhanced) DICOM images".into(),
            });
        }
        if get_int(&obj, SAMPLES_PER_PIXEL).unwrap_or(1) != 1 {
            return Err(ImageError::Unsupported {
                path: p,
                what: "colour DICOM images".into(),
            });
        }
        let pos = need_floats(&p, &obj, IMAGE_POSITION, "ImagePositionPatient", 3)?;
        let ori = need_floats(&p, &obj, IMAGE_ORIENTATION, "ImageOrientationPatient", 6)?;
        let sp = need_floats(&p, &obj, PIXEL_SPACING, "PixelSpacing", 2)?;
        let rows = get_int(&obj, ROWS).filter(|&r| r > 0);
        let cols = get_int(&obj, COLUMNS).filter(|&c| c > 0);
        let (Some(rows), Some(cols)) = (rows, cols) else {
            return Err(dicom_err(&p, "Rows/Columns missing or zero"));
        };
        slices.push(Slice {
            path: p,
            obj,
            position: [pos[0], pos[1], pos[2]],
            orientation: std::array::from_fn(|i| ori[i]),
            spacing: [sp[0], sp[1]],
            rows: rows as usize,
            columns: cols as usize,
        });
    }
    if series_uids.len() > 1 {
        return Err(dicom_err(
            dir,
            format!(
                "folder holds {} image series {series_uids:?}; give one series per folder",
                series_uids.len()
            ),
        ));
    }
    if slices.is_empty() {
        return Err(dicom_err(dir, "no DICOM image slices in the folder"));
    }

    // Consistency of orientation, size and pixel spacing.
    let first = &slices[0];
    for s in &slices[1..] {
        let same_ori = s
            .orientation
            .iter()
            .zip(first.orientation)
            .all(|(a, b)| (a - b).abs() < 1e-4);
        let same_sp = s
            .spacing
            .iter()
            .zip(first.spacing)
            .all(|(a, b)| (a - b).abs() < 1e-6 * b.abs().max(1.0));
        if !same_ori || !same_sp || s.rows != first.rows || s.columns != first.columns {
            return Err(dicom_err(
                &s.path,
                format!(
                    "slice differs from {}: orientation {:?} vs {:?}, spacing {:?} vs {:?}, \
                     size {}x{} vs {}x{}",
                    first.path.display(),
                    s.orientation,
                    first.orientation,
                    s.spacing,
                    first.spacing,
                    s.columns,
                    s.rows,
                    first.columns,
                    first.rows
                ),
            ));
        }
    }
    let row_dir = [
        first.orientation[0],
        first.orientation[1],
        first.orientation[2],
    ];
    let col_dir = [
        first.orientation[3],
        first.orientation[4],
        first.orientation[5],
    ];
    let normal = cross(row_dir, col_dir);
    let nn = dot(normal, normal).sqrt();
    if !(nn > 0.99 && nn < 1.01) || dot(row_dir, col_dir).abs() > 1e-4 {
        return Err(dicom_err(
            &first.path,
            format!(
                "ImageOrientationPatient {:?} is not two orthogonal unit vectors",
                first.orientation
            ),
        ));
    }
    let normal = [normal[0] / nn, normal[1] / nn, normal[2] / nn];

    // Sort along the normal; spacing from positions.
    slices.sort_by(|a, b| dot(a.position, normal).total_cmp(&dot(b.position, normal)));
    let nz = slices.len();
    let dz = if nz == 1 {
        let t = get_floats(&slices[0].obj, SLICE_THICKNESS).and_then(|v| v.first().copied());
        let t = t.filter(|t| *t > 0.0 && t.is_finite()).unwrap_or(1.0);
        warnings.push(format!(
            "{}: single slice; slice spacing {t} mm from SliceThickness (or 1)",
            dir.display()
        ));
        t
    } else {
        let gaps: Vec<f64> = slices
            .windows(2)
            .map(|w| dot(w[1].position, normal) - dot(w[0].position, normal))
            .collect();
        let mean = (dot(slices[nz - 1].position, normal) - dot(slices[0].position, normal))
            / (nz - 1) as f64;
        if let Some(i) = gaps.iter().position(|g| *g <= 1e-6) {
            return Err(dicom_err(
                &slices[i + 1].path,
                format!("same slice position as {}", slices[i].path.display()),
            ));
        }
        if let Some(g) = gaps
            .iter()
            .find(|g| (*g - mean).abs() > (1e-3 * mean).max(1e-4))
        {
            return Err(dicom_err(
                dir,
                format!("uneven slice spacing: gap {g} mm vs mean {mean} mm (missing slice?)"),
            ));
        }
        // Positions must move along the normal (no gantry tilt).
        let step = [0, 1, 2]
            .map(|r| (slices[nz - 1].position[r] - slices[0].position[r]) / (nz - 1) as f64);
        let off = [0, 1, 2].map(|r| step[r] - mean * normal[r]);
        if dot(off, off).sqrt() > 1e-3 * mean.max(1e-3) {
            return Err(dicom_err(dir, format!("slice positions move by {step:?} per slice, not along the normal {normal:?} (gantry tilt is not supported)")));
        }
        mean
    };
    let geometry = Geometry {
        spacing: [first_spacing(&slices[0]).0, first_spacing(&slices[0]).1, dz],
        origin: slices[0].position,
        direction: [
            [row_dir[0], col_dir[0], normal[0]],
            [row_dir[1], col_dir[1], normal[1]],
            [row_dir[2], col_dir[2], normal[2]],
        ],
    };

    // Voxels, slice by slice, with each slice's own rescale.
    let (nx, ny) = (slices[0].columns, slices[0].rows);
    let n = raw::checked_voxel_count(dir, [nx as u64, ny as u64, nz as u64])?;
    let bits = get_int(&slices[0].obj, BITS_ALLOCATED).unwrap_or(16);
    let signed = get_int(&slices[0].obj, PIXEL_REPRESENTATION).unwrap_or(0) == 1;
    let dtype = match (bits, signed) {
        (8, false) => DataType::U8,
        (8, true) => DataType::I8,
        (16, false) => DataType::U16,
        (16, true) => DataType::I16,
        (32, false) => DataType::U32,
        (32, true) => DataType::I32,
        (b, _) => {
            return Err(ImageError::Unsupported {
                path: slices[0].path.clone(),
                what: format!("BitsAllocated {b}"),
            })
        }
    };
    let mut values = Vec::with_capacity(n);
    let mut scaled = false;
    let opts = ConvertOptions::new().with_modality_lut(ModalityLutOption::None);
    for s in &slices {
        let decoded = s
            .obj
            .decode_pixel_data()
            .map_err(|e| dicom_err(&s.path, format!("pixel data: {e}")))?;
        let stored: Vec<f64> = decoded
            .to_vec_with_options(&opts)
            .map_err(|e| dicom_err(&s.path, format!("pixel data: {e}")))?;
        if stored.len() != nx * ny {
            return Err(ImageError::Truncated {
                path: s.path.clone(),
                expected: (nx * ny) as u64,
                found: stored.len() as u64,
            });
        }
        let slope = get_floats(&s.obj, RESCALE_SLOPE)
            .and_then(|v| v.first().copied())
            .unwrap_or(1.0);
        let inter = get_floats(&s.obj, RESCALE_INTERCEPT)
            .and_then(|v| v.first().copied())
            .unwrap_or(0.0);
        if !(slope.is_finite() && inter.is_finite() && slope != 0.0) {
            return Err(dicom_err(&s.path, format!("RescaleSlope {slope} / RescaleIntercept {inter}; expected finite, slope non-zero")));
        }
        scaled |= slope != 1.0 || inter != 0.0;
        values.extend(stored.iter().map(|&v| slope * v + inter));
    }
    let data = Array3::from_shape_vec((nz, ny, nx), values)
        .expect("invariant: nz slices of ny x nx values");
    Ok(Series {
        data,
        geometry,
        dtype,
        scaled,
        warnings,
    })
}

/// (column spacing, row spacing) = (i, j) spacing from Pixel Spacing `[row, column]`.
fn first_spacing(s: &Slice) -> (f64, f64) {
    (s.spacing[1], s.spacing[0])
}

/// True when `path` is a DICOM file of Modality `modality` (header read only).
pub(super) fn has_modality(path: &Path, modality: &str) -> bool {
    path.is_file()
        && looks_like_dicom(path)
        && dicom_object::OpenFileOptions::new()
            .read_until(PIXEL_DATA)
            .open_file(path)
            .ok()
            .and_then(|o| get_str(&o, MODALITY))
            .is_some_and(|m| m == modality)
}

/// True when `path` is an RTSTRUCT file.
pub fn is_rtstruct(path: &Path) -> bool {
    has_modality(path, "RTSTRUCT")
}

/// ROI numbers and names of an RTSTRUCT, in file order.
///
/// # Errors
/// [`ImageError::Dicom`] when the file cannot be read or has no StructureSetROISequence.
pub fn rtstruct_rois(path: &Path) -> Result<Vec<(i64, String)>, ImageError> {
    let obj = open_file(path)
        .map_err(|e| dicom_err(path, e.to_string()))?
        .into_inner();
    roi_list(path, &obj)
}

fn roi_list(path: &Path, obj: &InMemDicomObject) -> Result<Vec<(i64, String)>, ImageError> {
    numbered_names(path, obj, STRUCTURE_SET_ROI_SEQ, ROI_NUMBER, ROI_NAME)
}

/// `(number, name)` of each item of sequence `seq` that has a `number` tag, in file order
/// (RTSTRUCT ROIs, SEG segments).
pub(super) fn numbered_names(
    path: &Path,
    obj: &InMemDicomObject,
    seq: Tag,
    number: Tag,
    name: Tag,
) -> Result<Vec<(i64, String)>, ImageError> {
    let items = obj
        .get(seq)
        .and_then(|e| e.items())
        .ok_or_else(|| dicom_err(path, format!("sequence {seq} missing")))?;
    Ok(items
        .iter()
        .filter_map(|it| Some((get_int(it, number)?, get_str(it, name).unwrap_or_default())))
        .collect())
}

/// Rasterises one RTSTRUCT ROI onto an image grid: label 1 inside, 0 outside.
///
/// `roi_name` selects the ROI by name (case-insensitive); `None` takes the only ROI.
/// `shape` is the image's `[z][y][x]` shape.
///
/// # Errors
/// [`ImageError::Dicom`] for an unknown name (listing the names present), several ROIs
/// without a name, a contour off the image slices (more than 0.1 slice from a slice
/// centre), or malformed contour data.
pub fn rasterise_rtstruct(
    path: &Path,
    geometry: &Geometry,
    shape: (usize, usize, usize),
    roi_name: Option<&str>,
) -> Result<Mask, ImageError> {
    let obj = open_file(path)
        .map_err(|e| dicom_err(path, e.to_string()))?
        .into_inner();
    let rois = roi_list(path, &obj)?;

    // Pick the ROI.
    let number = match roi_name {
        Some(name) => rois
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                dicom_err(
                    path,
                    format!(
                        "no ROI named {name:?}; ROIs present: {:?}",
                        rois.iter().map(|r| &r.1).collect::<Vec<_>>()
                    ),
                )
            })?,
        None if rois.len() == 1 => rois[0].0,
        None => {
            return Err(dicom_err(
                path,
                format!(
                    "{} ROIs {:?}; name the one to use",
                    rois.len(),
                    rois.iter().map(|r| &r.1).collect::<Vec<_>>()
                ),
            ))
        }
    };
    let contours = obj
        .get(ROI_CONTOUR_SEQ)
        .and_then(|e| e.items())
        .ok_or_else(|| dicom_err(path, "ROIContourSequence (3006,0039) missing"))?;
    let item = contours
        .iter()
        .find(|it| get_int(it, REFERENCED_ROI_NUMBER) == Some(number))
        .ok_or_else(|| dicom_err(path, format!("no contours for ROI number {number}")))?;

    // Rasterise each planar contour, combining by exclusive or per slice.
    let (nz, ny, nx) = shape;
    let mut inside = Array3::<bool>::from_elem(shape, false);
    for c in item.get(CONTOUR_SEQ).and_then(|e| e.items()).unwrap_or(&[]) {
        let kind = get_str(c, CONTOUR_TYPE).unwrap_or_default();
        if kind != "CLOSED_PLANAR" {
            continue;
        }
        let pts =
            get_floats(c, CONTOUR_DATA).ok_or_else(|| dicom_err(path, "ContourData missing"))?;
        if pts.len() < 9 || pts.len() % 3 != 0 || pts.iter().any(|v| !v.is_finite()) {
            return Err(dicom_err(
                path,
                format!(
                    "ContourData has {} values; expected >= 3 finite (x,y,z) points",
                    pts.len()
                ),
            ));
        }
        let idx: Vec<[f64; 3]> = pts
            .chunks_exact(3)
            .map(|p| geometry.point_to_index([p[0], p[1], p[2]]))
            .collect();
        let k_mean = idx.iter().map(|p| p[2]).sum::<f64>() / idx.len() as f64;
        let k = k_mean.round();
        if idx.iter().any(|p| (p[2] - k).abs() > 0.1) || k < 0.0 || k >= nz as f64 {
            return Err(dicom_err(
                path,
                format!("contour at slice index {k_mean:.3} is not on an image slice (0..{nz})"),
            ));
        }
        let poly: Vec<(f64, f64)> = idx.iter().map(|p| (p[0], p[1])).collect();
        let slice = polygon_mask(&poly, ny, nx);
        let mut target = inside.index_axis_mut(ndarray::Axis(0), k as usize);
        target.zip_mut_with(&slice, |t, &s| *t ^= s);
    }
    Ok(Mask {
        labels: inside.mapv(|b| b as i64),
        geometry: geometry.clone(),
    })
}

/// Voxel centres `(i, j)` inside a polygon given in continuous index coordinates.
///
/// # Formula
/// Even-odd (crossing-number) rule: a horizontal ray from the centre crosses the edge
/// (a, b) when `(a_j > j) != (b_j > j)` and `i < a_i + (j - a_j)(b_i - a_i)/(b_j - a_j)`;
/// an odd number of crossings is inside.
pub fn polygon_mask(poly: &[(f64, f64)], ny: usize, nx: usize) -> Array2<bool> {
    let mut out = Array2::from_elem((ny, nx), false);
    if poly.len() < 3 {
        return out;
    }
    let (mut lo_j, mut hi_j) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in poly {
        lo_j = lo_j.min(p.1);
        hi_j = hi_j.max(p.1);
    }
    let j0 = lo_j.ceil().max(0.0) as usize;
    let j1 = (hi_j.floor().min(ny as f64 - 1.0)).max(-1.0);
    if j1 < 0.0 {
        return out;
    }
    for j in j0..=(j1 as usize) {
        let y = j as f64;
        for i in 0..nx {
            let x = i as f64;
            let mut odd = false;
            let mut prev = poly[poly.len() - 1];
            for &cur in poly {
                if (cur.1 > y) != (prev.1 > y) {
                    let xc = cur.0 + (y - cur.1) * (prev.0 - cur.0) / (prev.1 - cur.1);
                    if x < xc {
                        odd = !odd;
                    }
                }
                prev = cur;
            }
            out[[j, i]] = odd;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_polygon_covers_centres_inside() {
        // Square from (0.5, 0.5) to (3.5, 2.5): centres i = 1..=3, j = 1..=2.
        let sq = [(0.5, 0.5), (3.5, 0.5), (3.5, 2.5), (0.5, 2.5)];
        let m = polygon_mask(&sq, 5, 6);
        assert_eq!(m.iter().filter(|&&b| b).count(), 6);
        assert!(m[[1, 1]] && m[[2, 3]] && !m[[0, 1]] && !m[[1, 4]] && !m[[3, 1]]);
    }

    #[test]
    fn triangle_includes_only_centres_inside() {
        // Right triangle (0,0)-(4,0)-(0,4) shifted by -0.5: centre (i, j) is inside when
        // i + j < 3; centres with i + j = 3 lie on the hypotenuse and are not checked.
        let t = [(-0.5, -0.5), (3.5, -0.5), (-0.5, 3.5)];
        let m = polygon_mask(&t, 5, 5);
        for j in 0..5 {
            for i in 0..5 {
                if i + j != 3 {
                    assert_eq!(m[[j, i]], i + j < 3, "({i},{j})");
                }
            }
        }
    }
}
