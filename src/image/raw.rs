//! Voxel buffers shared by the NIfTI and NRRD readers: data types, endian-aware decoding,
//! the allocation limit and bounded (gzip) reading.
//!
//! Every reader checks the voxel count a header claims against [`MAX_VOXELS`] before it
//! allocates anything, and reads compressed streams through a length limit, so a header
//! that lies about its size costs at most the bytes really present in the file.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::ImageError;

/// Largest voxel count radaudit accepts (2^30, about 1.07e9 voxels = 8.6 GB as f64).
///
/// A 512 x 512 x 4096 CT is at the limit; larger headers are refused before allocation.
pub const MAX_VOXELS: u64 = 1 << 30;

/// Voxel data type on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
}

impl DataType {
    /// Bytes per voxel.
    pub fn size(self) -> usize {
        match self {
            DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
        }
    }

    /// True for the integer types.
    pub fn is_integer(self) -> bool {
        !matches!(self, DataType::F32 | DataType::F64)
    }

    /// The range of values the type holds exactly as f64 (integers only; floats: all).
    pub fn integer_range(self) -> Option<(f64, f64)> {
        match self {
            DataType::U8 => Some((0.0, u8::MAX as f64)),
            DataType::I8 => Some((i8::MIN as f64, i8::MAX as f64)),
            DataType::U16 => Some((0.0, u16::MAX as f64)),
            DataType::I16 => Some((i16::MIN as f64, i16::MAX as f64)),
            DataType::U32 => Some((0.0, u32::MAX as f64)),
            DataType::I32 => Some((i32::MIN as f64, i32::MAX as f64)),
            // Integers above 2^53 are not exact in f64; radaudit refuses to write them.
            DataType::U64 => Some((0.0, 9_007_199_254_740_992.0)),
            DataType::I64 => Some((-9_007_199_254_740_992.0, 9_007_199_254_740_992.0)),
            DataType::F32 | DataType::F64 => None,
        }
    }

    /// Short lower-case name (`int16`, `float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DataType::U8 => "uint8",
            DataType::I8 => "int8",
            DataType::U16 => "uint16",
            DataType::I16 => "int16",
            DataType::U32 => "uint32",
            DataType::I32 => "int32",
            DataType::U64 => "uint64",
            DataType::I64 => "int64",
            DataType::F32 => "float32",
            DataType::F64 => "float64",
        }
    }
}

/// Checks a claimed grid size against [`MAX_VOXELS`] and returns the voxel count.
///
/// # Errors
/// [`ImageError::TooLarge`] when the product of `dims` exceeds the limit or a size is 0
/// ([`ImageError::Header`]).
pub fn checked_voxel_count(path: &Path, dims: [u64; 3]) -> Result<usize, ImageError> {
    if dims.contains(&0) {
        return Err(ImageError::Header {
            path: path.to_path_buf(),
            reason: format!("grid size {dims:?} has a zero extent"),
        });
    }
    let n = dims.iter().fold(1u128, |acc, &d| acc * d as u128);
    if n > MAX_VOXELS as u128 {
        return Err(ImageError::TooLarge {
            path: path.to_path_buf(),
            dims,
            voxels: n,
            limit: MAX_VOXELS,
        });
    }
    Ok(n as usize)
}

/// Most bytes reserved before any data has arrived: a header's claim is trusted up to this
/// much (a 512 x 512 x 128 CT of 16-bit voxels), beyond it the buffer grows as data comes,
/// so a small file claiming a huge volume cannot make us allocate the claim.
const MAX_PREALLOC: usize = 64 << 20;

/// Reads exactly `n_bytes` from `reader`; the buffer is reserved up to [`MAX_PREALLOC`]
/// and grows only as data arrives beyond it.
///
/// # Errors
/// [`ImageError::Truncated`] when the stream ends early; [`ImageError::Decompress`] when
/// the (gzip) stream is corrupt.
pub fn read_exact_bounded<R: Read>(
    path: &Path,
    reader: R,
    n_bytes: usize,
    compressed: bool,
) -> Result<Vec<u8>, ImageError> {
    let mut buf = Vec::with_capacity(n_bytes.min(MAX_PREALLOC));
    let got = reader.take(n_bytes as u64).read_to_end(&mut buf);
    match got {
        Ok(_) if buf.len() == n_bytes => Ok(buf),
        Ok(_) => Err(ImageError::Truncated {
            path: path.to_path_buf(),
            expected: n_bytes as u64,
            found: buf.len() as u64,
        }),
        Err(e) if compressed => Err(ImageError::Decompress {
            path: path.to_path_buf(),
            reason: format!("{e} after {} of {n_bytes} bytes", buf.len()),
        }),
        Err(e) => Err(ImageError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Most bytes a gzip stream may carry past the voxel data (padding, extensions).
const MAX_GZIP_TAIL: u64 = 64 << 20;

/// Reads a gzip stream to its end, so that a cut or corrupt tail (CRC, length) is reported
/// even when the voxels themselves were complete; a stream that goes on for more than
/// [`MAX_GZIP_TAIL`] bytes past the voxels is refused (a decompression bomb, or a header
/// that understates the volume), after reading only that much.
///
/// # Errors
/// [`ImageError::Decompress`] when the rest of the stream does not decode or is too long.
pub fn finish_gzip<R: Read>(path: &Path, reader: R) -> Result<(), ImageError> {
    let mut rest = reader.take(MAX_GZIP_TAIL + 1);
    let tail =
        std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| ImageError::Decompress {
            path: path.to_path_buf(),
            reason: format!("{e} after the voxel data"),
        })?;
    if tail > MAX_GZIP_TAIL {
        return Err(ImageError::Decompress {
            path: path.to_path_buf(),
            reason: format!(
                "the stream goes on for more than {} MiB past the voxel data the header \
                 describes (a decompression bomb or a wrong header)",
                MAX_GZIP_TAIL >> 20
            ),
        });
    }
    Ok(())
}

/// Gzip decoder over a byte slice.
pub type GzReader<'a> = MultiGzDecoder<&'a [u8]>;

/// Gzip decoder over a byte slice (multi-member streams are read through).
pub fn gunzip(bytes: &[u8]) -> GzReader<'_> {
    MultiGzDecoder::new(bytes)
}

/// The `N`-byte words of `bytes`, in little-endian order whatever the file's order.
fn words<const N: usize>(bytes: &[u8], big_endian: bool) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(move |c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        if big_endian {
            a.reverse();
        }
        a
    })
}

/// Decodes `bytes` (exactly `n * dtype.size()` of them) into f64 values.
pub fn decode(bytes: &[u8], dtype: DataType, big_endian: bool) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {
            words(bytes, big_endian)
                .map(|a| <$t>::from_le_bytes(a) as f64)
                .collect()
        };
    }
    match dtype {
        DataType::U8 => bytes.iter().map(|&b| b as f64).collect(),
        DataType::I8 => bytes.iter().map(|&b| b as i8 as f64).collect(),
        DataType::U16 => conv!(u16),
        DataType::I16 => conv!(i16),
        DataType::U32 => conv!(u32),
        DataType::I32 => conv!(i32),
        DataType::U64 => conv!(u64),
        DataType::I64 => conv!(i64),
        DataType::F32 => conv!(f32),
        DataType::F64 => conv!(f64),
    }
}

/// Decodes `bytes` of an integer type of at most 32 bits into i64 labels (exact); `None`
/// for other types.
pub fn decode_labels(bytes: &[u8], dtype: DataType, big_endian: bool) -> Option<Vec<i64>> {
    macro_rules! conv {
        ($t:ty) => {
            words(bytes, big_endian)
                .map(|a| i64::from(<$t>::from_le_bytes(a)))
                .collect()
        };
    }
    Some(match dtype {
        DataType::U8 => bytes.iter().map(|&b| i64::from(b)).collect(),
        DataType::I8 => bytes.iter().map(|&b| i64::from(b as i8)).collect(),
        DataType::U16 => conv!(u16),
        DataType::I16 => conv!(i16),
        DataType::U32 => conv!(u32),
        DataType::I32 => conv!(i32),
        _ => return None,
    })
}

/// Encodes f64 values as little-endian `dtype` bytes; values must fit the type (checked
/// by the caller).
pub fn encode_le(values: impl Iterator<Item = f64>, dtype: DataType, out: &mut Vec<u8>) {
    for v in values {
        match dtype {
            DataType::U8 => out.push(v as u8),
            DataType::I8 => out.push(v as i8 as u8),
            DataType::U16 => out.extend_from_slice(&(v as u16).to_le_bytes()),
            DataType::I16 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            DataType::U32 => out.extend_from_slice(&(v as u32).to_le_bytes()),
            DataType::I32 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            DataType::U64 => out.extend_from_slice(&(v as u64).to_le_bytes()),
            DataType::I64 => out.extend_from_slice(&(v as i64).to_le_bytes()),
            DataType::F32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
            DataType::F64 => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_both_endians() {
        let le = [0x34, 0x12, 0xff, 0xff];
        assert_eq!(decode(&le, DataType::I16, false), vec![4660.0, -1.0]);
        let be = [0x12, 0x34, 0xff, 0xfe];
        assert_eq!(decode(&be, DataType::I16, true), vec![4660.0, -2.0]);
        assert_eq!(decode(&be, DataType::U16, true), vec![4660.0, 65534.0]);
    }

    #[test]
    fn huge_grid_is_refused() {
        let e = checked_voxel_count(Path::new("x"), [100_000; 3]).unwrap_err();
        assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&[7u8; 1000]).unwrap();
        let gz = enc.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let e = read_exact_bounded(Path::new("x"), gunzip(cut), 1000, true).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::Decompress { .. } | ImageError::Truncated { .. }
            ),
            "{e}"
        );
    }
}
