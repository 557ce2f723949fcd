#!/usr/bin/env bash
# A private, throw-away PostgreSQL server for the hub's tests and benchmarks.
#
#   scripts/pg-test-server.sh start DIR   create (first time) and start a cluster in DIR; print its URL
#   scripts/pg-test-server.sh url DIR     print the URL of the cluster in DIR
#   scripts/pg-test-server.sh stop DIR    stop it (DIR stays; remove it to start afresh)
#
# The server listens only on a unix socket inside DIR (no TCP port, nothing shared with the host's
# own PostgreSQL), trusts local connections, and holds a database `mamori_test`. Durability
# settings are PostgreSQL's defaults (fsync on), so benchmark numbers against it are honest.
# PostgreSQL refuses to run as root: as root, DIR is given to the `postgres` system user and every
# server command runs under `runuser -u postgres`. Keep DIR short: a unix socket path must fit in
# 107 bytes.
#
#   export MAMORI_TEST_POSTGRES_URL=$(scripts/pg-test-server.sh start /tmp/mamori-pg)
set -euo pipefail

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
port=${MAMORI_PG_PORT:-5432}  # only names the socket file; there is no TCP listener
database=mamori_test

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then  # the newest installed major version
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "$0: PostgreSQL server binaries not found (set PG_BINDIR)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() {
  local abs
  abs=$(cd "$dir" && pwd)
  echo "postgresql://postgres@/${database}?host=${abs}&port=${port}"
}

running() { [ -f "$dir/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
      chmod 700 "$dir"
    fi
    abs=$(cd "$dir" && pwd)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$abs/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        >"$abs/initdb.log" 2>&1 || { cat "$abs/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
      as_owner "$bindir/pg_ctl" -D "$abs/data" -l "$abs/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k '$abs' -p $port -c max_connections=200" start >/dev/null \
        || { cat "$abs/server.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/psql" -h "$abs" -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
      as_owner "$bindir/createdb" -h "$abs" -p "$port" -U postgres "$database"
    fi
    url
    ;;
  stop)
    if running; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
  url)
    url
    ;;
  *) usage ;;
esac
