#!/usr/bin/env bash
# Hub benchmark (issue 4): in one run, on SQLite and on PostgreSQL,
#   1. event ingest: wrk POSTs NDJSON batches of 1,000 distinct detect events (bench/hub/ingest.lua)
#      for INGEST_SECONDS; target >= 50,000 events/s;
#   2. the store is then filled up to EVENTS events through the API in batches of 10,000
#      (bench/hub/seed.py; not measured);
#   3. list: wrk GETs /api/v1/events?organisation=ORG&limit=100 paced at RATE requests/s
#      (bench/hub/list.lua explains the pacing) for LIST_SECONDS after a short warm-up, with
#      --latency; target p99 < 50 ms at 1,000 requests/s.
# Every request is authenticated and audited as in production (the audit ledger is verified at the
# end). The SQLite database is a file, and PostgreSQL a private server started by
# scripts/pg-test-server.sh (unix socket, fsync on).
#
# Connections: the hub's HTTP server (cpp-httplib) serves a keep-alive connection on one request
# thread until the connection closes (after 5 requests or 5 s idle), so clients beyond the thread
# count wait for a thread however idle the hub is. The list test therefore opens as many
# connections as the hub has request threads (HUB_THREADS, default 16; `mamori hub --threads`).
# Prints a table; results go in bench/RESULTS.md by hand, with the machine and date.
#
#   bench/hub/run.sh [--small]     (--small: 100,000 events and short runs, for CI: < 3 minutes)
#
# Environment: BUILD_DIR (default build; `mamori` is built there in Release unless BUILD=0),
# BENCH_DIR (default var/bench-hub),
# BACKENDS (default "sqlite postgresql"), EVENTS, INGEST_SECONDS, LIST_SECONDS, RATE, HUB_THREADS.
set -euo pipefail
cd "$(dirname "$0")/../.."
small=0
[ "${1:-}" = "--small" ] && small=1

build=${BUILD_DIR:-build}
work=${BENCH_DIR:-var/bench-hub}
backends=${BACKENDS:-sqlite postgresql}
if [ "$small" = 1 ]; then
  events=${EVENTS:-100000}; ingest_secs=${INGEST_SECONDS:-5}; list_secs=${LIST_SECONDS:-10}
  warm_secs=2
else
  events=${EVENTS:-1000000}; ingest_secs=${INGEST_SECONDS:-20}; list_secs=${LIST_SECONDS:-60}
  warm_secs=5
fi
rate=${RATE:-1000}
hub_threads=${HUB_THREADS:-16}
list_connections=${LIST_CONNECTIONS:-$hub_threads}
ingest_target=50000
p99_target_ms=50

# The Release binary: configured and built here when $build is not a build directory yet, brought
# up to date when it is (BUILD=0 skips that, for a binary built elsewhere).
if [ "${BUILD:-1}" = 1 ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
    echo "bench: warning: $build is not a Release build; numbers will not be comparable" >&2
  cmake --build "$build" --target mamori -j "${JOBS:-2}" >/dev/null
fi
[ -x "$build/mamori" ] || { echo "bench: $build/mamori missing" >&2; exit 1; }
for tool in wrk python3 psql; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing; run scripts/setup.sh --test" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

hub_pid=""
pg_dir=""
cleanup() {
  if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
result_field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

count_events() {  # backend db
  if [ "$1" = sqlite ]; then
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM events").fetchone()[0])' "${2#sqlite:}"
  else
    psql "$2" -tAc "SELECT COUNT(*) FROM events"
  fi
}

start_hub() {  # db state log; sets hub_pid and port
  port=$(free_port)
  "$build/mamori" hub --db "$1" --listen "127.0.0.1:$port" --state "$2" --threads "$hub_threads" \
    --no-console >>"$3" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 200); do
    if python3 -c 'import sys,urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/api/v1/health" % sys.argv[1], timeout=1)' "$port" 2>/dev/null; then
      return
    fi
    kill -0 "$hub_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: the hub did not start:" >&2
  cat "$3" >&2
  exit 1
}

stop_hub() {
  kill "$hub_pid"
  wait "$hub_pid" || true
  hub_pid=""
}

declare -A ingest_rate list_rps list_p50 list_p90 list_p99 list_max list_bad stored
for backend in $backends; do
  dir="$work/$backend"
  mkdir -p "$dir"
  if [ "$backend" = sqlite ]; then
    db="sqlite:$dir/hub.db"
  else
    pg_dir="$work/pg"
    base=$(scripts/pg-test-server.sh start "$pg_dir")
    PGOPTIONS='--client-min-messages=warning' psql "$base" -qc "DROP DATABASE IF EXISTS mamori_bench"
    psql "$base" -qc "CREATE DATABASE mamori_bench"
    db=$(sed 's|/mamori_test?|/mamori_bench?|' <<<"$base")
  fi
  echo "== $backend: $db"

  admin() { "$build/mamori" admin --db "$db" "$@"; }
  admin org add --name centre --type centre >/dev/null
  targets=""
  orgs=""
  for i in 1 2 3 4; do
    id=$(admin org add --name "operator-$i" --type operator --sector electricity \
      --domain "op$i.example.jp")
    orgs="$orgs${orgs:+,}$id"
    targets="$targets${targets:+,}www.op$i.example.jp"
  done
  targets="$targets,www.unowned.example.com"  # a fifth of the events routed to nobody
  admin user add --name analyst --org centre --role analyst --clearance 2 >/dev/null
  token=$(admin token create --user analyst)

  start_hub "$db" "$dir/state" "$dir/hub.log"
  url="http://127.0.0.1:$port"

  echo "1. ingest: ${ingest_secs}s of NDJSON batches of 1000 events"
  out=$(TOKEN="$token" BATCH=1000 RUN=ingest TARGETS="$targets" \
    wrk -t2 -c4 -d"${ingest_secs}s" --timeout 60s -s bench/hub/ingest.lua "$url")
  echo "$out" | grep RESULT
  res=$(grep RESULT <<<"$out")
  [ "$(result_field "$res" failed)" = 0 ] || { echo "bench: ingest requests failed" >&2; cat "$dir/hub.log" >&2; exit 1; }
  ingest_rate[$backend]=$(awk -v n="$(result_field "$res" accepted)" -v s="$(result_field "$res" seconds)" 'BEGIN { printf "%.0f", n / s }')

  have=$(count_events "$backend" "$db")
  if [ "$have" -lt "$events" ]; then
    echo "2. seeding $((events - have)) more events (batches of 10000) to $events"
    python3 bench/hub/seed.py --port "$port" --token "$token" --count "$((events - have))" \
      --targets "$targets"
  fi
  stored[$backend]=$(count_events "$backend" "$db")

  echo "3. list: GET ?organisation=...&limit=100 at $rate/s for ${list_secs}s (after ${warm_secs}s warm-up)"
  WRK_THREADS=2 TOKEN="$token" ORGS="$orgs" RATE="$rate" \
    wrk -t2 -c"$list_connections" -d"${warm_secs}s" --timeout 10s -s bench/hub/list.lua "$url" >/dev/null
  out=$(WRK_THREADS=2 TOKEN="$token" ORGS="$orgs" RATE="$rate" \
    wrk -t2 -c"$list_connections" -d"${list_secs}s" --timeout 10s --latency -s bench/hub/list.lua "$url")
  echo "$out" | sed -n '/Latency Distribution/,/requests in/p'
  res=$(grep RESULT <<<"$out")
  echo "$res"
  list_rps[$backend]=$(result_field "$res" rps)
  list_p50[$backend]=$(result_field "$res" p50_ms)
  list_p90[$backend]=$(result_field "$res" p90_ms)
  list_p99[$backend]=$(result_field "$res" p99_ms)
  list_max[$backend]=$(result_field "$res" max_ms)
  list_bad[$backend]=$(( $(result_field "$res" non200) + $(result_field "$res" empty_pages) + $(result_field "$res" socket_errors) ))

  stop_hub
  echo "4. the audit ledger verifies"
  "$build/mamori" ledger verify --ledger "$dir/state/hub/audit-ledger" --trust "$dir/state/hub/audit.pub"
  if [ "$backend" = postgresql ]; then
    scripts/pg-test-server.sh stop "$pg_dir" >/dev/null
    pg_dir=""
  fi
done

verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = dir == "ge" ? v >= t : v < t; print ok ? "pass" : "FAIL" }'; }
cat <<REPORT

== hub benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo))
load average (1, 5, 15 min) at the start: $load_at_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)
events stored for the list test: $events; list: limit=100, $rate requests/s paced over $list_connections connections, ${list_secs}s; hub: $hub_threads request threads
REPORT
printf '%-11s %12s %8s %10s %9s %9s %9s %9s %6s   %s\n' backend "ingest ev/s" ingest "GET rps" "p50 ms" "p90 ms" "p99 ms" "max ms" errors "GET p99"
for backend in $backends; do
  printf '%-11s %12s %8s %10s %9s %9s %9s %9s %6s   %s\n' "$backend" "${ingest_rate[$backend]}" \
    "$(verdict "${ingest_rate[$backend]}" "$ingest_target" ge)" "${list_rps[$backend]}" \
    "${list_p50[$backend]}" "${list_p90[$backend]}" "${list_p99[$backend]}" "${list_max[$backend]}" \
    "${list_bad[$backend]}" "$(verdict "${list_p99[$backend]}" "$p99_target_ms" lt)"
done
echo "targets: ingest >= $ingest_target events/s; GET p99 < $p99_target_ms ms at $rate requests/s (events stored: $(for b in $backends; do printf '%s %s  ' "$b" "${stored[$b]}"; done))"
