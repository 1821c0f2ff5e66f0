//! Fuzzes the NIfTI reader on arbitrary bytes (uncompressed and as a gzip stream).
//! Run: `cargo +nightly fuzz run nifti_header -- -max_total_time=180`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use radaudit::image::nifti;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.nii");
    let _ = nifti::parse_header(path, data);
    let _ = nifti::read_stream(path, data, false);
    let _ = nifti::read_stream(path, flate2_like(data), true);
});

/// The same bytes behind a gzip decoder, so corrupt-stream handling is exercised too.
fn flate2_like(data: &[u8]) -> radaudit::image::raw::GzReader<'_> {
    radaudit::image::raw::gunzip(data)
}
