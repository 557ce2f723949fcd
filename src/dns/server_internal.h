// Server internals shared by server.cc (lifecycle, health probes, hit collection), worker.cc (the
// per-thread event loop) and metrics.cc (the Prometheus text). Internal to src/dns.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "lock_guarded.h"
#include "mamori/core/prefix_set.h"
#include "mamori/dns/server.h"

namespace mamori::dns {

// A counter written by one thread and read by any: a relaxed load and store instead of an atomic
// read-modify-write, which would cost a locked instruction per query for nothing.
class Counter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Query types and rcodes get a slot each in the per-worker tables; the rest share "other".
inline constexpr std::array<uint16_t, 15> kCountedQtypes = {1,  28, 5,  15,  16, 2,  6,  12,
                                                            33, 65, 64, 255, 43, 48, 257};
inline constexpr size_t kQtypeSlots = kCountedQtypes.size() + 1;
inline constexpr std::array<uint16_t, 7> kCountedRcodes = {0, 1, 2, 3, 4, 5, 16};
inline constexpr size_t kRcodeSlots = kCountedRcodes.size() + 1;
inline constexpr size_t kParseErrorSlots = 32;

size_t qtypeSlot(uint16_t qtype);
size_t rcodeSlot(uint16_t rcode);

// Why a query got no response at all.
enum class DropReason : uint8_t {
  kShortHeader,  // under 12 bytes: nothing to answer
  kResponse,     // QR set: answering responses lets two servers loop
  kOversize,     // a UDP query larger than the receive buffer
  kPolicy,       // RPZ DROP
  kClientGone,   // the TCP connection closed before the upstream answered
  kNotAllowed,   // the client is outside ServerOptions::allowedClients
  kCount,
};
std::string_view dropReasonName(DropReason reason);

// Upper bounds of the upstream latency histogram, in microseconds.
inline constexpr std::array<uint64_t, 12> kLatencyBoundsMicros = {
    250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000, 500000, 1000000};

struct WorkerCounters {
  Counter answers[2][kQtypeSlots][kRcodeSlots];  // [tcp][qtype][rcode], responses sent
  Counter drops[static_cast<size_t>(DropReason::kCount)];
  Counter malformed[kParseErrorSlots];  // by ParseError (FORMERR or dropped)
  Counter overload;                     // SERVFAIL because maxPendingPerThread was reached
  Counter coalesced;                    // queries that joined an identical upstream query in flight
  Counter upQueries[kMaxUpstreams];
  Counter upTimeouts[kMaxUpstreams];
  Counter upSpoofed[kMaxUpstreams];    // wrong id, question or case
  Counter upMalformed[kMaxUpstreams];  // did not parse
  Counter upErrors[kMaxUpstreams];     // SERVFAIL/REFUSED/NOTIMP answers, refused connections
  Counter upTcp[kMaxUpstreams];        // TC answers fetched again over TCP
  Counter latency[kMaxUpstreams][kLatencyBoundsMicros.size() + 1];
  Counter latencySumMicros[kMaxUpstreams];
  Counter tcpAccepted, tcpRefused, tcpIdleClosed, tcpAborted;
  Counter hitsDropped;  // hit events lost because the collector fell behind
};

struct UpstreamState {
  Endpoint endpoint;
  sockaddr_storage address{};
  socklen_t addressLength = 0;
  std::atomic<unsigned> consecutiveTimeouts{0};
  std::atomic<bool> up{true};
};

class Worker;

// Names seen recently, for first-sighting records: two generations of keyed 64-bit hashes, the
// older dropped when the newer fills, so memory stays bounded and a name is "new" again only
// after `capacity` other names have been seen.
class SeenNames {
 public:
  explicit SeenNames(size_t capacity);
  // True when `lowercased` was not among the recent names (and remembers it).
  bool insert(const Name& lowercased);

 private:
  size_t capacity_;
  SipKey key_;
  std::unordered_set<uint64_t> current_, previous_;
};

struct Server::Impl {
  explicit Impl(const ServerOptions& o);
  ~Impl();

  // Round robin among the upstreams that are up and not yet tried for this query; when every
  // one is down, among those not tried; when all were tried, any.
  size_t pickUpstream(size_t& cursor, uint32_t triedMask) const;
  void upstreamAnswered(size_t index);
  void upstreamTimedOut(size_t index);

  std::shared_ptr<const Policy> currentPolicy() const;

  void collectorLoop();
  void healthLoop();
  bool probe(UpstreamState& upstream) const;

  ServerOptions options;
  Cache cache;
  PrefixSet allowed;  // from options.allowedClients; empty: everyone
  std::vector<std::unique_ptr<UpstreamState>> upstreams;
  std::vector<Endpoint> udpBound, tcpBound;

  mutable std::mutex policyMutex;
  std::shared_ptr<const Policy> policy;  // guarded by policyMutex
  std::atomic<uint64_t> policyGeneration{1};
  std::atomic<uint64_t> reloadsOk{0}, reloadsFailed{0};

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> tcpConnections{0};

  HitSink* sink = nullptr;
  std::thread collector;
  std::mutex wakeMutex;
  std::condition_variable wake;  // collector and health thread sleep on it
  bool stopRequested = false;    // guarded by wakeMutex
  // Policy hits by list name and action, counted by the collector.
  LockGuarded<std::map<std::string, std::array<uint64_t, 8>>> hitsByList;
  std::atomic<uint64_t> hitsTotal{0}, newDomains{0};

  std::thread health;
  LockGuarded<SeenNames> seen;
  bool stopped = false;
};

// Reads the per-worker counters (defined in worker.cc).
const WorkerCounters& workerCounters(const Worker& worker);

}  // namespace mamori::dns
