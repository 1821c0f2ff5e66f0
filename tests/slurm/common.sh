# Shared by start.sh and stop.sh: the scratch folder and PID helpers.
# Every Slurm command must see SLURM_CONF, or it falls back to a DNS SRV lookup
# ("configless" mode); see ../shared/slurm-local.md, pitfall 1.
S=${RADAUDIT_SLURM_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/slurm-local}
export SLURM_CONF=$S/etc/slurm.conf

pid_of() { [ -s "$1" ] && cat "$1" || true; }
# true if PID $1 is alive and its command name is $2 (a stale pid file is never trusted)
is_ours() { [ -n "$1" ] && [ "$(cat /proc/"$1"/comm 2>/dev/null)" = "$2" ]; }
PIDFILES=("$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid")
