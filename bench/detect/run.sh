#!/usr/bin/env bash
# Detection benchmark: one labelled access log (mamori-genweblog), and in one run
#   1. mamori detect --per-request,
#   2. libmodsecurity3 + OWASP CRS 3.3.4 at paranoia level 1 (bench/modsec_runner),
# then detect-score against the truth. Prints requests per second for both and the ratio, and
# per-category recall, precision and false positives for mamori, the CRS (any rule) and the CRS
# in blocking terms (anomaly threshold exceeded). Results go in bench/RESULTS.md by hand, with
# the machine and date. Builds nothing: expects $BUILD (default build) configured with
# -DMAMORI_BENCH=ON and the targets mamori, mamori-genweblog, bench/modsec_runner and
# bench/detect-score built.
#
#   bench/detect/run.sh [--small]      (--small: 2,000 lines, to check the script works)
#   bench/detect/run.sh --holdout      attacks from corpus/holdout/: payloads written without
#                                      seeing the detector (corpus/holdout/README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
small=0
attacks=bench/detect/corpus/attacks
for arg in "$@"; do
  case "$arg" in
    --small) small=1 ;;
    --holdout) attacks=bench/detect/corpus/holdout ;;
    *) echo "usage: bench/detect/run.sh [--small] [--holdout]" >&2; exit 2 ;;
  esac
done

build=${BUILD:-build}
work=${BENCH_DIR:-var/bench-detect}
seed=${SEED:-1}
if [ "$small" = 1 ]; then lines=2000; else lines=20000; fi

for tool in mamori-genweblog bench/modsec_runner bench/detect-score; do
  [ -x "$build/$tool" ] || { echo "bench: $build/$tool missing; build with -DMAMORI_BENCH=ON" >&2; exit 1; }
done
have_mamori=1
if [ ! -x "$build/mamori" ] || ! "$build/mamori" detect --help >/dev/null 2>&1; then
  echo "bench: $build/mamori detect missing; scoring the CRS alone" >&2
  have_mamori=0
fi
rm -rf "$work"
mkdir -p "$work"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }

echo "generating corpus: $lines lines (seed $seed, attacks from $attacks)"
"$build/mamori-genweblog" --lines "$lines" --seed "$seed" --attacks "$attacks" --log "$work/corpus.log" \
  --labels "$work/labels.ndjson" 2> "$work/genweblog.txt"
cat "$work/genweblog.txt"
cat "$work/corpus.log" > /dev/null  # warm the page cache for both contenders

runs=()
if [ "$have_mamori" = 1 ]; then
  echo "1. mamori detect"
  t0=$(now)
  "$build/mamori" detect --quiet --log "$work/corpus.log" --format combined \
    --out "$work/mamori" --per-request
  t1=$(now)
  mamori_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  mamori_total_rps=$(rate "$lines" "$mamori_total")
  mamori_rps=$(python3 -c "import json;t=json.load(open('$work/mamori/summary.json')).get('timing',{});print(round(t.get('requests_per_second',0)))")
  [ "$mamori_rps" = 0 ] && mamori_rps=$mamori_total_rps
  runs+=(--run "mamori=$work/mamori/requests.ndjson")
fi

echo "2. libmodsecurity3 + OWASP CRS 3.3.4, paranoia level 1"
t0=$(now)
"$build/bench/modsec_runner" --log "$work/corpus.log" --format combined \
  --out "$work/crs.ndjson" --out-blocking "$work/crs-block.ndjson" --summary "$work/crs.json"
t1=$(now)
crs_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
crs_total_rps=$(rate "$lines" "$crs_total")
crs_rps=$(python3 -c "import json;print(round(json.load(open('$work/crs.json'))['requests_per_second']))")
runs+=(--run "crs=$work/crs.ndjson" --run "crs-block=$work/crs-block.ndjson")

echo
echo "== detection benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'))"
echo "corpus: $lines lines, seed $seed, attacks from $attacks"
echo "                     requests/s   (end to end, incl. reading the log and start-up)"
if [ "$have_mamori" = 1 ]; then
  echo "mamori detect      $(printf '%12s' "$mamori_rps")   ($mamori_total_rps)"
fi
echo "ModSecurity + CRS  $(printf '%12s' "$crs_rps")   ($crs_total_rps; the processing loop alone is single-threaded)"
if [ "$have_mamori" = 1 ]; then
  echo "mamori / CRS       $(printf '%12s' "$(ratio "$mamori_rps" "$crs_rps")")x  (target >= 10; end to end $(ratio "$mamori_total_rps" "$crs_total_rps")x)"
fi
echo
"$build/bench/detect-score" --truth "$work/labels.ndjson" "${runs[@]}" --json "$work/scores.json"
echo
echo "crs = any CRS detection rule matched or the anomaly threshold was exceeded;"
echo "crs-block = only lines over the inbound anomaly threshold (what the CRS would block)."
echo "Files: $work (corpus.log, labels.ndjson, mamori/, crs.ndjson, scores.json)"
