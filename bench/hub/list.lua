-- wrk script: GET /api/v1/events?organisation=ORG&limit=100 at a fixed request rate.
--
-- Environment: TOKEN (API token of a centre analyst), ORGS (comma-separated organisation ids;
-- requests go round them), RATE (requests per second for the whole run, default 1000).
--
-- Pacing: wrk sends a connection's next request as soon as the last answer arrived, unless the
-- script's delay() returns a wait. Each wrk thread is given RATE / threads requests per second as
-- a schedule of evenly spaced slots; when a connection is ready, delay() hands it the next free
-- slot and returns the time until it (0 when the slot is already past). With enough connections
-- the thread therefore sends at the scheduled rate whatever the latency, and falls behind only
-- when every connection is busy waiting for the hub (then the achieved rate, reported, is lower).
-- wrk's latency percentiles are per request: from sending a request to its answer, not from its
-- scheduled slot, so a request that waited for a free connection does not count its wait.

local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } mamori_timespec;
  int clock_gettime(int clk, mamori_timespec* ts);
]]
local ts = ffi.new("mamori_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local token = os.getenv("TOKEN") or ""
local rate = tonumber(os.getenv("RATE") or "1000")
local orgs = {}
for o in string.gmatch(os.getenv("ORGS") or "", "[^,]+") do orgs[#orgs + 1] = o end

-- Globals, not locals: wrk's thread:get() reads a thread's globals.
threads = {}
bad = 0
empty = 0
function setup(thread)
  threads[#threads + 1] = thread
end

local interval_ms = nil  -- per thread, set in init (wrk.threads is known there)
local next_slot = nil
local n = 0
local paths = {}
local headers = {["Authorization"] = "Bearer " .. token}

function init(args)
  -- wrk tells a script neither its thread count nor its connections; run.sh exports them.
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  interval_ms = 1000 * nthreads / rate
  for i, o in ipairs(orgs) do
    paths[i] = "/api/v1/events?organisation=" .. o .. "&limit=100"
  end
end

function delay()
  local t = now_ms()
  if next_slot == nil or next_slot < t then next_slot = t end
  local wait = next_slot - t
  next_slot = next_slot + interval_ms
  return wait
end

function request()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1], headers)
end

function response(status, hdrs, body)
  if status ~= 200 then
    bad = bad + 1
  elseif string.find(body, '"items":[]', 1, true) then
    empty = empty + 1  -- counted: an empty page would make the GET look cheaper than it is
  end
end

function done(summary, latency, requests)
  local total_bad, empty = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    empty = empty + t:get("empty")
  end
  io.write(string.format(
    "RESULT list requests=%d seconds=%.3f rps=%.1f non200=%d empty_pages=%d p50_ms=%.2f " ..
    "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    total_bad, empty, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
