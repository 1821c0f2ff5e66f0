"""Times SimpleITK reading lung2 (512x512x61 gzip NRRD) plus its value range.

Run by read_lung2.sh; prints the median wall and CPU (process) time in seconds over N
reads. CPU time is the fair figure on a shared machine, where wall time includes waiting.
"""
import statistics
import sys
import time

import numpy as np
import SimpleITK as sitk


def main() -> None:
    path, reps = sys.argv[1], int(sys.argv[2])
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        img = sitk.ReadImage(path)
        arr = sitk.GetArrayViewFromImage(img)
        lo, hi = float(np.min(arr)), float(np.max(arr))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"simpleitk {img.GetSize()} range {lo}..{hi} "
          f"median_s {statistics.median(times):.4f} cpu_s {statistics.median(cpu):.4f}")


if __name__ == "__main__":
    main()
