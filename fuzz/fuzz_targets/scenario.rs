//! Fuzzes the audit scenario parser and validator on arbitrary text.
//! Run: `bash fuzz/run.sh scenario 600`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use radaudit::audit::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(s) = Scenario::from_str(Path::new("fuzz.toml"), &text) {
        let _ = s.slug();
        let _ = s.assumed_keys();
    }
});
