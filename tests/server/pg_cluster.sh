#!/bin/sh
# A throwaway PostgreSQL cluster for the tests (started by pg_shared_cluster.sh for a
# ctest run, or by tests/server/pg_cluster.hpp for a test process run by hand): its data in
# DIR, a server on 127.0.0.1:PORT with its unix socket in DIR, run as an unprivileged user
# (PostgreSQL refuses root: as root, the `postgres` account Debian's package creates, or
# $SCOPEGATE_PG_USER). It prints one line, `ready` or `error: ...`, then waits for its
# standard input to close: its starter holds the other end, so however the starter ends
# (exit, crash, kill -9), the cluster is stopped and DIR removed.
#   pg_cluster.sh DIR PORT   (the superuser `scopegate`'s password in $SCOPEGATE_PG_PASSWORD;
#                             SCOPEGATE_PG_TEMPLATE_DIR: see below)
#   pg_cluster.sh base       prints the folder in which its starters make DIR
set -u

# A cluster's files go on tmpfs (/dev/shm, when it is one, writable, with 1 GiB free: a
# ctest run peaks under 100 MB), else in $TMPDIR or /tmp. Each test creates and drops a
# database of about a thousand files, which on a long-used ext4 disk cost a quarter of
# ctest's CPU (its inode allocator scans recently deleted inodes); on a fresh one, little.
if [ "${1:-}" = base ]; then
  shm_free=$(df -P -k /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
    [ "${shm_free:-0}" -ge 1048576 ]; then
    echo /dev/shm
  else
    echo "${TMPDIR:-/tmp}"
  fi
  exit 0
fi
dir=$1
port=$2
as=""
log="$dir/server.log"

cleanup() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    $as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  fi
  rm -rf "$dir"
}
fail() {
  echo "error: $*"
  cleanup
  exit 1
}

bin=${SCOPEGATE_PG_BIN:-}
if [ -z "$bin" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bin=$candidate
  done
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] ||
  fail "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin): run scripts/install-deps"
if [ "$(id -u)" -eq 0 ]; then
  user=${SCOPEGATE_PG_USER:-postgres}
  id "$user" >/dev/null 2>&1 ||
    fail "no user \`$user\` to run PostgreSQL as (it refuses root): install Debian's postgresql package"
  chown "$user" "$dir" || fail "cannot hand $dir to $user"
  as="setpriv --reuid=$user --regid=$(id -g "$user") --init-groups --"
fi
trap 'cleanup; exit 1' HUP INT TERM

initdb_data() {
  printf 'template\n' >"$dir/password" || fail "cannot write $dir/password"
  [ -z "$as" ] || chown "$user" "$dir/password" || fail "cannot hand $dir/password to $user"
  $as "$bin/initdb" -D "$dir/data" -U scopegate --pwfile="$dir/password" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  rm -f "$dir/password"
}
# With SCOPEGATE_PG_TEMPLATE_DIR (the build folder's pg-template/), initdb runs once per
# PostgreSQL version, and each cluster starts as a copy of that first one's data: a copy
# takes a fraction of an initdb. The template is never started or changed, and is renamed
# into place whole, so concurrent test processes see it complete or not at all. Only
# this script's own user touches it (the copy keeps the owner): PostgreSQL's user needs
# no access to the build folder. The real password is set once the server runs.
template=""
if [ -n "${SCOPEGATE_PG_TEMPLATE_DIR:-}" ]; then
  template="$SCOPEGATE_PG_TEMPLATE_DIR/$("$bin/initdb" --version | tr -c 'A-Za-z0-9.\n' '_')"
fi
if [ -n "$template" ] && [ -f "$template/PG_VERSION" ]; then
  cp -a "$template" "$dir/data" || fail "cannot copy $template"
else
  initdb_data
  if [ -n "$template" ] && mkdir -p "$SCOPEGATE_PG_TEMPLATE_DIR"; then
    new="$SCOPEGATE_PG_TEMPLATE_DIR/.new-$$"
    rm -rf "$new"
    # Another process's template may be in place first: then this one goes.
    cp -a "$dir/data" "$new" && mv -T "$new" "$template" 2>/dev/null
    rm -rf "$new"
  fi
fi

# Nothing is made durable (a test cluster), and the WAL is kept small: DIR may be on tmpfs,
# and CREATE DATABASE writes the whole new database to the WAL (a run peaks under 100 MB).
$as "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 30 -o "-p $port -k $dir \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_connections=500 -c shared_buffers=32MB \
  -c max_wal_size=64MB -c min_wal_size=32MB" start >/dev/null 2>&1 ||
  fail "the server did not start on port $port: $(tail -n 5 "$log" 2>/dev/null)"
# Over the socket, where the superuser is trusted: the caller's password, for TCP.
password=$(printf '%s' "${SCOPEGATE_PG_PASSWORD:-}" | sed "s/'/''/g")
$as "$bin/psql" -X -q -h "$dir" -p "$port" -U scopegate -d postgres \
  -c "ALTER USER scopegate PASSWORD '$password'" >/dev/null 2>"$dir/psql.log" ||
  fail "cannot set the password: $(cat "$dir/psql.log")"
echo ready
# Until the test process closes its end (or dies).
while read -r _; do :; done
cleanup
