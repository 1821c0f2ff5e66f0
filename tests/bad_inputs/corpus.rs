//! Generators of the bad-input corpus: small broken files written into a scratch folder
//! by code, so the corpus is reviewable and needs no hand-edited binaries.

use std::io::Write;
use std::path::Path;

/// A NIfTI-1 single file (`n+1`): the 348-byte header, 4 bytes of extension flag, data.
/// `dims` is (nx, ny, nz); `datatype`/`bitpix` as the standard codes them; the sform is
/// the diagonal of `pixdim` (method 3) with qform off.
pub fn nifti(dims: [i16; 3], pixdim: [f32; 3], datatype: i16, bitpix: i16, data: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    let dim = [3i16, dims[0], dims[1], dims[2], 1, 1, 1, 1];
    for (i, d) in dim.iter().enumerate() {
        h[40 + 2 * i..42 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    h[70..72].copy_from_slice(&datatype.to_le_bytes());
    h[72..74].copy_from_slice(&bitpix.to_le_bytes());
    let pix = [1.0f32, pixdim[0], pixdim[1], pixdim[2], 0.0, 0.0, 0.0, 0.0];
    for (i, p) in pix.iter().enumerate() {
        h[76 + 4 * i..80 + 4 * i].copy_from_slice(&p.to_le_bytes());
    }
    h[108..112].copy_from_slice(&352.0f32.to_le_bytes());
    h[112..116].copy_from_slice(&1.0f32.to_le_bytes());
    h[252..254].copy_from_slice(&0i16.to_le_bytes());
    h[254..256].copy_from_slice(&1i16.to_le_bytes());
    let srow = [
        [pixdim[0], 0.0, 0.0, 0.0],
        [0.0, pixdim[1], 0.0, 0.0],
        [0.0, 0.0, pixdim[2], 0.0],
    ];
    for (r, row) in srow.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let at = 280 + 16 * r + 4 * c;
            h[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
    }
    h[344..348].copy_from_slice(b"n+1\0");
    h.extend_from_slice(data);
    h
}

/// A 4 x 4 x 2 int16 NIfTI with spacing 1 x 1 x 2 and values 0..32.
pub fn nifti_ok() -> Vec<u8> {
    nifti([4, 4, 2], [1.0, 1.0, 2.0], 4, 16, &int16_ramp(32))
}

/// A 4 x 4 x 2 uint8 mask NIfTI with the given labels (32 of them).
pub fn nifti_mask(pixdim: [f32; 3], labels: &[u8]) -> Vec<u8> {
    nifti([4, 4, 2], pixdim, 2, 8, labels)
}

/// A mask with a 2 x 2 x 2 cube of label 1.
pub fn cube_labels() -> Vec<u8> {
    let mut l = vec![0u8; 32];
    for z in 0..2 {
        for y in 1..3 {
            for x in 1..3 {
                l[z * 16 + y * 4 + x] = 1;
            }
        }
    }
    l
}

pub fn int16_ramp(n: usize) -> Vec<u8> {
    (0..n as i16).flat_map(|v| v.to_le_bytes()).collect()
}

pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// An attached NRRD with the given header lines (the blank line and `data` follow).
pub fn nrrd(lines: &[&str], data: &[u8]) -> Vec<u8> {
    let mut out = String::from("NRRD0004\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push('\n');
    let mut b = out.into_bytes();
    b.extend_from_slice(data);
    b
}

/// The header lines of a valid 4 x 4 x 2 short NRRD (raw, little endian).
pub fn nrrd_lines() -> Vec<&'static str> {
    vec![
        "type: short",
        "dimension: 3",
        "space: left-posterior-superior",
        "sizes: 4 4 2",
        "space directions: (1,0,0) (0,1,0) (0,0,2)",
        "space origin: (0,0,0)",
        "endian: little",
        "encoding: raw",
    ]
}

/// `lines` with the line starting `key` replaced by `new` (or removed when `new` is empty).
pub fn replace(lines: &[&'static str], key: &str, new: &'static str) -> Vec<&'static str> {
    lines
        .iter()
        .filter_map(|l| {
            if l.starts_with(key) {
                (!new.is_empty()).then_some(new)
            } else {
                Some(*l)
            }
        })
        .collect()
}

pub fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write corpus file");
}

/// A valid audit scenario (apparent AUC on 60 patients) with `edit` applied as text
/// replacements `(from, to)`.
pub fn scenario(edits: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "[study]\nid = \"toy\"\n[claim]\nid = \"auc\"\nmetric = \"auc\"\nvalue = 0.80\n\
         cohort = \"training\"\n[design]\nn_development = 60\nevents_development = 30\n\
         candidate_features = 100\nselected_features = 5\nselection = \"univariate\"\n\
         model = \"logistic\"\nvalidation = \"apparent\"\n",
    );
    for (from, to) in edits {
        assert!(s.contains(from), "scenario edit: {from:?} not found");
        s = s.replace(from, to);
    }
    s
}

/// A valid long table with 3 cases x 2 raters x 2 features, then `extra` lines.
pub fn long_table(extra: &str) -> String {
    let mut s = String::from("case_id,perturbation,replicate,feature,value\n");
    for c in 1..=3 {
        for r in 0..2 {
            for f in ["stat.mean", "glcm.contrast"] {
                s.push_str(&format!("c{c},noise,{r},{f},{}\n", c * 10 + r));
            }
        }
    }
    s.push_str(extra);
    s
}
