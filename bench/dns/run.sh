#!/usr/bin/env bash
# Protective DNS benchmark: mamori dns, Unbound and dnsdist, each forwarding to the same local
# authoritative server (NSD) with the same blocklist, measured with dnsperf on loopback.
#
#   bench/dns/run.sh [--small] [--threads N] [--duration SECONDS] [--rounds N] [--mamori PATH]
#                     [--client-threads N] [--outstanding N]   (dnsperf -T and -q; 1 and 200)
#
# mamori runs twice with its defaults (--udp-hold 100 among them): as is, and with --hits (a
# pseudonymized record per blocked query).
# Query mix: 90% names that resolve (1,000 names in the NSD zone, cached after a warm-up run) and
# 10% names from the blocklist (1,000,000 domains; --small: 100,000 and shorter runs, < 3 min).
# Each list entry blocks the domain and its subdomains in all three servers:
#   mamori   --list FILE (NXDOMAIN)
#   Unbound  local-zone: "NAME." always_nxdomain   (one per domain, in an include file)
#   dnsdist  one SuffixMatchNode with every domain + SuffixMatchNodeRule -> RCodeAction(NXDOMAIN)
#            (dnsdist 1.7's suffix matcher for in-memory lists; a DNSNameSet is exact-match only)
# Every server gets the same number of threads (--threads, default: half the cores, the other
# half being dnsperf's) and a cache (mamori and Unbound their own; dnsdist its packet cache).
# All four run side by side on their own ports once loaded, and the dnsperf rounds go to them in
# turn (--rounds, default 5 x 8 s; --small 2 x 5 s), so load from anything else on the machine
# falls on every server alike; per server the median round by QPS is reported (of 2: the
# better), with the CPU time the server used in that round (utime + stime from /proc/PID/stat)
# and the dnsperf client's (bash's time): queries per CPU-second stays meaningful when other work
# shares the machine and QPS does not.
# Memory: VmRSS after the load; memory per blocked domain = (RSS with the list - RSS of the same
# server with an empty list after the same load) / N.
# Needs: nsd unbound dnsdist dnsperf python3 (scripts/setup.sh --test). Loopback ports 127.0.0.1
# 25400-25499 (override with BENCH_DNS_PORT_BASE). Output: a table on stdout and
# $WORK/results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
TIMEFORMAT='%3U %3S'  # the time keyword's report: user and system CPU seconds

small=0
# Half the cores each for the servers and for dnsperf: on a small machine a server with as many
# threads as cores only fights the load generator for them.
threads=$(( $(nproc) / 2 ))
[ "$threads" -ge 1 ] || threads=1
duration=8
rounds=5
mamori=build/mamori
client_threads=1
outstanding=200
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 ;;
    --threads) threads="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --mamori) mamori="$2"; shift ;;
    --client-threads) client_threads="$2"; shift ;;
    --outstanding) outstanding="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
blocked=1000000
warmup=3
if [ "$small" = 1 ]; then
  blocked=100000
  duration=5
  warmup=2
  rounds=2
fi
for tool in nsd unbound dnsdist dnsperf python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (scripts/setup.sh --test)" >&2; exit 1; }
done
[ -x "$mamori" ] || { echo "run.sh: $mamori not built (cmake --build build)" >&2; exit 1; }
mamori=$(realpath "$mamori")

base=${BENCH_DNS_PORT_BASE:-25400}
auth_port=$base
declare -A port=([mamori]=$((base + 1)) [mamori+hits]=$((base + 2)) [unbound]=$((base + 3)) [dnsdist]=$((base + 4)))
console_port=$((base + 5))
names=(mamori mamori+hits unbound dnsdist)
WORK=${BENCH_DNS_DIR:-/tmp/mamori-bench-dns}
rm -rf "$WORK"
mkdir -p "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== generating $blocked blocked domains, the zone and the queries in $WORK"
python3 - "$WORK" "$blocked" <<'EOF'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261126)
alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
tlds = ["com", "net", "org", "info", "xyz", "top", "ru", "cn", "io", "biz"]
seen = set()
blocked = []
while len(blocked) < n:
    label = "".join(rng.choice(alpha) for _ in range(rng.randint(6, 14)))
    parts = [label]
    if rng.random() < 0.3:
        parts.append("".join(rng.choice(alpha) for _ in range(rng.randint(4, 10))))
    name = ".".join(parts + [rng.choice(tlds)])
    if name not in seen:
        seen.add(name)
        blocked.append(name)
with open(f"{work}/blocklist.txt", "w") as f:
    f.write("\n".join(blocked) + "\n")
open(f"{work}/empty.txt", "w").close()
with open(f"{work}/unbound-blocklist.conf", "w") as f:
    for name in blocked:
        f.write(f'local-zone: "{name}." always_nxdomain\n')
allowed = [f"host{i}.bench.example" for i in range(1000)]
with open(f"{work}/bench.example.zone", "w") as f:
    f.write("$ORIGIN bench.example.\n$TTL 86400\n")
    f.write("@ IN SOA ns.bench.example. admin.bench.example. 1 3600 600 86400 3600\n")
    f.write("@ IN NS ns.bench.example.\nns IN A 192.0.2.1\n")
    for i in range(1000):
        f.write(f"host{i} IN A 192.0.2.{i % 250 + 2}\n")
with open(f"{work}/warmup.txt", "w") as f:
    for name in allowed:
        f.write(f"{name} A\n")
with open(f"{work}/queries.txt", "w") as f:
    for i in range(200000):
        if rng.random() < 0.10:
            f.write(f"{rng.choice(blocked)} A\n")
        else:
            f.write(f"{rng.choice(allowed)} A\n")
EOF

cat > "$WORK/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $auth_port
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  pidfile: "$WORK/nsd.pid"
  xfrdfile: "$WORK/xfrd.state"
  zonelistfile: "$WORK/zone.list"
  logfile: "$WORK/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: bench.example
  zonefile: bench.example.zone
EOF
nsd -d -c "$WORK/nsd.conf" >"$WORK/nsd.out" 2>&1 &
pids+=($!)
nsd_pid=$!

wait_ready() {  # port, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    # An answer, not dig's "connection refused" (which +short prints on stdout too).
    if dig @127.0.0.1 -p "$1" +tries=1 +time=1 +short host1.bench.example A 2>/dev/null | grep -q '^192\.0\.2\.'; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
wait_ready "$auth_port" 10 || { echo "run.sh: nsd did not start" >&2; cat "$WORK/nsd.out" "$WORK/nsd.log" >&2; exit 1; }

write_unbound_conf() {  # port list-include
  cat > "$WORK/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$1
  port: $1
  num-threads: $threads
  so-reuseport: yes
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  use-syslog: no
  logfile: "$WORK/unbound.log"
  verbosity: 0
  do-not-query-localhost: no
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 64m
  rrset-cache-size: 64m
  num-queries-per-thread: 4096
  outgoing-range: 8192
  include: "$2"
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$auth_port
EOF
}

write_dnsdist_conf() {  # port list-file
  {
    echo "setLocal('127.0.0.1:$1', {reusePort=true})"
    for _ in $(seq 2 "$threads"); do echo "addLocal('127.0.0.1:$1', {reusePort=true})"; done
    cat <<EOF
controlSocket('127.0.0.1:$console_port')
newServer({address='127.0.0.1:$auth_port', checkName='host1.bench.example.'})
pc = newPacketCache(1000000, {maxTTL=86400})
getPool(''):setCache(pc)
setSecurityPollSuffix('')
smn = newSuffixMatchNode()
for line in io.lines('$2') do
  if line ~= '' then smn:add(newDNSName(line)) end
end
addAction(SuffixMatchNodeRule(smn, true), RCodeAction(DNSRCode.NXDOMAIN))
EOF
  } > "$WORK/dnsdist.conf"
}

declare -A pid qps lat lost rss rss0 loadtime qcpu ccpu

# Starts one contender on its port with the list; sets pid[name] and loadtime[name].
start_server() {  # name list
  local name=$1 list=$2 p=${port[$1]}
  case "$name" in
    mamori)
      "$mamori" dns --listen "127.0.0.1:$p" --upstream "127.0.0.1:$auth_port" \
        --list "blocklist=$list" --threads "$threads" --quiet >"$WORK/$name.out" 2>&1 &
      ;;
    mamori+hits)  # the same, writing a pseudonymized record for every blocked query
      rm -f "$WORK/hits.ndjson"
      "$mamori" dns --listen "127.0.0.1:$p" --upstream "127.0.0.1:$auth_port" \
        --list "blocklist=$list" --threads "$threads" --quiet \
        --hits "$WORK/hits.ndjson" --state "$WORK/mamori-state" >"$WORK/$name.out" 2>&1 &
      ;;
    unbound)
      local include="$WORK/unbound-blocklist.conf"
      [ "$list" = "$WORK/empty.txt" ] && include="$WORK/empty.txt"
      write_unbound_conf "$p" "$include"
      unbound -d -c "$WORK/unbound.conf" >"$WORK/$name.out" 2>&1 &
      ;;
    dnsdist)
      write_dnsdist_conf "$p" "$list"
      dnsdist --supervised --disable-syslog -C "$WORK/dnsdist.conf" >"$WORK/$name.out" 2>&1 &
      ;;
  esac
  pid[$name]=$!
  pids+=("${pid[$name]}")
  local start
  start=$(date +%s.%N)
  if ! wait_ready "$p" 180; then
    echo "run.sh: $name did not start" >&2
    cat "$WORK/$name.out" >&2
    exit 1
  fi
  loadtime[$name]=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
}

stop_server() {  # name
  kill "${pid[$1]}" 2>/dev/null || true
  wait "${pid[$1]}" 2>/dev/null || true
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# dnsperf: -c clients, -q outstanding; one dnsperf thread, so that the client takes half the
# cores at most, like the servers.
perf() {  # name file seconds
  dnsperf -s 127.0.0.1 -p "${port[$1]}" -d "$2" -l "$3" -c 20 -q "$outstanding" -T "$client_threads" -t 2 2>&1
}

# 1. Memory baselines: each server alone with an empty list, after the same warm-up and load.
for name in "${names[@]}"; do
  echo "== $name: empty list (memory baseline)"
  start_server "$name" "$WORK/empty.txt"
  perf "$name" "$WORK/warmup.txt" "$warmup" >/dev/null
  perf "$name" "$WORK/queries.txt" "$warmup" >/dev/null
  rss0[$name]=$(rss_kib "${pid[$name]}")
  stop_server "$name"
done

# 2. All four with the blocklist, side by side on their own ports (idle ones use no CPU), so that
# the rounds can be interleaved: whatever else the machine is doing hits every server alike.
for name in "${names[@]}"; do
  echo "== $name: loading $blocked blocked domains"
  start_server "$name" "$WORK/blocklist.txt"
  perf "$name" "$WORK/warmup.txt" "$warmup" >/dev/null
  # The mix really is blocked/allowed as intended: a blocked name must be NXDOMAIN here.
  status=$(dig @127.0.0.1 -p "${port[$name]}" +tries=1 +time=2 "$(sed -n 1p "$WORK/blocklist.txt")" A | awk '/status:/ {print $6}')
  [ "$status" = "NXDOMAIN," ] || { echo "run.sh: $name does not block (status $status)" >&2; exit 1; }
done

# 3. Rounds, interleaved; per server the median round (by QPS) is reported.
declare -A results
for round in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    t0=$(cpu_ticks "${pid[$name]}")
    # The client's own CPU time too (bash's time keyword: user and system seconds of dnsperf).
    { time perf "$name" "$WORK/queries.txt" "$duration" > "$WORK/$name.round$round.dnsperf"; } \
      2> "$WORK/$name.round$round.client-cpu"
    t1=$(cpu_ticks "${pid[$name]}")
    out=$(cat "$WORK/$name.round$round.dnsperf")
    cc=$(awk '{print $1 + $2}' "$WORK/$name.round$round.client-cpu")
    q=$(echo "$out" | awk '/Queries per second/ {print $4}')
    completed=$(echo "$out" | awk '/Queries completed/ {print $3}')
    l=$(echo "$out" | awk '/Average Latency/ {print $4}')
    lo=$(echo "$out" | awk '/Queries lost/ {print $3}')
    qc=$(python3 -c "print(round($completed / max(1, $t1 - $t0) * $(getconf CLK_TCK)))")
    cq=$(python3 -c "print(round($completed / max(0.001, $cc)))")
    printf '   round %d %-11s %10.0f queries/s %9d queries/CPU-s (dnsperf %d queries/CPU-s)\n' \
      "$round" "$name" "$q" "$qc" "$cq"
    results[$name]+="$q $qc $l $lo $cq;"
  done
done
for name in "${names[@]}"; do
  read -r "qps[$name]" "qcpu[$name]" "lat[$name]" "lost[$name]" "ccpu[$name]" < <(python3 -c "
import sys
rows = sorted((r.split() for r in sys.argv[1].split(';') if r.strip()), key=lambda r: float(r[0]))
print(*rows[len(rows) // 2])" "${results[$name]}")
  rss[$name]=$(rss_kib "${pid[$name]}")
done
for name in "${names[@]}"; do stop_server "$name"; done

python3 - "$WORK" "$blocked" "$threads" "$duration" "$rounds" <<EOF
import json, sys
work, n, threads, duration, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
names = ["mamori", "mamori+hits", "unbound", "dnsdist"]
qps = {"mamori": float("${qps[mamori]}"), "mamori+hits": float("${qps[mamori+hits]}"), "unbound": float("${qps[unbound]}"), "dnsdist": float("${qps[dnsdist]}")}
lat = {"mamori": float("${lat[mamori]}"), "mamori+hits": float("${lat[mamori+hits]}"), "unbound": float("${lat[unbound]}"), "dnsdist": float("${lat[dnsdist]}")}
lost = {"mamori": "${lost[mamori]}", "mamori+hits": "${lost[mamori+hits]}", "unbound": "${lost[unbound]}", "dnsdist": "${lost[dnsdist]}"}
rss = {"mamori": int("${rss[mamori]}"), "mamori+hits": int("${rss[mamori+hits]}"), "unbound": int("${rss[unbound]}"), "dnsdist": int("${rss[dnsdist]}")}
rss0 = {"mamori": int("${rss0[mamori]}"), "mamori+hits": int("${rss0[mamori+hits]}"), "unbound": int("${rss0[unbound]}"), "dnsdist": int("${rss0[dnsdist]}")}
load = {"mamori": "${loadtime[mamori]}", "mamori+hits": "${loadtime[mamori+hits]}", "unbound": "${loadtime[unbound]}", "dnsdist": "${loadtime[dnsdist]}"}
qcpu = {"mamori": int("${qcpu[mamori]}"), "mamori+hits": int("${qcpu[mamori+hits]}"), "unbound": int("${qcpu[unbound]}"), "dnsdist": int("${qcpu[dnsdist]}")}
ccpu = {"mamori": int("${ccpu[mamori]}"), "mamori+hits": int("${ccpu[mamori+hits]}"), "unbound": int("${ccpu[unbound]}"), "dnsdist": int("${ccpu[dnsdist]}")}
per = {k: (rss[k] - rss0[k]) * 1024 / n for k in names}
print(f"\n{n} blocked domains, {threads} threads each, median of {rounds} interleaved rounds of {duration} s of dnsperf (-c 20 -q ${outstanding} -T ${client_threads}), 90% cached allowed / 10% blocked\n")
print(f"{'server':11} {'QPS':>10} {'q/CPU-s':>9} {'avg lat ms':>11} {'lost':>6} {'RSS MiB':>8} {'RSS empty':>10} {'B/domain':>9} {'start s':>8}")
for k in names:
    print(f"{k:11} {qps[k]:10.0f} {qcpu[k]:9d} {lat[k]*1000:11.3f} {lost[k]:>6} {rss[k]/1024:8.1f} {rss0[k]/1024:10.1f} {per[k]:9.1f} {load[k]:>8}")
ratios = {
    "qps_mamori_over_dnsdist": qps["mamori"] / qps["dnsdist"],
    "qps_mamori_over_unbound": qps["mamori"] / qps["unbound"],
    "cpu_efficiency_mamori_over_dnsdist": qcpu["mamori"] / qcpu["dnsdist"],
    "cpu_efficiency_mamori_over_unbound": qcpu["mamori"] / qcpu["unbound"],
    "memory_per_domain_mamori_over_unbound": per["mamori"] / per["unbound"] if per["unbound"] > 0 else None,
}
print(f"\nQPS mamori/dnsdist {ratios['qps_mamori_over_dnsdist']:.2f} (target >= 1.0), "
      f"mamori/Unbound {ratios['qps_mamori_over_unbound']:.2f} (target >= 1.5)")
print(f"queries per CPU-second mamori/dnsdist {ratios['cpu_efficiency_mamori_over_dnsdist']:.2f}, "
      f"mamori/Unbound {ratios['cpu_efficiency_mamori_over_unbound']:.2f}")
# CPU per query of each server and of the dnsperf client talking to it: on shared cores both
# count, and how a server batches its answers changes what the client spends on them.
us = lambda q: 1e6 / q if q else float("nan")
print("CPU per query (server + client): " + ", ".join(
    f"{k} {us(qcpu[k]):.2f} + {us(ccpu[k]):.2f} us" for k in names))
print(f"memory per blocked domain: mamori {per['mamori']:.1f} B, Unbound {per['unbound']:.1f} B, "
      f"dnsdist {per['dnsdist']:.1f} B (target: mamori <= Unbound)")
json.dump({"blocked": n, "threads": threads, "duration": duration, "rounds": rounds, "qps": qps,
           "queries_per_cpu_second": qcpu, "client_queries_per_cpu_second": ccpu, "latency_s": lat,
           "rss_kib": rss, "rss_empty_kib": rss0, "bytes_per_domain": per, "ratios": ratios},
          open(f"{work}/results.json", "w"), indent=2)
EOF
