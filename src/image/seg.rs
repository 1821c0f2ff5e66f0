//! DICOM Segmentation (SEG) objects placed onto an image grid.
//!
//! # Reference
//! DICOM PS3.3 (2024): A.51 Segmentation IOD; C.8.20.2 Segmentation Image Module
//! (Segmentation Type BINARY packs one bit per pixel, FRACTIONAL one byte per pixel with
//! Maximum Fractional Value); C.8.20.4 Segment Description (Segment Number, Segment
//! Label); C.7.6.16 Multi-frame Functional Groups (per-frame Plane Position (Patient) and
//! Segment Identification; Plane Orientation and Pixel Measures shared or per frame).
//! PS3.5 (2024) 8.1.1: with Bits Allocated 1, pixels are packed from the least significant
//! bit of each byte and frames follow each other without padding, so a frame can start in
//! the middle of a byte.
//!
//! # Conventions
//! - A frame belongs to one segment and one plane of the image. Its plane must have the
//!   image's row and column directions and pixel spacing (tolerance 1e-4), and its
//!   position must fall on an image voxel centre (1e-3 voxel), so frames smaller than the
//!   image (cropped to the segment) are placed at their offset. Anything else is an error
//!   naming the frame: SEG objects on another grid need resampling, which a mask reader
//!   must not do silently.
//! - FRACTIONAL segments are inside where `value >= max / 2` (the 0.5 partial-volume
//!   threshold used elsewhere in radaudit); a warning says so.
//! - One segment is chosen (by label, case-insensitive, or the only one) and becomes
//!   label 1.

use std::path::Path;

use dicom_object::{open_file, InMemDicomObject, Tag};
use ndarray::Array3;

use super::dicom::{dicom_err, get_int, get_str, has_modality, need_floats, numbered_names};
use super::{Geometry, ImageError, Mask};

const ROWS: Tag = Tag(0x0028, 0x0010);
const COLUMNS: Tag = Tag(0x0028, 0x0011);
const NUMBER_OF_FRAMES: Tag = Tag(0x0028, 0x0008);
const BITS_ALLOCATED: Tag = Tag(0x0028, 0x0100);
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
const SEGMENTATION_TYPE: Tag = Tag(0x0062, 0x0001);
const SEGMENT_SEQ: Tag = Tag(0x0062, 0x0002);
const SEGMENT_NUMBER: Tag = Tag(0x0062, 0x0004);
const SEGMENT_LABEL: Tag = Tag(0x0062, 0x0005);
const SEGMENT_ID_SEQ: Tag = Tag(0x0062, 0x000A);
const REFERENCED_SEGMENT_NUMBER: Tag = Tag(0x0062, 0x000B);
const MAX_FRACTIONAL: Tag = Tag(0x0062, 0x000E);
const SHARED_GROUPS: Tag = Tag(0x5200, 0x9229);
const PER_FRAME_GROUPS: Tag = Tag(0x5200, 0x9230);
const PLANE_POSITION_SEQ: Tag = Tag(0x0020, 0x9113);
const PLANE_ORIENTATION_SEQ: Tag = Tag(0x0020, 0x9116);
const PIXEL_MEASURES_SEQ: Tag = Tag(0x0028, 0x9110);
const IMAGE_POSITION: Tag = Tag(0x0020, 0x0032);
const IMAGE_ORIENTATION: Tag = Tag(0x0020, 0x0037);
const PIXEL_SPACING: Tag = Tag(0x0028, 0x0030);

/// True when `path` is a DICOM Segmentation (Modality SEG).
pub fn is_seg(path: &Path) -> bool {
    has_modality(path, "SEG")
}

/// Segment numbers and labels of a SEG object, in file order.
///
/// # Errors
/// [`ImageError::Dicom`] when the file cannot be read or has no SegmentSequence.
pub fn segments(path: &Path) -> Result<Vec<(i64, String)>, ImageError> {
    let obj = open_file(path)
        .map_err(|e| dicom_err(path, e.to_string()))?
        .into_inner();
    segment_list(path, &obj)
}

fn segment_list(path: &Path, obj: &InMemDicomObject) -> Result<Vec<(i64, String)>, ImageError> {
    numbered_names(path, obj, SEGMENT_SEQ, SEGMENT_NUMBER, SEGMENT_LABEL)
}

/// The item of a functional-group sequence `seq` in `frame` groups, else in the shared
/// groups (per-frame values override shared ones, PS3.3 C.7.6.16).
fn group_item<'a>(
    frame: Option<&'a InMemDicomObject>,
    shared: Option<&'a InMemDicomObject>,
    seq: Tag,
) -> Option<&'a InMemDicomObject> {
    let first = |o: &'a InMemDicomObject| o.get(seq).and_then(|e| e.items()?.first());
    frame.and_then(first).or_else(|| shared.and_then(first))
}

/// Places one SEG segment on an image grid: label 1 inside, 0 outside.
///
/// `segment` selects by Segment Label (case-insensitive); `None` takes the only segment.
/// `shape` is the image's `[z][y][x]` shape. Returns the mask and warnings.
///
/// # Errors
/// [`ImageError::Dicom`] for an unknown label (listing those present), several segments
/// without a label, missing or malformed attributes, pixel data shorter than the frames
/// need, or a frame off the image grid (see the module conventions);
/// [`ImageError::Unsupported`] for compressed pixel data or Bits Allocated other than 1
/// (BINARY) or 8 (FRACTIONAL).
pub fn rasterise_seg(
    path: &Path,
    geometry: &Geometry,
    shape: (usize, usize, usize),
    segment: Option<&str>,
) -> Result<(Mask, Vec<String>), ImageError> {
    let file = open_file(path).map_err(|e| dicom_err(path, e.to_string()))?;
    let ts = file
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let obj = file.into_inner();
    let segs = segment_list(path, &obj)?;
    let names = || segs.iter().map(|s| s.1.clone()).collect::<Vec<_>>();

    // Pick the segment.
    let number = match segment {
        Some(name) => segs
            .iter()
            .find(|(_, l)| l.eq_ignore_ascii_case(name))
            .map(|s| s.0)
            .ok_or_else(|| {
                dicom_err(
                    path,
                    format!("no segment labelled {name:?}; present: {:?}", names()),
                )
            })?,
        None if segs.len() == 1 => segs[0].0,
        None => {
            return Err(dicom_err(
                path,
                format!("{} segments {:?}; name the one to use", segs.len(), names()),
            ))
        }
    };

    // Pixel layout.
    let compressed = !matches!(
        ts.as_str(),
        "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.2"
    );
    if compressed {
        return Err(ImageError::Unsupported {
            path: path.to_path_buf(),
            what: format!("SEG pixel data in compressed transfer syntax {ts}"),
        });
    }
    let need_int = |tag: Tag, name: &str| {
        get_int(&obj, tag)
            .filter(|&v| v > 0)
            .ok_or_else(|| dicom_err(path, format!("{name} {tag} missing or not positive")))
    };
    let rows = need_int(ROWS, "Rows")? as usize;
    let cols = need_int(COLUMNS, "Columns")? as usize;
    let frames = need_int(NUMBER_OF_FRAMES, "NumberOfFrames")? as usize;
    let bits = need_int(BITS_ALLOCATED, "BitsAllocated")?;
    let kind = get_str(&obj, SEGMENTATION_TYPE).unwrap_or_default();
    let mut warnings = Vec::new();
    let threshold = match (kind.as_str(), bits) {
        ("BINARY", 1) => None,
        ("FRACTIONAL", 8) => {
            let max = get_int(&obj, MAX_FRACTIONAL)
                .filter(|&m| m > 0)
                .unwrap_or(255);
            warnings.push(format!(
                "{}: FRACTIONAL segmentation thresholded at {} of {max} (0.5)",
                path.display(),
                (max + 1) / 2
            ));
            Some(((max + 1) / 2) as u8)
        }
        _ => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!("SEG with SegmentationType {kind:?} and BitsAllocated {bits}"),
            })
        }
    };
    let data = obj
        .get(PIXEL_DATA)
        .and_then(|e| e.to_bytes().ok())
        .ok_or_else(|| dicom_err(path, "PixelData (7FE0,0010) missing"))?;
    let per_frame = rows * cols;
    let needed = match threshold {
        None => (frames * per_frame).div_ceil(8),
        Some(_) => frames * per_frame,
    };
    if data.len() < needed {
        return Err(dicom_err(
            path,
            format!(
                "PixelData has {} bytes; {frames} frames of {rows}x{cols} need {needed}",
                data.len()
            ),
        ));
    }
    let pixel = |f: usize, r: usize, c: usize| -> bool {
        let idx = f * per_frame + r * cols + c;
        match threshold {
            None => data[idx / 8] >> (idx % 8) & 1 == 1,
            Some(t) => data[idx] >= t,
        }
    };

    // Place each frame of the chosen segment.
    let shared = obj.get(SHARED_GROUPS).and_then(|e| e.items()?.first());
    let per_frame_items = obj
        .get(PER_FRAME_GROUPS)
        .and_then(|e| e.items())
        .ok_or_else(|| dicom_err(path, "PerFrameFunctionalGroupsSequence missing"))?;
    if per_frame_items.len() != frames {
        return Err(dicom_err(
            path,
            format!(
                "{} per-frame groups for {frames} frames",
                per_frame_items.len()
            ),
        ));
    }
    let (nz, ny, nx) = shape;
    let mut labels = Array3::<i64>::zeros(shape);
    for (f, item) in per_frame_items.iter().enumerate() {
        let seg = group_item(Some(item), shared, SEGMENT_ID_SEQ)
            .and_then(|s| get_int(s, REFERENCED_SEGMENT_NUMBER))
            .ok_or_else(|| dicom_err(path, format!("frame {f}: no ReferencedSegmentNumber")))?;
        if seg != number {
            continue;
        }
        let at = |seq: Tag, tag: Tag, name: &str, n: usize| {
            let it = group_item(Some(item), shared, seq)
                .ok_or_else(|| dicom_err(path, format!("frame {f}: {name} missing")))?;
            need_floats(path, it, tag, name, n)
        };
        let pos = at(
            PLANE_POSITION_SEQ,
            IMAGE_POSITION,
            "ImagePositionPatient",
            3,
        )?;
        let ori = at(
            PLANE_ORIENTATION_SEQ,
            IMAGE_ORIENTATION,
            "ImageOrientationPatient",
            6,
        )?;
        let sp = at(PIXEL_MEASURES_SEQ, PIXEL_SPACING, "PixelSpacing", 2)?;

        // The frame's plane must be the image's: same axes and spacing.
        let d = &geometry.direction;
        let same_axes =
            (0..3).all(|r| (ori[r] - d[r][0]).abs() < 1e-4 && (ori[3 + r] - d[r][1]).abs() < 1e-4);
        let same_spacing = (sp[1] - geometry.spacing[0]).abs() < 1e-4
            && (sp[0] - geometry.spacing[1]).abs() < 1e-4;
        if !same_axes || !same_spacing {
            return Err(dicom_err(
                path,
                format!(
                    "frame {f}: orientation {ori:?} / spacing {sp:?} differ from the image's \
                     grid; the segmentation would need resampling"
                ),
            ));
        }
        let idx = geometry.point_to_index([pos[0], pos[1], pos[2]]);
        let off: Vec<i64> = idx.iter().map(|v| v.round() as i64).collect();
        let on_grid = idx
            .iter()
            .zip(&off)
            .all(|(v, o)| (v - *o as f64).abs() < 1e-3);
        let fits = off[0] >= 0
            && off[1] >= 0
            && off[2] >= 0
            && off[0] as usize + cols <= nx
            && off[1] as usize + rows <= ny
            && (off[2] as usize) < nz;
        if !on_grid || !fits {
            return Err(dicom_err(
                path,
                format!(
                    "frame {f} at {pos:?} (index {idx:.3?}, {rows}x{cols}) is not on the \
                     image grid of {nx}x{ny}x{nz} voxels"
                ),
            ));
        }
        let (i0, j0, k) = (off[0] as usize, off[1] as usize, off[2] as usize);
        for r in 0..rows {
            for c in 0..cols {
                if pixel(f, r, c) {
                    labels[[k, j0 + r, i0 + c]] = 1;
                }
            }
        }
    }
    Ok((
        Mask {
            labels,
            geometry: geometry.clone(),
        },
        warnings,
    ))
}
