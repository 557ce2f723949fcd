-- wrk script: POST /api/v1/events with NDJSON batches of distinct detect events.
--
-- Environment: TOKEN (API token of a centre analyst), BATCH (events per request, default 1000),
-- RUN (a tag making ids unique across runs), TARGETS (comma-separated hosts the events name as
-- targets; the hub routes each event to the organisation owning its target).
--
-- Every event has an id of its own, so no request is answered with duplicates and every batch is
-- a full insert: 16 random hex digits (real detect ids are 32 hex digits of a hash, so they land
-- anywhere in the id index, not in order), then RUN, the wrk thread's number and a per-thread
-- counter, which make it unique. The records have the shape and size of real `mamori detect`
-- events (docs/detect.md, about 450 bytes each).

local token = os.getenv("TOKEN") or ""
local batch = tonumber(os.getenv("BATCH") or "1000")
local run = os.getenv("RUN") or "r"
local targets = {}
for t in string.gmatch(os.getenv("TARGETS") or "www.example.jp", "[^,]+") do
  targets[#targets + 1] = t
end

-- Globals, not locals: wrk's thread:set()/thread:get() reach a thread's globals.
threads = {}
counter = 0
thread_id = 0
accepted = 0
failed = 0

function setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

local categories = {"sqli", "path-traversal", "xss", "command-injection", "log4shell", "exploit"}
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/x-ndjson",
}

-- The parts of an event that do not change; only id, category and target do.
local head = '{"id":"'
local mid1 = '","category":"'
local mid2 = '","pattern":"many-to-one","severity":"high",' ..
  '"first_seen":"2026-11-26T01:00:00.000000Z","last_seen":"2026-11-26T01:04:12.000000Z",' ..
  '"requests":7,"sources":["203.0.113.5","198.51.100.23","192.0.2.77"],"source_count":3,' ..
  '"targets":["'
local tail = '"],"target_count":1,' ..
  '"outcomes":{"unknown":0,"failed":0,"blocked":2,"possibly-succeeded":5},' ..
  '"cves":["CVE-2024-3400"],' ..
  '"samples":[{"line":1042,"request":"POST /ssl-vpn/hipreport.esp HTTP/1.1"}]}\n'

local random = math.random
local format = string.format

function init(args)
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  local parts = {}
  local suffix = "-" .. run .. "-t" .. thread_id .. "-"
  for i = 1, batch do
    counter = counter + 1
    parts[i] = head .. format("%08x%08x", random(0, 0x7fffffff), random(0, 0x7fffffff)) ..
      suffix .. counter .. mid1 .. categories[counter % #categories + 1] ..
      mid2 .. targets[counter % #targets + 1] .. tail
  end
  return wrk.format("POST", "/api/v1/events", headers, table.concat(parts))
end

function response(status, hdrs, body)
  if status == 200 then
    accepted = accepted + tonumber(string.match(body, '"accepted":(%d+)') or "0")
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_accepted, total_failed = 0, 0
  for _, t in ipairs(threads) do
    total_accepted = total_accepted + t:get("accepted")
    total_failed = total_failed + t:get("failed")
  end
  io.write(string.format(
    "RESULT ingest requests=%d seconds=%.3f accepted=%d failed=%d p50_ms=%.2f p99_ms=%.2f " ..
    "socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, total_accepted, total_failed,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
