"""Times PyRadiomics' filters on one image: LoG at sigma 1, 3, 5 mm and the 8 coif1
level-1 wavelet sub-bands (imageoperations.getLoGImage / getWaveletImage, the image
types PyRadiomics extracts features from). Prints the median wall time of REPS runs in
seconds. Image reading is outside the timed region, as in benches/filters.rs.

Usage: python benches/peers/filters_pyradiomics_bench.py IMAGE MASK [REPS]
"""
import statistics
import sys
import time

import SimpleITK as sitk
from radiomics import imageoperations


def main():
    image = sitk.ReadImage(sys.argv[1])
    mask = sitk.ReadImage(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        n = 0
        for _img, _name, _args in imageoperations.getLoGImage(image, mask, sigma=[1.0, 3.0, 5.0]):
            n += 1
        for _img, _name, _args in imageoperations.getWaveletImage(image, mask):
            n += 1
        times.append(time.perf_counter() - t0)
        assert n == 11, n
    print(f"{statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
