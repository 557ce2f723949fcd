#!/usr/bin/env python3
"""Stores COUNT more events in a running hub through its API, in big batches (the fast path to
a database of a million events; the ingest rate is measured by wrk, not here).

    seed.py --port PORT --token TOKEN --count N [--batch 10000] [--targets a,b,c] [--run TAG]

Events have the shape of bench/hub/ingest.lua's (real `mamori detect` events) and ids like
its: 16 random hex digits, then TAG, sender and counter (unique). Two senders run in parallel. Exits non-zero unless every batch was
answered 200 with every event accepted."""
import argparse
import http.client
import json
import random
import sys
import threading

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--token", required=True)
p.add_argument("--count", type=int, required=True)
p.add_argument("--batch", type=int, default=10000)
p.add_argument("--targets", default="www.example.jp")
p.add_argument("--run", default="seed")
p.add_argument("--senders", type=int, default=2)
a = p.parse_args()

targets = a.targets.split(",")
categories = ["sqli", "path-traversal", "xss", "command-injection", "log4shell", "exploit"]
TAIL = ('"],"target_count":1,"outcomes":{"unknown":0,"failed":0,"blocked":2,'
        '"possibly-succeeded":5},"cves":["CVE-2024-3400"],"samples":[{"line":1042,'
        '"request":"POST /ssl-vpn/hipreport.esp HTTP/1.1"}]}\n')
MID = ('","pattern":"many-to-one","severity":"high","first_seen":"2026-11-26T01:00:00.000000Z",'
       '"last_seen":"2026-11-26T01:04:12.000000Z","requests":7,'
       '"sources":["203.0.113.5","198.51.100.23","192.0.2.77"],"source_count":3,"targets":["')

errors = []
accepted = [0] * a.senders


def sender(k, n):
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=300)
    headers = {"Authorization": "Bearer " + a.token, "Content-Type": "application/x-ndjson"}
    done = 0
    while done < n:
        size = min(a.batch, n - done)
        body = "".join(
            '{"id":"%016x-%s-s%d-%d","category":"%s%s%s%s' % (
                random.getrandbits(64), a.run, k, done + i, categories[(done + i) % len(categories)], MID,
                targets[(done + i) % len(targets)], TAIL)
            for i in range(size))
        conn.request("POST", "/api/v1/events", body.encode(), headers)
        r = conn.getresponse()
        reply = r.read()
        if r.status != 200:
            errors.append("HTTP %d: %s" % (r.status, reply[:300]))
            return
        accepted[k] += json.loads(reply)["accepted"]
        done += size


per = [a.count // a.senders + (1 if k < a.count % a.senders else 0) for k in range(a.senders)]
ts = [threading.Thread(target=sender, args=(k, per[k])) for k in range(a.senders)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors or sum(accepted) != a.count:
    print("seed: %d of %d accepted; %s" % (sum(accepted), a.count, "; ".join(errors)),
          file=sys.stderr)
    sys.exit(1)
print("seed: %d events stored" % sum(accepted))
