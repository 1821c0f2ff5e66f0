//! Medical images in: the `Volume` and `Mask` types, readers (NIfTI, NRRD, DICOM), the
//! NIfTI writer and mask validation. Geometry is held in ITK's LPS convention whatever
//! the file used.
//!
//! Entry points: [`read_volume`] and [`read_mask`] dispatch on the path (`.nii`,
//! `.nii.gz`, `.nrrd`, `.nhdr`, or a folder of DICOM files); the `*_with_info` variants
//! also return a [`ReadInfo`] with the on-disk type and the warnings that belong in a
//! provenance record (qform/sform disagreement, NaN scaling, ...). [`validate::roi`]
//! checks a mask against an image and selects a label.

pub mod dicom;
pub mod nifti;
pub mod nrrd;
pub mod raw;
pub mod seg;
pub mod validate;
pub mod volume;
pub mod write;

use std::path::{Path, PathBuf};

pub use raw::DataType;
pub use validate::{roi, BoundingBox, MaskError, Roi, RoiRules};
pub use volume::{Geometry, Mask, Volume};
pub use write::{write_nifti, write_nifti_mask, write_nifti_with, NiftiVersion};

/// Errors from reading or writing image files. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The path is not a format radaudit reads.
    #[error(
        "{}: unknown image format (expected .nii, .nii.gz, .nrrd, .nhdr or a folder of \
         DICOM files)",
        path.display()
    )]
    UnknownFormat {
        /// File.
        path: PathBuf,
    },
    /// A header field is missing or invalid.
    #[error("{}: invalid header: {reason}", path.display())]
    Header {
        /// File.
        path: PathBuf,
        /// What is wrong, with the value found and what was expected.
        reason: String,
    },
    /// A valid file using a feature radaudit does not read.
    #[error("{}: not supported: {what}", path.display())]
    Unsupported {
        /// File.
        path: PathBuf,
        /// The feature.
        what: String,
    },
    /// The header claims more voxels than radaudit allocates.
    #[error(
        "{}: header claims a {}x{}x{} grid = {voxels} voxels, above the limit of {limit}",
        path.display(), dims[0], dims[1], dims[2]
    )]
    TooLarge {
        /// File.
        path: PathBuf,
        /// Claimed grid (x, y, z).
        dims: [u64; 3],
        /// Their product.
        voxels: u128,
        /// [`raw::MAX_VOXELS`].
        limit: u64,
    },
    /// The voxel data end before the header's size.
    #[error("{}: data truncated: expected {expected} bytes (or values), found {found}",
        path.display())]
    Truncated {
        /// File.
        path: PathBuf,
        /// Expected length.
        expected: u64,
        /// Length found.
        found: u64,
    },
    /// A compressed stream is corrupt or cut short.
    #[error("{}: corrupt compressed data: {reason}", path.display())]
    Decompress {
        /// File.
        path: PathBuf,
        /// Decoder message.
        reason: String,
    },
    /// The image holds NaN or infinite voxels.
    #[error(
        "{}: {count} non-finite voxel values (first at [z][y][x] = {first:?}); radaudit \
         needs finite intensities",
        path.display()
    )]
    NonFinite {
        /// File.
        path: PathBuf,
        /// Number of non-finite voxels.
        count: usize,
        /// Index of the first.
        first: [usize; 3],
    },
    /// A mask file holds values that are not integers (CASE-03c).
    #[error(
        "{}: mask holds non-integer values {examples:?} ({count} voxels); labels must be \
         integers",
        path.display()
    )]
    NonIntegerLabels {
        /// File.
        path: PathBuf,
        /// Up to 5 distinct offending values.
        examples: Vec<f64>,
        /// Voxels with a non-integer value.
        count: usize,
    },
    /// A value cannot be written in the requested data type.
    #[error("{}: value {value} cannot be stored as {dtype} (first at [z][y][x] = {at:?})",
        path.display())]
    NotRepresentable {
        /// File.
        path: PathBuf,
        /// The value.
        value: f64,
        /// Type name.
        dtype: &'static str,
        /// Its index.
        at: [usize; 3],
    },
    /// A DICOM series or object is missing something radaudit needs.
    #[error("{}: DICOM: {reason}", path.display())]
    Dicom {
        /// File or folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Image file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NIfTI-1 or NIfTI-2 (`.nii`, `.nii.gz`).
    Nifti,
    /// NRRD (`.nrrd`, `.nhdr`).
    Nrrd,
    /// A folder of DICOM slices.
    Dicom,
}

/// What a reader found besides voxels and geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadInfo {
    /// File format.
    pub format: Format,
    /// On-disk voxel type (DICOM: the stored pixel type).
    pub dtype: DataType,
    /// True when the file's intensity scaling (NIfTI scl_*, DICOM Rescale*) was applied.
    pub scaled: bool,
    /// Which transform gave the geometry (`sform`, `qform`, `pixdim`, `space directions`,
    /// `positions`).
    pub transform: &'static str,
    /// Warnings for the provenance record; also logged at warn level.
    pub warnings: Vec<String>,
}

/// Detects the format from the path: a folder is DICOM, else the extension.
///
/// # Errors
/// [`ImageError::UnknownFormat`] for other extensions.
pub fn detect_format(path: &Path) -> Result<Format, ImageError> {
    if path.is_dir() {
        return Ok(Format::Dicom);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Ok(Format::Nifti)
    } else if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        Ok(Format::Nrrd)
    } else if name.ends_with(".dcm") {
        Ok(Format::Dicom)
    } else {
        Err(ImageError::UnknownFormat {
            path: path.to_path_buf(),
        })
    }
}

/// Reads voxels and geometry without finiteness or label checks.
fn read_any(path: &Path) -> Result<(ndarray::Array3<f64>, Geometry, ReadInfo), ImageError> {
    crate::table::note_input(path);
    match detect_format(path)? {
        Format::Nifti => {
            let (data, g, info) = nifti::read(path)?;
            let ri = ReadInfo {
                format: Format::Nifti,
                dtype: info.dtype,
                scaled: info.scaled,
                transform: info.transform,
                warnings: info.warnings,
            };
            Ok((data, g, ri))
        }
        Format::Nrrd => {
            let (data, g, info) = nrrd::read(path)?;
            Ok((data, g, nrrd_read_info(info)))
        }
        Format::Dicom if path.is_dir() => {
            let s = dicom::read_series(path)?;
            let ri = ReadInfo {
                format: Format::Dicom,
                dtype: s.dtype,
                scaled: s.scaled,
                transform: "positions",
                warnings: s.warnings,
            };
            Ok((s.data, s.geometry, ri))
        }
        Format::Dicom => Err(ImageError::Unsupported {
            path: path.to_path_buf(),
            what: "a single DICOM file: give the folder of the series (an RTSTRUCT is read \
                   as a mask with read_mask_for)"
                .into(),
        }),
    }
}

/// The [`ReadInfo`] of an NRRD file.
fn nrrd_read_info(info: nrrd::NrrdInfo) -> ReadInfo {
    let transform = if info.header.directions.is_some() {
        "space directions"
    } else {
        "spacings"
    };
    ReadInfo {
        format: Format::Nrrd,
        dtype: info.header.dtype,
        scaled: false,
        transform,
        warnings: info.warnings,
    }
}

/// Reads an image (NIfTI, NRRD or DICOM folder) as a [`Volume`] in LPS, with read info.
///
/// # Errors
/// The reader's errors; [`ImageError::NonFinite`] when voxels are NaN or infinite.
pub fn read_volume_with_info(path: &Path) -> Result<(Volume, ReadInfo), ImageError> {
    let (data, geometry, info) = read_any(path)?;
    // Unscaled integer types hold only finite values.
    let exact = info.dtype.is_integer() && !info.scaled;
    if !exact && !all_voxels(&data, |x| x.is_finite()) {
        check_finite(path, &data)?;
    }
    for w in &info.warnings {
        tracing::warn!("{w}");
    }
    Ok((Volume { data, geometry }, info))
}

/// Whether every voxel passes `ok`: one fast pass over the buffer, so that the indexed
/// scans that describe a problem only run when there is one.
fn all_voxels(data: &ndarray::Array3<f64>, ok: impl Fn(&f64) -> bool) -> bool {
    match data.as_slice_memory_order() {
        Some(v) => v.iter().all(ok),
        None => data.iter().all(ok),
    }
}

/// [`ImageError::NonFinite`] naming the first NaN or infinite voxel and the count.
fn check_finite(path: &Path, data: &ndarray::Array3<f64>) -> Result<(), ImageError> {
    let mut bad = data.indexed_iter().filter(|(_, v)| !v.is_finite());
    match bad.next() {
        Some(((z, y, x), _)) => Err(ImageError::NonFinite {
            path: path.to_path_buf(),
            count: 1 + bad.count(),
            first: [z, y, x],
        }),
        None => Ok(()),
    }
}

/// Reads an image as a [`Volume`] (see [`read_volume_with_info`]); warnings are logged.
///
/// # Errors
/// As [`read_volume_with_info`].
pub fn read_volume(path: &Path) -> Result<Volume, ImageError> {
    read_volume_with_info(path).map(|(v, _)| v)
}

/// Reads a segmentation as a [`Mask`]: every voxel must be a finite integer.
///
/// A mask stored as float whose values are integers (0.0, 1.0, 2.0) is accepted. A NIfTI
/// mask whose scaling was applied gets a warning (scaled labels are rarely integers,
/// CASE-06).
///
/// # Errors
/// The reader's errors; [`ImageError::NonFinite`] for NaN/inf;
/// [`ImageError::NonIntegerLabels`] naming up to 5 distinct non-integer values (CASE-03c):
/// they are never rounded.
pub fn read_mask_with_info(path: &Path) -> Result<(Mask, ReadInfo), ImageError> {
    // NRRD masks of small integer types: straight to labels, every value is valid.
    if matches!(detect_format(path)?, Format::Nrrd) {
        if let Some((labels, geometry, info)) = nrrd::read_labels(path)? {
            crate::table::note_input(path);
            let info = nrrd_read_info(info);
            for w in &info.warnings {
                tracing::warn!("{w}");
            }
            return Ok((Mask { labels, geometry }, info));
        }
    }

    let (data, geometry, mut info) = read_any(path)?;

    // One fast pass; the detailed scans below only run to describe a problem.
    let limit = 9_007_199_254_740_992.0; // 2^53: integers exact in f64
                                         // `as i64` truncates (saturating; NaN to 0), so the round trip holds exactly for the
                                         // integers up to 2^53 and fails for fractions, NaN and infinities.
    let plain = |v: &f64| v.abs() <= limit && (*v as i64) as f64 == *v;
    if !all_voxels(&data, plain) {
        check_finite(path, &data)?;
        let non_integer: Vec<f64> = data
            .iter()
            .copied()
            .filter(|v| v.fract() != 0.0 || v.abs() > limit)
            .collect();
        if !non_integer.is_empty() {
            let mut examples: Vec<f64> = Vec::new();
            for v in &non_integer {
                if examples.len() == 5 {
                    break;
                }
                if !examples.contains(v) {
                    examples.push(*v);
                }
            }
            return Err(ImageError::NonIntegerLabels {
                path: path.to_path_buf(),
                examples,
                count: non_integer.len(),
            });
        }
    }
    if info.scaled {
        info.warnings.push(format!(
            "{}: mask file has intensity scaling (scl_slope/scl_inter or rescale); labels \
             were scaled before use",
            path.display()
        ));
    }
    for w in &info.warnings {
        tracing::warn!("{w}");
    }
    let labels = data.mapv(|v| v as i64);
    Ok((Mask { labels, geometry }, info))
}

/// Reads a segmentation as a [`Mask`] (see [`read_mask_with_info`]); warnings are logged.
///
/// # Errors
/// As [`read_mask_with_info`].
pub fn read_mask(path: &Path) -> Result<Mask, ImageError> {
    read_mask_with_info(path).map(|(m, _)| m)
}

/// Reads a mask for `image`: an RTSTRUCT file is rasterised onto the image grid (ROI
/// `roi_name`, or the only ROI; label 1), a DICOM-SEG file is placed on it (segment
/// labelled `roi_name`, or the only segment; label 1), anything else is read by
/// [`read_mask_with_info`].
///
/// # Errors
/// As [`read_mask_with_info`], [`dicom::rasterise_rtstruct`] and [`seg::rasterise_seg`].
pub fn read_mask_for(
    path: &Path,
    image: &Volume,
    roi_name: Option<&str>,
) -> Result<(Mask, ReadInfo), ImageError> {
    if dicom::is_rtstruct(path) {
        let mask = dicom::rasterise_rtstruct(path, &image.geometry, image.data.dim(), roi_name)?;
        let info = ReadInfo {
            format: Format::Dicom,
            dtype: DataType::U8,
            scaled: false,
            transform: "rtstruct contours on the image grid",
            warnings: Vec::new(),
        };
        return Ok((mask, info));
    }
    if seg::is_seg(path) {
        let (mask, warnings) =
            seg::rasterise_seg(path, &image.geometry, image.data.dim(), roi_name)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let info = ReadInfo {
            format: Format::Dicom,
            dtype: DataType::U8,
            scaled: false,
            transform: "DICOM-SEG frames on the image grid",
            warnings,
        };
        return Ok((mask, info));
    }
    read_mask_with_info(path)
}
