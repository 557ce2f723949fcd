#!/usr/bin/env bash
# Selection sensor benchmark: one generated capture, one order with 1,000,000 indicator
# addresses/prefixes and 100,000 domains, and in one run:
#   1. a minimal libpcap read loop (the limit),
#   2. mamori select,
#   3. tshark extracting the same fields,
#   4. tcpdump -r with a BPF filter for a handful of the same addresses;
# then mamori select again on a capture with 1,000,000 concurrent flows, for peak memory.
# Prints packets per second and the ratios. Results go in bench/RESULTS.md by hand, with the
# machine and date.
#
#   bench/select/run.sh [--small]      (--small: tiny sizes, to check the script works)
set -euo pipefail
cd "$(dirname "$0")/../.."
small=0
[ "${1:-}" = "--small" ] && small=1

build=${BUILD_DIR:-build}
work=${BENCH_DIR:-var/bench-select}
if [ "$small" = 1 ]; then
  packets=50000; flows=5000; concurrent=2000; ips=10000; domains=1000
  mem_packets=60000; mem_flows=20000
else
  packets=2000000; flows=200000; concurrent=100000; ips=1000000; domains=100000
  mem_packets=2500000; mem_flows=1000000
fi
for tool in mamori mamori-gencap bench/pcap_read_loop; do
  [ -x "$build/$tool" ] || { echo "bench: $build/$tool missing; run scripts/setup.sh" >&2; exit 1; }
done
for tool in tshark tcpdump /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing; run scripts/setup.sh --test" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"

echo "generating capture: $packets packets, $flows flows, $concurrent concurrent"
"$build/mamori-gencap" --scenario load --out "$work/traffic.pcap" --packets "$packets" \
  --flows "$flows" --concurrent "$concurrent" --domestic data/domestic/jp-ipv4.txt \
  --indicators-out "$work/order.json" --indicator-ips "$ips" --indicator-domains "$domains"
"$build/mamori" keys gen --out "$work/commission" >/dev/null
"$build/mamori" order sign --key "$work/commission/signing.key" "$work/order.json" > "$work/order.signed.json"

# Warm the page cache so every contender reads from memory.
cat "$work/traffic.pcap" > /dev/null

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "1. libpcap read loop"
read_out=$("$build/bench/pcap_read_loop" "$work/traffic.pcap")
read_secs=$(echo "$read_out" | awk '{print $6}')
read_pps=$(rate "$packets" "$read_secs")

echo "2. mamori select"
export MAMORI_STATE_DIR="$work/state"
t0=$(now)
/usr/bin/time -f "%M" -o "$work/select.mem" "$build/mamori" select --quiet \
  --order "$work/order.signed.json" --trust "$work/commission/signing.pub" \
  --in "$work/traffic.pcap" --out "$work/out"
t1=$(now)
select_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
select_proc=$(python3 -c "import json;print(json.load(open('$work/out/summary.json'))['timing']['process_seconds'])")
select_setup=$(python3 -c "import json;print(json.load(open('$work/out/summary.json'))['timing']['setup_seconds'])")
selected=$(python3 -c "import json;print(json.load(open('$work/out/summary.json'))['counts']['selected'])")
select_pps=$(rate "$packets" "$select_proc")
select_total_pps=$(rate "$packets" "$select_total")

echo "3. tshark, same fields"
t0=$(now)
tshark -r "$work/traffic.pcap" -n -T fields -E separator=, \
  -e frame.time_epoch -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e ip.proto \
  -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e tcp.flags \
  -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.aaaa \
  -e tls.handshake.extensions_server_name -e tls.handshake.ja3 \
  -e http.request.method -e http.host > "$work/tshark.csv" 2>"$work/tshark.err"
t1=$(now)
tshark_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
tshark_pps=$(rate "$packets" "$tshark_secs")

echo "4. tcpdump -r with a BPF filter"
filter=$(python3 - "$work/order.json" <<'PY'
import json, sys
order = json.load(open(sys.argv[1]))
ips = [v for c in order["criteria"] if "ips" in c for v in c["ips"] if "/" not in v and ":" not in v]
print(" or ".join("host " + ip for ip in ips[-5:]))
PY
)
t0=$(now)
tcpdump -r "$work/traffic.pcap" -w "$work/tcpdump.pcap" "$filter" 2>/dev/null
t1=$(now)
tcpdump_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
tcpdump_pps=$(rate "$packets" "$tcpdump_secs")

echo "5. mamori select with $mem_flows concurrent flows (peak memory)"
"$build/mamori-gencap" --scenario load --out "$work/concurrent.pcap" --packets "$mem_packets" \
  --flows "$mem_flows" --concurrent "$mem_flows" --domestic data/domestic/jp-ipv4.txt
/usr/bin/time -f "%M" -o "$work/concurrent.mem" "$build/mamori" select --quiet \
  --order "$work/order.signed.json" --trust "$work/commission/signing.pub" \
  --in "$work/concurrent.pcap" --out "$work/out-concurrent" --flow-memory 4096
max_flows=$(python3 -c "import json;s=json.load(open('$work/out-concurrent/summary.json'));print(s['counts']['flows'], s['counts']['evicted'])")

cat <<REPORT

== selection sensor benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'))
capture: $packets packets, $flows flows ($concurrent concurrent); order: $ips addresses, $domains domains
                       packets/s     seconds
libpcap read loop    $(printf '%12s' "$read_pps")   $read_secs
mamori select        $(printf '%12s' "$select_pps")   $select_proc (processing; setup $select_setup s; end to end $select_total s = $select_total_pps pkt/s)
tshark (same fields) $(printf '%12s' "$tshark_pps")   $tshark_secs
tcpdump -r + BPF     $(printf '%12s' "$tcpdump_pps")   $tcpdump_secs
mamori / read loop   $(ratio "$select_pps" "$read_pps")   (target >= 0.50)
mamori / tshark      $(ratio "$select_pps" "$tshark_pps")   (target >= 20; end to end $(ratio "$select_total_pps" "$tshark_pps"))
mamori / tcpdump     $(ratio "$select_pps" "$tcpdump_pps")
selected flows: $selected
peak RSS, mamori select with the 1M-indicator order: $(cat "$work/select.mem") KiB
peak RSS, same order, $mem_flows concurrent flows (flows, evicted: $max_flows): $(cat "$work/concurrent.mem") KiB
REPORT
