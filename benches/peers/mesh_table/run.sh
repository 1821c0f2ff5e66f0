#!/usr/bin/env bash
# Measures the classic marching-cubes table as PyRadiomics applies it and writes
# src/features/mesh_table.rs (run by hand, not by CI; a few minutes on one core).
#
# PyRadiomics' shape extension (`radiomics.cShape.calculate_coefficients`) is used only as a
# black box: masks in, surface area and volume out. For each cube configuration the
# scripts enumerate the triangulations of the polygons its sign-changing edges bound
# (rules2.py), pick the one that reproduces the measured areas on random masks at three
# spacings (search3.py; the pattern probes of search2.py fix the unambiguous ones first),
# then among area-equivalent choices the one that reproduces the measured volumes
# (search4.py), and print the Rust table (gen_rust.py). validate.py checks the table on
# random masks and on the lung1 and breast1 masks of ../shared/data/pyradiomics.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${VENV:-$PWD/.venv}"
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV"; "$VENV/bin/pip" install -q pyradiomics-bhklab; }
PY="$VENV/bin/python"
"$PY" search3.py
"$PY" search4.py
"$PY" validate.py
{ sed -n '1,/^pub(crate) static CLASSIC/p' ../../../src/features/mesh_table.rs
  "$PY" gen_rust.py
  echo "];"; } > mesh_table.rs.new
mv mesh_table.rs.new ../../../src/features/mesh_table.rs
echo "wrote src/features/mesh_table.rs; run cargo fmt and the IBSI tests"
