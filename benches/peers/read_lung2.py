"""Times SimpleITK reading lung2 (512x512x61 gzip NRRD) plus its value range.

Run by read_lung2.sh; prints the median wall time in seconds over N reads.
"""
import statistics
import sys
import time

import numpy as np
import SimpleITK as sitk


def main() -> None:
    path, reps = sys.argv[1], int(sys.argv[2])
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        img = sitk.ReadImage(path)
        arr = sitk.GetArrayViewFromImage(img)
        lo, hi = float(np.min(arr)), float(np.max(arr))
        times.append(time.perf_counter() - t0)
    print(f"simpleitk {img.GetSize()} range {lo}..{hi} median_s {statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
