// HitLog: the HitSink that turns policy hits into NDJSON records (docs/dns.md, "Hit records").
//
// Every record names the client only by its keyed, prefix-preserving pseudonym (Crypto-PAn,
// core/pseudonymizer.h); the raw address never leaves this class. Records have the shape the
// hub's POST /api/v1/events takes as a detect-style event ("category" and "pattern" present),
// so the same line goes to the --hits file and to the hub. The hub routes an event by its
// "targets": a hit carries the routing key configured for the client's prefix (the domain of
// the organisation that network belongs to, or the prefix an organisation registered at the
// hub), never the client address and never the blocked name (which would route the sighting to
// whoever owns that name).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/core/ip_address.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/pseudonymizer.h"
#include "mamori/core/result.h"
#include "mamori/dns/server.h"

namespace mamori::dns {

struct ClientRoute {
  IpPrefix prefix;
  std::string key;  // a routing key the hub knows: an organisation's domain or address
};

// Client prefixes and their routing keys. Immutable once built, so the collector reads one
// without a lock while the next is being built; a lookup allocates nothing.
class ClientRouteTable {
 public:
  ClientRouteTable();
  explicit ClientRouteTable(const std::vector<ClientRoute>& routes);

  // The key of the longest prefix that contains `client` (of two equal prefixes, the first
  // given); empty when none does. The view lives as long as the table.
  std::string_view lookup(const IpAddress& client) const;
  size_t size() const { return keys_.size(); }

 private:
  PrefixSet prefixes_;  // PrefixSet tag = index into keys_, longest prefix first
  std::vector<std::string> keys_;
};

struct HitLogOptions {
  std::filesystem::path hitsFile;        // policy hits (appended); empty: not written
  std::filesystem::path newDomainsFile;  // first sightings (appended); empty: not written
  std::string sensor;                    // this resolver's name in records
  std::vector<ClientRoute> routes;       // longest prefix wins; before any setFallbackRoutes()
  // Called with each policy-hit line (no newline) after it is written, on the collector thread.
  std::function<void(std::string_view line)> forward;
};

class HitLog : public HitSink {
 public:
  // Opens (creates, mode 0640) the files.
  static Result<std::unique_ptr<HitLog>> open(HitLogOptions options, Pseudonymizer pseudonymizer);
  ~HitLog() override;
  HitLog(const HitLog&) = delete;
  HitLog& operator=(const HitLog&) = delete;

  void consume(std::span<const HitEvent> events) override;

  // Routes for clients that no HitLogOptions::routes entry covers (mamori dns: the prefixes
  // organisations registered at the hub, each its own key). Safe to call while the collector
  // runs: it takes the table once per batch; null removes them.
  void setFallbackRoutes(std::shared_ptr<const ClientRouteTable> routes);

  uint64_t hitsWritten() const { return hitsWritten_; }
  uint64_t newDomainsWritten() const { return newDomainsWritten_; }
  uint64_t writeErrors() const { return writeErrors_; }

 private:
  HitLog(HitLogOptions options, Pseudonymizer pseudonymizer);
  HitLogOptions options_;
  Pseudonymizer pseudonymizer_;
  ClientRouteTable routes_;  // from options_.routes
  // Swapped whole by setFallbackRoutes() while the collector reads it.
  std::atomic<std::shared_ptr<const ClientRouteTable>> fallback_;
  std::FILE* hits_ = nullptr;
  std::FILE* newDomains_ = nullptr;
  std::string buffer_;
  uint64_t hitsWritten_ = 0, newDomainsWritten_ = 0, writeErrors_ = 0;
};

// One record as a JSON line without the newline: `client` is the pseudonym, `id` unique per
// record, `route` the hub routing key ("" for none).
std::string formatHitRecord(const HitEvent& event, const IpAddress& client, std::string_view id,
                            std::string_view sensor, std::string_view route);

}  // namespace mamori::dns
