#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests: munged, MariaDB, slurmdbd (so that
# sacct works), slurmctld and slurmd, every file of theirs in one scratch folder.
#
#   .ci/slurm-cluster.sh install        install slurm-wlm, slurmdbd, munge and mariadb-server
#                                       from Debian when missing (needs root)
#   .ci/slurm-cluster.sh start DIR      start the cluster with its state in DIR (created if
#                                       absent; must be empty) and wait until the node is idle
#   .ci/slurm-cluster.sh stop DIR       cancel the cluster's jobs and stop the daemons that
#                                       `start DIR` started (by their recorded PIDs)
#   .ci/slurm-cluster.sh run CMD...     install, start in a new scratch folder, run CMD with
#                                       SLURM_CONF set, and always stop again (trap), even when
#                                       CMD fails or is interrupted; exits with CMD's status
#
# Clients use the cluster through SLURM_CONF=DIR/etc/slurm.conf (`start` prints it and
# writes DIR/env). Ports are the first free ones from 6817 (Slurm) and 3307 (MariaDB) on
# 127.0.0.1. Works as root without systemd and without cgroups (proctrack/linuxproc,
# task/none). A requeued task restarts within seconds: the credential lifetime is 10 s
# (cred_expire) and the scheduler runs every 2 s.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # the daemons live there

die() { echo "slurm-cluster: $*" >&2; exit 1; }

install_packages() {
  local need=()
  command -v slurmctld >/dev/null || need+=(slurm-wlm)
  command -v slurmdbd >/dev/null || need+=(slurmdbd)
  command -v munged >/dev/null || need+=(munge)
  command -v mariadbd >/dev/null || need+=(mariadb-server)
  command -v setpriv >/dev/null || need+=(util-linux)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root"
  command -v apt-get >/dev/null || die "missing ${need[*]} and no apt-get to install them"
  echo "slurm-cluster: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's maintainer scripts may try to start the daemons; ours are started below.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_ports N FROM prints N free ports, the first ones from FROM.
free_ports() {
  local n=$1 p=$2 got=0
  while [ $got -lt "$n" ]; do
    if port_free "$p"; then echo "$p"; got=$((got + 1)); fi
    p=$((p + 1))
    [ "$p" -lt $(($2 + 200)) ] || die "no free port from $2"
  done
}

# launch NAME CMD... starts CMD in the background with its output in DIR/log/NAME.out and
# records its PID in DIR/pids/NAME.
launch() {
  local name=$1; shift
  "$@" >"$DIR/log/$name.out" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name"
}

alive() { [ -f "$DIR/pids/$1" ] && kill -0 "$(cat "$DIR/pids/$1")" 2>/dev/null; }

# wait_for WHAT SECONDS CMD... retries CMD every 0.2 s until it succeeds.
wait_for() {
  local what=$1 secs=$2 i=0; shift 2
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt $((secs * 5)) ]; then
      echo "slurm-cluster: $what did not come up within ${secs}s; logs:" >&2
      tail -n 20 "$DIR"/log/* >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

node_idle() { [ "$(sinfo -h -n "$HOST" -o %T 2>/dev/null)" = idle ]; }

start() {
  [ -n "${DIR:-}" ] || die "start needs a scratch folder"
  mkdir -p "$DIR"
  [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty; give an empty or new folder"
  DIR=$(cd "$DIR" && pwd)
  chmod 755 "$DIR" # munged and its checks run as the munge user
  mkdir -p "$DIR"/{etc,log,pids,run,state,spool,mysql,munge}
  HOST=$(hostname -s)
  local ports
  mapfile -t ports < <(free_ports 3 6817)
  local ctld_port=${ports[0]} slurmd_port=${ports[1]} dbd_port=${ports[2]}
  local db_port
  db_port=$(free_ports 1 3307)
  local db_pass
  db_pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

  # munge: its own key and socket, run as the munge user (munged refuses root-owned keys
  # it does not own).
  local mu=munge
  id "$mu" >/dev/null 2>&1 || mu=root
  head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
  chmod 600 "$DIR/munge/munge.key"
  chown -R "$mu:" "$DIR/munge"
  chmod 711 "$DIR/munge" # clients need to reach the socket
  local sock=$DIR/munge/munge.socket
  launch munged setpriv --reuid="$mu" --regid="$mu" --clear-groups munged -F --force \
    --socket="$sock" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed"
  wait_for munged 15 bash -c "munge -S '$sock' -n | unmunge -S '$sock'"

  # MariaDB for slurmdbd, on 127.0.0.1 only, with a user and password made up here.
  mariadb-install-db --no-defaults --user=root --datadir="$DIR/mysql" --auth-root-authentication-method=socket \
    >"$DIR/log/mariadb-install.out" 2>&1 || { cat "$DIR/log/mariadb-install.out" >&2; die "mariadb-install-db failed"; }
  launch mariadbd mariadbd --no-defaults --user=root --datadir="$DIR/mysql" --socket="$DIR/run/mysql.sock" \
    --pid-file="$DIR/run/mariadbd.pid" --port="$db_port" --bind-address=127.0.0.1 --skip-name-resolve \
    --innodb-buffer-pool-size=64M --log-error="$DIR/log/mariadbd.log"
  wait_for mariadbd 60 mariadb --no-defaults -S "$DIR/run/mysql.sock" -u root -e 'SELECT 1'
  mariadb --no-defaults -S "$DIR/run/mysql.sock" -u root <<SQL
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$db_pass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL

  cat >"$DIR/etc/slurmdbd.conf" <<EOF
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
LogFile=$DIR/log/slurmdbd.log
PidFile=$DIR/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$DIR/etc/slurmdbd.conf"

  # The node line is what slurmd -C measures here.
  local node
  node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$HOST NodeAddr=127.0.0.1/")
  cat >"$DIR/etc/slurm.conf" <<EOF
ClusterName=shiftgen
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock,cred_expire=10
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
KillWait=5
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
# With slurmdbd, the "password" is the munge socket to authenticate with.
AccountingStoragePass=$sock
JobCompType=jobcomp/none
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$DIR/etc/slurm.conf
  echo "export SLURM_CONF=$SLURM_CONF" >"$DIR/env"

  # slurmdbd reads slurmdbd.conf from the folder of SLURM_CONF.
  launch slurmdbd slurmdbd -D
  wait_for slurmdbd 30 port_used "$dbd_port"
  launch slurmctld slurmctld -D -i -f "$SLURM_CONF"
  wait_for slurmctld 30 scontrol ping
  launch slurmd slurmd -D -f "$SLURM_CONF" -N "$HOST"
  wait_for "node $HOST (idle)" 60 node_idle
  # Accounting is up when the controller has registered the cluster with slurmdbd.
  wait_for "accounting (sacct)" 30 sacct -n -X -S now
  echo "slurm-cluster: up in $DIR (node $HOST idle; ports ctld $ctld_port, slurmd $slurmd_port, dbd $dbd_port, db $db_port)"
  echo "export SLURM_CONF=$SLURM_CONF"
}

port_used() { ! port_free "$1"; }

# stop_pid NAME: SIGTERM the recorded process, SIGKILL after 15 s.
stop_pid() {
  local f=$DIR/pids/$1 pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm-cluster: $1 (pid $pid) ignored SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

stop() {
  [ -n "${DIR:-}" ] && [ -d "$DIR" ] || die "stop needs the folder given to start"
  DIR=$(cd "$DIR" && pwd)
  export SLURM_CONF=$DIR/etc/slurm.conf
  # Jobs still running belong to this cluster alone: cancel them and give their steps
  # time to end before slurmd goes.
  if alive slurmctld; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -t running,completing,configuring 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for d in slurmd slurmctld slurmdbd mariadbd munged; do stop_pid "$d"; done
  echo "slurm-cluster: stopped ($DIR)"
}

run() {
  [ $# -gt 0 ] || die "run needs a command"
  install_packages
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/shiftgen-slurm-XXXXXX")
  local status=0
  # Always stop what start started, whatever happens from here on.
  trap 'stop || true' EXIT
  trap 'exit 130' INT TERM
  start
  # The command runs in the background so that a signal to this script is handled at
  # once: it is passed on to the command, then the EXIT trap stops the cluster.
  "$@" &
  local child=$!
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child" || true; exit 130' INT TERM
  wait "$child" || status=$?
  if [ $status -ne 0 ]; then
    echo "slurm-cluster: command failed ($status); daemon logs kept in $DIR/log" >&2
  else
    trap - EXIT
    stop
    rm -rf "$DIR"
  fi
  return $status
}

case "${1:-}" in
  install) install_packages ;;
  start) DIR=${2:-}; start ;;
  stop) DIR=${2:-}; stop ;;
  run) shift; run "$@" ;;
  *) sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2 ;;
esac
