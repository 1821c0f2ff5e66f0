//! Fuzzes the long-table parser and the wide-to-long importer on arbitrary text.
//! Run: `bash fuzz/run.sh tables 600`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use radaudit::table::{parse_long, wide_to_long, WideImport};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.csv");
    let _ = parse_long(&text, path);
    let spec = WideImport {
        case_col: "case_id".to_string(),
        rater_col: "reader".to_string(),
        replicate_col: Some("replicate".to_string()),
        ignore: vec!["note".to_string()],
    };
    let _ = wide_to_long(&text, path, &spec);
});
