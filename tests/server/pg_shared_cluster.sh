#!/bin/sh
# One PostgreSQL cluster for a whole ctest run, instead of one per test process: the
# ctest fixture `postgres` (tests/server/CMakeLists.txt) starts it before the first test
# that needs it and stops it after the last; each test still takes an empty database of
# its own (pg_cluster.hpp, which reads INFO when $SCOPEGATE_PG_SHARED names it).
#   pg_shared_cluster.sh start INFO   start a cluster with pg_cluster.sh and write INFO:
#                                     its socket folder, port and superuser password
#   pg_shared_cluster.sh stop INFO    stop it, remove its folder and INFO
# The cluster also stops when ctest ends without the stop step (killed, interrupted):
# a watcher holds pg_cluster.sh's standard input open while ctest lives.
set -eu
[ $# -eq 2 ] || {
  echo "usage: pg_shared_cluster.sh start|stop INFO" >&2
  exit 2
}
info=$2
here=$(cd "$(dirname "$0")" && pwd)

stop() {  # asks a cluster of an earlier run (if any) to stop, and waits until it has
  [ -f "$info" ] || return 0
  dir=$(sed -n 's/^dir=//p' "$info")
  touch "$info.stop"
  tries=0
  while [ -n "$dir" ] && [ -d "$dir" ] && [ "$tries" -lt 300 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  rm -f "$info" "$info.stop"
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    echo "pg_shared_cluster.sh: the cluster in $dir did not stop within 30 s" >&2
    exit 1
  fi
}

# Two runs in one build folder would stop each other's cluster: while the ctest that
# started INFO's cluster runs, another run neither stops it nor starts one.
other_run() {
  [ -f "$info" ] || return 1
  owner=$(sed -n 's/^ctest=//p' "$info")
  [ -n "$owner" ] && [ "$owner" != "$PPID" ] && kill -0 "$owner" 2>/dev/null
}

case $1 in
stop)
  if other_run; then exit 0; fi
  stop
  exit 0
  ;;
start) ;;
*)
  echo "usage: pg_shared_cluster.sh start|stop INFO" >&2
  exit 2
  ;;
esac

if other_run; then
  echo "pg_shared_cluster.sh: another ctest run (pid $owner) uses this build folder's cluster:" \
    "wait for it to end, or test in another build folder" >&2
  exit 1
fi
stop  # the cluster of a run that ended without its stop step, if any
mkdir -p "$(dirname "$info")"
rm -f "$info.stop"
ctest=$PPID
password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
# A port found free may be taken before the server binds it: then another, three times.
for _ in 1 2 3; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/scopegate-pg-XXXXXX")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  status=$dir.status
  # pg_cluster.sh stops the cluster when its standard input closes: at the stop step, or
  # once ctest has gone. The watcher holds nothing of ctest's, which waits for the
  # setup's output to close.
  (
    while kill -0 "$ctest" 2>/dev/null && [ ! -e "$info.stop" ]; do sleep 1; done
  ) </dev/null 2>/dev/null | SCOPEGATE_PG_PASSWORD=$password \
    SCOPEGATE_PG_TEMPLATE_DIR=${SCOPEGATE_PG_TEMPLATE_DIR:-} \
    sh "$here/pg_cluster.sh" "$dir" "$port" >"$status" 2>&1 &
  tries=0
  until [ -s "$status" ] || [ "$tries" -ge 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  line=$(head -n 1 "$status")
  rm -f "$status"
  [ "$line" = ready ] && break
  case $line in *"did not start"*) continue ;; esac
  break
done
if [ "$line" != ready ]; then
  echo "pg_shared_cluster.sh: the cluster did not start: ${line:-no answer in 60 s}" >&2
  touch "$info.stop"
  exit 1
fi
umask 077
printf 'dir=%s\nport=%s\npassword=%s\nctest=%s\n' "$dir" "$port" "$password" "$ctest" >"$info.new"
mv "$info.new" "$info"
echo "pg_shared_cluster.sh: PostgreSQL on 127.0.0.1:$port, socket in $dir"
