#include "mamori/dns/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <system_error>

#include "mamori/core/siphash.h"
#include "worker.h"

namespace mamori::dns {

namespace {

std::string errnoText() {
  return std::error_code(errno, std::generic_category()).message();
}

// The sockaddr for an endpoint.
socklen_t toSockaddr(const Endpoint& e, sockaddr_storage& out) {
  out = sockaddr_storage{};
  if (e.address.isV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes().data(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  std::memcpy(&sin6.sin6_addr, e.address.bytes().data(), 16);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

uint16_t boundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return 0;  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    return ntohs(sin.sin_port);
  }
  sockaddr_in6 sin6{};
  std::memcpy(&sin6, &ss, sizeof sin6);
  return ntohs(sin6.sin6_port);
}

// 0.0.0.0 or ::, where the answer's source address has to be chosen per query.
bool isWildcard(const IpAddress& address) {
  const auto& b = address.bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

// A non-blocking listening socket (SO_REUSEPORT: one per worker on the same address), or -1
// with `error` set. A UDP socket on a wildcard address reports each datagram's destination
// (IP_PKTINFO, IPV6_RECVPKTINFO) so that the worker can answer from it: on a host with several
// addresses the kernel would otherwise choose the source by route, and clients drop answers from
// an address they did not ask.
int openListener(const Endpoint& e, bool tcp, std::string& error) {
  const int family = e.address.isV4() ? AF_INET : AF_INET6;
  const int fd =
      ::socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errnoText();
    return -1;
  }
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (family == AF_INET6) (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (!tcp) {
    // Bursts arrive faster than a worker drains them; a deeper queue loses fewer queries.
    const int size = 4 << 20;
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (isWildcard(e.address) &&
        (family == AF_INET
             ? ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
             : ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one)) != 0) {
      error = "destination addresses (IP_PKTINFO): " + errnoText();
      ::close(fd);
      return -1;
    }
  }
  sockaddr_storage ss{};
  const socklen_t len = toSockaddr(e, ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) !=
          0 ||  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
      (tcp && ::listen(fd, 1024) != 0)) {
    error = errnoText();
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

// ---- Endpoint ----

Result<Endpoint> Endpoint::parse(std::string_view text, uint16_t defaultPort) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos)
      return makeError("'" + std::string(text) + "': missing ']'");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return makeError("'" + std::string(text) + "': expected ':PORT' after ']'");
      port = rest.substr(1);
    }
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(host);
  if (!address.ok()) {
    return makeError("'" + std::string(text) +
                     "': not an address (ADDR, ADDR:PORT or [IPv6]:PORT)");
  }
  Endpoint e;
  e.address = *address;
  e.port = defaultPort;
  if (text.find(':') != std::string_view::npos && !port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
      return makeError("'" + std::string(text) + "': bad port");
    }
    e.port = static_cast<uint16_t>(value);
  } else if (!text.empty() && text.front() == '[' && port.empty() && text.back() != ']') {
    return makeError("'" + std::string(text) + "': bad port");
  }
  return e;
}

std::string Endpoint::toString() const {
  const std::string a = address.toString();
  return address.isV6() ? "[" + a + "]:" + std::to_string(port) : a + ":" + std::to_string(port);
}

// ---- SeenNames ----

SeenNames::SeenNames(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)), key_(randomSipKey()) {}

bool SeenNames::insert(const Name& lowercased) {
  const uint64_t h = sipHash24(key_, lowercased.wire());
  if (current_.count(h) != 0 || previous_.count(h) != 0) return false;
  if (current_.size() >= capacity_) {
    previous_.swap(current_);
    current_.clear();
  }
  current_.insert(h);
  return true;
}

// ---- Server::Impl ----

Server::Impl::Impl(const ServerOptions& o) : options(o), cache(o.cache), seen(o.newDomainMemory) {
  PrefixSetBuilder builder;
  for (const IpPrefix& p : o.allowedClients) builder.add(p, 0);
  allowed = builder.build();
}

Server::Impl::~Impl() = default;

std::shared_ptr<const Policy> Server::Impl::currentPolicy() const {
  const std::lock_guard<std::mutex> lock(policyMutex);
  return policy;
}

size_t Server::Impl::pickUpstream(size_t& cursor, uint32_t triedMask) const {
  const size_t n = upstreams.size();
  if (n == 0) return 0;  // start() refuses a server without upstreams
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (cursor + k) % n;
      if ((triedMask & (uint32_t{1} << i)) != 0) continue;
      if (pass == 0 && !upstreams[i]->up.load(std::memory_order_relaxed)) continue;
      cursor = i + 1;
      return i;
    }
  }
  // Every upstream was tried for this query: the next in turn again.
  const size_t i = cursor % n;
  cursor = i + 1;
  return i;
}

void Server::Impl::upstreamAnswered(size_t index) {
  UpstreamState& u = *upstreams[index];
  if (u.consecutiveTimeouts.load(std::memory_order_relaxed) != 0) {
    u.consecutiveTimeouts.store(0, std::memory_order_relaxed);
  }
  if (!u.up.load(std::memory_order_relaxed)) u.up.store(true, std::memory_order_relaxed);
}

void Server::Impl::upstreamTimedOut(size_t index) {
  UpstreamState& u = *upstreams[index];
  if (u.consecutiveTimeouts.fetch_add(1, std::memory_order_relaxed) + 1 >=
      options.downAfterTimeouts) {
    u.up.store(false, std::memory_order_relaxed);
  }
}

bool Server::Impl::probe(UpstreamState& upstream) const {
  const int fd = ::socket(upstream.address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  RandomPool random;
  const uint16_t id = random.next16();
  const Name name = Name();  // ". NS": every resolver answers it
  std::array<uint8_t, 512> query{};
  const size_t n = writeUpstreamQuery(query, id, name, kTypeNs, kClassIn, false, false,
                                      options.response.udpPayloadSize);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&upstream.address), upstream.addressLength) ==
          0 &&  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
      ::send(fd, query.data(), n, 0) == static_cast<ssize_t>(n)) {
    pollfd pfd{fd, POLLIN, 0};
    const int timeoutMs =
        static_cast<int>(std::min(options.upstreamTimeout, options.probeInterval).count());
    std::vector<uint8_t> buf(kMaxMessage);
    Message answer;
    while (::poll(&pfd, 1, timeoutMs) == 1) {
      const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
      if (got <= 0) break;
      if (parseMessage(std::span<const uint8_t>(buf.data(), static_cast<size_t>(got)), answer) !=
          ParseError::kNone) {
        continue;
      }
      if (verifyUpstreamAnswer(answer, id, name, kTypeNs, kClassIn) == UpstreamVerdict::kAccept) {
        ok = true;
        break;
      }
    }
  }
  ::close(fd);
  return ok;
}

void Server::Impl::healthLoop() {
  std::unique_lock<std::mutex> lock(wakeMutex);
  while (!stopRequested) {
    wake.wait_for(lock, options.probeInterval);
    if (stopRequested) break;
    lock.unlock();
    for (auto& u : upstreams) {
      if (!u->up.load(std::memory_order_relaxed) && probe(*u))
        upstreamAnswered(&u - upstreams.data());
    }
    lock.lock();
  }
}

void Server::Impl::collectorLoop() {
  std::vector<HitEvent> batch;
  batch.reserve(1024);
  std::unique_lock<std::mutex> lock(wakeMutex);
  for (;;) {
    const bool last = stopRequested;
    if (!last) wake.wait_for(lock, std::chrono::milliseconds(100));
    lock.unlock();
    for (auto& worker : workers) {
      worker->hitQueue().with([&](std::vector<HitEvent>& queue) { batch.swap(queue); });
      if (batch.empty()) continue;
      hitsByList.with([&](std::map<std::string, std::array<uint64_t, 8>>& counts) {
        for (const HitEvent& e : batch) {
          if (e.newDomain) continue;
          const auto& sources = e.policy->sources();
          const std::string& list =
              e.match.source < sources.size() ? sources[e.match.source].name : std::string();
          ++counts[list][static_cast<size_t>(e.match.action) & 7];
        }
      });
      const auto fresh = static_cast<uint64_t>(
          std::count_if(batch.begin(), batch.end(), [](const HitEvent& e) { return e.newDomain; }));
      newDomains.fetch_add(fresh, std::memory_order_relaxed);
      hitsTotal.fetch_add(batch.size() - fresh, std::memory_order_relaxed);
      if (sink != nullptr) sink->consume(batch);
      batch.clear();
    }
    lock.lock();
    if (last) break;
  }
}

// ---- Server ----

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options,
                                              std::shared_ptr<const Policy> policy, HitSink* sink) {
  if (policy == nullptr) return makeError("no policy");
  if (options.listen.empty()) return makeError("no listen address");
  if (options.upstreams.empty()) return makeError("no upstream");
  if (options.upstreams.size() > kMaxUpstreams) {
    return makeError("at most " + std::to_string(kMaxUpstreams) + " upstreams");
  }
  if (options.threads == 0 || options.threads > 256) return makeError("threads must be 1 to 256");
  if (options.response.udpPayloadSize < kMinUdpPayload || options.response.udpPayloadSize > 4096) {
    return makeError("the UDP payload size must be 512 to 4096");
  }
  if (options.attempts == 0) return makeError("attempts must be at least 1");
  auto impl = std::make_unique<Impl>(options);
  impl->policy = std::move(policy);
  impl->sink = sink;
  for (const Endpoint& e : options.upstreams) {
    auto u = std::make_unique<UpstreamState>();
    u->endpoint = e;
    u->addressLength = toSockaddr(e, u->address);
    impl->upstreams.push_back(std::move(u));
  }

  // Listeners: for each address, one UDP and one TCP socket per worker on the same port. Port 0
  // takes the port the first UDP socket gets, for TCP too (tried again if TCP has it taken).
  const size_t threads = options.threads;
  std::vector<std::vector<UdpListener>> udp(threads);
  std::vector<std::vector<int>> tcp(threads);
  auto closeAll = [&] {
    for (auto& v : udp) {
      for (const UdpListener& u : v) ::close(u.fd);
    }
    for (auto& v : tcp) {
      for (const int fd : v) ::close(fd);
    }
  };
  for (const Endpoint& wanted : options.listen) {
    Endpoint e = wanted;
    std::string error;
    bool bound = false;
    for (int attempt = 0; attempt < 20 && !bound; ++attempt) {
      std::vector<int> u;
      std::vector<int> t;
      Endpoint at = e;
      bool ok = true;
      for (size_t w = 0; w < threads && ok; ++w) {
        const int ufd = openListener(at, false, error);
        if (ufd < 0) {
          ok = false;
          break;
        }
        u.push_back(ufd);
        if (at.port == 0) at.port = boundPort(ufd);
        const int tfd = openListener(at, true, error);
        if (tfd < 0) {
          ok = false;
          break;
        }
        t.push_back(tfd);
      }
      if (ok) {
        for (size_t w = 0; w < threads; ++w) {
          udp[w].push_back(UdpListener{u[w], isWildcard(at.address)});
          tcp[w].push_back(t[w]);
        }
        impl->udpBound.push_back(at);
        impl->tcpBound.push_back(at);
        bound = true;
        break;
      }
      for (const int fd : u) ::close(fd);
      for (const int fd : t) ::close(fd);
      if (wanted.port != 0) break;  // only an ephemeral port is worth trying again
    }
    if (!bound) {
      closeAll();
      return makeError("cannot listen on " + wanted.toString() + ": " + error);
    }
  }

  for (size_t w = 0; w < threads; ++w) {
    auto worker = std::make_unique<Worker>(*impl);
    auto r = worker->init(udp[w], tcp[w]);
    udp[w].clear();  // the worker owns them now
    tcp[w].clear();
    if (!r.ok()) {
      closeAll();
      return r.error();
    }
    impl->workers.push_back(std::move(worker));
  }
  Impl* p = impl.get();
  for (auto& worker : impl->workers) {
    Worker* wp = worker.get();
    impl->threads.emplace_back([wp] { wp->run(); });
  }
  impl->collector = std::thread([p] { p->collectorLoop(); });
  impl->health = std::thread([p] { p->healthLoop(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  for (auto& w : s.workers) w->wake();
  for (auto& t : s.threads) t.join();
  {
    const std::lock_guard<std::mutex> lock(s.wakeMutex);
    s.stopRequested = true;
  }
  s.wake.notify_all();
  s.collector.join();
  s.health.join();
}

void Server::setPolicy(std::shared_ptr<const Policy> policy) {
  if (policy == nullptr) return;
  Impl& s = *impl_;
  {
    const std::lock_guard<std::mutex> lock(s.policyMutex);
    s.policy = std::move(policy);
  }
  s.policyGeneration.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Policy> Server::policy() const {
  return impl_->currentPolicy();
}

void Server::noteReload(bool ok) {
  (ok ? impl_->reloadsOk : impl_->reloadsFailed).fetch_add(1);
}

std::vector<Endpoint> Server::udpEndpoints() const {
  return impl_->udpBound;
}
std::vector<Endpoint> Server::tcpEndpoints() const {
  return impl_->tcpBound;
}

bool Server::upstreamUp(size_t index) const {
  return index < impl_->upstreams.size() && impl_->upstreams[index]->up.load();
}

CacheStats Server::cacheStats() const {
  return impl_->cache.stats();
}

ServerCounters Server::counters() const {
  ServerCounters out;
  for (const auto& w : impl_->workers) {
    const WorkerCounters& c = workerCounters(*w);
    for (size_t t = 0; t < kQtypeSlots; ++t) {
      for (size_t r = 0; r < kRcodeSlots; ++r) {
        out.udpQueries += c.answers[0][t][r].get();
        out.tcpQueries += c.answers[1][t][r].get();
        if (kCountedRcodes[std::min(r, kCountedRcodes.size() - 1)] == kRcodeServFail &&
            r < kCountedRcodes.size()) {
          out.servfail += c.answers[0][t][r].get() + c.answers[1][t][r].get();
        }
      }
    }
    for (const Counter& m : c.malformed) out.malformed += m.get();
    for (const Counter& d : c.drops) out.dropped += d.get();
    for (size_t u = 0; u < kMaxUpstreams; ++u) {
      out.upstreamQueries += c.upQueries[u].get();
      out.upstreamTimeouts += c.upTimeouts[u].get();
      out.upstreamSpoofed += c.upSpoofed[u].get();
      out.upstreamTcpFallbacks += c.upTcp[u].get();
    }
    out.upstreamCoalesced += c.coalesced.get();
    out.hitsDropped += c.hitsDropped.get();
    out.tcpConnections += c.tcpAccepted.get();
    out.tcpRefused += c.tcpRefused.get();
  }
  out.policyHits = impl_->hitsTotal.load();
  return out;
}

}  // namespace mamori::dns
