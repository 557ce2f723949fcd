#!/usr/bin/env bash
# The main job on embedded defaults (files only, no servers): generate a capture, create the
# commission's key, sign an order, run the selection sensor with the shipped Japanese domestic
# prefix set, show what it selected, and verify the handling ledger. Then web attack detection:
# generate a day of a web server's access log with attacks in it, and detect them.
#
#   scripts/demo.sh [WORKDIR]     (default ./var/demo; removed and recreated)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-var/demo}
bin=build/mamori
gencap=build/mamori-gencap
genweblog=build/mamori-genweblog
[ -x "$bin" ] || { echo "demo: build first with scripts/setup.sh" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

echo "== 1. a capture of 200,000 packets (addresses drawn from the shipped domestic set)"
"$gencap" --scenario load --out "$work/traffic.pcap" --packets 200000 --flows 20000 \
  --concurrent 5000 --domestic data/domestic/jp-ipv4.txt \
  --indicators-out "$work/order.json" --indicator-ips 10000 --indicator-domains 1000

echo "== 2. the commission's key pair, and the order it signs"
"$bin" keys gen --out "$work/commission"
"$bin" order sign --key "$work/commission/signing.key" "$work/order.json" > "$work/order.signed.json"
"$bin" order verify --trust "$work/commission/signing.pub" "$work/order.signed.json"

echo "== 3. the selection sensor"
export MAMORI_STATE_DIR="$work/state"
"$bin" select --order "$work/order.signed.json" --trust "$work/commission/signing.pub" \
  --in "$work/traffic.pcap" --out "$work/out"

echo "== 4. the first selected records (domestic addresses are pseudonyms)"
head -n 3 "$work/out/selected.ndjson"

echo "== 5. the handling ledger, as the commission inspects it"
"$bin" ledger show
"$bin" ledger verify --trust "$work/state/ledger.pub"

echo "== 6. web attack detection over a generated access log (20,000 requests)"
"$genweblog" --lines 20000 --log "$work/access.log" --labels "$work/access.labels.ndjson"
"$bin" detect --log "$work/access.log" --out "$work/detect"
echo "-- the first event requiring confirmation:"
head -n 1 "$work/detect/events.ndjson"
