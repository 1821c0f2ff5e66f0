#!/usr/bin/env bash
# Reading lung2 (512x512x61, gzip NRRD, 17.8 MB): radaudit vs SimpleITK.
# Run by hand from the crate root (not by CI): bash benches/peers/read_lung2.sh [REPS]
# Takes about 30 s after the first run (the first run installs SimpleITK into
# benches/peers/.venv and builds radaudit in release mode).
# Both sides read the file and compute the value range; radaudit is timed through
# `radaudit inspect` (process start included), SimpleITK inside Python (start excluded).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS="${1:-5}"
IMG="../shared/data/pyradiomics/lung2_image.nrrd"
VENV="benches/peers/.venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# The venv is shared with other peer scripts: install by what is missing, not by its absence.
"$VENV/bin/python" -c "import SimpleITK, numpy" 2>/dev/null \
  || "$VENV/bin/pip" install --quiet SimpleITK numpy
cargo build --release --quiet --tests
BIN="${CARGO_TARGET_DIR:-target}/release/radaudit"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
times=()
cpu=()
for _ in $(seq "$REPS"); do
  t0=$(date +%s.%N)
  c=$( { /usr/bin/time -f "%U %S" "$BIN" --quiet --threads 1 inspect "$IMG" > /dev/null; } \
    2>&1 | tail -1)
  t1=$(date +%s.%N)
  times+=("$(echo "$t1 - $t0" | bc -l)")
  cpu+=("$(echo "$c" | awk '{print $1 + $2}')")
done
echo "radaudit median_s $(printf '%s\n' "${times[@]}" | median)" \
  "cpu_s $(printf '%s\n' "${cpu[@]}" | median)"
"$VENV/bin/python" benches/peers/read_lung2.py "$IMG" "$REPS"
