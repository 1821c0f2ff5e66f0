"""CPU time of PyRadiomics' phases on one image and mask: imports, reading both files,
and feature extraction from the images in memory (default settings, every class).

Run by extract_pyradiomics.sh next to the whole-process timing; prints
`import_s read_s features_s` (time.process_time, this process only).
"""
import sys
import time

t0 = time.process_time()
import SimpleITK as sitk  # noqa: E402
from radiomics import featureextractor  # noqa: E402

t1 = time.process_time()


def main() -> None:
    image_path, mask_path = sys.argv[1], sys.argv[2]
    t2 = time.process_time()
    image = sitk.ReadImage(image_path)
    mask = sitk.ReadImage(mask_path)
    t3 = time.process_time()
    extractor = featureextractor.RadiomicsFeatureExtractor()
    extractor.enableAllFeatures()
    result = extractor.execute(image, mask)
    t4 = time.process_time()
    assert len(result) > 100
    print(f"{t1 - t0:.3f} {t3 - t2:.3f} {t4 - t3:.3f}")


if __name__ == "__main__":
    main()
