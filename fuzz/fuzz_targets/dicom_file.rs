//! Fuzzes the DICOM readers (series, RTSTRUCT, SEG) on arbitrary bytes written as one file.
//! Run: `bash fuzz/run.sh dicom_file 600`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radaudit::image::{self, dicom, seg};

fuzz_target!(|data: &[u8]| {
    // The readers take paths: one scratch folder per fuzzing process.
    let dir = std::env::temp_dir().join(format!("radaudit-fuzz-dicom-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("x.dcm");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let _ = image::read_volume(&dir);
    let _ = dicom::rtstruct_rois(&file);
    let _ = seg::segments(&file);
});
