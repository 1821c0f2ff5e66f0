//! Fuzzes the extraction config parser (TOML, validation, texture settings).
//! Run: `bash fuzz/run.sh extract_config 600`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radaudit::features::config::ExtractConfig;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cfg) = ExtractConfig::from_toml("fuzz.toml", &text) {
        let _ = cfg.texture_settings();
    }
});
