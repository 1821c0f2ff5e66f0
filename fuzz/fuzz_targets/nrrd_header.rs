//! Fuzzes the NRRD header parser and attached-data reader on arbitrary bytes.
//! Run: `cargo +nightly fuzz run nrrd_header -- -max_total_time=180`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use radaudit::image::nrrd;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.nrrd");
    let text = String::from_utf8_lossy(data);
    if let Ok(h) = nrrd::parse_header(path, &text) {
        let _ = h.geometry(path, &mut Vec::new());
        // Detached data would open files named by the input: only attached data here.
        if h.data_file.is_none() {
            let _ = nrrd::read_bytes(path, data);
        }
    }
});
