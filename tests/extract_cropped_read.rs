//! `extract_files` converts only the box the extraction reads around the ROI of an NRRD
//! image (`preprocess::read_box`) and extracts in that crop's frame. This must give the
//! features of the whole-image path, for every PyRadiomics case and for presets with and
//! without resampling (cubic spline included), to 1e-12 relative.

use std::path::PathBuf;

use radaudit::features::config::ExtractConfig;
use radaudit::features::extract::{extract, extract_files};
use radaudit::image;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/pyradiomics"
    ))
    .join(rel)
}

#[test]
fn cropped_nrrd_read_gives_the_whole_image_features() {
    // A PyRadiomics-like config with filters of finite reach (the box then grows by
    // their reach) besides the presets.
    let filtered: ExtractConfig = toml::from_str(
        "discretisation = { bin-width = { width = 25.0, origin = \"pyradiomics\" } }\n\
         texture = { mode = \"pyradiomics\" }\n\
         [preprocess.resample]\nspacing = [1.0, 1.0, 1.0]\ninterpolator = \"linear\"\nmask_interpolator = \"linear\"\n\
         [[filters]]\nfilter = \"log\"\nsigma_mm = 3.0\n\
         [[filters]]\nfilter = \"pyradiomics-log\"\nsigma_mm = 1.0\n\
         [[filters]]\nfilter = \"wavelet\"\nwavelet = \"coif1\"\nsubband = \"LLH\"\n",
    )
    .unwrap();
    let configs = ["pyradiomics-default", "ibsi-c", "ibsi-e", "filtered"].map(|p| {
        let c = if p == "filtered" {
            filtered.clone()
        } else {
            ExtractConfig::preset(p).unwrap()
        };
        (p, c)
    });
    for (preset, config) in configs {
        for case in ["brain1", "breast1", "lung1", "lung2"] {
            let (img_path, mask_path) = (
                data(&format!("{case}_image.nrrd")),
                data(&format!("{case}_label.nrrd")),
            );
            let cropped = extract_files(&img_path, &mask_path, 1, &config);

            let img = image::read_volume(&img_path).unwrap();
            let mask = image::read_mask(&mask_path).unwrap();
            let roi = image::roi(&img, &mask, 1, &image::RoiRules::default()).unwrap();
            let whole = extract(&img, &roi.mask, &config);
            let (cropped, whole) = match (cropped, whole) {
                (Ok(c), Ok(w)) => (c, w),
                (Err(c), Err(w)) => {
                    assert_eq!(c.to_string(), w.to_string(), "{preset} {case}");
                    continue;
                }
                (c, w) => panic!("{preset} {case}: {:?} vs {:?}", c.err(), w.err()),
            };

            assert_eq!(cropped.len(), whole.len(), "{preset} {case}");
            for ((n, a), (wn, b)) in cropped.iter().zip(&whole) {
                assert_eq!(n, wn);
                let same = (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs().max(1.0);
                assert!(same, "{preset} {case} {n}: {a} (crop) vs {b} (whole image)");
            }
        }
    }
}
