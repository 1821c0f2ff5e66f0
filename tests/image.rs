//! Image reading, writing and mask validation against the shared reference data and the
//! edge cases CASE-01..06 of `../shared/cases.md`.
//!
//! Expected sizes, spacings, origins, directions, value ranges and ROI voxel counts come
//! from the READMEs of `../shared/data/{ibsi,images,pyradiomics}` (read there with
//! SimpleITK). Geometry read from NIfTI is stored in f32, so it is compared with a
//! tolerance of 1e-5 mm (f32 has ~7 significant digits; the largest coordinate is ~800
//! mm, so 1e-4 for origins); voxel values and counts are exact.

use std::path::{Path, PathBuf};

use ndarray::Array3;
use proptest::prelude::*;
use radaudit::image::{
    self, nifti, raw::DataType, read_mask, read_mask_with_info, read_volume, read_volume_with_info,
    validate, write_nifti, write_nifti_mask, write_nifti_with, Geometry, ImageError, Mask,
    MaskError, NiftiVersion, RoiRules, Volume,
};

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_vec(what: &str, got: [f64; 3], want: [f64; 3], tol: f64) {
    for a in 0..3 {
        assert!(
            close(got[a], want[a], tol),
            "{what}: got {got:?}, want {want:?} (tol {tol})"
        );
    }
}

fn assert_dir(got: [[f64; 3]; 3], diag: [f64; 3]) {
    for r in 0..3 {
        for c in 0..3 {
            let want = if r == c { diag[r] } else { 0.0 };
            assert!(
                close(got[r][c], want, 1e-6),
                "direction {got:?}, want diag {diag:?}"
            );
        }
    }
}

fn range(v: &Volume) -> (f64, f64) {
    let lo = v.data.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = v.data.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

fn shape_xyz<T>(a: &Array3<T>) -> [usize; 3] {
    let (z, y, x) = a.dim();
    [x, y, z]
}

// ---------------------------------------------------------------------------------------
// Reference reads

#[test]
fn ibsi_digital_phantom_reads_as_readme() {
    let v = read_volume(&data("ibsi/digital_phantom/image.nii.gz")).unwrap();
    let m = read_mask(&data("ibsi/digital_phantom/mask.nii.gz")).unwrap();
    assert_eq!(shape_xyz(&v.data), [5, 4, 4]);
    assert_eq!(v.geometry.spacing, [2.0, 2.0, 2.0]);
    assert_vec("origin", v.geometry.origin, [0.0; 3], 0.0);
    assert_dir(v.geometry.direction, [1.0, 1.0, 1.0]);
    // README, z0 rows: [1 4 4 1 1] [1 4 6 1 1] [4 1 6 4 1] [4 4 6 4 1]; z2 (y2, x2) = 9.
    let z0: Vec<f64> = v
        .data
        .slice(ndarray::s![0, .., ..])
        .iter()
        .cloned()
        .collect();
    let want = [
        1., 4., 4., 1., 1., 1., 4., 6., 1., 1., 4., 1., 6., 4., 1., 4., 4., 6., 4., 1.,
    ];
    assert_eq!(z0, want);
    assert_eq!(v.data[[2, 2, 2]], 9.0);
    assert_eq!(m.count(1), 74);
    assert_eq!(m.labels[[1, 2, 0]], 0);
    let roi = validate::roi(&v, &m, 1, &RoiRules::default()).unwrap();
    assert_eq!(roi.count, 74);
    assert_eq!(roi.volume_mm3, 592.0);
}

#[test]
fn ibsi_ct_phantom_reads_as_readme() {
    let (v, info) = read_volume_with_info(&data("ibsi/ct_phantom/image.nii.gz")).unwrap();
    assert_eq!(info.dtype, DataType::F32);
    assert_eq!(shape_xyz(&v.data), [204, 201, 60]);
    assert_vec("spacing", v.geometry.spacing, [0.977, 0.977, 3.0], 1e-6);
    // README rounds the origin to 2 decimals.
    assert_vec(
        "origin",
        v.geometry.origin,
        [-174.39, -79.63, -100.4],
        0.006,
    );
    assert_dir(v.geometry.direction, [1.0, 1.0, 1.0]);
    assert_eq!(range(&v), (-1000.0, 3065.0));
    let m = read_mask(&data("ibsi/ct_phantom/mask.nii.gz")).unwrap();
    let roi = validate::roi(&v, &m, 1, &RoiRules::default()).unwrap();
    assert_eq!(roi.count, 125_256);
}

struct NrrdCase {
    name: &'static str,
    size: [usize; 3],
    spacing: [f64; 3],
    diag: [f64; 3],
    range: (f64, f64),
    labels: &'static [(i64, usize)],
    dtype: DataType,
    label_dtype: DataType,
}

const NRRD_CASES: &[NrrdCase] = &[
    NrrdCase {
        name: "brain1",
        size: [256, 256, 25],
        spacing: [0.78125, 0.78125, 6.5],
        diag: [1.0, -1.0, 1.0],
        range: (0.0, 3057.0),
        labels: &[(1, 4137)],
        dtype: DataType::I16,
        label_dtype: DataType::I32,
    },
    NrrdCase {
        name: "brain2",
        size: [256, 256, 23],
        spacing: [0.78125, 0.78125, 6.5],
        diag: [1.0, -1.0, 1.0],
        range: (0.0, 1523.0),
        labels: &[(1, 453)],
        dtype: DataType::I16,
        label_dtype: DataType::I32,
    },
    NrrdCase {
        name: "breast1",
        size: [45, 120, 21],
        spacing: [0.664062, 0.664062, 2.1],
        diag: [1.0, 1.0, 1.0],
        range: (6.0, 248.0),
        labels: &[(1, 143)],
        dtype: DataType::I16,
        label_dtype: DataType::I16,
    },
    NrrdCase {
        name: "lung1",
        size: [512, 512, 48],
        spacing: [0.5703125, 0.5703125, 5.0],
        diag: [1.0, 1.0, 1.0],
        range: (-1024.0, 3071.0),
        labels: &[(1, 837)],
        dtype: DataType::I16,
        label_dtype: DataType::I16,
    },
    NrrdCase {
        name: "lung2",
        size: [512, 512, 61],
        spacing: [0.6269531, 0.6269531, 5.0],
        diag: [1.0, 1.0, 1.0],
        range: (-1024.0, 1671.0),
        labels: &[(1, 24_644)],
        dtype: DataType::I16,
        label_dtype: DataType::I16,
    },
    NrrdCase {
        name: "prostate_phantom_subvolume",
        size: [82, 67, 13],
        spacing: [0.5, 0.5, 3.0],
        diag: [-1.0, -1.0, 1.0],
        range: (0.0, 2017.0),
        labels: &[(1, 168), (7, 170), (8, 2997), (9, 9088)],
        dtype: DataType::U16,
        label_dtype: DataType::I16,
    },
];

#[test]
fn pyradiomics_nrrd_files_read_as_readme() {
    for c in NRRD_CASES {
        let (img, lab) = if c.name.starts_with("prostate") {
            (format!("{}.nrrd", c.name), format!("{}-label.nrrd", c.name))
        } else {
            (
                format!("{}_image.nrrd", c.name),
                format!("{}_label.nrrd", c.name),
            )
        };
        let (v, info) = read_volume_with_info(&data(&format!("pyradiomics/{img}"))).unwrap();
        assert_eq!(info.dtype, c.dtype, "{}", c.name);
        assert_eq!(shape_xyz(&v.data), c.size, "{}", c.name);
        // README spacings are printed to 7 significant digits.
        assert_vec(c.name, v.geometry.spacing, c.spacing, 5e-7);
        assert_dir(v.geometry.direction, c.diag);
        assert_eq!(range(&v), c.range, "{}", c.name);
        let (m, minfo) = read_mask_with_info(&data(&format!("pyradiomics/{lab}"))).unwrap();
        assert_eq!(minfo.dtype, c.label_dtype, "{}", c.name);
        let present: Vec<i64> = c.labels.iter().map(|l| l.0).collect();
        assert_eq!(m.labels_present(), present, "{}", c.name);
        for &(label, n) in c.labels {
            let roi = validate::roi(&v, &m, label, &RoiRules::default()).unwrap();
            assert_eq!(roi.count, n, "{} label {label}", c.name);
        }
    }
}

#[test]
fn nifti_and_nrrd_copies_agree_in_lps() {
    for (case, n_roi, range_want) in [
        ("brain1", 4137, (0.0, 3057.0)),
        ("breast1", 143, (6.0, 248.0)),
    ] {
        let ni = read_volume(&data(&format!(
            "images/pyradiomics_testcases/{case}_image.nii.gz"
        )))
        .unwrap();
        let nr = read_volume(&data(&format!("pyradiomics/{case}_image.nrrd"))).unwrap();
        assert_eq!(ni.data, nr.data, "{case} voxels");
        assert_eq!(range(&ni), range_want);
        // NIfTI-1 geometry is f32: 1e-5 relative.
        for a in 0..3 {
            assert!(
                close(ni.geometry.spacing[a], nr.geometry.spacing[a], 1e-6),
                "{case}"
            );
            assert!(
                close(ni.geometry.origin[a], nr.geometry.origin[a], 1e-4),
                "{case}"
            );
            for r in 0..3 {
                assert!(close(
                    ni.geometry.direction[r][a],
                    nr.geometry.direction[r][a],
                    1e-7
                ));
            }
        }
        let mi = read_mask(&data(&format!(
            "images/pyradiomics_testcases/{case}_label.nii.gz"
        )))
        .unwrap();
        let mr = read_mask(&data(&format!("pyradiomics/{case}_label.nrrd"))).unwrap();
        assert_eq!(mi.labels, mr.labels, "{case} labels");
        assert_eq!(
            validate::roi(&ni, &mi, 1, &RoiRules::default())
                .unwrap()
                .count,
            n_roi
        );
        // Mixed formats validate against each other (geometry within 1e-3 voxel).
        assert_eq!(
            validate::roi(&ni, &mr, 1, &RoiRules::default())
                .unwrap()
                .count,
            n_roi
        );
    }
    let brain = read_volume(&data("pyradiomics/brain1_image.nrrd")).unwrap();
    assert_dir(brain.geometry.direction, [1.0, -1.0, 1.0]);
}

// ---------------------------------------------------------------------------------------
// Helpers that build small NIfTI files in a temp dir

/// `IMG27`: 3x3x3, values 1..27 in C order.
fn img27() -> Volume {
    let d = Array3::from_shape_vec((3, 3, 3), (1..=27).map(|v| v as f64).collect()).unwrap();
    Volume {
        data: d,
        geometry: Geometry::default(),
    }
}

fn mask_from(f: impl Fn(usize, usize, usize) -> i64) -> Mask {
    Mask {
        labels: Array3::from_shape_fn((3, 3, 3), |(z, y, x)| f(z, y, x)),
        geometry: Geometry::default(),
    }
}

fn patch(path: &Path, edits: &[(usize, &[u8])]) {
    let mut b = std::fs::read(path).unwrap();
    for (at, bytes) in edits {
        b[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    std::fs::write(path, b).unwrap();
}

// ---------------------------------------------------------------------------------------
// CASE-01 .. CASE-04: mask validation

#[test]
fn case01_whole_image_mask_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ones.nii.gz");
    write_nifti_mask(&p, &mask_from(|_, _, _| 1)).unwrap();
    let m = read_mask(&p).unwrap();
    let roi = validate::roi(&img27(), &m, 1, &RoiRules::default()).unwrap();
    assert_eq!(roi.count, 27);
    let vals = roi.values(&img27());
    assert_eq!(vals.iter().sum::<f64>() / 27.0, 14.0);
    assert_eq!(roi.bbox.extent(), [3, 3, 3]);
}

#[test]
fn case01_all_zero_mask_is_empty() {
    let e = validate::roi(&img27(), &mask_from(|_, _, _| 0), 1, &RoiRules::default()).unwrap_err();
    assert_eq!(e, MaskError::Empty { label: 1 });
    assert_eq!(e.to_string(), "ROI is empty (0 voxels with label 1)");
}

#[test]
fn case02a_single_voxel_names_count_and_box() {
    let m = mask_from(|z, y, x| (z == 1 && y == 1 && x == 1) as i64);
    let rules = RoiRules {
        min_voxels: 2,
        ..RoiRules::default()
    };
    let e = validate::roi(&img27(), &m, 1, &rules).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("ROI has 1 voxel with label 1 (bounding box 1x1x1"),
        "{msg}"
    );
    assert!(
        msg.contains("at least 2 are needed") && !msg.contains("dimensions"),
        "{msg}"
    );
    // Allowed when the rule permits 1 voxel: value 14.
    let roi = validate::roi(&img27(), &m, 1, &RoiRules::default()).unwrap();
    assert_eq!(roi.values(&img27()), vec![14.0]);
}

#[test]
fn case02b_two_voxel_line_spans_one_dimension() {
    let m = mask_from(|z, y, x| (z == 1 && y == 1 && x <= 1) as i64);
    let rules = RoiRules {
        min_dims: 2,
        ..RoiRules::default()
    };
    let e = validate::roi(&img27(), &m, 1, &rules).unwrap_err();
    assert!(
        matches!(
            e,
            MaskError::TooFewDimensions {
                dims: 1,
                count: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("spans only 1 dimension (bounding box 2x1x1"),
        "{msg}"
    );
    assert!(!msg.contains("image"), "{msg}");
}

#[test]
fn case02c_plane_roi_meets_2d_rule_inclusively() {
    let m = mask_from(|z, _, _| (z == 1) as i64);
    let rules = RoiRules {
        min_dims: 2,
        min_voxels: 9,
        ..RoiRules::default()
    };
    let roi = validate::roi(&img27(), &m, 1, &rules).unwrap();
    assert_eq!(roi.count, 9);
    assert_eq!(roi.bbox.extent(), [3, 3, 1]);
    let e = validate::roi(
        &img27(),
        &m,
        1,
        &RoiRules {
            min_dims: 3,
            ..RoiRules::default()
        },
    );
    assert!(matches!(
        e,
        Err(MaskError::TooFewDimensions {
            dims: 2,
            min: 3,
            ..
        })
    ));
}

#[test]
fn case03a_label_255_asked_as_1_lists_labels() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m255.nii");
    write_nifti_mask(&p, &mask_from(|z, _, _| if z == 1 { 255 } else { 0 })).unwrap();
    let (m, info) = read_mask_with_info(&p).unwrap();
    assert_eq!(info.dtype, DataType::U8);
    let e = validate::roi(&img27(), &m, 1, &RoiRules::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "label 1 not found in mask; labels present: [255]"
    );
}

#[test]
fn case03b_label_255_works() {
    let m = mask_from(|z, _, _| if z == 1 { 255 } else { 0 });
    let roi = validate::roi(&img27(), &m, 255, &RoiRules::default()).unwrap();
    let v = roi.values(&img27());
    assert_eq!(v, (10..=18).map(|x| x as f64).collect::<Vec<_>>());
    let mean = v.iter().sum::<f64>() / 9.0;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 9.0;
    assert_eq!(mean, 14.0);
    assert!(close(var, 20.0 / 3.0, 1e-12));
}

#[test]
fn case03c_float_mask_with_fractional_values_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("float.nii.gz");
    let d = Array3::from_shape_fn(
        (3, 3, 3),
        |(z, _, _)| if z == 1 { 0.003921569 } else { 0.0 },
    );
    write_nifti_with(
        &p,
        &d,
        &Geometry::default(),
        DataType::F32,
        NiftiVersion::One,
    )
    .unwrap();
    let e = read_mask(&p).unwrap_err();
    match &e {
        ImageError::NonIntegerLabels {
            examples, count, ..
        } => {
            assert_eq!(*count, 9);
            assert_eq!(examples.len(), 1);
            assert!(close(examples[0], 0.003921569, 1e-9));
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("labels must be integers"));
}

#[test]
fn case03d_intensity_image_as_mask_is_refused() {
    let m = Mask {
        labels: img27().data.mapv(|v| v as i64),
        geometry: Geometry::default(),
    };
    let e = validate::roi(&img27(), &m, 1, &RoiRules::default()).unwrap_err();
    assert_eq!(
        e,
        MaskError::LooksLikeIntensity {
            distinct: 27,
            nonzero_percent: 100.0
        }
    );
    assert!(e.to_string().contains("27 distinct non-zero values"));
}

fn case04_image() -> Volume {
    let g = Geometry {
        spacing: [0.7, 0.7, 2.5],
        origin: [-100.0, -100.0, 50.0],
        ..Geometry::default()
    };
    let d = Array3::from_shape_vec((4, 4, 4), (0..64).map(|v| v as f64).collect()).unwrap();
    Volume {
        data: d,
        geometry: g,
    }
}

fn case04_mask(g: Geometry) -> Mask {
    let l = Array3::from_shape_fn((4, 4, 4), |(z, y, x)| {
        ((1..3).contains(&z) && (1..3).contains(&y) && (1..3).contains(&x)) as i64
    });
    Mask {
        labels: l,
        geometry: g,
    }
}

#[test]
fn case04a_float_noise_is_accepted() {
    let img = case04_image();
    let mut g = img.geometry.clone();
    g.origin[0] = -99.999995;
    g.spacing[0] = 0.70000005;
    let roi = validate::roi(&img, &case04_mask(g), 1, &RoiRules::default()).unwrap();
    let v = roi.values(&img);
    assert_eq!(v, vec![21.0, 22.0, 25.0, 26.0, 37.0, 38.0, 41.0, 42.0]);
    assert_eq!(v.iter().sum::<f64>() / 8.0, 31.5);
}

#[test]
fn case04b_half_voxel_offset_is_refused_with_numbers() {
    let img = case04_image();
    let mut g = img.geometry.clone();
    g.origin[0] = -99.65;
    let e = validate::roi(&img, &case04_mask(g), 1, &RoiRules::default()).unwrap_err();
    match &e {
        MaskError::GeometryMismatch {
            field,
            axis,
            offset_mm,
            offset_voxels,
            ..
        } => {
            assert_eq!((*field, axis.as_str()), ("origin", "x"));
            assert!(close(*offset_mm, 0.35, 1e-9) && close(*offset_voxels, 0.5, 1e-9));
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("origin x") && msg.contains("0.350000 mm = 0.500000 voxel"),
        "{msg}"
    );
}

#[test]
fn case04c_flipped_direction_is_refused() {
    let img = case04_image();
    let mut g = img.geometry.clone();
    g.direction[0][0] = -1.0;
    let e = validate::roi(&img, &case04_mask(g), 1, &RoiRules::default()).unwrap_err();
    assert!(
        matches!(
            e,
            MaskError::GeometryMismatch {
                field: "direction",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn shape_mismatch_is_refused() {
    let m = Mask {
        labels: Array3::ones((3, 3, 2)),
        geometry: Geometry::default(),
    };
    let e = validate::roi(&img27(), &m, 1, &RoiRules::default()).unwrap_err();
    assert_eq!(
        e,
        MaskError::ShapeMismatch {
            image: [3, 3, 3],
            mask: [2, 3, 3]
        }
    );
}

// ---------------------------------------------------------------------------------------
// CASE-05, CASE-06: NIfTI header rules

/// CASE-05 file: int16 (x,y,z) = (4,4,2), 2x2x2 ROI, qform diag(0.5,0.5,2) and sform
/// diag(1,1,1), both with offset (-10,-20,5) (RAS).
fn case05_file(dir: &Path) -> PathBuf {
    let p = dir.join("case05.nii");
    let l = Array3::from_shape_fn((2, 4, 4), |(_, y, x)| {
        ((1..3).contains(&y) && (1..3).contains(&x)) as i64
    });
    // Written with LPS geometry = RAS qform (diag(0.5,0.5,2), offset (-10,-20,5)).
    let g = Geometry {
        spacing: [0.5, 0.5, 2.0],
        origin: [10.0, 20.0, 5.0],
        direction: [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    write_nifti_with(
        &p,
        &l.mapv(|v| v as f64),
        &g,
        DataType::I16,
        NiftiVersion::One,
    )
    .unwrap();
    // Overwrite the sform with diag(1,1,1) and the same offset.
    let mut edits: Vec<(usize, Vec<u8>)> = Vec::new();
    let srow = [
        [1.0f32, 0.0, 0.0, -10.0],
        [0.0, 1.0, 0.0, -20.0],
        [0.0, 0.0, 1.0, 5.0],
    ];
    for (r, row) in srow.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            edits.push((280 + 16 * r + 4 * c, v.to_le_bytes().to_vec()));
        }
    }
    let e: Vec<(usize, &[u8])> = edits.iter().map(|(a, b)| (*a, b.as_slice())).collect();
    patch(&p, &e);
    p
}

#[test]
fn case05_sform_wins_with_a_warning_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let p = case05_file(dir.path());
    let (m, info) = read_mask_with_info(&p).unwrap();
    assert_eq!(info.transform, "sform");
    assert_eq!(m.geometry.spacing, [1.0, 1.0, 1.0]);
    assert_eq!(m.geometry.origin, [10.0, 20.0, 5.0]);
    assert_dir(m.geometry.direction, [-1.0, -1.0, 1.0]);
    assert_eq!(info.warnings.len(), 1);
    let w = &info.warnings[0];
    assert!(
        w.contains("qform and sform disagree") && w.contains("using the sform"),
        "{w}"
    );
    assert!(w.contains("spacing [0.5, 0.5, 2.0]"), "{w}");
    // ROI volume under the sform: 8 voxels x 1 mm3.
    let img = Volume {
        data: m.labels.mapv(|v| v as f64),
        geometry: m.geometry.clone(),
    };
    assert_eq!(
        validate::roi(&img, &m, 1, &RoiRules::default())
            .unwrap()
            .volume_mm3,
        8.0
    );

    // With sform_code 0, the qform gives SimpleITK's geometry and 4 mm3.
    patch(&p, &[(254, &0i16.to_le_bytes()[..])]);
    let (m, info) = read_mask_with_info(&p).unwrap();
    assert_eq!(info.transform, "qform");
    assert!(info.warnings.is_empty());
    assert_eq!(m.geometry.spacing, [0.5, 0.5, 2.0]);
    assert_eq!(m.geometry.origin, [10.0, 20.0, 5.0]);
    assert_dir(m.geometry.direction, [-1.0, -1.0, 1.0]);
    let img = Volume {
        data: m.labels.mapv(|v| v as f64),
        geometry: m.geometry.clone(),
    };
    assert_eq!(
        validate::roi(&img, &m, 1, &RoiRules::default())
            .unwrap()
            .volume_mm3,
        4.0
    );
}

fn case06_file(dir: &Path, slope: f32, inter: f32) -> PathBuf {
    let p = dir.join(format!("case06_{slope}_{inter}.nii"));
    let d = Array3::from_shape_vec((2, 2, 1), vec![0.0, 100.0, 200.0, 300.0]).unwrap();
    write_nifti_with(
        &p,
        &d,
        &Geometry::default(),
        DataType::I16,
        NiftiVersion::One,
    )
    .unwrap();
    patch(
        &p,
        &[(112, &slope.to_le_bytes()), (116, &inter.to_le_bytes())],
    );
    p
}

#[test]
fn case06_scl_slope_rules() {
    let dir = tempfile::tempdir().unwrap();
    let vals = |p: &Path| {
        let (v, info) = read_volume_with_info(p).unwrap();
        (v.data.iter().cloned().collect::<Vec<f64>>(), info)
    };
    let (a, ia) = vals(&case06_file(dir.path(), 0.0, 0.0));
    assert_eq!(a, vec![0.0, 100.0, 200.0, 300.0]);
    assert!(!ia.scaled && ia.warnings.is_empty());
    let (b, ib) = vals(&case06_file(dir.path(), 2.0, -1024.0));
    assert_eq!(b, vec![-1024.0, -824.0, -624.0, -424.0]);
    assert!(ib.scaled);
    let (c, ic) = vals(&case06_file(dir.path(), f32::NAN, f32::NAN));
    assert_eq!(c, vec![0.0, 100.0, 200.0, 300.0]);
    assert!(!ic.scaled);
    assert!(
        ic.warnings[0].contains("scl_slope is NaN"),
        "{:?}",
        ic.warnings
    );
    // A mask file with a slope other than 1 is read with a warning.
    let (_, im) = read_mask_with_info(&case06_file(dir.path(), 2.0, 0.0)).unwrap();
    assert!(im
        .warnings
        .iter()
        .any(|w| w.contains("mask file has intensity scaling")));
}

// ---------------------------------------------------------------------------------------
// Robustness

#[test]
fn huge_nifti_header_is_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.nii");
    write_nifti(&p, &img27(), DataType::I16).unwrap();
    let big = 30_000i16.to_le_bytes();
    patch(&p, &[(42, &big[..]), (44, &big[..]), (46, &big[..])]);
    let e = read_volume(&p).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::TooLarge {
                voxels: 27_000_000_000_000,
                ..
            }
        ),
        "{e}"
    );

    // NIfTI-2 claiming 100000^3.
    let p2 = dir.path().join("huge2.nii.gz");
    write_nifti_with(
        &p2,
        &img27().data,
        &Geometry::default(),
        DataType::U8,
        NiftiVersion::Two,
    )
    .unwrap();
    let raw = flate2_decompress(&p2);
    let mut raw = raw;
    for a in 0..3 {
        raw[24 + 8 * a..32 + 8 * a].copy_from_slice(&100_000i64.to_le_bytes());
    }
    let p3 = dir.path().join("huge2.nii");
    std::fs::write(&p3, raw).unwrap();
    let e = read_volume(&p3).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::TooLarge {
                dims: [100_000, 100_000, 100_000],
                ..
            }
        ),
        "{e}"
    );
}

fn flate2_decompress(p: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn truncated_gzip_nifti_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.nii.gz");
    let d = Array3::from_shape_fn((8, 16, 16), |(z, y, x)| ((z * 7 + y * 3 + x) % 50) as f64);
    write_nifti_with(
        &p,
        &d,
        &Geometry::default(),
        DataType::F64,
        NiftiVersion::One,
    )
    .unwrap();
    let b = std::fs::read(&p).unwrap();
    for cut in [b.len() - 4, b.len() / 2, 30] {
        std::fs::write(&p, &b[..cut]).unwrap();
        let e = read_volume(&p).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::Decompress { .. } | ImageError::Truncated { .. }
            ),
            "cut {cut}: {e}"
        );
    }
}

#[test]
fn truncated_gzip_nrrd_is_an_error() {
    let src = std::fs::read(data("pyradiomics/breast1_label.nrrd")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.nrrd");
    std::fs::write(&p, &src[..src.len() - 100]).unwrap();
    let e = read_mask(&p).unwrap_err();
    assert!(
        matches!(
            e,
            ImageError::Decompress { .. } | ImageError::Truncated { .. }
        ),
        "{e}"
    );
}

#[test]
fn big_endian_nifti_reads() {
    // Build a big-endian NIfTI-1 by swapping a little-endian one field by field.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("le.nii");
    let d = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 100 + y * 10 + x) as f64 - 50.0);
    let g = Geometry {
        spacing: [0.5, 0.75, 2.0],
        origin: [1.0, -2.0, 3.0],
        ..Geometry::default()
    };
    write_nifti_with(&p, &d, &g, DataType::I16, NiftiVersion::One).unwrap();
    let mut b = std::fs::read(&p).unwrap();
    let swap = |b: &mut Vec<u8>, at: usize, n: usize| b[at..at + n].reverse();
    swap(&mut b, 0, 4);
    for i in 0..8 {
        swap(&mut b, 40 + 2 * i, 2);
    }
    swap(&mut b, 70, 2);
    swap(&mut b, 72, 2);
    for i in 0..8 {
        swap(&mut b, 76 + 4 * i, 4);
    }
    for at in [108, 112, 116] {
        swap(&mut b, at, 4);
    }
    swap(&mut b, 252, 2);
    swap(&mut b, 254, 2);
    for i in 0..18 {
        swap(&mut b, 256 + 4 * i, 4);
    }
    for i in 0..24 {
        swap(&mut b, 352 + 2 * i, 2);
    }
    let pb = dir.path().join("be.nii");
    std::fs::write(&pb, b).unwrap();
    let v = read_volume(&pb).unwrap();
    assert_eq!(v.data, d);
    assert_eq!(v.geometry, g);
}

// ---------------------------------------------------------------------------------------
// NRRD variants built here (the shared files are all gzip, little-endian, attached)

fn nrrd_header(ty: &str, endian: &str, enc: &str, extra: &str) -> String {
    format!(
        "NRRD0004\n# test\ntype: {ty}\ndimension: 3\nspace: left-posterior-superior\n\
         sizes: 4 3 2\nspace directions: (0.5,0,0) (0,-0.75,0) (0,0,2)\nkinds: domain domain \
         domain\nendian: {endian}\nencoding: {enc}\nspace origin: (1,2,3)\n{extra}"
    )
}

fn expected_nrrd_values() -> Array3<f64> {
    Array3::from_shape_fn((2, 3, 4), |(z, y, x)| {
        (z * 12 + y * 4 + x) as f64 * 3.0 - 20.0
    })
}

fn encode(vals: &Array3<f64>, ty: DataType, big: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for &v in vals.iter() {
        let mut b: Vec<u8> = match ty {
            DataType::I8 => vec![v as i8 as u8],
            DataType::U8 => vec![v as u8],
            DataType::I16 => (v as i16).to_le_bytes().to_vec(),
            DataType::U16 => (v as u16).to_le_bytes().to_vec(),
            DataType::I32 => (v as i32).to_le_bytes().to_vec(),
            DataType::U32 => (v as u32).to_le_bytes().to_vec(),
            DataType::I64 => (v as i64).to_le_bytes().to_vec(),
            DataType::U64 => (v as u64).to_le_bytes().to_vec(),
            DataType::F32 => (v as f32).to_le_bytes().to_vec(),
            DataType::F64 => v.to_le_bytes().to_vec(),
        };
        if big {
            b.reverse();
        }
        out.extend(b);
    }
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn nrrd_types_endians_encodings_attached_and_detached() {
    let dir = tempfile::tempdir().unwrap();
    let want_geom = Geometry {
        spacing: [0.5, 0.75, 2.0],
        origin: [1.0, 2.0, 3.0],
        direction: [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let types = [
        ("signed char", DataType::I8, true),
        ("short", DataType::I16, true),
        ("unsigned short", DataType::U16, false),
        ("int", DataType::I32, true),
        ("uint", DataType::U32, false),
        ("float", DataType::F32, true),
        ("double", DataType::F64, true),
        ("uchar", DataType::U8, false),
        ("int64", DataType::I64, true),
    ];
    for (name, ty, signed) in types {
        let mut vals = expected_nrrd_values();
        if !signed {
            vals.mapv_inplace(|v| v + 20.0);
        }
        for big in [false, true] {
            let endian = if big { "big" } else { "little" };
            let payload = encode(&vals, ty, big);
            for (enc, body) in [("raw", payload.clone()), ("gzip", gzip(&payload))] {
                // Attached.
                let p = dir.path().join(format!("a_{ty:?}_{endian}_{enc}.nrrd"));
                let mut f = nrrd_header(name, endian, enc, "\n").into_bytes();
                f.extend_from_slice(&body);
                std::fs::write(&p, f).unwrap();
                let (v, info) = read_volume_with_info(&p).unwrap();
                assert_eq!(info.dtype, ty);
                assert_eq!(v.data, vals, "{name} {endian} {enc}");
                assert_eq!(v.geometry, want_geom);
                // Detached (.nhdr + data file).
                let dp = dir.path().join(format!("d_{ty:?}_{endian}_{enc}.raw"));
                std::fs::write(&dp, &body).unwrap();
                let hp = dir.path().join(format!("d_{ty:?}_{endian}_{enc}.nhdr"));
                let extra = format!("data file: {}\n", dp.file_name().unwrap().to_string_lossy());
                std::fs::write(&hp, nrrd_header(name, endian, enc, &extra)).unwrap();
                let v = read_volume(&hp).unwrap();
                assert_eq!(v.data, vals, "detached {name} {endian} {enc}");
            }
        }
    }
}

#[test]
fn nrrd_none_axis_ras_space_and_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let vals = expected_nrrd_values();
    let text: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
    let h = "NRRD0005\ntype: short\ndimension: 4\nspace: right-anterior-superior\n\
             sizes: 1 4 3 2\nspace directions: none (0.5,0,0) (0,0.75,0) (0,0,2)\n\
             kinds: scalar domain domain domain\nencoding: ascii\nspace origin: (1,2,3)\n\n";
    let p = dir.path().join("ras.nrrd");
    std::fs::write(&p, format!("{h}{}\n", text.join(" "))).unwrap();
    let v = read_volume(&p).unwrap();
    assert_eq!(v.data, vals);
    assert_eq!(v.geometry.origin, [-1.0, -2.0, 3.0]);
    assert_eq!(v.geometry.spacing, [0.5, 0.75, 2.0]);
    assert_dir(v.geometry.direction, [-1.0, -1.0, 1.0]);
}

#[test]
fn huge_nrrd_header_is_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.nrrd");
    let h = nrrd_header("short", "little", "gzip", "\n")
        .replace("sizes: 4 3 2", "sizes: 100000 100000 100000");
    let mut f = h.into_bytes();
    f.extend_from_slice(&gzip(&[0u8; 64]));
    std::fs::write(&p, f).unwrap();
    let e = read_volume(&p).unwrap_err();
    assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
    // A header claiming more than its (small) data is a truncation error.
    let h = nrrd_header("short", "little", "gzip", "\n")
        .replace("sizes: 4 3 2", "sizes: 1000 1000 100");
    let mut f = h.into_bytes();
    f.extend_from_slice(&gzip(&[0u8; 64]));
    std::fs::write(&p, f).unwrap();
    let e = read_volume(&p).unwrap_err();
    assert!(matches!(e, ImageError::Truncated { found: 64, .. }), "{e}");
}

#[test]
fn nifti2_reads_what_nifti1_reads() {
    let dir = tempfile::tempdir().unwrap();
    let v = read_volume(&data("images/pyradiomics_testcases/breast1_image.nii.gz")).unwrap();
    let p = dir.path().join("b2.nii.gz");
    write_nifti_with(&p, &v.data, &v.geometry, DataType::I16, NiftiVersion::Two).unwrap();
    let back = read_volume(&p).unwrap();
    assert_eq!(back.data, v.data);
    assert_eq!(back.geometry, v.geometry);
    assert!(
        nifti::parse_header(&p, &flate2_decompress(&p))
            .unwrap()
            .version
            == 2
    );
}

// ---------------------------------------------------------------------------------------
// Round trip (proptest)

fn rotation(ax: f64, ay: f64, az: f64, flips: [bool; 3]) -> [[f64; 3]; 3] {
    let (sx, cx, sy, cy, sz, cz) = (ax.sin(), ax.cos(), ay.sin(), ay.cos(), az.sin(), az.cos());
    let rx = [[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]];
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rz = [[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]];
    let mul = |a: [[f64; 3]; 3], b: [[f64; 3]; 3]| {
        let mut m = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
            }
        }
        m
    };
    let mut m = mul(rz, mul(ry, rx));
    for (c, &f) in flips.iter().enumerate() {
        if f {
            for row in m.iter_mut() {
                row[c] = -row[c];
            }
        }
    }
    m
}

const TYPES: [DataType; 10] = [
    DataType::U8,
    DataType::I8,
    DataType::U16,
    DataType::I16,
    DataType::U32,
    DataType::I32,
    DataType::U64,
    DataType::I64,
    DataType::F32,
    DataType::F64,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn nifti_write_read_round_trip(
        nx in 1usize..7, ny in 1usize..7, nz in 1usize..5,
        sp in prop::array::uniform3(0.1f64..5.0),
        org in prop::array::uniform3(-500.0f64..500.0),
        ang in prop::array::uniform3(-3.1f64..3.1),
        flips in prop::array::uniform3(any::<bool>()),
        ti in 0usize..10,
        two in any::<bool>(),
        gz in any::<bool>(),
        seed in any::<u32>(),
    ) {
        let dtype = TYPES[ti];
        let data = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
            let h = (seed as u64).wrapping_mul(2654435761).wrapping_add((z * 97 + y * 13 + x) as u64 * 40503) % 200;
            let v = h as f64;
            match dtype {
                DataType::I8 | DataType::I16 | DataType::I32 | DataType::I64 => v - 100.0,
                DataType::F32 => (v - 100.0) * 0.25 + 0.125,
                DataType::F64 => (v - 100.0) * 0.1 + 1e-3,
                _ => v,
            }
        });
        let g = Geometry { spacing: sp, origin: org, direction: rotation(ang[0], ang[1], ang[2], flips) };
        let dir = tempfile::tempdir().unwrap();
        let name = if gz { "rt.nii.gz" } else { "rt.nii" };
        let p = dir.path().join(name);
        let version = if two { NiftiVersion::Two } else { NiftiVersion::One };
        write_nifti_with(&p, &data, &g, dtype, version).unwrap();
        let (v, info) = read_volume_with_info(&p).unwrap();
        prop_assert_eq!(info.dtype, dtype);
        prop_assert_eq!(&v.data, &data);
        // NIfTI-2 stores f64 (only rounding from norm/division: 1e-12); NIfTI-1 stores f32
        // (relative 6e-8 per field, origin up to 500 mm -> 1e-4 mm).
        let (tol_s, tol_o, tol_d) = if two { (1e-12, 1e-9, 1e-12) } else { (1e-6, 1e-4, 1e-6) };
        for a in 0..3 {
            prop_assert!(close(v.geometry.spacing[a], sp[a], tol_s * sp[a].max(1.0)));
            prop_assert!(close(v.geometry.origin[a], org[a], tol_o));
            for r in 0..3 {
                prop_assert!(close(v.geometry.direction[r][a], g.direction[r][a], tol_d));
            }
        }
        // Masks round-trip as integers.
        if dtype.is_integer() {
            let m = Mask { labels: data.mapv(|x| x as i64), geometry: g.clone() };
            let pm = dir.path().join("m.nii.gz");
            write_nifti_mask(&pm, &m).unwrap();
            prop_assert_eq!(read_mask(&pm).unwrap().labels, m.labels);
        }
    }
}

// ---------------------------------------------------------------------------------------
// CLI

#[test]
fn inspect_prints_geometry_and_roi() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .arg("inspect")
        .arg(data("ibsi/digital_phantom/image.nii.gz"))
        .arg("--mask")
        .arg(data("ibsi/digital_phantom/mask.nii.gz"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("size (x, y, z):  5 x 4 x 4"), "{s}");
    assert!(s.contains("spacing (mm):    (2, 2, 2)"), "{s}");
    assert!(s.contains("voxels: 74"), "{s}");
    assert!(s.contains("volume (mm3): 592"), "{s}");
    assert!(s.contains("bounding box (x, y, z): 5 x 4 x 4"), "{s}");
    assert!(s.contains("values: min 1, max 9"), "{s}");
}

#[test]
fn inspect_reports_missing_label_with_exit_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_radaudit"))
        .arg("inspect")
        .arg(data("pyradiomics/breast1_image.nrrd"))
        .arg("--mask")
        .arg(data("pyradiomics/breast1_label.nrrd"))
        .args(["--label", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("breast1_label.nrrd")
            && e.contains("label 3 not found in mask; labels present: [1]"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// DICOM: no DICOM data in ../shared, so a small CT series and an RTSTRUCT are generated
// here with dicom-object (Explicit VR Little Endian).

mod dicom_fixture {
    use std::path::Path;

    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject, Tag};

    pub const NX: usize = 6;
    pub const NY: usize = 5;
    pub const NZ: usize = 4;
    /// Pixel Spacing `row \ column`: rows 0.8 mm apart (j), columns 0.6 mm apart (i).
    pub const SP_ROW: f64 = 0.8;
    pub const SP_COL: f64 = 0.6;
    pub const DZ: f64 = 2.5;
    pub const ORIGIN: [f64; 3] = [-12.0, 30.0, 10.0];

    fn strs(v: &[String]) -> PrimitiveValue {
        PrimitiveValue::Strs(v.iter().cloned().collect())
    }

    fn ds(v: &[f64]) -> PrimitiveValue {
        strs(&v.iter().map(|x| format!("{x}")).collect::<Vec<_>>())
    }

    fn el(g: u16, e: u16, vr: VR, v: PrimitiveValue) -> DataElement<InMemDicomObject> {
        DataElement::new(Tag(g, e), vr, v)
    }

    fn s(x: &str) -> PrimitiveValue {
        PrimitiveValue::from(x)
    }

    fn save(obj: InMemDicomObject, path: &Path) {
        obj.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
            .unwrap()
            .write_to_file(path)
            .unwrap();
    }

    /// Stored value of voxel (i, j, k).
    pub fn stored(i: usize, j: usize, k: usize) -> i16 {
        (i + 10 * j + 100 * k) as i16 - 50
    }

    /// Writes the slices in an order unrelated to position (file names reversed).
    pub fn write_ct(dir: &Path) {
        for k in 0..NZ {
            let px: Vec<u16> = (0..NY)
                .flat_map(|j| (0..NX).map(move |i| stored(i, j, k) as u16))
                .collect();
            let pos = [ORIGIN[0], ORIGIN[1], ORIGIN[2] + DZ * k as f64];
            let obj = InMemDicomObject::from_element_iter([
                el(0x0008, 0x0016, VR::UI, s("1.2.840.10008.5.1.4.1.1.2")),
                el(0x0008, 0x0018, VR::UI, s(&format!("2.25.1000{k}"))),
                el(0x0008, 0x0060, VR::CS, s("CT")),
                el(0x0018, 0x0050, VR::DS, s("5")), // deliberately not the 2.5 mm gap
                el(0x0020, 0x000E, VR::UI, s("2.25.2000")),
                el(0x0020, 0x0032, VR::DS, ds(&pos)),
                el(0x0020, 0x0037, VR::DS, ds(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])),
                el(0x0028, 0x0002, VR::US, PrimitiveValue::from(1u16)),
                el(0x0028, 0x0004, VR::CS, s("MONOCHROME2")),
                el(0x0028, 0x0010, VR::US, PrimitiveValue::from(NY as u16)),
                el(0x0028, 0x0011, VR::US, PrimitiveValue::from(NX as u16)),
                el(0x0028, 0x0030, VR::DS, ds(&[SP_ROW, SP_COL])),
                el(0x0028, 0x0100, VR::US, PrimitiveValue::from(16u16)),
                el(0x0028, 0x0101, VR::US, PrimitiveValue::from(16u16)),
                el(0x0028, 0x0102, VR::US, PrimitiveValue::from(15u16)),
                el(0x0028, 0x0103, VR::US, PrimitiveValue::from(1u16)),
                el(0x0028, 0x1052, VR::DS, s("-1024")),
                el(0x0028, 0x1053, VR::DS, s("2")),
                el(
                    0x7FE0,
                    0x0010,
                    VR::OW,
                    PrimitiveValue::U16(px.into_iter().collect()),
                ),
            ]);
            save(obj, &dir.join(format!("slice{:02}.dcm", NZ - 1 - k)));
        }
    }

    /// SEG frame size: 3 rows x 5 columns = 15 bits, so frames after the first start in
    /// the middle of a byte.
    pub const SEG_ROWS: usize = 3;
    pub const SEG_COLS: usize = 5;

    /// Frame content of the SEG fixture.
    pub fn seg_bit(f: usize, r: usize, c: usize) -> bool {
        (r * SEG_COLS + c + f) % 3 == 0
    }

    /// Frames of the SEG fixture: (segment number, slice k, column offset i0, row offset j0).
    pub const SEG_FRAMES: [(u16, usize, usize, usize); 3] =
        [(2, 0, 0, 0), (1, 1, 1, 1), (1, 2, 0, 2)];

    /// A BINARY SEG with segments 1 "Tumour" and 2 "Liver", frames cropped to 3x5 and
    /// placed at offsets on the CT grid; `shift` moves every frame along x (mm).
    pub fn write_seg(path: &Path, shift: f64) {
        write_seg_with(path, shift, false);
    }

    /// The SEG fixture as FRACTIONAL (8 bits, maximum 255): inside pixels alternate 255 and
    /// 128 (the lowest value at or above half of 255), outside pixels 0 and 127, so the
    /// thresholded mask equals the BINARY one only if the threshold sits exactly there.
    pub fn write_seg_with(path: &Path, shift: f64, fractional: bool) {
        let mut bits = Vec::new();
        for f in 0..SEG_FRAMES.len() {
            for r in 0..SEG_ROWS {
                for c in 0..SEG_COLS {
                    bits.push(seg_bit(f, r, c));
                }
            }
        }
        let mut bytes = if fractional {
            bits.iter()
                .enumerate()
                .map(|(idx, &b)| match (b, idx % 2 == 0) {
                    (true, true) => 255u8,
                    (true, false) => 128,
                    (false, true) => 0,
                    (false, false) => 127,
                })
                .collect()
        } else {
            let mut packed = vec![0u8; bits.len().div_ceil(8)];
            for (idx, &b) in bits.iter().enumerate() {
                if b {
                    packed[idx / 8] |= 1 << (idx % 8);
                }
            }
            packed
        };
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        let (bits_allocated, kind) = if fractional {
            (8u16, "FRACTIONAL")
        } else {
            (1u16, "BINARY")
        };
        let seq = |tag: (u16, u16), items: Vec<InMemDicomObject>| {
            DataElement::new(Tag(tag.0, tag.1), VR::SQ, DataSetSequence::from(items))
        };
        let segment = |n: u16, label: &str| {
            InMemDicomObject::from_element_iter([
                el(0x0062, 0x0004, VR::US, PrimitiveValue::from(n)),
                el(0x0062, 0x0005, VR::LO, s(label)),
            ])
        };
        let frames: Vec<InMemDicomObject> = SEG_FRAMES
            .iter()
            .map(|&(n, k, i0, j0)| {
                let pos = [
                    ORIGIN[0] + i0 as f64 * SP_COL + shift,
                    ORIGIN[1] + j0 as f64 * SP_ROW,
                    ORIGIN[2] + DZ * k as f64,
                ];
                InMemDicomObject::from_element_iter([
                    seq(
                        (0x0020, 0x9113),
                        vec![InMemDicomObject::from_element_iter([el(
                            0x0020,
                            0x0032,
                            VR::DS,
                            ds(&pos),
                        )])],
                    ),
                    seq(
                        (0x0062, 0x000A),
                        vec![InMemDicomObject::from_element_iter([el(
                            0x0062,
                            0x000B,
                            VR::US,
                            PrimitiveValue::from(n),
                        )])],
                    ),
                ])
            })
            .collect();
        let shared = InMemDicomObject::from_element_iter([
            seq(
                (0x0020, 0x9116),
                vec![InMemDicomObject::from_element_iter([el(
                    0x0020,
                    0x0037,
                    VR::DS,
                    ds(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
                )])],
            ),
            seq(
                (0x0028, 0x9110),
                vec![InMemDicomObject::from_element_iter([el(
                    0x0028,
                    0x0030,
                    VR::DS,
                    ds(&[SP_ROW, SP_COL]),
                )])],
            ),
        ]);
        let obj = InMemDicomObject::from_element_iter([
            el(0x0008, 0x0016, VR::UI, s("1.2.840.10008.5.1.4.1.1.66.4")),
            el(0x0008, 0x0018, VR::UI, s("2.25.4000")),
            el(0x0008, 0x0060, VR::CS, s("SEG")),
            el(0x0020, 0x000E, VR::UI, s("2.25.4001")),
            el(0x0028, 0x0008, VR::IS, s(&SEG_FRAMES.len().to_string())),
            el(
                0x0028,
                0x0010,
                VR::US,
                PrimitiveValue::from(SEG_ROWS as u16),
            ),
            el(
                0x0028,
                0x0011,
                VR::US,
                PrimitiveValue::from(SEG_COLS as u16),
            ),
            el(0x0028, 0x0100, VR::US, PrimitiveValue::from(bits_allocated)),
            el(0x0062, 0x0001, VR::CS, s(kind)),
            el(0x0062, 0x000E, VR::US, PrimitiveValue::from(255u16)),
            seq(
                (0x0062, 0x0002),
                vec![segment(1, "Tumour"), segment(2, "Liver")],
            ),
            seq((0x5200, 0x9229), vec![shared]),
            seq((0x5200, 0x9230), frames),
            el(
                0x7FE0,
                0x0010,
                VR::OB,
                PrimitiveValue::U8(bytes.into_iter().collect()),
            ),
        ]);
        save(obj, path);
    }

    /// A closed planar contour through index-space corners on slice k (mm, LPS).
    fn contour(corners: &[(f64, f64)], k: usize) -> InMemDicomObject {
        let mut pts = Vec::new();
        for &(i, j) in corners {
            pts.extend([
                ORIGIN[0] + i * SP_COL,
                ORIGIN[1] + j * SP_ROW,
                ORIGIN[2] + DZ * k as f64,
            ]);
        }
        InMemDicomObject::from_element_iter([
            el(0x3006, 0x0042, VR::CS, s("CLOSED_PLANAR")),
            el(0x3006, 0x0046, VR::IS, s(&corners.len().to_string())),
            el(0x3006, 0x0050, VR::DS, ds(&pts)),
        ])
    }

    fn square(i0: f64, j0: f64, i1: f64, j1: f64) -> Vec<(f64, f64)> {
        vec![(i0, j0), (i1, j0), (i1, j1), (i0, j1)]
    }

    /// ROI 1 "GTV": slice 1 square over centres i 1..=3, j 1..=2 (6 voxels); slice 2
    /// square over i 0..=4, j 0..=3 (20) with a hole at i 2, j 1..=2 (2): 24 voxels.
    /// ROI 2 "Other": one voxel on slice 0.
    pub fn write_rtstruct(path: &Path) {
        let roi = |n: &str, name: &str| {
            InMemDicomObject::from_element_iter([
                el(0x3006, 0x0022, VR::IS, s(n)),
                el(0x3006, 0x0026, VR::LO, s(name)),
            ])
        };
        let gtv = vec![
            contour(&square(0.5, 0.5, 3.5, 2.5), 1),
            contour(&square(-0.5, -0.5, 4.5, 3.5), 2),
            contour(&square(1.5, 0.5, 2.5, 2.5), 2),
        ];
        let other = vec![contour(&square(-0.5, -0.5, 0.5, 0.5), 0)];
        let roi_contour = |n: &str, cs: Vec<InMemDicomObject>| {
            InMemDicomObject::from_element_iter([
                el(0x3006, 0x0084, VR::IS, s(n)),
                DataElement::new(Tag(0x3006, 0x0040), VR::SQ, DataSetSequence::from(cs)),
            ])
        };
        let obj = InMemDicomObject::from_element_iter([
            el(0x0008, 0x0016, VR::UI, s("1.2.840.10008.5.1.4.1.1.481.3")),
            el(0x0008, 0x0018, VR::UI, s("2.25.3000")),
            el(0x0008, 0x0060, VR::CS, s("RTSTRUCT")),
            el(0x0020, 0x000E, VR::UI, s("2.25.3001")),
            DataElement::new(
                Tag(0x3006, 0x0020),
                VR::SQ,
                DataSetSequence::from(vec![roi("1", "GTV"), roi("2", "Other")]),
            ),
            DataElement::new(
                Tag(0x3006, 0x0039),
                VR::SQ,
                DataSetSequence::from(vec![roi_contour("1", gtv), roi_contour("2", other)]),
            ),
        ]);
        save(obj, path);
    }
}

#[test]
fn dicom_ct_series_sorted_by_position_with_rescale() {
    use dicom_fixture::*;
    let dir = tempfile::tempdir().unwrap();
    write_ct(dir.path());
    // An RTSTRUCT in the same folder is not an image slice.
    write_rtstruct(&dir.path().join("rt.dcm"));
    let (v, info) = read_volume_with_info(dir.path()).unwrap();
    assert_eq!(info.format, image::Format::Dicom);
    assert_eq!(info.dtype, DataType::I16);
    assert!(info.scaled);
    assert_eq!(v.data.dim(), (NZ, NY, NX));
    // Spacing from positions (2.5), not SliceThickness (5).
    assert_vec("spacing", v.geometry.spacing, [SP_COL, SP_ROW, DZ], 1e-12);
    assert_vec("origin", v.geometry.origin, ORIGIN, 1e-12);
    assert_dir(v.geometry.direction, [1.0, 1.0, 1.0]);
    for ((k, j, i), &hu) in v.data.indexed_iter() {
        assert_eq!(hu, 2.0 * stored(i, j, k) as f64 - 1024.0, "({i},{j},{k})");
    }
}

#[test]
fn dicom_rtstruct_rasterised_on_the_grid() {
    use dicom_fixture::*;
    let dir = tempfile::tempdir().unwrap();
    let ct = dir.path().join("ct");
    std::fs::create_dir(&ct).unwrap();
    write_ct(&ct);
    let rt = dir.path().join("rt.dcm");
    write_rtstruct(&rt);
    let v = read_volume(&ct).unwrap();

    let (m, _) = image::read_mask_for(&rt, &v, Some("gtv")).unwrap();
    assert_eq!(m.count(1), 24);
    let roi = validate::roi(&v, &m, 1, &RoiRules::default()).unwrap();
    assert_eq!(roi.bbox.lower, [0, 0, 1]);
    assert_eq!(roi.bbox.upper, [4, 3, 2]);
    assert_eq!(m.labels[[1, 1, 1]], 1);
    assert_eq!(m.labels[[1, 0, 1]], 0);
    assert_eq!(m.labels[[2, 1, 2]], 0, "hole");
    assert_eq!(m.labels[[2, 1, 1]], 1);
    assert_eq!(m.labels[[2, 3, 4]], 1);

    let (o, _) = image::read_mask_for(&rt, &v, Some("Other")).unwrap();
    assert_eq!(o.count(1), 1);
    assert_eq!(o.labels[[0, 0, 0]], 1);

    let e = image::read_mask_for(&rt, &v, None).unwrap_err();
    assert!(
        e.to_string().contains("2 ROIs") && e.to_string().contains("GTV"),
        "{e}"
    );
    let e = image::read_mask_for(&rt, &v, Some("Liver")).unwrap_err();
    assert!(e.to_string().contains("no ROI named \"Liver\""), "{e}");
}

#[test]
fn dicom_missing_slice_is_refused() {
    use dicom_fixture::*;
    let dir = tempfile::tempdir().unwrap();
    write_ct(dir.path());
    // Slice k = 1 is file slice02.dcm (names are reversed).
    std::fs::remove_file(dir.path().join("slice02.dcm")).unwrap();
    let e = read_volume(dir.path()).unwrap_err();
    assert!(e.to_string().contains("uneven slice spacing"), "{e}");
}

#[test]
fn dicom_seg_frames_placed_on_the_grid() {
    use dicom_fixture::*;
    let dir = tempfile::tempdir().unwrap();
    let ct = dir.path().join("ct");
    std::fs::create_dir(&ct).unwrap();
    write_ct(&ct);
    let seg = dir.path().join("seg.dcm");
    write_seg(&seg, 0.0);
    let v = read_volume(&ct).unwrap();

    // Expected by construction: the "Tumour" frames at their offsets, bit by bit (the
    // second and third frames start in the middle of a byte).
    let mut want = ndarray::Array3::<i64>::zeros((NZ, NY, NX));
    for (f, &(n, k, i0, j0)) in SEG_FRAMES.iter().enumerate() {
        for r in 0..SEG_ROWS {
            for c in 0..SEG_COLS {
                if n == 1 && seg_bit(f, r, c) {
                    want[[k, j0 + r, i0 + c]] = 1;
                }
            }
        }
    }
    let (m, info) = image::read_mask_for(&seg, &v, Some("tumour")).unwrap();
    assert_eq!(info.format, image::Format::Dicom);
    assert!(want.iter().any(|&l| l == 1));
    assert_eq!(m.labels, want);
    assert_eq!(m.geometry, v.geometry);

    // Several segments and no name: an error listing them; an unknown name likewise.
    let e = image::read_mask_for(&seg, &v, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 segments") && e.contains("Liver"), "{e}");
    let e = image::read_mask_for(&seg, &v, Some("Spleen"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no segment labelled") && e.contains("Tumour"),
        "{e}"
    );

    // Frames half a voxel off the grid are refused, naming the frame.
    let off = dir.path().join("off.dcm");
    write_seg(&off, 0.5 * SP_COL);
    let e = image::read_mask_for(&off, &v, Some("Tumour"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("frame 1") && e.contains("not on the image grid"),
        "{e}"
    );

    // The same segmentation stored FRACTIONAL is thresholded at 128 of 255 (128 in,
    // 127 out) and gives the same mask.
    let frac = dir.path().join("fractional.dcm");
    write_seg_with(&frac, 0.0, true);
    let (mf, _) = image::read_mask_for(&frac, &v, Some("Tumour")).unwrap();
    assert_eq!(mf.labels, want);

    // A SEG in the image folder is not an image slice.
    write_seg(&ct.join("seg.dcm"), 0.0);
    assert_eq!(read_volume(&ct).unwrap().data.dim(), (NZ, NY, NX));
}
