"""Extracts every PyRadiomics feature class of one image and mask with default settings.

Run by extract_pyradiomics.sh, which times the whole process.
"""
import sys

from radiomics import featureextractor


def main() -> None:
    image, mask = sys.argv[1], sys.argv[2]
    extractor = featureextractor.RadiomicsFeatureExtractor()
    extractor.enableAllFeatures()
    result = extractor.execute(image, mask)
    print(len(result))


if __name__ == "__main__":
    main()
