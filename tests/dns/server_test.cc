// The server over real loopback sockets, in front of a scripted upstream: caching, 0x20 and
// spoofed answers, failover and health, TCP fallback, policy swaps, TCP limits, metrics, hits,
// answers from the address asked on a wildcard listener, coalescing of identical questions.
#include "mamori/dns/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "dns_test_util.h"
#include "mamori/core/pseudonymizer.h"
#include "mamori/dns/hits.h"
#include "mamori/dns/message.h"
#include "mamori/dns/writer.h"

namespace mamori::dns {
namespace {

using testutil::Bytes;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

uint16_t boundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// An answer to `query` (as the upstream received it) with `records` A records (192.0.2.lastOctet,
// then the following addresses), or TC and no record.
Bytes answer(const Message& query, bool truncated = false, uint8_t lastOctet = 1, int records = 1) {
  std::array<uint8_t, 4096> buf{};
  MessageWriter w(buf, buf.size());
  Header h;
  h.id = query.header.id;
  h.qr = true;
  h.rd = query.header.rd;
  h.ra = true;
  h.tc = truncated;
  EXPECT_TRUE(w.start(h));
  EXPECT_TRUE(w.addQuestion(query.question.name, query.question.type, query.question.qclass));
  for (int i = 0; i < records && !truncated; ++i) {
    const Bytes a = {192, 0, 2, static_cast<uint8_t>(lastOctet + i)};
    EXPECT_TRUE(w.addRecord(Section::kAnswer, query.question.name, kTypeA, kClassIn, 300, a));
  }
  return Bytes(w.message().begin(), w.message().end());
}

// A scripted upstream on loopback (UDP and TCP on one port). `respond` gets each query and sends
// whatever it wants with `send`; every query's name is kept as received.
class FakeUpstream {
 public:
  using Respond = std::function<void(const Message& query, bool tcp,
                                     const std::function<void(const Bytes&)>& send)>;
  explicit FakeUpstream(Respond respond) : respond_(std::move(respond)) {
    // The UDP socket takes an ephemeral port; another process (tests run in parallel) may hold
    // the same TCP port, so a pair that cannot be bound is tried again on a new port.
    for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
      udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a = loopback(0);
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(udp_);
        continue;
      }
      tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
      const int one = 1;
      (void)::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      a = loopback(boundPort(udp_));
      if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(tcp_, 16) == 0) {
        port_ = boundPort(udp_);
      } else {
        ::close(udp_);
        ::close(tcp_);
        udp_ = tcp_ = -1;
      }
    }
    EXPECT_NE(port_, 0) << "no loopback port free for both UDP and TCP";
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  Endpoint endpoint() const { return Endpoint{*IpAddress::parse("127.0.0.1"), port_}; }
  std::vector<Name> received() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  std::vector<uint16_t> ids() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return ids_;
  }
  // Queries for a name other than the root (health probes ask ". NS").
  size_t namedQueries() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<size_t>(std::count_if(received_.begin(), received_.end(),
                                             [](const Name& n) { return !n.isRoot(); }));
  }

 private:
  void record(const Message& m) {
    const std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(m.question.name);
    ids_.push_back(m.header.id);
  }
  void loop() {
    std::vector<uint8_t> buf(65536);
    while (!stop_) {
      pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n =
            ::recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        Message m;
        if (n > 0 && parseMessage(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)),
                                  m) == ParseError::kNone) {
          record(m);
          respond_(m, false, [&](const Bytes& b) {
            (void)::sendto(udp_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
          });
        }
      }
      if ((fds[1].revents & POLLIN) != 0) {
        const int c = ::accept(tcp_, nullptr, nullptr);
        if (c < 0) continue;
        uint8_t lengthBytes[2];
        if (::recv(c, lengthBytes, 2, MSG_WAITALL) == 2) {
          const size_t length = (lengthBytes[0] << 8) | lengthBytes[1];
          if (::recv(c, buf.data(), length, MSG_WAITALL) == static_cast<ssize_t>(length)) {
            Message m;
            if (parseMessage(std::span<const uint8_t>(buf.data(), length), m) ==
                ParseError::kNone) {
              record(m);
              respond_(m, true, [&](const Bytes& b) {
                const uint8_t prefix[2] = {static_cast<uint8_t>(b.size() >> 8),
                                           static_cast<uint8_t>(b.size())};
                (void)::send(c, prefix, 2, MSG_NOSIGNAL);
                (void)::send(c, b.data(), b.size(), MSG_NOSIGNAL);
              });
            }
          }
        }
        ::close(c);
      }
    }
  }

  Respond respond_;
  int udp_ = -1;
  int tcp_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Name> received_;
  std::vector<uint16_t> ids_;
  std::thread thread_;
};

// ADDRESS:PORT (IPv4 or IPv6) as a socket address; its length, 0 if ADDRESS is not an address.
socklen_t socketAddress(const std::string& address, uint16_t port, sockaddr_storage& ss) {
  ss = {};
  sockaddr_in a{};
  sockaddr_in6 a6{};
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) == 1) {
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    std::memcpy(&ss, &a, sizeof a);
    return sizeof a;
  }
  if (::inet_pton(AF_INET6, address.c_str(), &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(port);
    std::memcpy(&ss, &a6, sizeof a6);
    return sizeof a6;
  }
  return 0;
}

// A UDP socket connected to ADDRESS:PORT (IPv4 or IPv6): the kernel delivers to it only
// datagrams from exactly that address and port. -1 if the address is not usable here.
int connectUdp(const std::string& address, uint16_t port) {
  sockaddr_storage ss{};
  const socklen_t len = socketAddress(address, port, ss);
  if (len == 0) return -1;
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The next datagram on `fd`, parsed; nullopt after `timeoutMs` without one.
std::optional<Message> receive(int fd, Bytes& storage, int timeoutMs = 3000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeoutMs) != 1) return std::nullopt;
  storage.resize(65535);
  const ssize_t n = ::recv(fd, storage.data(), storage.size(), 0);
  if (n <= 0) return std::nullopt;
  storage.resize(static_cast<size_t>(n));
  Message m;
  if (parseMessage(storage, m) != ParseError::kNone) return std::nullopt;
  return m;
}

// One UDP exchange with the server at ADDRESS:PORT; nullopt after `timeoutMs` without an answer
// (from that address and port: the client socket is connected).
std::optional<Message> askAt(const std::string& address, uint16_t port, const Bytes& q,
                             Bytes& storage, int timeoutMs = 3000) {
  const int fd = connectUdp(address, port);
  if (fd < 0) return std::nullopt;
  (void)::send(fd, q.data(), q.size(), 0);
  auto out = receive(fd, storage, timeoutMs);
  ::close(fd);
  return out;
}

// One UDP exchange with the server on 127.0.0.1.
std::optional<Message> ask(const Endpoint& server, const Bytes& q, Bytes& storage,
                           int timeoutMs = 3000) {
  return askAt("127.0.0.1", server.port, q, storage, timeoutMs);
}

// Waits (up to 10 s) for `condition`, which another thread makes true; returns it.
bool waitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 1000 && !condition(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// Reads one length-prefixed message from a TCP socket.
std::optional<Message> readTcp(int fd, Bytes& storage) {
  uint8_t prefix[2];
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 3000) != 1 || ::recv(fd, prefix, 2, MSG_WAITALL) != 2) return std::nullopt;
  storage.resize((prefix[0] << 8) | prefix[1]);
  if (::recv(fd, storage.data(), storage.size(), MSG_WAITALL) !=
      static_cast<ssize_t>(storage.size())) {
    return std::nullopt;
  }
  Message m;
  if (parseMessage(storage, m) != ParseError::kNone) return std::nullopt;
  return m;
}

int connectTcp(const Endpoint& server) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(server.port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

void sendTcp(int fd, const Bytes& q) {
  Bytes framed = {static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  ASSERT_EQ(::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(framed.size()));
}

// A FakeUpstream that holds every answer until release() (or the end of the test), so that
// queries pile up while one is in flight; `make` builds each answer.
class HeldUpstream {
 public:
  using Make = std::function<Bytes(const Message& query, bool tcp)>;
  explicit HeldUpstream(Make make = [](const Message& q, bool) { return answer(q); })
      : make_(std::move(make)), up_([this](const Message& q, bool tcp, const auto& send) {
          while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          send(make_(q, tcp));
        }) {}
  ~HeldUpstream() { release(); }  // before up_ joins its thread
  HeldUpstream(const HeldUpstream&) = delete;
  HeldUpstream& operator=(const HeldUpstream&) = delete;

  void release() { released_ = true; }
  FakeUpstream& up() { return up_; }

 private:
  std::atomic<bool> released_{false};
  Make make_;
  FakeUpstream up_;
};

std::shared_ptr<const Policy> emptyPolicy() {
  return std::make_shared<const Policy>();
}

std::shared_ptr<const Policy> listPolicy(std::string_view domains) {
  PolicyBuilder b;
  EXPECT_TRUE(
      b.addDomainListText("blocklist", domains, "test", PolicyAction::kNxdomain, true).ok());
  return std::make_shared<const Policy>(b.build());
}

ServerOptions optionsFor(std::vector<Endpoint> upstreams) {
  ServerOptions o;
  o.listen = {Endpoint{*IpAddress::parse("127.0.0.1"), 0}};
  o.upstreams = std::move(upstreams);
  o.threads = 2;
  o.upstreamTimeout = std::chrono::milliseconds(200);
  o.probeInterval = std::chrono::milliseconds(50);
  return o;
}

std::unique_ptr<Server> startServer(const ServerOptions& o, std::shared_ptr<const Policy> policy,
                                    HitSink* sink = nullptr) {
  auto s = Server::start(o, std::move(policy), sink);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

const Endpoint& udpOf(const Server& s) {
  static thread_local std::vector<Endpoint> keep;
  keep = s.udpEndpoints();
  return keep.at(0);
}

TEST(Endpoint, ParsesAddressesAndPorts) {
  auto e = Endpoint::parse("192.0.2.1:5353");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 5353);
  EXPECT_EQ(e->toString(), "192.0.2.1:5353");
  e = Endpoint::parse("192.0.2.1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 53);
  e = Endpoint::parse("[2001:db8::1]:853");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 853);
  EXPECT_EQ(e->toString(), "[2001:db8::1]:853");
  e = Endpoint::parse("2001:db8::1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 53);
  EXPECT_FALSE(Endpoint::parse("192.0.2.1:99999").ok());
  EXPECT_FALSE(Endpoint::parse("host.example:53").ok());
  EXPECT_FALSE(Endpoint::parse("[2001:db8::1").ok());
}

TEST(Server, ForwardsWithRandomIdsAndCaseAndCachesTheAnswer) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  auto server = startServer(optionsFor({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  const std::string longName = "abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz.example";
  Bytes storage;
  auto r = ask(udpOf(*server), testutil::query(longName, kTypeA, 0x1111, true), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header.id, 0x1111);
  EXPECT_EQ(r->rcode(), kRcodeNoError);
  ASSERT_EQ(r->section(Section::kAnswer).size(), 1u);
  EXPECT_TRUE(r->header.ra);
  EXPECT_TRUE(r->question.name.identical(*Name::fromText(longName + ".")));
  // Again, in another spelling: from the cache, with this client's id and spelling.
  const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ.abcdefghijklmnopqrstuvwxyz.EXAMPLE";
  r = ask(udpOf(*server), testutil::query(upper, kTypeA, 0x2222), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header.id, 0x2222);
  EXPECT_TRUE(r->question.name.identical(*Name::fromText(upper + ".")));
  ASSERT_EQ(up.received().size(), 1u);
  // 0x20: the upstream saw the name in a random case (52 letters all lowercase: 2^-52).
  EXPECT_FALSE(up.received()[0].identical(*Name::fromText(longName + ".")));
  EXPECT_TRUE(up.received()[0] == *Name::fromText(longName + "."));
  // A second name: its id is drawn afresh.
  ASSERT_TRUE(ask(udpOf(*server), testutil::query("other.example", kTypeA, 0x1111), storage));
  ASSERT_EQ(up.ids().size(), 2u);
  EXPECT_EQ(server->cacheStats().hits, 1u);
}

TEST(Server, DropsSpoofedAnswersAndTakesTheGenuineOne) {
  // First a forged answer (right id, lowercase name), then one with a wrong id, then the real one.
  FakeUpstream up([](const Message& q, bool, const auto& send) {
    Message lower = q;
    lower.question.name = q.question.name.lowercased();
    send(answer(lower, false, 66));
    Message wrongId = q;
    wrongId.header.id = static_cast<uint16_t>(q.header.id + 1);
    send(answer(wrongId, false, 67));
    send(answer(q, false, 1));
  });
  auto server = startServer(optionsFor({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  const auto r = ask(udpOf(*server),
                     testutil::query("spoof-target-with-many-letters.example", kTypeA), storage);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->section(Section::kAnswer).size(), 1u);
  EXPECT_EQ(r->rdata(r->records[0])[3], 1);  // the genuine address, not 66 or 67
  EXPECT_EQ(server->counters().upstreamSpoofed, 2u);
}

TEST(Server, FailsOverToTheNextUpstreamAndMarksTheSilentOneDown) {
  FakeUpstream silent([](const Message&, bool, const auto&) {});
  FakeUpstream good([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({silent.endpoint(), good.endpoint()});
  o.threads = 1;
  o.downAfterTimeouts = 2;
  o.attempts = 2;
  auto server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  for (int i = 0; i < 6; ++i) {
    const auto r =
        ask(udpOf(*server), testutil::query("n" + std::to_string(i) + ".example", kTypeA), storage);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->rcode(), kRcodeNoError) << i;
  }
  EXPECT_FALSE(server->upstreamUp(0));
  EXPECT_TRUE(server->upstreamUp(1));
  EXPECT_GE(server->counters().upstreamTimeouts, 2u);
  // Down: no longer tried first, so nothing waits for it.
  const size_t before = silent.received().size();
  ASSERT_TRUE(ask(udpOf(*server), testutil::query("after.example", kTypeA), storage));
  // Probes (". NS") may reach it; queries for names do not.
  size_t named = 0;
  const auto seen = silent.received();
  for (size_t i = before; i < seen.size(); ++i) named += seen[i].isRoot() ? 0 : 1;
  EXPECT_EQ(named, 0u);
}

TEST(Server, DownUpstreamComesBackWhenAProbeIsAnswered) {
  std::atomic<bool> answering{false};
  FakeUpstream flaky([&](const Message& q, bool, const auto& send) {
    if (answering) send(answer(q));
  });
  ServerOptions o = optionsFor({flaky.endpoint()});
  o.downAfterTimeouts = 1;
  o.attempts = 1;
  auto server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  const auto r = ask(udpOf(*server), testutil::query("x.example", kTypeA), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeServFail);  // the only upstream timed out
  EXPECT_FALSE(server->upstreamUp(0));
  answering = true;
  for (int i = 0; i < 100 && !server->upstreamUp(0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(server->upstreamUp(0));
}

TEST(Server, TruncatedUpstreamAnswerIsFetchedAgainOverTcp) {
  FakeUpstream up([](const Message& q, bool tcp, const auto& send) { send(answer(q, !tcp)); });
  auto server = startServer(optionsFor({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  const auto r = ask(udpOf(*server), testutil::query("big.example", kTypeA, 5, true), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->header.tc);
  EXPECT_EQ(r->section(Section::kAnswer).size(), 1u);
  EXPECT_EQ(server->counters().upstreamTcpFallbacks, 1u);
}

TEST(Server, PolicySwapTakesEffectForTheNextQuery) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  auto server = startServer(optionsFor({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  auto r = ask(udpOf(*server), testutil::query("www.bad.example", kTypeA), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeNoError);
  server->setPolicy(listPolicy("bad.example\n"));
  server->noteReload(true);
  r = ask(udpOf(*server), testutil::query("www.bad.example", kTypeA), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeNxDomain);
  EXPECT_NE(server->metricsText().find("mamori_dns_policy_reloads_total{result=\"ok\"} 1"),
            std::string::npos);
}

TEST(Server, ErrorsForMalformedAndUnsupportedQueries) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  auto server = startServer(optionsFor({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  Bytes q = testutil::query("x.example", kTypeA);
  q[5] = 2;  // QDCOUNT 2
  auto r = ask(udpOf(*server), q, storage);
  ASSERT_TRUE(r.has_value() || storage.size() >= 12);
  EXPECT_EQ(storage[3] & 0x0F, kRcodeFormErr);
  q = testutil::query("x.example", kTypeA);
  q[q.size() - 1] = 3;  // class CH
  r = ask(udpOf(*server), q, storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeRefused);
  q = testutil::query("x.example", kTypeA, 1, true);
  q[q.size() - 5] = 1;  // EDNS version 1
  r = ask(udpOf(*server), q, storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeBadVers);
  r = ask(udpOf(*server), testutil::query("example", 252), storage);  // AXFR
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeRefused);
  const std::string metrics = server->metricsText();
  EXPECT_NE(metrics.find("mamori_dns_malformed_total{reason=\"dns_too_many_questions\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_TRUE(up.received().empty());
}

TEST(Server, TcpConnectionLimitAndIdleTimeout) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({up.endpoint()});
  o.threads = 1;
  o.maxTcpConnections = 1;
  o.tcpIdleTimeout = std::chrono::milliseconds(300);
  auto server = startServer(o, listPolicy("blocked.example\n"));
  ASSERT_NE(server, nullptr);
  const Endpoint tcp = server->tcpEndpoints().at(0);
  const int first = connectTcp(tcp);
  sendTcp(first, testutil::query("blocked.example", kTypeA, 1));
  Bytes storage;
  auto r = readTcp(first, storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rcode(), kRcodeNxDomain);
  // Over the limit: accepted by the kernel, closed by the server without an answer.
  const int second = connectTcp(tcp);
  sendTcp(second, testutil::query("blocked.example", kTypeA, 2));
  EXPECT_FALSE(readTcp(second, storage).has_value());
  ::close(second);
  // Idle: the first connection is closed by the server (recv sees EOF).
  pollfd p{first, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  uint8_t byte = 0;
  EXPECT_EQ(::recv(first, &byte, 1, 0), 0);
  ::close(first);
  EXPECT_EQ(server->counters().tcpRefused, 1u);
}

TEST(Server, TcpAnswersLeaveInTheOrderTheyAreReady) {
  // The upstream holds its answer until the client has the policy answer to the second query.
  HeldUpstream held;
  FakeUpstream& up = held.up();
  auto server = startServer(optionsFor({up.endpoint()}), listPolicy("blocked.example\n"));
  ASSERT_NE(server, nullptr);
  const int fd = connectTcp(server->tcpEndpoints().at(0));
  sendTcp(fd, testutil::query("slow.example", kTypeA, 1));
  sendTcp(fd, testutil::query("blocked.example", kTypeA, 2));
  Bytes storage;
  auto first = readTcp(fd, storage);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->header.id, 2);
  EXPECT_EQ(first->rcode(), kRcodeNxDomain);
  held.release();
  auto second = readTcp(fd, storage);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->header.id, 1);
  EXPECT_EQ(second->rcode(), kRcodeNoError);
  ::close(fd);
}

TEST(Server, AllUpstreamsSilentGivesServfail) {
  FakeUpstream silent([](const Message&, bool, const auto&) {});
  ServerOptions o = optionsFor({silent.endpoint()});
  o.attempts = 2;
  auto server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  const auto r = ask(udpOf(*server), testutil::query("x.example", kTypeA, 77), storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header.id, 77);
  EXPECT_EQ(r->rcode(), kRcodeServFail);
  EXPECT_EQ(silent.received().size(), 2u);
}

TEST(Server, ClientsOutsideTheAllowedPrefixesGetNoAnswer) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({up.endpoint()});
  o.allowedClients = {*IpPrefix::parse("10.0.0.0/8")};
  auto server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes storage;
  EXPECT_FALSE(ask(udpOf(*server), testutil::query("x.example", kTypeA), storage, 300).has_value());
  const int fd = connectTcp(server->tcpEndpoints().at(0));
  sendTcp(fd, testutil::query("x.example", kTypeA));
  EXPECT_FALSE(readTcp(fd, storage).has_value());
  ::close(fd);
  EXPECT_TRUE(up.received().empty());
  EXPECT_NE(server->metricsText().find("mamori_dns_dropped_total{reason=\"not_allowed\"} 2"),
            std::string::npos);

  o.allowedClients = {*IpPrefix::parse("127.0.0.0/8")};
  server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(ask(udpOf(*server), testutil::query("x.example", kTypeA), storage).has_value());
}

// ---- wildcard listeners ----

// Whether this host can use `address` as a local address (127.0.0.2 needs the usual 127/8 route
// to lo; ::1 needs IPv6 on lo).
bool localAddressUsable(const std::string& address) {
  sockaddr_storage ss{};
  const socklen_t len = socketAddress(address, 0, ss);
  if (len == 0) return false;
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM, 0);
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

// Queries to each of `addresses` (at the server's port) on a connected client socket, which
// takes an answer only from the address it sent to: one answered upstream (the answer leaves
// later, alone), the same again from the cache and a blocked name (both answered in the batch
// they came in with).
void expectAnswersFromTheAddressesAsked(const std::string& listen,
                                        const std::vector<std::string>& addresses) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({up.endpoint()});
  o.listen = {*Endpoint::parse(listen)};
  auto server = startServer(o, listPolicy("blocked.example\n"));
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->udpEndpoints().at(0).port;
  Bytes storage;
  uint16_t id = 1;
  for (const std::string& address : addresses) {
    const std::string name = "host-" + std::to_string(id) + ".example";
    for (int again = 0; again < 2; ++again) {
      const auto r = askAt(address, port, testutil::query(name, kTypeA, id), storage);
      ASSERT_TRUE(r.has_value()) << address << (again == 0 ? " upstream" : " cached");
      EXPECT_EQ(r->header.id, id);
      EXPECT_EQ(r->rcode(), kRcodeNoError);
    }
    const auto r = askAt(address, port, testutil::query("blocked.example", kTypeA, id), storage);
    ASSERT_TRUE(r.has_value()) << address << " blocked";
    EXPECT_EQ(r->rcode(), kRcodeNxDomain);
    ++id;
  }
  EXPECT_EQ(up.namedQueries(), addresses.size());  // the second of each pair was cached
}

TEST(Server, WildcardIpv4ListenerAnswersFromTheAddressEachQueryWentTo) {
  if (!localAddressUsable("127.0.0.2")) GTEST_SKIP() << "127.0.0.2 is not a local address here";
  // Without IP_PKTINFO the answers to 127.0.0.2 would leave from 127.0.0.1, the source the
  // route to the client gives, and the connected client would never see them.
  expectAnswersFromTheAddressesAsked("0.0.0.0:0", {"127.0.0.1", "127.0.0.2", "127.0.0.1"});
}

TEST(Server, WildcardIpv6ListenerAnswersFromTheAddressAsked) {
  if (!localAddressUsable("::1")) GTEST_SKIP() << "no IPv6 loopback here";
  expectAnswersFromTheAddressesAsked("[::]:0", {"::1"});
}

// ---- coalescing ----

// A query to `name` with id `id`, sent now on a fresh client socket connected to the server;
// the answer is read later with receive().
int sendQuery(const Endpoint& server, const Bytes& q) {
  const int fd = connectUdp("127.0.0.1", server.port);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::send(fd, q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
  return fd;
}

ServerOptions coalescingOptions(std::vector<Endpoint> upstreams) {
  ServerOptions o = optionsFor(std::move(upstreams));
  o.threads = 1;  // coalescing is per worker: every client must reach the same one
  o.upstreamTimeout = std::chrono::milliseconds(5000);
  return o;
}

TEST(Server, IdenticalQuestionsInFlightShareOneUpstreamQuery) {
  // The upstream holds its answer (40 A records: more than 512 bytes) until every client has
  // asked.
  HeldUpstream held([](const Message& q, bool) { return answer(q, false, 1, 40); });
  FakeUpstream& up = held.up();
  auto server = startServer(coalescingOptions({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  // Each client its own id and spelling; even ones with EDNS (4096), odd ones without (512).
  const std::vector<std::string> spellings = {"shared.example", "SHARED.EXAMPLE", "Shared.Example",
                                              "sHaReD.eXaMpLe"};
  constexpr int kClients = 12;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    fds.push_back(
        sendQuery(udpOf(*server), testutil::query(spellings[i % spellings.size()], kTypeA,
                                                  static_cast<uint16_t>(100 + i), i % 2 == 0)));
  }
  const int tcp = connectTcp(server->tcpEndpoints().at(0));
  sendTcp(tcp, testutil::query("SHARED.example", kTypeA, 999));
  ASSERT_TRUE(waitFor([&] { return server->counters().upstreamCoalesced == kClients; }));
  held.release();
  Bytes storage;
  for (int i = 0; i < kClients; ++i) {
    const auto r = receive(fds[i], storage);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->header.id, 100 + i);
    EXPECT_EQ(r->rcode(), kRcodeNoError);
    EXPECT_TRUE(r->question.name.identical(*Name::fromText(spellings[i % spellings.size()] + ".")))
        << i;
    if (i % 2 == 0) {
      EXPECT_FALSE(r->header.tc) << i;
      EXPECT_EQ(r->section(Section::kAnswer).size(), 40u) << i;
      EXPECT_TRUE(r->edns.present) << i;
    } else {
      // The same answer fitted to 512 bytes for this client alone.
      EXPECT_TRUE(r->header.tc) << i;
      EXPECT_LT(r->section(Section::kAnswer).size(), 40u) << i;
      EXPECT_LE(storage.size(), 512u) << i;
      EXPECT_FALSE(r->edns.present) << i;
    }
    ::close(fds[i]);
  }
  const auto r = readTcp(tcp, storage);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header.id, 999);
  EXPECT_FALSE(r->header.tc);
  EXPECT_EQ(r->section(Section::kAnswer).size(), 40u);
  EXPECT_TRUE(r->question.name.identical(*Name::fromText("SHARED.example.")));
  ::close(tcp);
  EXPECT_EQ(up.namedQueries(), 1u);
  EXPECT_EQ(server->counters().upstreamQueries, 1u);
  EXPECT_NE(server->metricsText().find("mamori_dns_upstream_coalesced_total 12\n"),
            std::string::npos);
}

TEST(Server, DifferentQuestionsAreNotCoalesced) {
  HeldUpstream held;
  FakeUpstream& up = held.up();
  auto server = startServer(coalescingOptions({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  Bytes checkingDisabled = testutil::query("q.example", kTypeA, 6);
  checkingDisabled[3] |= 0x10;  // CD
  const std::vector<Bytes> queries = {
      testutil::query("q.example", kTypeA, 1),
      testutil::query("q.example", kTypeAaaa, 2),
      testutil::query("q.example", kTypeMx, 3),
      testutil::query("q.example", kTypeA, 4, true, 4096, true),  // DO
      testutil::query("other.example", kTypeA, 5),
      checkingDisabled,
      testutil::query("Q.EXAMPLE", kTypeA, 7),  // the first question again: joins it
  };
  std::vector<int> fds;
  for (const Bytes& q : queries) fds.push_back(sendQuery(udpOf(*server), q));
  // Datagrams to one socket are taken in order: when the last has joined, all were seen.
  ASSERT_TRUE(waitFor([&] { return server->counters().upstreamCoalesced == 1; }));
  held.release();
  Bytes storage;
  for (size_t i = 0; i < fds.size(); ++i) {
    const auto r = receive(fds[i], storage);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->header.id, i + 1);
    EXPECT_EQ(r->rcode(), kRcodeNoError) << i;
    ::close(fds[i]);
  }
  EXPECT_EQ(up.namedQueries(), queries.size() - 1);
  EXPECT_EQ(server->counters().upstreamCoalesced, 1u);
}

TEST(Server, CoalescingStopsAt64ClientsPerUpstreamQuery) {
  HeldUpstream held;
  FakeUpstream& up = held.up();
  auto server = startServer(coalescingOptions({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 70;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    fds.push_back(sendQuery(udpOf(*server),
                            testutil::query("popular.example", kTypeA, static_cast<uint16_t>(i))));
  }
  // 64 on the first upstream query, the 65th sends a second one, which the last 5 join.
  ASSERT_TRUE(waitFor([&] { return server->counters().upstreamCoalesced == 63 + 5; }));
  held.release();
  Bytes storage;
  for (int i = 0; i < kClients; ++i) {
    const auto r = receive(fds[i], storage);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->header.id, i);
    EXPECT_EQ(r->rcode(), kRcodeNoError);
    ::close(fds[i]);
  }
  EXPECT_EQ(up.namedQueries(), 2u);
}

TEST(Server, EveryCoalescedClientGetsServfailWhenAllAttemptsTimeOut) {
  // Two silent upstreams: the waiters stay with the query through the failover to the second.
  FakeUpstream first([](const Message&, bool, const auto&) {});
  FakeUpstream second([](const Message&, bool, const auto&) {});
  ServerOptions o = coalescingOptions({first.endpoint(), second.endpoint()});
  o.upstreamTimeout = std::chrono::milliseconds(500);
  o.attempts = 2;
  o.downAfterTimeouts = 100;
  auto server = startServer(o, emptyPolicy());
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    fds.push_back(sendQuery(
        udpOf(*server),
        testutil::query("silent.example", kTypeA, static_cast<uint16_t>(50 + i), i == 0)));
  }
  Bytes storage;
  for (int i = 0; i < kClients; ++i) {
    const auto r = receive(fds[i], storage, 5000);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->header.id, 50 + i);
    EXPECT_EQ(r->rcode(), kRcodeServFail);
    EXPECT_EQ(r->edns.present, i == 0);
    ::close(fds[i]);
  }
  EXPECT_EQ(server->counters().upstreamCoalesced, kClients - 1u);
  EXPECT_EQ(first.namedQueries(), 1u);
  EXPECT_EQ(second.namedQueries(), 1u);
}

TEST(Server, CoalescedClientsShareTheTcpFallback) {
  HeldUpstream held([](const Message& q, bool tcp) { return answer(q, !tcp); });
  FakeUpstream& up = held.up();
  auto server = startServer(coalescingOptions({up.endpoint()}), emptyPolicy());
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 5;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    fds.push_back(sendQuery(
        udpOf(*server), testutil::query("large.example", kTypeA, static_cast<uint16_t>(10 + i))));
  }
  ASSERT_TRUE(waitFor([&] { return server->counters().upstreamCoalesced == kClients - 1; }));
  held.release();
  Bytes storage;
  for (int i = 0; i < kClients; ++i) {
    const auto r = receive(fds[i], storage);
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->header.id, 10 + i);
    EXPECT_FALSE(r->header.tc);
    EXPECT_EQ(r->section(Section::kAnswer).size(), 1u);
    ::close(fds[i]);
  }
  EXPECT_EQ(server->counters().upstreamTcpFallbacks, 1u);
  EXPECT_EQ(up.namedQueries(), 2u);  // once over UDP, once over TCP
}

class CollectingSink : public HitSink {
 public:
  void consume(std::span<const HitEvent> events) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    events_.insert(events_.end(), events.begin(), events.end());
  }
  std::vector<HitEvent> events() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<HitEvent> events_;
};

TEST(Server, HitsAndFirstSightingsReachTheSink) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({up.endpoint()});
  o.newDomainMemory = 100;
  CollectingSink sink;
  {
    auto server = startServer(o, listPolicy("blocked.example\n"), &sink);
    ASSERT_NE(server, nullptr);
    Bytes storage;
    ASSERT_TRUE(ask(udpOf(*server), testutil::query("a.blocked.example", kTypeAaaa), storage));
    ASSERT_TRUE(ask(udpOf(*server), testutil::query("fresh.example", kTypeA), storage));
    ASSERT_TRUE(ask(udpOf(*server), testutil::query("fresh.example", kTypeMx), storage));
    server->stop();  // flushes the collector
    EXPECT_EQ(server->counters().policyHits, 1u);
  }
  const auto events = sink.events();
  ASSERT_EQ(events.size(), 2u);
  const HitEvent& hit = events[0].newDomain ? events[1] : events[0];
  const HitEvent& fresh = events[0].newDomain ? events[0] : events[1];
  EXPECT_EQ(hit.qname.toText(), "a.blocked.example.");
  EXPECT_EQ(hit.qtype, kTypeAaaa);
  EXPECT_EQ(hit.match.action, PolicyAction::kNxdomain);
  EXPECT_EQ(hit.policy->sources()[hit.match.source].name, "blocklist");
  EXPECT_EQ(hit.client.toString(), "127.0.0.1");
  EXPECT_TRUE(fresh.newDomain);
  EXPECT_EQ(fresh.qname.toText(), "fresh.example.");
}

// A monitored address (a hub "monitor" indicator: response-IP PASSTHRU) is answered as the
// upstream gave it and recorded as a hit: from the upstream (the waiting client's path) and again
// from the cache.
TEST(Server, MonitoredAnswerAddressResolvesAndIsRecorded) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  CollectingSink sink;
  PolicyBuilder b;
  const std::array indicators = {
      PolicyIndicator{.type = "ipv4", .value = "192.0.2.1", .action = PolicyAction::kPassthru}};
  ASSERT_TRUE(b.addIndicators("hub", indicators, "test").ok());
  {
    auto server =
        startServer(optionsFor({up.endpoint()}), std::make_shared<const Policy>(b.build()), &sink);
    ASSERT_NE(server, nullptr);
    Bytes storage;
    for (int i = 0; i < 2; ++i) {
      auto r = ask(udpOf(*server), testutil::query("watched.example", kTypeA), storage);
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->rcode(), kRcodeNoError);
      EXPECT_EQ(r->section(Section::kAnswer).size(), 1u);
    }
    server->stop();
    EXPECT_EQ(server->counters().policyHits, 2u);
  }
  EXPECT_EQ(up.namedQueries(), 1u);  // the second answer came from the cache
  const auto events = sink.events();
  ASSERT_EQ(events.size(), 2u);
  for (const HitEvent& e : events) {
    EXPECT_EQ(e.match.action, PolicyAction::kPassthru);
    EXPECT_EQ(e.match.trigger, TriggerKind::kResponseIp);
    EXPECT_EQ(e.qname.toText(), "watched.example.");
  }
}

// With a hold, a worker that answered a batch waits and reads again before it sleeps. Bursts from
// many clients, 2 ms apart (the hold, 20 ms, spans several), answered locally and through the
// upstream, must all be answered, each to its own socket with its own id.
TEST(Server, HoldingForMoreDatagramsAnswersEveryQueryOfABurst) {
  FakeUpstream up([](const Message& q, bool, const auto& send) { send(answer(q)); });
  ServerOptions o = optionsFor({up.endpoint()});
  o.threads = 1;
  o.udpHold = std::chrono::microseconds(20000);
  auto server = startServer(o, listPolicy("blocked.example\n"));
  ASSERT_NE(server, nullptr);
  constexpr int kSockets = 8;
  constexpr int kPerSocket = 25;
  std::vector<int> fds;
  for (int s = 0; s < kSockets; ++s) fds.push_back(connectUdp("127.0.0.1", udpOf(*server).port));
  for (int i = 0; i < kPerSocket; ++i) {
    for (int s = 0; s < kSockets; ++s) {
      // Even ids blocked (answered at once), odd ones allowed (10 names: upstream, then cache).
      const uint16_t id = static_cast<uint16_t>(s * 100 + i);
      const std::string name = i % 2 == 0 ? "x" + std::to_string(i) + ".blocked.example"
                                          : "ok" + std::to_string(i % 10) + ".example";
      const Bytes q = testutil::query(name, kTypeA, id);
      ASSERT_EQ(::send(fds[s], q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Bytes storage;
  for (int s = 0; s < kSockets; ++s) {
    std::set<uint16_t> ids;
    for (int i = 0; i < kPerSocket; ++i) {
      const auto r = receive(fds[s], storage);
      ASSERT_TRUE(r.has_value()) << "socket " << s << ": " << i << " answers";
      const int n = r->header.id - s * 100;
      ASSERT_TRUE(n >= 0 && n < kPerSocket) << r->header.id;
      EXPECT_EQ(r->rcode(), n % 2 == 0 ? kRcodeNxDomain : kRcodeNoError) << r->header.id;
      ids.insert(r->header.id);
    }
    EXPECT_EQ(ids.size(), static_cast<size_t>(kPerSocket));
    ::close(fds[s]);
  }
  server->stop();  // the hit counter is the collector's
  EXPECT_EQ(server->counters().policyHits,
            static_cast<uint64_t>(kSockets * ((kPerSocket + 1) / 2)));
}

TEST(HitLog, WritesRecordsWithThePseudonymAndTheRoute) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mamori-hitlog-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::array<uint8_t, Pseudonymizer::kKeySize> key{};
  key.fill(7);
  HitLogOptions options;
  options.hitsFile = dir / "hits.ndjson";
  options.sensor = "resolver-1";
  options.routes = {{*IpPrefix::parse("10.0.0.0/8"), "agency.example"},
                    {*IpPrefix::parse("10.1.0.0/16"), "branch.example"}};
  std::vector<std::string> forwarded;
  options.forward = [&](std::string_view line) { forwarded.emplace_back(line); };
  auto log = HitLog::open(options, Pseudonymizer(key));
  ASSERT_TRUE(log.ok()) << log.error().message;
  auto policy = listPolicy("bad.example\n");
  HitEvent e;
  e.timeMicros = 1764115200000000;
  e.client = *IpAddress::parse("10.1.2.3");
  e.qname = *Name::fromText("WWW.Bad.example.");
  e.qtype = kTypeA;
  e.match = policy->matchQname(e.qname);
  e.policy = policy;
  (*log)->consume(std::span<const HitEvent>(&e, 1));
  ASSERT_EQ(forwarded.size(), 1u);
  const std::string& line = forwarded[0];
  EXPECT_EQ(line.find("10.1.2.3"), std::string::npos);
  const Pseudonymizer check(key);
  EXPECT_NE(line.find("\"client\":\"" + check.pseudonymize(e.client).toString() + "\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("\"targets\":[\"branch.example\"]"), std::string::npos) << line;
  EXPECT_NE(line.find("\"category\":\"dns-policy-hit\""), std::string::npos);
  EXPECT_NE(line.find("\"pattern\":\"blocklist:*.bad.example.\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"name\":\"www.bad.example.\""), std::string::npos);
  EXPECT_NE(line.find("\"first_seen\":\"2025-11-26T00:00:00.000000Z\""), std::string::npos) << line;
  std::ifstream in(options.hitsFile);
  std::string fileLine;
  ASSERT_TRUE(std::getline(in, fileLine));
  EXPECT_EQ(fileLine, line);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mamori::dns
