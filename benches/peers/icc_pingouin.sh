#!/usr/bin/env bash
# Compares `radaudit stability` with pingouin's intraclass_corr on 2000 features x 200
# targets x 10 raters (a long table of 4 million rows). Run by hand from the crate root:
#   bash benches/peers/icc_pingouin.sh
# Takes a few minutes: the pingouin install (once, into benches/peers/.venv), about a
# minute to write the table, and pingouin's per-feature loop. Needs a release build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
work="${WORK:-$(mktemp -d)}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# The venv is shared with other peer scripts: install by what is missing.
"$venv/bin/python" -c "import pingouin" 2>/dev/null || "$venv/bin/pip" install --quiet pingouin
py="$venv/bin/python"

[ -f "$work/long.csv" ] || "$py" "$here/icc_pingouin.py" make "$work/long.csv" 2000 200 10
(cd "$root" && cargo build --release --quiet --tests)
bin="${CARGO_TARGET_DIR:-$root/target}/release/radaudit"

start=$(date +%s.%N)
"$bin" --quiet stability --input "$work/long.csv" --icc 1,1 --out "$work/radaudit.csv"
end=$(date +%s.%N)
ours=$(echo "$end - $start" | bc)
echo "radaudit_seconds $ours"

theirs=$("$py" "$here/icc_pingouin.py" time "$work/long.csv" "$work/pingouin.csv" \
    | awk '/pingouin_seconds/ {print $2}')
echo "pingouin_seconds $theirs"
echo "ratio $(echo "scale=1; $theirs / $ours" | bc)"
echo "outputs in $work (radaudit.csv, pingouin.csv)"
