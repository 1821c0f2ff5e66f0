#!/usr/bin/env bash
# Extraction of all features (PyRadiomics default settings: bin width 25, no resampling,
# original image, label 1) on lung1 and brain1: radaudit vs PyRadiomics.
# Run by hand from the crate root (not by CI):
#   bash benches/peers/extract_pyradiomics.sh [REPS]
# The first run installs pyradiomics-bhklab (the pyradiomics 3.1.0 source build fails on
# Python 3.11) into benches/peers/.venv-pyradiomics; then about a minute.
# Both sides are timed as whole processes per case (start-up and image reading included),
# median of REPS runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS="${1:-5}"
VENV="benches/peers/.venv-pyradiomics"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pyradiomics-bhklab
fi
cargo build --release --quiet --tests
BIN="${CARGO_TARGET_DIR:-target}/release/radaudit"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() {
  local t=()
  for _ in $(seq "$REPS"); do
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    t1=$(date +%s.%N)
    t+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | median
}
for case in lung1 brain1; do
  img="../shared/data/pyradiomics/${case}_image.nrrd"
  msk="../shared/data/pyradiomics/${case}_label.nrrd"
  ours=$(time_cmd "$BIN" --quiet extract --image "$img" --mask "$msk" \
    --config pyradiomics-default --out /tmp/radaudit_peer_$case.csv)
  theirs=$(time_cmd "$VENV/bin/python" benches/peers/extract_pyradiomics.py "$img" "$msk")
  echo "$case radaudit_s $ours pyradiomics_s $theirs ratio $(echo "$theirs / $ours" | bc -l)"
done
