#!/usr/bin/env bash
# Starts a single-node Slurm (slurmctld + slurmd + a private munged) on localhost, with all
# state under $RADAUDIT_SLURM_DIR (default: target/slurm-local). Installs slurm-wlm and
# munge with apt-get when missing (root, Debian). Recipe and pitfalls:
# ../shared/slurm-local.md. Prints the SLURM_CONF to export. Stop with tests/slurm/stop.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# 1. Packages (policy-rc.d keeps their services from starting; we start our own).
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi

# 2. Config: private munge key and socket; DefMemPerCPU and batch_sched_delay=0 let
#    array tasks run side by side without a 3 s delay per wave (pitfalls 3 and 4).
mkdir -p "$S"/etc "$S"/state "$S"/spool "$S"/log "$S"/munge
chmod 755 "$S"/munge   # munged needs o+x on its socket folder (pitfall 2)
[ -s "$S"/munge/munge.key ] || mungekey --create --keyfile="$S"/munge/munge.key
chmod 600 "$S"/munge/munge.key
NCPU=$(nproc)
MEM=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) * 9 / 10 ))  # <= slurmd's
cat > "$SLURM_CONF" <<CONF
ClusterName=localcluster
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# 3. Daemons. A second slurmd with the same pid file kills the first (pitfall 6): refuse.
for f in "${PIDFILES[@]}"; do
  p=$(pid_of "$f")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    echo "start.sh: already running ($f = $p); run tests/slurm/stop.sh first" >&2
    exit 1
  fi
done
munged --key-file="$S"/munge/munge.key --socket="$S"/munge/munge.socket \
       --pid-file="$S"/munge/munged.pid --log-file="$S"/munge/munged.log \
       --seed-file="$S"/munge/munged.seed
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost

# 4. Wait (up to 60 s) for the node to be idle (slurmd writes its pid file late).
for _ in $(seq 120); do
  if [ "$(sinfo -h -N -n localhost -o %t 2>/dev/null)" = idle ]; then
    echo "start.sh: munged=$(pid_of "$S"/munge/munged.pid)" \
         "slurmctld=$(pid_of "$S"/slurmctld.pid) slurmd=$(pid_of "$S"/slurmd.pid)" >&2
    echo "$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "start.sh: the node did not become idle" >&2
sinfo -N -l >&2 || true
exit 1
