// Cache: answers from upstream servers, kept for their TTL (RFC 1035 3.2.1, RFC 2181 8) and
// negative answers for their SOA's negative TTL (RFC 2308 5), within a memory bound.
//
// Keyed by (query name lowercased, type, class, DO bit). An entry is the upstream response in
// wire form minus its OPT record, plus the offsets of its TTL fields, so a hit is one copy and a
// few 4-byte patches: no reparse, no re-encoding. The client gets its own question spelling
// (0x20) and id back, and TTLs reduced by the time spent in the cache.
//
// Thread safety: the key space is split over shards, each behind its own mutex, so resolver
// threads contend only when they hit the same shard at the same moment. Eviction is LRU within a
// shard; the memory bound is divided evenly among the shards. Time is passed in by the caller
// (microseconds, any epoch that only moves forward), so tests control it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mamori/core/siphash.h"
#include "mamori/dns/message.h"
#include "mamori/dns/name.h"

namespace mamori::dns {

struct CacheOptions {
  size_t maxBytes = size_t{64} << 20;  // entries, keys and bookkeeping
  size_t shards = 16;
  uint32_t minTtl = 0;             // TTLs below are raised to it (0: unchanged)
  uint32_t maxTtl = 86400;         // TTLs above are lowered to it (RFC 8767 suggests 1 day)
  uint32_t maxNegativeTtl = 3600;  // RFC 2308 5: 1-3 hours is reasonable
};

struct CacheHit {
  size_t length = 0;          // bytes written to the output buffer
  uint32_t remainingTtl = 0;  // seconds until the entry expires
  bool negative = false;      // NXDOMAIN or NODATA
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, expired = 0, uncacheable = 0;
  size_t entries = 0, bytes = 0;
};

class Cache {
 public:
  explicit Cache(const CacheOptions& options = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Stores `response` (parsed, its wire still valid) as the answer to its own question, fetched
  // with or without DO. Returns false when it may not be cached: not a response, TC set, an
  // RCODE other than NOERROR/NXDOMAIN, a negative answer without an SOA (RFC 2308 5), a TTL of 0
  // after clamping, an OPT that is not the last record, a TSIG, or larger than a shard's share.
  bool insert(const Message& response, bool dnssecOk, int64_t nowMicros);

  // On a hit, writes the cached response into `out` with `id`, the question name exactly as
  // `qname` spells it, and every TTL reduced by the whole seconds since insertion. The response
  // carries no OPT record: finish it with fitResponse(). nullopt on a miss, an expired entry
  // (then removed) or an `out` too small.
  std::optional<CacheHit> lookup(const Name& qname, uint16_t qtype, uint16_t qclass, bool dnssecOk,
                                 uint16_t id, int64_t nowMicros, std::span<uint8_t> out);

  CacheStats stats() const;
  void clear();

 private:
  struct Shard;
  CacheOptions options_;
  SipKey shardKey_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> uncacheable_{0};
};

}  // namespace mamori::dns
