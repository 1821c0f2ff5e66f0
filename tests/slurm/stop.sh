#!/usr/bin/env bash
# Stops the daemons started by tests/slurm/start.sh, by the PIDs in their own pid files
# (checked against /proc/PID/comm), slurmd first. Never signals anything else.
set -uo pipefail
. "$(dirname "$0")/common.sh"
for f in "${PIDFILES[@]}"; do
  p=$(pid_of "$f")
  n=$(basename "$f" .pid)
  is_ours "$p" "$n" || continue
  kill -TERM "$p" 2>/dev/null || continue
  for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$p" 2>/dev/null; then echo "stop.sh: still running: $p ($f)" >&2
  else echo "stop.sh: stopped $n ($p)" >&2; fi
done
exit 0
