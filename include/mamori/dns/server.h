// The protective DNS server: UDP and TCP listeners in front of upstream resolvers, answering from
// the cache and the policy (docs/dns.md, "The server").
//
// Threads: `threads` workers, each with its own epoll loop, its own UDP socket per listen address
// (SO_REUSEPORT, so the kernel spreads clients over the workers) and its own TCP listening socket;
// a worker answers everything it receives itself: cache hits and policy decisions at once, cache
// misses when the upstream answers (TCP answers may go out in any order, RFC 7766 6.2.1.1). One
// collector thread turns policy hits into HitEvents for the HitSink, and one health thread probes
// upstreams marked down.
//
// Towards upstreams every query gets a fresh UDP socket (a kernel-chosen random source port,
// connected so only the upstream's address can answer), a random 16-bit id and a random case mix
// of its name (0x20, draft-vixie-dnsext-dns0x20). An answer whose id, question or case differ is
// a spoof attempt: it is dropped and counted, and the query keeps waiting for the real one.
// Timeouts move the query to the next upstream; consecutive timeouts mark an upstream down until
// a probe is answered; a truncated upstream answer is fetched again over TCP.
//
// The policy is an immutable snapshot behind a shared_ptr: setPolicy() swaps it and each worker
// takes the new one between two batches of packets, so a reload never drops or stalls a query.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip_address.h"
#include "mamori/core/result.h"
#include "mamori/dns/cache.h"
#include "mamori/dns/name.h"
#include "mamori/dns/policy.h"
#include "mamori/dns/writer.h"

namespace mamori::dns {

// An address and port: "192.0.2.1:53", "[2001:db8::1]:53", or an address alone (port 53).
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  static Result<Endpoint> parse(std::string_view text, uint16_t defaultPort = 53);
  std::string toString() const;  // "192.0.2.1:53", "[2001:db8::1]:53"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct ServerOptions {
  std::vector<Endpoint> listen;     // UDP and TCP on each; port 0 picks one (see udpEndpoints())
  std::vector<Endpoint> upstreams;  // 1 to kMaxUpstreams, tried round robin among those up
  size_t threads = 1;
  CacheOptions cache;
  // udpPayloadSize is what our OPT advertises and the cap on UDP responses (RFC 6891 6.2.5).
  ResponseOptions response;
  std::chrono::milliseconds upstreamTimeout{1000};  // per attempt
  unsigned attempts = 3;                            // per query, each to the next upstream up
  unsigned downAfterTimeouts = 3;                   // consecutive timeouts that mark one down
  std::chrono::milliseconds probeInterval{1000};    // how often a down upstream is probed
  size_t maxTcpConnections = 1000;                  // client connections, all workers together
  std::chrono::milliseconds tcpIdleTimeout{10000};  // RFC 7766 6.2.3: close idle connections
  size_t maxTcpPipeline = 100;         // queries in flight on one connection before reading pauses
  size_t maxPendingPerThread = 10000;  // upstream queries in flight per worker (more: SERVFAIL)
  // First sightings: a NOERROR answer from upstream for a name not seen among the last
  // `newDomainMemory` names becomes a HitEvent with newDomain set (0 disables).
  size_t newDomainMemory = 0;
  // Clients allowed to query (empty: everyone). Others are dropped without an answer, so the
  // server cannot be used to reflect traffic at a forged source; TCP connections are closed.
  std::vector<IpPrefix> allowedClients;
  // After answering a batch, a worker whose UDP socket ran dry waits this long once and reads
  // again before it sleeps in epoll: under load the datagrams that came meanwhile are read and
  // answered as one batch, saving system calls and wake-ups on both sides. Adds at most this to
  // the wait of a query arriving in that window. 0: no hold.
  std::chrono::microseconds udpHold{0};
};

inline constexpr size_t kMaxUpstreams = 16;

// A policy decision or a first sighting, as the collector hands it to the HitSink. The match and
// the query name refer into `policy`, which the event keeps alive.
struct HitEvent {
  int64_t timeMicros = 0;
  IpAddress client;  // raw: a HitSink must pseudonymize it before it leaves the process
  Name qname;        // as the client spelled it
  uint16_t qtype = 0;
  bool tcp = false;
  bool newDomain = false;  // a first sighting (match unused)
  PolicyMatch match;
  std::shared_ptr<const Policy> policy;
};

// Receives events on the collector thread, in batches, in the order each worker produced them.
class HitSink {
 public:
  virtual ~HitSink() = default;
  virtual void consume(std::span<const HitEvent> events) = 0;
};

// Totals over all workers (tests and the summary line; metricsText() has them all).
struct ServerCounters {
  uint64_t udpQueries = 0, tcpQueries = 0;  // responses sent
  uint64_t malformed = 0;                   // answered FORMERR or dropped for a short header
  uint64_t dropped = 0;                     // no response sent (policy DROP, short, responses)
  uint64_t upstreamQueries = 0, upstreamTimeouts = 0, upstreamSpoofed = 0;
  uint64_t upstreamTcpFallbacks = 0;
  uint64_t upstreamCoalesced = 0;  // queries answered by an identical upstream query in flight
  uint64_t servfail = 0;
  uint64_t policyHits = 0, hitsDropped = 0;
  uint64_t tcpConnections = 0, tcpRefused = 0;
};

class Server {
 public:
  // Binds every listener (errors name the address) and starts the threads. `policy` must not be
  // null; `sink` may be, and must otherwise outlive the server.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                               std::shared_ptr<const Policy> policy, HitSink* sink);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, ends the threads and flushes pending hit events to the sink. Idempotent.
  void stop();

  // Replaces the policy; queries already past their policy check finish under the old one.
  void setPolicy(std::shared_ptr<const Policy> policy);
  std::shared_ptr<const Policy> policy() const;
  // Counted in the metrics (mamori_dns_policy_reloads_total{result}).
  void noteReload(bool ok);

  // The listening addresses with their actual ports (as many as options.listen, same order).
  std::vector<Endpoint> udpEndpoints() const;
  std::vector<Endpoint> tcpEndpoints() const;
  bool upstreamUp(size_t index) const;

  ServerCounters counters() const;
  CacheStats cacheStats() const;
  // Prometheus text exposition format 0.0.4.
  std::string metricsText() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::dns
