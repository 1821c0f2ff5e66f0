//! NIfTI writing (images and masks), so perturbed images can be opened in a viewer.
//!
//! The file holds the same affine in the sform and the qform (both code 1, "scanner"),
//! converted from radaudit's LPS geometry to NIfTI's RAS by negating the x and y rows, and
//! no intensity scaling (slope 1, intercept 0). `.nii.gz` names are gzip-compressed.
//! NIfTI-1 stores the affine in f32 (about 7 significant digits); NIfTI-2 in f64.
//!
//! # Reference
//! `nifti1.h` / `nifti2.h` field layouts; the quaternion of a rotation matrix follows the
//! inverse of the `nifti1.h` formula for R(a, b, c, d) (see [`quaternion_of`]).

use std::io::Write;
use std::path::Path;

use ndarray::Array3;

use super::nifti::{datatype_code, NIFTI1_HEADER, NIFTI2_HEADER};
use super::raw::{self, DataType};
use super::{Geometry, ImageError, Mask, Volume};
use crate::table::write_atomic;

/// NIfTI header version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NiftiVersion {
    /// NIfTI-1 (348-byte header, f32 geometry): read by every viewer.
    One,
    /// NIfTI-2 (540-byte header, f64 geometry).
    Two,
}

/// Writes an image as NIfTI-1 in `dtype` (values must fit it).
///
/// # Errors
/// As [`write_nifti_with`].
pub fn write_nifti(path: &Path, volume: &Volume, dtype: DataType) -> Result<(), ImageError> {
    write_nifti_with(
        path,
        &volume.data,
        &volume.geometry,
        dtype,
        NiftiVersion::One,
    )
}

/// Writes a mask as NIfTI-1 in the smallest of uint8, int16, int32, int64 that holds its
/// labels.
///
/// # Errors
/// As [`write_nifti_with`].
pub fn write_nifti_mask(path: &Path, mask: &Mask) -> Result<(), ImageError> {
    let lo = mask.labels.iter().copied().min().unwrap_or(0);
    let hi = mask.labels.iter().copied().max().unwrap_or(0);
    let dtype = if lo >= 0 && hi <= u8::MAX as i64 {
        DataType::U8
    } else if lo >= i16::MIN as i64 && hi <= i16::MAX as i64 {
        DataType::I16
    } else if lo >= i32::MIN as i64 && hi <= i32::MAX as i64 {
        DataType::I32
    } else {
        DataType::I64
    };
    let data = mask.labels.mapv(|l| l as f64);
    write_nifti_with(path, &data, &mask.geometry, dtype, NiftiVersion::One)
}

/// Writes voxels `[z][y][x]` and LPS geometry as a single-file NIfTI (atomically).
///
/// # Errors
/// [`ImageError::NotRepresentable`] for a non-finite value, a non-integer in an integer
/// type or a value outside the type's range; [`ImageError::Unsupported`] for a grid
/// dimension above the header's field (32767 in NIfTI-1) or a direction matrix that is not
/// a rotation or reflection; [`ImageError::Io`] when writing fails.
pub fn write_nifti_with(
    path: &Path,
    data: &Array3<f64>,
    geometry: &Geometry,
    dtype: DataType,
    version: NiftiVersion,
) -> Result<(), ImageError> {
    // Values must fit the type.
    for ((z, y, x), &v) in data.indexed_iter() {
        let ok = match dtype.integer_range() {
            Some((lo, hi)) => v.is_finite() && v.fract() == 0.0 && v >= lo && v <= hi,
            None => v.is_finite() && (dtype == DataType::F64 || v.abs() <= f32::MAX as f64),
        };
        if !ok {
            return Err(ImageError::NotRepresentable {
                path: path.to_path_buf(),
                value: v,
                dtype: dtype.name(),
                at: [z, y, x],
            });
        }
    }
    let (nz, ny, nx) = data.dim();
    if version == NiftiVersion::One && [nx, ny, nz].iter().any(|&n| n > i16::MAX as usize) {
        return Err(ImageError::Unsupported {
            path: path.to_path_buf(),
            what: format!("grid {nx}x{ny}x{nz} exceeds NIfTI-1's 32767; use NIfTI-2"),
        });
    }

    // Header, then 4 zero extension bytes, then voxels (x fastest = C order of [z][y][x]).
    let mut bytes = header_bytes(path, [nx, ny, nz], geometry, dtype, version)?;
    bytes.extend_from_slice(&[0u8; 4]);
    raw::encode_le(data.iter().copied(), dtype, &mut bytes);

    let gz = path.to_string_lossy().to_lowercase().ends_with(".gz");
    let out = if gz {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&bytes)
            .and_then(|_| enc.finish())
            .map_err(|e| ImageError::Io {
                path: path.to_path_buf(),
                source: e,
            })?
    } else {
        bytes
    };
    write_atomic(path, &out).map_err(|e| ImageError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// The RAS affine (3x4) of an LPS geometry: columns `direction * spacing`, x and y rows
/// negated.
pub fn ras_affine(g: &Geometry) -> [[f64; 4]; 3] {
    let flip = [-1.0, -1.0, 1.0];
    let mut m = [[0.0; 4]; 3];
    for r in 0..3 {
        for c in 0..3 {
            m[r][c] = flip[r] * g.direction[r][c] * g.spacing[c];
        }
        m[r][3] = flip[r] * g.origin[r];
    }
    m
}

/// Quaternion (b, c, d) and qfac of an orthonormal matrix `r` (columns = axes).
///
/// # Formula
/// With qfac = sign(det r), the third column is multiplied by qfac to make a rotation R.
/// From `nifti1.h`'s R(a,b,c,d): 4a^2 = 1 + tr R, 4b^2 = 1 + R00 - R11 - R22 (and
/// likewise c, d), 4ab = R21 - R12, 4ac = R02 - R20, 4ad = R10 - R01, 4bc = R01 + R10,
/// 4bd = R02 + R20, 4cd = R12 + R21. The largest of the four squares is taken first for
/// accuracy, and the sign is chosen so that a >= 0.
pub fn quaternion_of(r: [[f64; 3]; 3]) -> ([f64; 3], f64) {
    let det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    let mut m = r;
    for row in m.iter_mut() {
        row[2] *= qfac;
    }
    let a2 = 1.0 + m[0][0] + m[1][1] + m[2][2];
    let b2 = 1.0 + m[0][0] - m[1][1] - m[2][2];
    let c2 = 1.0 + m[1][1] - m[0][0] - m[2][2];
    let d2 = 1.0 + m[2][2] - m[0][0] - m[1][1];
    let biggest = a2.max(b2).max(c2).max(d2);
    let (a, b, c, d) = if biggest == a2 {
        let a = 0.5 * a2.sqrt();
        (
            a,
            (m[2][1] - m[1][2]) / (4.0 * a),
            (m[0][2] - m[2][0]) / (4.0 * a),
            (m[1][0] - m[0][1]) / (4.0 * a),
        )
    } else if biggest == b2 {
        let b = 0.5 * b2.sqrt();
        (
            (m[2][1] - m[1][2]) / (4.0 * b),
            b,
            (m[0][1] + m[1][0]) / (4.0 * b),
            (m[0][2] + m[2][0]) / (4.0 * b),
        )
    } else if biggest == c2 {
        let c = 0.5 * c2.sqrt();
        (
            (m[0][2] - m[2][0]) / (4.0 * c),
            (m[0][1] + m[1][0]) / (4.0 * c),
            c,
            (m[1][2] + m[2][1]) / (4.0 * c),
        )
    } else {
        let d = 0.5 * d2.sqrt();
        (
            (m[1][0] - m[0][1]) / (4.0 * d),
            (m[0][2] + m[2][0]) / (4.0 * d),
            (m[1][2] + m[2][1]) / (4.0 * d),
            d,
        )
    };
    let s = if a < 0.0 { -1.0 } else { 1.0 };
    ([s * b, s * c, s * d], qfac)
}

fn header_bytes(
    path: &Path,
    grid: [usize; 3],
    g: &Geometry,
    dtype: DataType,
    version: NiftiVersion,
) -> Result<Vec<u8>, ImageError> {
    // Geometry in RAS.
    let affine = ras_affine(g);
    let mut rot = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            rot[r][c] = affine[r][c] / g.spacing[c];
        }
    }
    for c1 in 0..3 {
        for c2 in c1..3 {
            let dot: f64 = (0..3).map(|r| rot[r][c1] * rot[r][c2]).sum();
            let want = if c1 == c2 { 1.0 } else { 0.0 };
            if !((dot - want).abs() < 1e-6) || !g.spacing[c1].is_finite() {
                return Err(ImageError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!(
                        "direction {:?} / spacing {:?} is not an orthonormal grid",
                        g.direction, g.spacing
                    ),
                });
            }
        }
    }
    let (quat, qfac) = quaternion_of(rot);
    let code = datatype_code(dtype);
    let bitpix = (dtype.size() * 8) as i16;
    let pixdim = [
        qfac,
        g.spacing[0],
        g.spacing[1],
        g.spacing[2],
        0.0,
        0.0,
        0.0,
        0.0,
    ];

    let mut h;
    match version {
        NiftiVersion::One => {
            h = vec![0u8; NIFTI1_HEADER];
            let put = |h: &mut Vec<u8>, at: usize, b: &[u8]| h[at..at + b.len()].copy_from_slice(b);
            put(&mut h, 0, &348i32.to_le_bytes());
            put(&mut h, 38, b"r");
            let dims = [
                3i16,
                grid[0] as i16,
                grid[1] as i16,
                grid[2] as i16,
                1,
                1,
                1,
                1,
            ];
            for (i, d) in dims.iter().enumerate() {
                put(&mut h, 40 + 2 * i, &d.to_le_bytes());
            }
            put(&mut h, 70, &code.to_le_bytes());
            put(&mut h, 72, &bitpix.to_le_bytes());
            for (i, p) in pixdim.iter().enumerate() {
                put(&mut h, 76 + 4 * i, &(*p as f32).to_le_bytes());
            }
            put(&mut h, 108, &352f32.to_le_bytes());
            put(&mut h, 112, &1f32.to_le_bytes());
            put(&mut h, 123, &[2u8]); // xyzt_units: mm
            put(&mut h, 148, b"radaudit");
            put(&mut h, 252, &1i16.to_le_bytes());
            put(&mut h, 254, &1i16.to_le_bytes());
            for (i, q) in quat.iter().enumerate() {
                put(&mut h, 256 + 4 * i, &(*q as f32).to_le_bytes());
            }
            for r in 0..3 {
                put(&mut h, 268 + 4 * r, &(affine[r][3] as f32).to_le_bytes());
                for c in 0..4 {
                    put(
                        &mut h,
                        280 + 16 * r + 4 * c,
                        &(affine[r][c] as f32).to_le_bytes(),
                    );
                }
            }
            put(&mut h, 344, b"n+1\0");
        }
        NiftiVersion::Two => {
            h = vec![0u8; NIFTI2_HEADER];
            let put = |h: &mut Vec<u8>, at: usize, b: &[u8]| h[at..at + b.len()].copy_from_slice(b);
            put(&mut h, 0, &540i32.to_le_bytes());
            put(&mut h, 4, b"n+2\0\r\n\x1a\n");
            put(&mut h, 12, &code.to_le_bytes());
            put(&mut h, 14, &bitpix.to_le_bytes());
            let dims = [
                3i64,
                grid[0] as i64,
                grid[1] as i64,
                grid[2] as i64,
                1,
                1,
                1,
                1,
            ];
            for (i, d) in dims.iter().enumerate() {
                put(&mut h, 16 + 8 * i, &d.to_le_bytes());
            }
            for (i, p) in pixdim.iter().enumerate() {
                put(&mut h, 104 + 8 * i, &p.to_le_bytes());
            }
            put(&mut h, 168, &544i64.to_le_bytes());
            put(&mut h, 176, &1f64.to_le_bytes());
            put(&mut h, 240, b"radaudit");
            put(&mut h, 344, &1i32.to_le_bytes());
            put(&mut h, 348, &1i32.to_le_bytes());
            for (i, q) in quat.iter().enumerate() {
                put(&mut h, 352 + 8 * i, &q.to_le_bytes());
            }
            for r in 0..3 {
                put(&mut h, 376 + 8 * r, &affine[r][3].to_le_bytes());
                for c in 0..4 {
                    put(&mut h, 400 + 32 * r + 8 * c, &affine[r][c].to_le_bytes());
                }
            }
            put(&mut h, 500, &2i32.to_le_bytes()); // xyzt_units: mm
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::nifti::NiftiHeader;

    #[test]
    fn quaternion_round_trips_through_nifti_formula() {
        // A rotation about an oblique axis, and its reflection.
        let (s, c) = (0.3f64.sin(), 0.3f64.cos());
        let rz = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]];
        for reflect in [1.0, -1.0] {
            let mut r = rz;
            for row in r.iter_mut() {
                row[2] *= reflect;
            }
            let (q, qfac) = quaternion_of(r);
            let h = NiftiHeader {
                version: 1,
                big_endian: false,
                dim: [3, 1, 1, 1, 1, 1, 1, 1],
                datatype: 4,
                bitpix: 16,
                pixdim: [qfac, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                vox_offset: 352.0,
                scl_slope: 1.0,
                scl_inter: 0.0,
                qform_code: 1,
                sform_code: 0,
                quatern: q,
                qoffset: [0.0; 3],
                srow: [[0.0; 4]; 3],
            };
            let m = h.qform_affine();
            for row in 0..3 {
                for col in 0..3 {
                    assert!((m[row][col] - r[row][col]).abs() < 1e-12, "{m:?} vs {r:?}");
                }
            }
        }
    }
}
