#!/bin/sh
# One PostgreSQL cluster for a whole ctest run, instead of one per test process: the
# ctest fixture `postgres` (tests/server/CMakeLists.txt) starts it before the first test
# that needs it and stops it after the last; each test still takes an empty database of
# its own (pg_cluster.hpp, which reads INFO when $SCOPEGATE_PG_SHARED names it).
#   pg_shared_cluster.sh start INFO   start a cluster with pg_cluster.sh and write INFO:
#                                     its socket folder, port, superuser password and the
#                                     ctest that owns it; or `error=WHY` when it cannot
#                                     start, which each PostgreSQL test then fails with
#                                     (so that the SQLite tests still run)
#   pg_shared_cluster.sh stop INFO    stop it, remove its folder and INFO
# The cluster also stops when ctest ends without the stop step (killed, interrupted): a
# watcher, in a session of its own so that a kill of ctest's process group spares it,
# holds pg_cluster.sh's standard input open while ctest lives.
#   pg_shared_cluster.sh watch INFO CTEST_PID DIR   (the watcher, used by start)
set -eu
usage() {
  echo "usage: pg_shared_cluster.sh start|stop INFO" >&2
  exit 2
}
[ $# -ge 2 ] || usage
mode=$1
info=$2
here=$(cd "$(dirname "$0")" && pwd)

if [ "$mode" = watch ]; then
  [ $# -eq 4 ] || usage
  while kill -0 "$3" 2>/dev/null && [ ! -e "$info.stop" ] && [ -d "$4" ]; do sleep 1; done
  exit 0
fi
[ $# -eq 2 ] || usage

field() { sed -n "s/^$1=//p" "$info"; }

# Two runs in one build folder would stop each other's cluster: while the ctest that
# started INFO's cluster still runs it, another run neither stops it nor starts one.
other_run() {
  [ -f "$info" ] || return 1
  owner=$(field ctest)
  dir=$(field dir)
  [ -n "$owner" ] && [ "$owner" != "$PPID" ] && [ -n "$dir" ] && [ -d "$dir" ] &&
    [ "$(cat "/proc/$owner/comm" 2>/dev/null)" = ctest ]
}

stop() {  # asks INFO's cluster (if any) to stop, and waits until it has
  [ -f "$info" ] || return 0
  dir=$(field dir)
  touch "$info.stop"
  tries=0
  while [ -n "$dir" ] && [ -d "$dir" ] && [ "$tries" -lt 300 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  rm -f "$info" "$info.stop"
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    echo "pg_shared_cluster.sh: the cluster in $dir did not stop within 30 s: left behind" >&2
  fi
}

case $mode in
stop)
  if ! other_run; then stop; fi
  exit 0
  ;;
start) ;;
*) usage ;;
esac

mkdir -p "$(dirname "$info")"
failed() {  # exit 0: the tests that need the cluster fail with WHY, the others run
  umask 077
  printf 'error=%s\n' "$*" >"$info"
  echo "pg_shared_cluster.sh: $*" >&2
  exit 0
}
if other_run; then
  why="another ctest run (pid $owner) uses this build folder's cluster"
  echo "pg_shared_cluster.sh: $why: wait for it to end, or test in another build folder" >&2
  exit 1
fi
stop  # the cluster of a run that ended without its stop step, if any
base=$(sh "$here/pg_cluster.sh" base)
ctest=$PPID
password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
# A port found free may be taken before the server binds it: then another, three times.
line=""
for _ in 1 2 3; do
  dir=$(mktemp -d "$base/scopegate-pg-XXXXXX")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  status=$dir.status
  # pg_cluster.sh stops the cluster when its standard input closes: when the watcher ends.
  # Nothing of ctest's stays open: ctest waits for the setup's output to close.
  # shellcheck disable=SC2016 # the inner shell expands its own arguments
  SCOPEGATE_PG_PASSWORD=$password SCOPEGATE_PG_TEMPLATE_DIR=${SCOPEGATE_PG_TEMPLATE_DIR:-} \
    setsid sh -c 'sh "$1" watch "$2" "$3" "$4" | sh "$5" "$4" "$6"' sh "$0" "$info" "$ctest" \
    "$dir" "$here/pg_cluster.sh" "$port" </dev/null >"$status" 2>&1 &
  tries=0
  until [ -s "$status" ] || [ "$tries" -ge 450 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  line=$(head -n 1 "$status")
  rm -f "$status"
  [ "$line" = ready ] && break
  case $line in *"did not start"*) continue ;; esac
  break
done
[ "$line" = ready ] || failed "the cluster did not start: ${line:-no answer in 45 s}"
umask 077
printf 'dir=%s\nport=%s\npassword=%s\nctest=%s\n' "$dir" "$port" "$password" "$ctest" \
  >"$info.new"
mv "$info.new" "$info"
echo "pg_shared_cluster.sh: PostgreSQL on 127.0.0.1:$port, socket in $dir"
