#!/usr/bin/env bash
# Extraction of all features (PyRadiomics default settings: bin width 25, no resampling,
# original image, label 1) on lung1 and brain1: radaudit vs PyRadiomics.
# Run by hand from the crate root (not by CI):
#   bash benches/peers/extract_pyradiomics.sh [REPS]
# The first run installs pyradiomics-bhklab (the pyradiomics 3.1.0 source build fails on
# Python 3.11) into benches/peers/.venv-pyradiomics; then about a minute.
# Both sides are timed as whole processes per case (start-up and image reading included),
# median of REPS runs, wall and CPU (user + sys) time; radaudit on one thread
# (RAYON_NUM_THREADS=1), PyRadiomics is single-threaded in its feature code.
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
# Median wall and CPU (user + sys) seconds of REPS runs of a command, as "wall cpu".
time_cmd() {
  local w=() c=()
  for _ in $(seq "$REPS"); do
    /usr/bin/time -f "%e %U %S" -o /tmp/radaudit_peer_time "$@" > /dev/null 2>&1
    read -r e u s < /tmp/radaudit_peer_time
    w+=("$e")
    c+=("$(echo "$u + $s" | bc -l)")
  done
  echo "$(printf '%s\n' "${w[@]}" | median) $(printf '%s\n' "${c[@]}" | median)"
}
for case in lung1 brain1; do
  img="../shared/data/pyradiomics/${case}_image.nrrd"
  msk="../shared/data/pyradiomics/${case}_label.nrrd"
  read -r ow oc < <(RAYON_NUM_THREADS=1 time_cmd "$BIN" --quiet extract --image "$img" \
    --mask "$msk" --config pyradiomics-default --out /tmp/radaudit_peer_$case.csv)
  read -r pw pc < <(time_cmd "$VENV/bin/python" benches/peers/extract_pyradiomics.py "$img" "$msk")
  echo "$case wall: radaudit $ow s, pyradiomics $pw s, ratio $(echo "$pw / $ow" | bc -l | cut -c1-5);" \
    "CPU: radaudit $oc s, pyradiomics $pc s, ratio $(echo "$pc / $oc" | bc -l | cut -c1-5)"
  # Phases in CPU time (reading excluded): PyRadiomics from inside Python, ours from
  # benches/extract_lung1.rs (lung1 only).
  echo "$case pyradiomics CPU import/read/features s: $("$VENV/bin/python" \
    benches/peers/extract_pyradiomics_phases.py "$img" "$msk" 2>/dev/null)"
done
