#!/usr/bin/env bash
# LoG (sigma 1, 3, 5 mm) plus all 8 wavelet sub-bands on lung2 (512 x 512 x 61):
# radaudit (criterion, benches/filters.rs group lung2) vs PyRadiomics
# (benches/peers/filters_pyradiomics_bench.py), image reading excluded on both sides.
# Result (2026-12-04, 2 shared cores, other builds running): radaudit 37.4 s (criterion
# median of 10), PyRadiomics 43.9 s (median of 3): ratio 1.17 in radaudit's favour.
# Run by hand from the crate root (not by CI), with CARGO_TARGET_DIR set as usual:
#   bash benches/peers/filters_pyradiomics_bench.sh [REPS]
# The first run installs pyradiomics-bhklab into benches/peers/.venv-pyradiomics; then
# about 3 minutes. Also writes the reference CSV of tests/pyradiomics_filters.rs anew
# to /tmp (compare it with tests/data/pyradiomics_filters_brain1.csv).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS="${1:-5}"
VENV="benches/peers/.venv-pyradiomics"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pyradiomics-bhklab
fi
img=../shared/data/pyradiomics/lung2_image.nrrd
msk=../shared/data/pyradiomics/lung2_label.nrrd
theirs=$("$VENV/bin/python" benches/peers/filters_pyradiomics_bench.py "$img" "$msk" "$REPS")
cargo bench --bench filters -- lung2 > /dev/null 2>&1
# Criterion's estimate (nanoseconds) of one run of the 11 filters.
est="${CARGO_TARGET_DIR:-target}/criterion/lung2/log3_wavelet8/new/estimates.json"
ours=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate']/1e9)" "$est")
echo "lung2 LoG x3 + wavelet x8: radaudit_s $ours pyradiomics_s $theirs ratio $(echo "$theirs / $ours" | bc -l)"
"$VENV/bin/python" benches/peers/filters_pyradiomics.py ../shared/data/pyradiomics/brain1_image.nrrd \
  ../shared/data/pyradiomics/brain1_label.nrrd /tmp/pyradiomics_filters_brain1.csv 2>/dev/null
