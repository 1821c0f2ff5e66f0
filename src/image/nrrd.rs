//! NRRD reading (`.nrrd` attached, `.nhdr` + data file detached), written from the format
//! definition.
//!
//! # Reference
//! "NRRD: Nearly Raw Raster Data", file format definition version 5 (teem,
//! <http://teem.sourceforge.net/nrrd/format.html>): magic `NRRD000x`, `field: value` lines,
//! `#` comments, `key:=value` pairs, a blank line, then the data (or `data file:`).
//!
//! # Conventions
//! - Axes whose `space directions` entry is `none` are non-spatial; they must have size 1
//!   (vector and multi-component images are refused). The remaining three axes are the
//!   index axes i, j, k in file order; the first axis varies fastest.
//! - Spacing is the norm of each direction vector and the direction is the unit vector.
//!   `space: left-posterior-superior` (LPS) is taken as is; `right-anterior-superior` (RAS)
//!   and `left-anterior-superior` (LAS) are converted to LPS by negating the x and/or y
//!   components of the directions and the origin.
//! - Without `space directions`, the per-axis `spacings` field (or 1 mm) gives an
//!   axis-aligned grid at origin 0 in LPS, with a warning.
//!
//! # Limitations
//! Encodings `raw`, `gzip` and `ascii`/`text`; `bzip2` and `hex` are refused. A single data
//! file only (no file lists). Space dimension must be 3; sheared grids are refused.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array3;

use super::raw::{self, DataType};
use super::{Geometry, ImageError};

/// Largest header radaudit parses (bytes before the blank line).
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Data encoding of an NRRD file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Raw bytes.
    Raw,
    /// A gzip stream of raw bytes.
    Gzip,
    /// Whitespace-separated decimal numbers.
    Ascii,
}

/// The parsed header fields radaudit uses.
#[derive(Debug, Clone, PartialEq)]
pub struct NrrdHeader {
    /// Voxel type.
    pub dtype: DataType,
    /// Sizes of all axes (fastest first).
    pub sizes: Vec<u64>,
    /// True for `endian: big`.
    pub big_endian: bool,
    /// Data encoding.
    pub encoding: Encoding,
    /// `space` converted to a sign per LPS axis (+1 keeps, -1 negates).
    pub space_to_lps: [f64; 3],
    /// Name of the `space` field (or empty).
    pub space: String,
    /// `space directions`, one entry per axis; `None` for `none`.
    pub directions: Option<Vec<Option<[f64; 3]>>>,
    /// `space origin` in the file's space.
    pub origin: Option<[f64; 3]>,
    /// Per-axis `spacings` (old-style, when no space directions).
    pub spacings: Option<Vec<f64>>,
    /// `data file` (detached data), relative to the header's folder.
    pub data_file: Option<String>,
    /// `byte skip` (-1: data are the last bytes of the file; raw only).
    pub byte_skip: i64,
    /// `line skip`.
    pub line_skip: u64,
}

/// What the reader decided and warned about.
#[derive(Debug, Clone, PartialEq)]
pub struct NrrdInfo {
    /// The parsed header.
    pub header: NrrdHeader,
    /// Warnings for the provenance record.
    pub warnings: Vec<String>,
}

fn header_err(path: &Path, reason: String) -> ImageError {
    ImageError::Header {
        path: path.to_path_buf(),
        reason,
    }
}

fn parse_type(path: &Path, v: &str) -> Result<DataType, ImageError> {
    let t = v.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(match t.as_str() {
        "signed char" | "int8" | "int8_t" => DataType::I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => DataType::U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            DataType::I16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => DataType::U16,
        "int" | "signed int" | "int32" | "int32_t" => DataType::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => DataType::U32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => DataType::I64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
            DataType::U64
        }
        "float" => DataType::F32,
        "double" => DataType::F64,
        other => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!("NRRD type {other:?}"),
            })
        }
    })
}

fn parse_f64(path: &Path, field: &str, s: &str) -> Result<f64, ImageError> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| header_err(path, format!("{field}: {s:?} is not a number")))?;
    if !v.is_finite() {
        return Err(header_err(path, format!("{field}: {s:?} is not finite")));
    }
    Ok(v)
}

/// Parses a vector `(a,b,c)` with exactly three finite components.
fn parse_vector(path: &Path, field: &str, s: &str) -> Result<[f64; 3], ImageError> {
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .ok_or_else(|| header_err(path, format!("{field}: {s:?} is not a vector (a,b,c)")))?;
    let parts: Vec<&str> = inner.split(',').collect();
    if parts.len() != 3 {
        return Err(header_err(
            path,
            format!("{field}: {s:?} has {} components; expected 3", parts.len()),
        ));
    }
    let mut v = [0.0; 3];
    for (x, p) in v.iter_mut().zip(parts) {
        *x = parse_f64(path, field, p)?;
    }
    Ok(v)
}

/// Splits `space directions` into entries: `(..)` groups (spaces allowed inside) and `none`.
fn split_directions(path: &Path, s: &str) -> Result<Vec<Option<[f64; 3]>>, ImageError> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("none") {
            out.push(None);
            rest = r.trim_start();
        } else if rest.starts_with('(') {
            let end = rest.find(')').ok_or_else(|| {
                header_err(path, format!("space directions: unclosed '(' in {s:?}"))
            })?;
            out.push(Some(parse_vector(path, "space directions", &rest[..=end])?));
            rest = rest[end + 1..].trim_start();
        } else {
            return Err(header_err(
                path,
                format!("space directions: unexpected {rest:?}; expected (a,b,c) or none"),
            ));
        }
    }
    Ok(out)
}

/// Parses the header text (everything before the blank line, magic line included).
///
/// # Errors
/// [`ImageError::Header`] for a missing magic or required field, malformed values, or
/// per-axis fields whose length disagrees with `dimension`; [`ImageError::Unsupported`]
/// for types, encodings and spaces radaudit does not read.
pub fn parse_header(path: &Path, text: &str) -> Result<NrrdHeader, ImageError> {
    let mut lines = text.lines();
    let magic = lines.next().unwrap_or("");
    if !(magic.starts_with("NRRD000") && magic.len() == 8) {
        return Err(header_err(
            path,
            format!("magic line is {magic:?}; expected NRRD000x"),
        ));
    }

    // Fields (key: value); key-value pairs (key:=value) and comments are skipped.
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.is_empty() || line.contains(":=") {
            continue;
        }
        let (k, v) = line
            .split_once(": ")
            .ok_or_else(|| header_err(path, format!("line {line:?} is not 'field: value'")))?;
        fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name || k.replace(' ', "") == name)
            .map(|(_, v)| v)
    };
    let require =
        |name: &str| get(name).ok_or_else(|| header_err(path, format!("field {name:?} missing")));

    // Type, dimension, sizes.
    let dtype = parse_type(path, require("type")?)?;
    let dimension: usize = require("dimension")?
        .parse()
        .map_err(|_| header_err(path, "dimension is not an integer".into()))?;
    if !(1..=16).contains(&dimension) {
        return Err(header_err(
            path,
            format!("dimension {dimension}; expected 1..=16"),
        ));
    }
    let sizes: Vec<u64> = require("sizes")?
        .split_whitespace()
        .map(|s| s.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| header_err(path, "sizes must be positive integers".into()))?;
    if sizes.len() != dimension {
        return Err(header_err(
            path,
            format!(
                "sizes has {} entries; dimension is {dimension}",
                sizes.len()
            ),
        ));
    }

    // Endian and encoding.
    let big_endian = match get("endian").map(|s| s.as_str()) {
        Some("big") => true,
        Some("little") | None => false,
        Some(other) => {
            return Err(header_err(
                path,
                format!("endian {other:?}; expected little or big"),
            ))
        }
    };
    let encoding = match require("encoding")?.as_str() {
        "raw" => Encoding::Raw,
        "gzip" | "gz" => Encoding::Gzip,
        "ascii" | "text" | "txt" => Encoding::Ascii,
        other => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!("NRRD encoding {other:?} (supported: raw, gzip, ascii)"),
            })
        }
    };

    if get("endian").is_none() && dtype.size() > 1 && encoding != Encoding::Ascii {
        return Err(header_err(
            path,
            "field \"endian\" missing for a multi-byte type".into(),
        ));
    }

    // Space.
    let space = get("space").cloned().unwrap_or_default();
    let space_to_lps = match space.as_str() {
        "left-posterior-superior" | "LPS" => [1.0, 1.0, 1.0],
        "right-anterior-superior" | "RAS" => [-1.0, -1.0, 1.0],
        "left-anterior-superior" | "LAS" => [1.0, -1.0, 1.0],
        "" => [1.0, 1.0, 1.0],
        other => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!(
                    "NRRD space {other:?} (supported: left-posterior-superior, \
                     right-anterior-superior, left-anterior-superior)"
                ),
            })
        }
    };
    if let Some(sd) = get("space dimension") {
        if sd.trim() != "3" {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!("space dimension {sd}; radaudit reads 3-D space"),
            });
        }
    }
    let directions = get("space directions")
        .map(|s| split_directions(path, s))
        .transpose()?;
    if let Some(d) = &directions {
        if d.len() != dimension {
            return Err(header_err(
                path,
                format!(
                    "space directions has {} entries; dimension is {dimension}",
                    d.len()
                ),
            ));
        }
    }
    let origin = get("space origin")
        .map(|s| parse_vector(path, "space origin", s))
        .transpose()?;
    let spacings = match get("spacings") {
        Some(s) => {
            let v: Vec<f64> = s
                .split_whitespace()
                .map(|t| {
                    if t == "nan" || t == "NaN" {
                        Ok(f64::NAN)
                    } else {
                        t.parse()
                    }
                })
                .collect::<Result<_, _>>()
                .map_err(|_| header_err(path, format!("spacings {s:?} are not numbers")))?;
            if v.len() != dimension {
                return Err(header_err(
                    path,
                    format!("spacings has {} entries; dimension is {dimension}", v.len()),
                ));
            }
            Some(v)
        }
        None => None,
    };

    // Detached data and skips.
    let data_file = get("data file").or_else(|| get("datafile")).cloned();
    let byte_skip = match get("byte skip") {
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| header_err(path, "byte skip".into()))?,
        None => 0,
    };
    if byte_skip < -1 || (byte_skip == -1 && encoding != Encoding::Raw) {
        return Err(header_err(
            path,
            format!("byte skip {byte_skip} with {encoding:?}"),
        ));
    }
    let line_skip = match get("line skip") {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| header_err(path, "line skip".into()))?,
        None => 0,
    };

    Ok(NrrdHeader {
        dtype,
        sizes,
        big_endian,
        encoding,
        space_to_lps,
        space,
        directions,
        origin,
        spacings,
        data_file,
        byte_skip,
        line_skip,
    })
}

impl NrrdHeader {
    /// The three spatial axes (indices into `sizes`) and the LPS geometry.
    ///
    /// # Errors
    /// [`ImageError::Unsupported`] when there are not exactly 3 spatial axes, a
    /// non-spatial axis has size > 1, or the grid is sheared; [`ImageError::Header`] for a
    /// zero direction vector.
    pub fn geometry(
        &self,
        path: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<([usize; 3], Geometry), ImageError> {
        // Spatial axes: entries with a direction (or, without directions, all axes of
        // size > 1 padded to 3).
        let spatial: Vec<usize> = match &self.directions {
            Some(d) => (0..d.len()).filter(|&a| d[a].is_some()).collect(),
            None => (0..self.sizes.len()).collect(),
        };
        for a in 0..self.sizes.len() {
            if !spatial.contains(&a) && self.sizes[a] != 1 {
                return Err(ImageError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!(
                        "non-spatial axis {a} has {} samples (vector or multi-component \
                         image); radaudit reads scalar volumes",
                        self.sizes[a]
                    ),
                });
            }
        }
        let mut axes = [usize::MAX; 3];
        match (&self.directions, spatial.len()) {
            (Some(_), 3) => axes.copy_from_slice(&spatial),
            (None, 1..=3) => axes[..spatial.len()].copy_from_slice(&spatial),
            (_, k) => {
                return Err(ImageError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!("{k} spatial axes; radaudit reads 3-D volumes"),
                })
            }
        }

        let mut g = Geometry::default();
        let sign = self.space_to_lps;
        match &self.directions {
            Some(d) => {
                for (col, &a) in axes.iter().enumerate() {
                    let v = d[a].expect("invariant: spatial axes have a direction");
                    let v = [v[0] * sign[0], v[1] * sign[1], v[2] * sign[2]];
                    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    if !(norm > 0.0 && norm.is_finite()) {
                        return Err(header_err(
                            path,
                            format!("space direction of axis {a} is {v:?}; expected non-zero"),
                        ));
                    }
                    g.spacing[col] = norm;
                    for r in 0..3 {
                        g.direction[r][col] = v[r] / norm;
                    }
                }
                if let Some(o) = self.origin {
                    g.origin = [o[0] * sign[0], o[1] * sign[1], o[2] * sign[2]];
                } else {
                    warnings.push(format!(
                        "{}: no space origin; origin 0 used",
                        path.display()
                    ));
                }
            }
            None => {
                for (col, &a) in axes.iter().enumerate() {
                    if a == usize::MAX {
                        continue;
                    }
                    let s = self.spacings.as_ref().map(|s| s[a]).unwrap_or(1.0);
                    g.spacing[col] = if s.is_finite() && s > 0.0 { s } else { 1.0 };
                }
                warnings.push(format!(
                    "{}: no space directions; axis-aligned LPS grid with spacing {:?} at \
                     origin 0",
                    path.display(),
                    g.spacing
                ));
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
                        what: format!("space directions {c1} and {c2} are not orthogonal"),
                    });
                }
            }
        }
        Ok((axes, g))
    }
}

/// Splits a file into header text and data offset (the byte after the blank line).
fn split_attached(path: &Path, bytes: &[u8]) -> Result<(String, usize), ImageError> {
    let limit = bytes.len().min(MAX_HEADER_BYTES);
    let mut i = 0;
    let mut line_start = 0;
    while i < limit {
        if bytes[i] == b'\n' {
            let line = &bytes[line_start..i];
            if line.is_empty() || line == b"\r" {
                let text = String::from_utf8_lossy(&bytes[..line_start]).into_owned();
                return Ok((text, i + 1));
            }
            line_start = i + 1;
        }
        i += 1;
    }
    if bytes.len() <= MAX_HEADER_BYTES {
        // A detached header may end without a blank line.
        return Ok((String::from_utf8_lossy(bytes).into_owned(), bytes.len()));
    }
    Err(header_err(
        path,
        format!("no blank line ending the header in {MAX_HEADER_BYTES} bytes"),
    ))
}

/// Reads an NRRD file (attached or detached) into voxels `[z][y][x]` and LPS geometry.
///
/// # Errors
/// As [`parse_header`] and [`NrrdHeader::geometry`]; [`ImageError::TooLarge`] before
/// allocation; [`ImageError::Truncated`] / [`ImageError::Decompress`] for short or corrupt
/// data; [`ImageError::Io`] for unreadable files.
pub fn read(path: &Path) -> Result<(Array3<f64>, Geometry, NrrdInfo), ImageError> {
    let bytes = fs::read(path).map_err(|e| ImageError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    read_bytes(path, &bytes)
}

/// Reads an NRRD image from the bytes of its header file (see [`read`]); a detached data
/// file is opened relative to `path`.
///
/// # Errors
/// As [`read`].
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
) -> Result<(Array3<f64>, Geometry, NrrdInfo), ImageError> {
    let (samples, shape, geometry, info) = read_samples(path, bytes)?;
    let h = &info.header;
    let values = match samples {
        Samples::Bytes(b) => raw::decode(&b, h.dtype, h.big_endian),
        Samples::Values(v) => v,
    };
    let data = Array3::from_shape_vec(shape, values)
        .expect("invariant: value count equals the product of the grid sizes");
    Ok((data, geometry, info))
}

/// Reads an NRRD segmentation stored as an integer type of at most 32 bits straight into
/// labels (no f64 copy of the volume); `None` for other types or ASCII data, which
/// [`read`] handles.
///
/// # Errors
/// As [`read`].
pub fn read_labels(path: &Path) -> Result<Option<(Array3<i64>, Geometry, NrrdInfo)>, ImageError> {
    let bytes = fs::read(path).map_err(|e| ImageError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let (text, _) = split_attached(path, &bytes)?;
    let h = parse_header(path, &text)?;
    if !h.dtype.is_integer() || h.dtype.size() > 4 || h.encoding == Encoding::Ascii {
        return Ok(None);
    }
    let (samples, shape, geometry, info) = read_samples(path, &bytes)?;
    let Samples::Bytes(b) = samples else {
        return Ok(None);
    };
    let h = &info.header;
    let Some(values) = raw::decode_labels(&b, h.dtype, h.big_endian) else {
        return Ok(None);
    };
    let labels = Array3::from_shape_vec(shape, values)
        .expect("invariant: value count equals the product of the grid sizes");
    Ok(Some((labels, geometry, info)))
}

/// Reads an NRRD image's voxels on `region` only (`lo`, `hi` inclusive, `(x, y, z)`, inside
/// the grid), with the geometry of that box: the data are decompressed whole but only
/// the region is converted to f64. Also returns the whole grid's shape `(nz, ny, nx)`
/// and the file's info. `None` when the region falls outside the grid, for ASCII data, and for
/// float data with a non-finite value anywhere (which [`read`] reports).
///
/// # Errors
/// As [`read`].
#[allow(clippy::type_complexity)]
pub fn read_region(
    path: &Path,
    lo: [usize; 3],
    hi: [usize; 3],
) -> Result<Option<(Array3<f64>, Geometry, (usize, usize, usize), NrrdInfo)>, ImageError> {
    let bytes = fs::read(path).map_err(|e| ImageError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let (samples, shape, geometry, info) = read_samples(path, &bytes)?;
    let Samples::Bytes(b) = samples else {
        return Ok(None);
    };
    let (nz, ny, nx) = shape;
    let n = [nx, ny, nz];
    if (0..3).any(|a| lo[a] > hi[a] || hi[a] >= n[a]) {
        return Ok(None);
    }
    let h = &info.header;
    let size = h.dtype.size();
    if !h.dtype.is_integer() {
        let finite = b.chunks(1 << 16).all(|c| {
            raw::decode(c, h.dtype, h.big_endian)
                .iter()
                .all(|v| v.is_finite())
        });
        if !finite {
            return Ok(None);
        }
    }
    let row = (hi[0] - lo[0] + 1) * size;
    let mut values =
        Vec::with_capacity((hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1));
    for z in lo[2]..=hi[2] {
        for y in lo[1]..=hi[1] {
            let start = ((z * ny + y) * nx + lo[0]) * size;
            values.extend(raw::decode(&b[start..start + row], h.dtype, h.big_endian));
        }
    }
    let dim = (hi[2] - lo[2] + 1, hi[1] - lo[1] + 1, hi[0] - lo[0] + 1);
    let data =
        Array3::from_shape_vec(dim, values).expect("invariant: one value per voxel of the region");
    let origin = geometry.index_to_point(lo.map(|v| v as f64));
    let crop = Geometry {
        origin,
        ..geometry.clone()
    };
    Ok(Some((data, crop, shape, info)))
}

/// The grid shape `(nz, ny, nx)` and geometry of an NRRD image, from its header only.
///
/// # Errors
/// As [`read`] for the header.
pub fn read_grid(path: &Path) -> Result<((usize, usize, usize), Geometry), ImageError> {
    let bytes = read_head(path)?;
    let text = match split_attached(path, &bytes) {
        Ok((text, _)) => text,
        // The header may be longer than the part read: read the whole file.
        Err(_) => {
            let all = fs::read(path).map_err(|e| ImageError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
            split_attached(path, &all)?.0
        }
    };
    let h = parse_header(path, &text)?;
    let (axes, geometry) = h.geometry(path, &mut Vec::new())?;
    let grid: [usize; 3] = std::array::from_fn(|c| {
        if axes[c] == usize::MAX {
            1
        } else {
            h.sizes[axes[c]] as usize
        }
    });
    Ok(((grid[2], grid[1], grid[0]), geometry))
}

/// The first 64 KiB of a file (enough for any sane NRRD header).
fn read_head(path: &Path) -> Result<Vec<u8>, ImageError> {
    use std::io::Read as _;
    let f = fs::File::open(path).map_err(|e| ImageError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut buf = Vec::new();
    f.take(1 << 16)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
    Ok(buf)
}

/// The voxel data of an NRRD file: raw bytes of the header's type, or values (ASCII).
enum Samples {
    /// `n * dtype.size()` bytes.
    Bytes(Vec<u8>),
    /// Parsed values.
    Values(Vec<f64>),
}

/// Reads the header and the voxel data (not yet converted) of an NRRD file, with the
/// array shape `(nz, ny, nx)` and the geometry.
fn read_samples(
    path: &Path,
    bytes: &[u8],
) -> Result<(Samples, (usize, usize, usize), Geometry, NrrdInfo), ImageError> {
    let (text, data_start) = split_attached(path, bytes)?;
    let h = parse_header(path, &text)?;
    let mut warnings = Vec::new();
    let (axes, geometry) = h.geometry(path, &mut warnings)?;

    // Size check before allocation.
    let grid: [u64; 3] = std::array::from_fn(|c| {
        if axes[c] == usize::MAX {
            1
        } else {
            h.sizes[axes[c]]
        }
    });
    let n = raw::checked_voxel_count(path, grid)?;
    let total: u64 = h.sizes.iter().product();
    debug_assert_eq!(total, n as u64);

    // Data bytes: attached, or the detached file.
    let detached: Option<(PathBuf, Vec<u8>)> = match &h.data_file {
        Some(name) if name.starts_with("LIST") || name.contains('%') => {
            return Err(ImageError::Unsupported {
                path: path.to_path_buf(),
                what: format!("multi-file data {name:?}"),
            })
        }
        Some(name) => {
            let dp = path.parent().unwrap_or(Path::new(".")).join(name);
            let b = fs::read(&dp).map_err(|e| ImageError::Io {
                path: dp.clone(),
                source: e,
            })?;
            Some((dp, b))
        }
        None => None,
    };
    let (data_path, mut data): (&Path, &[u8]) = match &detached {
        Some((p, b)) => (p.as_path(), b.as_slice()),
        None => (path, &bytes[data_start..]),
    };
    for _ in 0..h.line_skip {
        match data.iter().position(|&b| b == b'\n') {
            Some(p) => data = &data[p + 1..],
            None => {
                data = &data[data.len()..];
                break;
            }
        }
    }
    let n_bytes = n * h.dtype.size();
    if h.byte_skip == -1 {
        if data.len() < n_bytes {
            return Err(ImageError::Truncated {
                path: data_path.to_path_buf(),
                expected: n_bytes as u64,
                found: data.len() as u64,
            });
        }
        data = &data[data.len() - n_bytes..];
    } else if h.encoding == Encoding::Raw {
        data = &data[(h.byte_skip as usize).min(data.len())..];
    }

    // Data bytes (decompressed), or values.
    let samples = match h.encoding {
        Encoding::Raw => Samples::Bytes(raw::read_exact_bounded(data_path, data, n_bytes, false)?),
        Encoding::Gzip => {
            let mut dec = raw::gunzip(data);
            if h.byte_skip > 0 {
                let skip = h.byte_skip as u64;
                let got = std::io::copy(&mut (&mut dec).take(skip), &mut std::io::sink()).map_err(
                    |e| ImageError::Decompress {
                        path: data_path.to_path_buf(),
                        reason: e.to_string(),
                    },
                )?;
                if got < skip {
                    return Err(ImageError::Truncated {
                        path: data_path.to_path_buf(),
                        expected: skip + n_bytes as u64,
                        found: got,
                    });
                }
            }
            let b = raw::read_exact_bounded(data_path, &mut dec, n_bytes, true)?;
            raw::finish_gzip(data_path, dec)?;
            Samples::Bytes(b)
        }
        Encoding::Ascii => Samples::Values(parse_ascii(data_path, data, n)?),
    };

    let shape = (grid[2] as usize, grid[1] as usize, grid[0] as usize);
    Ok((
        samples,
        shape,
        geometry,
        NrrdInfo {
            header: h,
            warnings,
        },
    ))
}

fn parse_ascii(path: &Path, data: &[u8], n: usize) -> Result<Vec<f64>, ImageError> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for tok in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if out.len() == n {
            break;
        }
        let v: f64 = tok.parse().map_err(|_| ImageError::Header {
            path: path.to_path_buf(),
            reason: format!("ascii data: {tok:?} is not a number"),
        })?;
        out.push(v);
    }
    if out.len() < n {
        return Err(ImageError::Truncated {
            path: path.to_path_buf(),
            expected: n as u64,
            found: out.len() as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_with_none_and_spaces() {
        let d = split_directions(Path::new("t"), "none (1, 0,0) (0,-2,0)  (0,0,3)").unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d[0], None);
        assert_eq!(d[2], Some([0.0, -2.0, 0.0]));
    }

    #[test]
    fn ras_space_is_converted_to_lps() {
        let text = "NRRD0004\ntype: short\ndimension: 3\nspace: right-anterior-superior\n\
                    sizes: 2 2 2\nspace directions: (2,0,0) (0,3,0) (0,0,4)\n\
                    endian: little\nencoding: raw\nspace origin: (10,20,30)\n";
        let h = parse_header(Path::new("t"), text).unwrap();
        let mut w = Vec::new();
        let (_, g) = h.geometry(Path::new("t"), &mut w).unwrap();
        assert_eq!(g.spacing, [2.0, 3.0, 4.0]);
        assert_eq!(g.origin, [-10.0, -20.0, 30.0]);
        assert_eq!(
            g.direction,
            [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
        );
    }

    #[test]
    fn vector_axis_is_refused() {
        let text = "NRRD0004\ntype: float\ndimension: 4\nspace: LPS\nsizes: 3 2 2 2\n\
                    space directions: none (1,0,0) (0,1,0) (0,0,1)\nendian: little\n\
                    encoding: raw\n";
        let h = parse_header(Path::new("t"), text).unwrap();
        let e = h.geometry(Path::new("t"), &mut Vec::new()).unwrap_err();
        assert!(
            e.to_string().contains("non-spatial axis 0 has 3 samples"),
            "{e}"
        );
    }
}
