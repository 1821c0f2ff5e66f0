//! NIfTI-1 and NIfTI-2 reading (`.nii`, `.nii.gz`), written from the format definitions.
//!
//! # Reference
//! NIfTI-1: the `nifti1.h` header documentation (NIfTI DFWG, 2004), sections "DATA
//! SCALING", "3D IMAGE (VOLUME) ORIENTATION AND LOCATION IN SPACE" and "QUATERNION
//! REPRESENTATION OF ROTATION MATRIX". NIfTI-2: `nifti2.h` (2011), the same fields widened
//! to 64 bits in a 540-byte header.
//!
//! # Conventions
//! - Geometry rule (standard's "method 3 before method 2"): the sform when
//!   `sform_code > 0`, else the qform when `qform_code > 0`, else pixdim with origin 0
//!   ("method 1", identity orientation in NIfTI's RAS space). When both sform and qform are
//!   set and their affines differ by more than 1e-3 voxel, the sform is still used and a
//!   warning naming both is returned in [`NiftiInfo::warnings`] (CASE-05). SimpleITK falls
//!   back to the qform in that case; nibabel uses the sform, as radaudit does.
//! - NIfTI world coordinates are RAS; they are converted to LPS by negating the x and y
//!   rows of the affine, so geometry agrees with NRRD (`left-posterior-superior`) and DICOM.
//! - Intensity scaling `y = scl_slope * x + scl_inter` is applied only when `scl_slope` is
//!   finite and non-zero (CASE-06); a NaN or infinite slope means "no scaling" and adds a
//!   warning, as does a non-finite intercept with a valid slope (then 0 is used).
//!
//! # Limitations
//! Only 3-D scalar images (dims 4..7 must be 1); complex, RGB and two-file
//! (`.hdr`/`.img`) NIfTI are refused with [`ImageError::Unsupported`]. Affines whose
//! columns are not orthogonal (shear) are refused.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use ndarray::Array3;

use super::raw::{self, DataType};
use super::{Geometry, ImageError};

/// Size of the NIfTI-1 header in bytes.
pub const NIFTI1_HEADER: usize = 348;
/// Size of the NIfTI-2 header in bytes.
pub const NIFTI2_HEADER: usize = 540;
/// Tolerance, in voxels, for qform/sform agreement.
pub const QFORM_SFORM_TOL_VOXELS: f64 = 1e-3;

/// The header fields radaudit uses, widened to the NIfTI-2 types.
#[derive(Debug, Clone, PartialEq)]
pub struct NiftiHeader {
    /// 1 or 2.
    pub version: u8,
    /// True when the header (and data) are big-endian.
    pub big_endian: bool,
    /// `dim[0..8]`.
    pub dim: [i64; 8],
    /// Data type code (`NIFTI_TYPE_*`).
    pub datatype: i16,
    /// Bits per voxel as the header states them (checked against `datatype`).
    pub bitpix: i16,
    /// `pixdim[0..8]`; `pixdim[0]` is qfac.
    pub pixdim: [f64; 8],
    /// Byte offset of the voxel data.
    pub vox_offset: f64,
    /// Intensity scaling slope.
    pub scl_slope: f64,
    /// Intensity scaling intercept.
    pub scl_inter: f64,
    /// qform code (0 = unset).
    pub qform_code: i32,
    /// sform code (0 = unset).
    pub sform_code: i32,
    /// Quaternion parameters b, c, d.
    pub quatern: [f64; 3],
    /// qform offsets x, y, z.
    pub qoffset: [f64; 3],
    /// sform rows (RAS).
    pub srow: [[f64; 4]; 3],
}

/// What the reader decided and warned about.
#[derive(Debug, Clone, PartialEq)]
pub struct NiftiInfo {
    /// The parsed header.
    pub header: NiftiHeader,
    /// On-disk data type.
    pub dtype: DataType,
    /// Which transform gave the geometry: `"sform"`, `"qform"` or `"pixdim"`.
    pub transform: &'static str,
    /// True when scl_slope/scl_inter were applied.
    pub scaled: bool,
    /// Warnings for the provenance record (qform/sform disagreement, NaN slope, ...).
    pub warnings: Vec<String>,
}

fn datatype_of(path: &Path, code: i16) -> Result<DataType, ImageError> {
    Ok(match code {
        2 => DataType::U8,
        4 => DataType::I16,
        8 => DataType::I32,
        16 => DataType::F32,
        64 => DataType::F64,
        256 => DataType::I8,
        512 => DataType::U16,
        768 => DataType::U32,
        1024 => DataType::I64,
        1280 => DataType::U64,
        other => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!(
                    "NIfTI datatype code {other} (supported: integer types 2, 4, 8, 256, 512, \
                     768, 1024, 1280 and floats 16, 64)"
                ),
            })
        }
    })
}

/// NIfTI code of a data type.
pub fn datatype_code(dtype: DataType) -> i16 {
    match dtype {
        DataType::U8 => 2,
        DataType::I16 => 4,
        DataType::I32 => 8,
        DataType::F32 => 16,
        DataType::F64 => 64,
        DataType::I8 => 256,
        DataType::U16 => 512,
        DataType::U32 => 768,
        DataType::I64 => 1024,
        DataType::U64 => 1280,
    }
}

/// Little reader of fixed-offset fields in either endian.
struct Fields<'a> {
    b: &'a [u8],
    be: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.b[at..at + N]);
        if self.be {
            a.reverse();
        }
        a
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.bytes(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.bytes(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f32::from_le_bytes(self.bytes(at)) as f64
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.bytes(at))
    }
}

/// Parses a NIfTI-1 or NIfTI-2 header from the first bytes of a file.
///
/// The version and endianness come from `sizeof_hdr` (348 or 540, in either byte order).
///
/// # Errors
/// [`ImageError::Header`] for a short buffer, an unknown `sizeof_hdr` or magic, or
/// `dim[0]` outside 1..=7; [`ImageError::Unsupported`] for two-file NIfTI.
pub fn parse_header(path: &Path, bytes: &[u8]) -> Result<NiftiHeader, ImageError> {
    let header_err = |reason: String| ImageError::Header {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < 4 {
        return Err(header_err(format!(
            "file has {} bytes, too short for NIfTI",
            bytes.len()
        )));
    }

    // Version and endianness from sizeof_hdr.
    let raw4 = [bytes[0], bytes[1], bytes[2], bytes[3]];
    let (version, be) = match (i32::from_le_bytes(raw4), i32::from_be_bytes(raw4)) {
        (348, _) => (1u8, false),
        (_, 348) => (1, true),
        (540, _) => (2, false),
        (_, 540) => (2, true),
        (le, _) => {
            return Err(header_err(format!(
                "sizeof_hdr is {le}; expected 348 (NIfTI-1) or 540 (NIfTI-2)"
            )))
        }
    };
    let need = if version == 1 {
        NIFTI1_HEADER
    } else {
        NIFTI2_HEADER
    };
    if bytes.len() < need {
        return Err(header_err(format!(
            "header has {} bytes; NIfTI-{version} needs {need}",
            bytes.len()
        )));
    }
    let f = Fields { b: bytes, be };

    // Magic: single file ("n+1"/"n+2") or pair ("ni1"/"ni2").
    let magic_at = if version == 1 { 344 } else { 4 };
    let magic = &bytes[magic_at..magic_at + 3];
    let digit = b'0' + version;
    if magic == [b'n', b'i', digit] {
        return Err(ImageError::Unsupported {
            path: path.to_path_buf(),
            what: "two-file NIfTI (.hdr/.img); convert to a single .nii".into(),
        });
    }
    if magic != [b'n', b'+', digit] {
        return Err(header_err(format!(
            "magic is {:?}; expected \"n+{version}\" (ANALYZE 7.5 is not supported)",
            String::from_utf8_lossy(magic)
        )));
    }

    // Fixed fields.
    let mut dim = [0i64; 8];
    let mut pixdim = [0f64; 8];
    let mut srow = [[0f64; 4]; 3];
    let h = if version == 1 {
        for (i, d) in dim.iter_mut().enumerate() {
            *d = f.i16(40 + 2 * i) as i64;
        }
        for (i, p) in pixdim.iter_mut().enumerate() {
            *p = f.f32(76 + 4 * i);
        }
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f.f32(280 + 16 * r + 4 * c);
            }
        }
        NiftiHeader {
            version,
            big_endian: be,
            dim,
            datatype: f.i16(70),
            bitpix: f.i16(72),
            pixdim,
            vox_offset: f.f32(108),
            scl_slope: f.f32(112),
            scl_inter: f.f32(116),
            qform_code: f.i16(252) as i32,
            sform_code: f.i16(254) as i32,
            quatern: [f.f32(256), f.f32(260), f.f32(264)],
            qoffset: [f.f32(268), f.f32(272), f.f32(276)],
            srow,
        }
    } else {
        for (i, d) in dim.iter_mut().enumerate() {
            *d = f.i64(16 + 8 * i);
        }
        for (i, p) in pixdim.iter_mut().enumerate() {
            *p = f.f64(104 + 8 * i);
        }
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f.f64(400 + 32 * r + 8 * c);
            }
        }
        NiftiHeader {
            version,
            big_endian: be,
            dim,
            datatype: f.i16(12),
            bitpix: f.i16(14),
            pixdim,
            vox_offset: f.i64(168) as f64,
            scl_slope: f.f64(176),
            scl_inter: f.f64(184),
            qform_code: f.i32(344),
            sform_code: f.i32(348),
            quatern: [f.f64(352), f.f64(360), f.f64(368)],
            qoffset: [f.f64(376), f.f64(384), f.f64(392)],
            srow,
        }
    };

    if !(1..=7).contains(&h.dim[0]) {
        return Err(header_err(format!(
            "dim[0] is {}; expected 1..=7",
            h.dim[0]
        )));
    }
    Ok(h)
}

impl NiftiHeader {
    /// Grid size (x, y, z); checks that dims 4.. are 1 and sizes are positive.
    ///
    /// # Errors
    /// [`ImageError::Header`] for a non-positive size, [`ImageError::Unsupported`] for
    /// 4-D and higher images.
    pub fn grid(&self, path: &Path) -> Result<[u64; 3], ImageError> {
        let n = self.dim[0] as usize;
        let mut g = [1u64; 3];
        for (a, ga) in g.iter_mut().enumerate() {
            if a < n {
                let d = self.dim[a + 1];
                if d < 1 {
                    return Err(ImageError::Header {
                        path: path.to_path_buf(),
                        reason: format!("dim[{}] is {d}; sizes must be at least 1", a + 1),
                    });
                }
                *ga = d as u64;
            }
        }
        for a in 4..=n {
            if self.dim[a] != 1 {
                return Err(ImageError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!(
                        "{n}-D image (dim[{a}] = {}); radaudit reads 3-D scalar volumes",
                        self.dim[a]
                    ),
                });
            }
        }
        Ok(g)
    }

    /// The qform affine (RAS, 3x4) from the quaternion, pixdim and qfac (NIfTI-1 method 2).
    pub fn qform_affine(&self) -> [[f64; 4]; 3] {
        let [mut b, mut c, mut d] = self.quatern;
        let s = 1.0 - (b * b + c * c + d * d);
        let a = if s < 1e-7 {
            // Rotation by 180 degrees: renormalise (b, c, d), a = 0.
            let norm = (b * b + c * c + d * d).sqrt();
            if norm > 0.0 {
                b /= norm;
                c /= norm;
                d /= norm;
            }
            0.0
        } else {
            s.sqrt()
        };
        let r = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let scale = [self.pixdim[1], self.pixdim[2], self.pixdim[3] * qfac];
        let mut m = [[0.0; 4]; 3];
        for row in 0..3 {
            for col in 0..3 {
                m[row][col] = r[row][col] * scale[col];
            }
            m[row][3] = self.qoffset[row];
        }
        m
    }

    /// The sform affine (RAS, 3x4): the `srow_*` rows.
    pub fn sform_affine(&self) -> [[f64; 4]; 3] {
        self.srow
    }

    /// NIfTI-1 method 1: pixdim scaling, no rotation, no offset.
    pub fn pixdim_affine(&self) -> [[f64; 4]; 3] {
        let mut m = [[0.0; 4]; 3];
        for (a, row) in m.iter_mut().enumerate() {
            row[a] = self.pixdim[a + 1];
        }
        m
    }
}

/// Largest difference between two affines in voxels: each axis column difference (mm per
/// voxel step) over that axis' spacing; the offset difference (mm) over the smallest
/// spacing. NaN counts as infinitely different.
fn affine_difference_voxels(a: &[[f64; 4]; 3], b: &[[f64; 4]; 3], spacing: [f64; 3]) -> f64 {
    let min_sp = spacing
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min)
        .max(f64::MIN_POSITIVE);
    let mut worst: f64 = 0.0;
    for col in 0..4 {
        let diff: f64 = (0..3)
            .map(|r| (a[r][col] - b[r][col]).powi(2))
            .sum::<f64>()
            .sqrt();
        let scale = if col < 3 {
            spacing[col].max(f64::MIN_POSITIVE)
        } else {
            min_sp
        };
        worst = worst.max(diff / scale);
    }
    if worst.is_nan() {
        f64::INFINITY
    } else {
        worst
    }
}

/// Geometry (LPS) from a RAS affine: spacing = column norms, direction = unit columns,
/// origin = offset; x and y rows negated (RAS -> LPS).
///
/// # Errors
/// [`ImageError::Header`] for a zero or non-finite column, [`ImageError::Unsupported`] for
/// non-orthogonal columns (shear).
pub fn geometry_from_affine(
    path: &Path,
    affine: &[[f64; 4]; 3],
    which: &str,
) -> Result<Geometry, ImageError> {
    let flip = [-1.0, -1.0, 1.0];
    let mut g = Geometry::default();
    for col in 0..3 {
        let v: Vec<f64> = (0..3).map(|r| flip[r] * affine[r][col]).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(ImageError::Header {
                path: path.to_path_buf(),
                reason: format!(
                    "{which} column {col} is {:?}; expected a finite non-zero voxel step",
                    [affine[0][col], affine[1][col], affine[2][col]]
                ),
            });
        }
        g.spacing[col] = norm;
        for r in 0..3 {
            g.direction[r][col] = v[r] / norm;
        }
    }
    for r in 0..3 {
        g.origin[r] = flip[r] * affine[r][3];
        if !g.origin[r].is_finite() {
            return Err(ImageError::Header {
                path: path.to_path_buf(),
                reason: format!("{which} offset {r} is {}; expected finite", affine[r][3]),
            });
        }
    }
    for c1 in 0..3 {
        for c2 in (c1 + 1)..3 {
            let dot: f64 = (0..3)
                .map(|r| g.direction[r][c1] * g.direction[r][c2])
                .sum();
            if dot.abs() > 1e-4 {
                return Err(ImageError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!(
                        "{which} axes {c1} and {c2} are not orthogonal (cosine {dot:.6}); \
                         sheared grids are not supported"
                    ),
                });
            }
        }
    }
    Ok(g)
}

/// Chooses the transform by the NIfTI rule and reports disagreement (CASE-05).
fn choose_geometry(
    path: &Path,
    h: &NiftiHeader,
    warnings: &mut Vec<String>,
) -> Result<(Geometry, &'static str), ImageError> {
    if h.sform_code > 0 {
        let s = h.sform_affine();
        let g = geometry_from_affine(path, &s, "sform")?;
        if h.qform_code > 0 {
            let q = h.qform_affine();
            let diff = affine_difference_voxels(&s, &q, g.spacing);
            if diff > QFORM_SFORM_TOL_VOXELS {
                let qg = geometry_from_affine(path, &q, "qform");
                let q_desc = match &qg {
                    Ok(qg) => format!("spacing {:?}, origin {:?} (LPS)", qg.spacing, qg.origin),
                    Err(e) => format!("unusable ({e})"),
                };
                warnings.push(format!(
                    "{}: qform and sform disagree by {diff:.4} voxel; using the sform \
                     (NIfTI rule: sform_code {} > 0): spacing {:?}, origin {:?} (LPS); \
                     the qform gives {q_desc}",
                    path.display(),
                    h.sform_code,
                    g.spacing,
                    g.origin
                ));
            }
        }
        return Ok((g, "sform"));
    }
    if h.qform_code > 0 {
        let g = geometry_from_affine(path, &h.qform_affine(), "qform")?;
        return Ok((g, "qform"));
    }
    warnings.push(format!(
        "{}: qform_code and sform_code are 0; using pixdim {:?} with origin 0 and RAS axes \
         (NIfTI method 1)",
        path.display(),
        &h.pixdim[1..4]
    ));
    let g = geometry_from_affine(path, &h.pixdim_affine(), "pixdim")?;
    Ok((g, "pixdim"))
}

/// Reads a NIfTI file (`.nii` or `.nii.gz`, detected by the gzip magic) into voxels
/// `[z][y][x]` (scaled as the header says) and LPS geometry.
///
/// # Errors
/// Header errors as [`parse_header`]; [`ImageError::TooLarge`] before allocation for a grid
/// above [`raw::MAX_VOXELS`]; [`ImageError::Truncated`] / [`ImageError::Decompress`] for
/// short or corrupt data; [`ImageError::Io`] when the file cannot be opened.
pub fn read(path: &Path) -> Result<(Array3<f64>, Geometry, NiftiInfo), ImageError> {
    let io = |e| ImageError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let mut magic = [0u8; 2];
    let n_magic = file.read(&mut magic).map_err(io)?;
    let gz = n_magic == 2 && magic == [0x1f, 0x8b];
    let head = std::io::Cursor::new(magic[..n_magic].to_vec());
    let stream: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(head.chain(file)))
    } else {
        Box::new(head.chain(file))
    };
    read_stream(path, stream, gz)
}

/// Reads a NIfTI image from a byte stream (already decompressed or not, as `compressed`
/// says, for error reporting). Used by [`read`] and the fuzz target.
///
/// # Errors
/// As [`read`].
pub fn read_stream<R: Read>(
    path: &Path,
    mut stream: R,
    compressed: bool,
) -> Result<(Array3<f64>, Geometry, NiftiInfo), ImageError> {
    // Header: 348 bytes, then 192 more when sizeof_hdr says NIfTI-2.
    let mut hbytes = raw::read_exact_bounded(path, stream.by_ref(), NIFTI1_HEADER, compressed)?;
    let first = [hbytes[0], hbytes[1], hbytes[2], hbytes[3]];
    if i32::from_le_bytes(first) == 540 || i32::from_be_bytes(first) == 540 {
        let rest = raw::read_exact_bounded(
            path,
            stream.by_ref(),
            NIFTI2_HEADER - NIFTI1_HEADER,
            compressed,
        )?;
        hbytes.extend_from_slice(&rest);
    }
    let h = parse_header(path, &hbytes)?;

    // Size checks before any allocation.
    let grid = h.grid(path)?;
    let n = raw::checked_voxel_count(path, grid)?;
    let dtype = datatype_of(path, h.datatype)?;
    let mut warnings = Vec::new();
    // The standard makes bitpix redundant with datatype; readers follow datatype.
    if i64::from(h.bitpix) != 8 * dtype.size() as i64 {
        warnings.push(format!(
            "{}: bitpix is {} but datatype {} has {} bits per voxel; the datatype is used",
            path.display(),
            h.bitpix,
            h.datatype,
            8 * dtype.size()
        ));
    }
    let (geometry, transform) = choose_geometry(path, &h, &mut warnings)?;

    // Skip extensions up to vox_offset.
    let header_len = hbytes.len() as u64;
    let min_offset = header_len + 4;
    if !(h.vox_offset.is_finite() && h.vox_offset >= 0.0 && h.vox_offset < 1e12) {
        return Err(ImageError::Header {
            path: path.to_path_buf(),
            reason: format!("vox_offset is {}; expected a byte offset", h.vox_offset),
        });
    }
    let offset = (h.vox_offset as u64).max(min_offset);
    let skip = offset - header_len;
    let skipped = std::io::copy(&mut stream.by_ref().take(skip), &mut std::io::sink());
    match skipped {
        Ok(k) if k == skip => {}
        Ok(k) => {
            return Err(ImageError::Truncated {
                path: path.to_path_buf(),
                expected: offset,
                found: header_len + k,
            })
        }
        Err(e) => {
            return Err(ImageError::Decompress {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        }
    }

    // Voxels (and, for gzip, the rest of the stream so its checksum is verified).
    let bytes = raw::read_exact_bounded(path, stream.by_ref(), n * dtype.size(), compressed)?;
    if compressed {
        raw::finish_gzip(path, stream)?;
    }
    let mut values = raw::decode(&bytes, dtype, h.big_endian);
    drop(bytes);
    let scaled = apply_scaling(path, &h, &mut values, &mut warnings);
    let shape = (grid[2] as usize, grid[1] as usize, grid[0] as usize);
    let data = Array3::from_shape_vec(shape, values)
        .expect("invariant: value count equals the product of the grid sizes");
    let info = NiftiInfo {
        header: h,
        dtype,
        transform,
        scaled,
        warnings,
    };
    Ok((data, geometry, info))
}

/// Applies `y = scl_slope * x + scl_inter` by the NIfTI-1 rule (CASE-06); returns whether
/// scaling was applied.
fn apply_scaling(
    path: &Path,
    h: &NiftiHeader,
    values: &mut [f64],
    warnings: &mut Vec<String>,
) -> bool {
    let slope = h.scl_slope;
    if !slope.is_finite() {
        warnings.push(format!(
            "{}: scl_slope is {slope}; treated as 'no scaling'",
            path.display()
        ));
        return false;
    }
    if slope == 0.0 {
        return false;
    }
    let inter = if h.scl_inter.is_finite() {
        h.scl_inter
    } else {
        warnings.push(format!(
            "{}: scl_inter is {} with scl_slope {slope}; intercept 0 used",
            path.display(),
            h.scl_inter
        ));
        0.0
    };
    if slope == 1.0 && inter == 0.0 {
        return false;
    }
    for v in values.iter_mut() {
        *v = slope * *v + inter;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_with_quaternion(b: f64, c: f64, d: f64, qfac: f64) -> NiftiHeader {
        NiftiHeader {
            version: 1,
            big_endian: false,
            dim: [3, 2, 2, 2, 1, 1, 1, 1],
            datatype: 4,
            bitpix: 16,
            pixdim: [qfac, 0.5, 0.5, 2.0, 0.0, 0.0, 0.0, 0.0],
            vox_offset: 352.0,
            scl_slope: 0.0,
            scl_inter: 0.0,
            qform_code: 1,
            sform_code: 0,
            quatern: [b, c, d],
            qoffset: [-10.0, -20.0, 5.0],
            srow: [[0.0; 4]; 3],
        }
    }

    #[test]
    fn identity_quaternion_gives_case05_qform_geometry() {
        // CASE-05: qform diag(0.5, 0.5, 2) offset (-10, -20, 5) -> SimpleITK's LPS values.
        let h = header_with_quaternion(0.0, 0.0, 0.0, 1.0);
        let g = geometry_from_affine(Path::new("t"), &h.qform_affine(), "qform").unwrap();
        assert_eq!(g.spacing, [0.5, 0.5, 2.0]);
        assert_eq!(g.origin, [10.0, 20.0, 5.0]);
        assert_eq!(
            g.direction,
            [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
        );
    }

    #[test]
    fn quaternion_180_about_z_flips_x_and_y() {
        // b = c = 0, d = 1: rotation by pi about z, R = diag(-1, -1, 1) (in RAS), so LPS
        // direction is the identity.
        let h = header_with_quaternion(0.0, 0.0, 1.0, 1.0);
        let g = geometry_from_affine(Path::new("t"), &h.qform_affine(), "qform").unwrap();
        for r in 0..3 {
            for c in 0..3 {
                let want = if r == c { 1.0 } else { 0.0 };
                assert!((g.direction[r][c] - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn qfac_minus_one_flips_k() {
        let h = header_with_quaternion(0.0, 0.0, 0.0, -1.0);
        let g = geometry_from_affine(Path::new("t"), &h.qform_affine(), "qform").unwrap();
        assert_eq!(g.direction[2][2], -1.0);
    }
}
