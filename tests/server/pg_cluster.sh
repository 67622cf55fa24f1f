#!/bin/sh
# A throwaway PostgreSQL cluster for the tests (tests/server/pg_cluster.hpp starts it):
# initdb into DIR, a server on 127.0.0.1:PORT with its unix socket in DIR, run as an
# unprivileged user (PostgreSQL refuses root: as root, the `postgres` account Debian's
# package creates, or $SCOPEGATE_PG_USER). It prints one line, `ready` or `error: ...`,
# then waits for its standard input to close: the test process holds the other end, so
# however that process ends (exit, crash, kill -9), the cluster is stopped and DIR
# removed.
#   pg_cluster.sh DIR PORT   (the superuser `scopegate`'s password in $SCOPEGATE_PG_PASSWORD)
set -u
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

(umask 077 && printf '%s\n' "${SCOPEGATE_PG_PASSWORD:-}" >"$dir/password") ||
  fail "cannot write $dir/password"
[ -z "$as" ] || chown "$user" "$dir/password" || fail "cannot hand $dir/password to $user"
$as "$bin/initdb" -D "$dir/data" -U scopegate --pwfile="$dir/password" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
  fail "initdb failed: $(tail -n 5 "$dir/initdb.log")"
rm -f "$dir/password"
$as "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 30 -o "-p $port -k $dir \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB" start >/dev/null 2>&1 ||
  fail "the server did not start on port $port: $(tail -n 5 "$log" 2>/dev/null)"
echo ready
# Until the test process closes its end (or dies).
while read -r _; do :; done
cleanup
