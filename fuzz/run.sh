#!/usr/bin/env bash
# Runs cargo-fuzz targets for a bounded time each, by hand (not by CI). What the fuzzer
# finds that widens coverage is kept in fuzz/corpus/<target>; crashes land in
# fuzz/artifacts/<target>. Usage:
#   bash fuzz/run.sh TARGET [SECONDS]      one target (default 600 s)
#   bash fuzz/run.sh all [SECONDS]         every target in turn
# Targets: nifti_header nrrd_header dicom_file tables scenario extract_config.
# The machine has only a stable toolchain; RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z
# sanitizer flags to it. The first build compiles every dependency with instrumentation
# (about 20 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
ALL="nifti_header nrrd_header dicom_file tables scenario extract_config"
target="${1:?usage: fuzz/run.sh TARGET|all [SECONDS]}"
secs="${2:-600}"

# Small valid inputs to start from (written once; the fuzzer mutates them).
seed() {
  local t="$1" dir="corpus/$1"
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir")" ] && return 0
  case "$t" in
    nrrd_header)
      printf 'NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 1\nspace: left-posterior-superior\nspace directions: (1,0,0) (0,1,0) (0,0,2.5)\nspace origin: (0,0,0)\nendian: little\nencoding: raw\n\n\001\000\002\000\003\000\004\000' > "$dir/seed.nrrd" ;;
    nifti_header)
      python3 - "$dir/seed.nii" <<'PY'
import struct, sys
h = bytearray(348)
struct.pack_into("<i", h, 0, 348)
struct.pack_into("<8h", h, 40, 3, 2, 2, 1, 1, 1, 1, 1)
struct.pack_into("<hh", h, 70, 4, 16)          # int16, 16 bits
struct.pack_into("<8f", h, 76, 1, 1, 1, 2.5, 0, 0, 0, 0)
struct.pack_into("<f", h, 108, 352.0)          # vox_offset
struct.pack_into("<f", h, 112, 1.0)            # scl_slope
struct.pack_into("<hh", h, 252, 1, 1)          # qform, sform codes
struct.pack_into("<4f", h, 280, 1, 0, 0, 0)    # srow_x
struct.pack_into("<4f", h, 296, 0, 1, 0, 0)
struct.pack_into("<4f", h, 312, 0, 0, 2.5, 0)
h[344:348] = b"n+1\0"
open(sys.argv[1], "wb").write(bytes(h) + b"\0" * 4 + struct.pack("<4h", 1, 2, 3, 4))
PY
      ;;
    dicom_file)
      { head -c 128 /dev/zero; printf 'DICM'; printf '\002\000\020\000UI\024\0001.2.840.10008.1.2.1\000'; } > "$dir/seed.dcm" ;;
    tables)
      printf 'case_id,perturbation,replicate,feature,value\nc1,none,0,glcm.joint_max,0.5\nc1,noise,1,glcm.joint_max,0.4\nc2,none,0,glcm.joint_max,0.7\n' > "$dir/long.csv"
      printf 'case_id,reader,replicate,note,shape.volume,firstorder.mean\nc1,A,0,x,10,1.5\nc1,B,0,,11,1.4\nc2,A,0,y,20,NaN\n' > "$dir/wide.csv" ;;
    scenario)
      cp ../scenarios/liver-review/hu-2022-clm-sbrt-pfs--cv-c-index.toml "$dir/" ;;
    extract_config)
      printf 'families = ["stat", "glcm"]\ndiscretisation = { bin-width = { width = 25.0, origin = "ibsi" } }\n[preprocess]\nround_input = true\n[texture]\nmode = "pyradiomics"\ndistance = 1\n' > "$dir/cfg.toml" ;;
  esac
}

run() {
  seed "$1"
  # -O: the same profile as `cargo fuzz build -O`, so an existing build is reused.
  cargo fuzz run -O "$1" "corpus/$1" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1
}

if [ "$target" = all ]; then
  for t in $ALL; do run "$t"; done
else
  run "$target"
fi
