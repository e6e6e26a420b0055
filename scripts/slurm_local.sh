#!/usr/bin/env bash
# Start (or stop) a real single-node SLURM cluster on this machine, for tests/test_slurm.py.
#   bash scripts/slurm_local.sh start   # installs Debian's slurmctld slurmd slurm-client munge if needed
#   bash scripts/slurm_local.sh stop
# Needs root (apt-get, /etc/slurm).  Partition "debug" holds this one node with all its cores.
set -euo pipefail
action="${1:-start}"

if [ "$action" = "stop" ]; then
    pkill -x slurmd || true; pkill -x slurmctld || true; pkill -x munged || true
    exit 0
fi

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))"
conf_dir=/etc/slurm
mkdir -p "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
cat > "$conf_dir/slurm.conf" <<CONF
ClusterName=noisy
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=${host} CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF

if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key

pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged 2>/dev/null || munged --force
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

for _ in $(seq 1 30); do
    if sinfo -h -o "%t" 2>/dev/null | grep -qE "idle|mix|alloc"; then
        scontrol update nodename="${host}" state=resume >/dev/null 2>&1 || true
        echo "slurm: node ${host} up (${cpus} cpus)"
        exit 0
    fi
    sleep 1
done
echo "slurm: node did not come up; see /var/log/slurm" >&2
sinfo >&2 || true
exit 1
