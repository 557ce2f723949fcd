#include "worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

#include "mamori/core/time.h"

namespace mamori::dns {

namespace {

constexpr size_t kUdpBatch = 32;
constexpr size_t kUdpQueryBuffer = 4096;           // larger UDP queries are dropped (kOversize)
constexpr size_t kBufferSize = kMaxMessage + 512;  // a full message plus room for our OPT
constexpr size_t kMaxEvents = 128;
constexpr size_t kMaxLocalHits = 4096;                    // per loop iteration
constexpr size_t kMaxQueuedHits = 1 << 16;                // waiting for the collector, per worker
constexpr size_t kMaxConnectionOutput = size_t{1} << 20;  // a client that does not read is cut
constexpr int64_t kSweepMicros = 250000;
constexpr uint8_t kMaxUdpBatchesPerEvent = 8;  // then let other sockets have their turn
// Received control messages on a wildcard listener: IP_PKTINFO or IPV6_PKTINFO, with room to spare.
constexpr size_t kUdpControlBuffer = 128;
// Clients one upstream query answers at most (coalescing). Past that, an identical question gets
// an upstream query of its own (which later ones join): a flood of one name costs one upstream
// query per 64 clients instead of SERVFAIL for legitimate clients caught in it, and a spoofed
// answer that did get through would still reach no more than 64 clients at once.
constexpr size_t kMaxWaiters = 64;

enum class Kind : uint8_t { kWake = 1, kUdp, kTcpListen, kConnection, kUpstream };

uint64_t makeTag(Kind kind, uint32_t index, uint32_t gen) {
  return (uint64_t{static_cast<uint8_t>(kind)} << 56) | (uint64_t{index & 0xFFFFFF} << 32) | gen;
}
Kind tagKind(uint64_t tag) {
  return static_cast<Kind>(tag >> 56);
}
uint32_t tagIndex(uint64_t tag) {
  return static_cast<uint32_t>((tag >> 32) & 0xFFFFFF);
}
uint32_t tagGen(uint64_t tag) {
  return static_cast<uint32_t>(tag);
}

int64_t steadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

IpAddress fromSockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    return IpAddress::v4Bytes(reinterpret_cast<const uint8_t*>(
        &sin.sin_addr));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): address bytes
  }
  if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &ss, sizeof sin6);
    return IpAddress::v6Bytes(sin6.sin6_addr.s6_addr);
  }
  return {};
}

// The 16-byte header of a response we send: its rcode for the metrics (BADVERS's upper bits sit
// in the OPT record; a FORMERR/SERVFAIL/... never needs them).
uint16_t responseRcode(std::span<const uint8_t> response) {
  return response.size() >= kHeaderSize ? static_cast<uint16_t>(response[3] & 0x0F) : 0;
}

// A forwarded or cached answer goes out with the client's RD and CD bits, AA clear (this server
// is not the zone's authority) and RA as configured.
void setForwardedFlags(uint8_t* m, const Header& query, const ResponseOptions& options) {
  m[2] = static_cast<uint8_t>((m[2] & ~0x05) | (query.rd ? 0x01 : 0));
  m[3] = static_cast<uint8_t>((m[3] & ~0x90) | (query.cd ? 0x10 : 0) |
                              (options.recursionAvailable ? 0x80 : 0));
}

// 12 bytes standing in for a query's wire form when the writer works from a QueryInfo: it only
// checks that a header was there.
constexpr std::array<uint8_t, kHeaderSize> kHeaderStandIn{};

template <typename T>
void setReplySource(ReplySource& out, int level, int type, const T& value) {
  static_assert(CMSG_SPACE(sizeof(T)) <= sizeof(out.control));
  msghdr m{};
  m.msg_control = out.control.data();
  m.msg_controllen = out.control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof(T));
  std::memcpy(CMSG_DATA(c), &value, sizeof(T));
  out.length = CMSG_SPACE(sizeof(T));
}

// Where the answer to a datagram received on a wildcard listener must come from. IPv4: the
// kernel's ipi_spec_dst (the destination itself for unicast; for a broadcast, the address of the
// interface it came in on), with interface 0 so that routing chooses the way back as for any
// other packet. IPv6: the destination, with the interface kept only for a link-local one, whose
// scope needs it. Nothing (the kernel's choice) for a multicast destination or without the
// control message.
void replySourceFrom(msghdr& received, ReplySource& out) {
  out.length = 0;
  if ((received.msg_flags & MSG_CTRUNC) != 0) return;
  for (cmsghdr* c = CMSG_FIRSTHDR(&received); c != nullptr; c = CMSG_NXTHDR(&received, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo got{};
      std::memcpy(&got, CMSG_DATA(c), sizeof got);
      in_pktinfo send{};
      send.ipi_spec_dst = got.ipi_spec_dst;
      setReplySource(out, IPPROTO_IP, IP_PKTINFO, send);
      return;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo got{};
      std::memcpy(&got, CMSG_DATA(c), sizeof got);
      if (IN6_IS_ADDR_MULTICAST(&got.ipi6_addr)) return;
      in6_pktinfo send{};
      send.ipi6_addr = got.ipi6_addr;
      send.ipi6_ifindex = IN6_IS_ADDR_LINKLOCAL(&got.ipi6_addr) ? got.ipi6_ifindex : 0;
      setReplySource(out, IPPROTO_IPV6, IPV6_PKTINFO, send);
      return;
    }
  }
}

}  // namespace

Message Worker::QueryInfo::asMessage() const {
  Message m;
  m.wire = kHeaderStandIn;
  m.header = header;
  m.hasQuestion = true;
  m.question = question;
  m.edns.present = ednsPresent;
  m.edns.dnssecOk = dnssecOk;
  return m;
}

Worker::Worker(Server::Impl& server)
    : server_(server),
      out_(kBufferSize),
      upstream_(kBufferSize),
      chase_(kBufferSize),
      inFlightKey_(randomSipKey()) {
  localHits_.reserve(256);
  // About one bucket per upstream query the worker may have in flight (chains stay short).
  inFlight_.assign(
      std::bit_ceil(std::clamp<size_t>(server_.options.maxPendingPerThread, 64, size_t{1} << 16)),
      kNoSlot);
}

Worker::~Worker() {
  for (Pending& p : pending_) closeUpstreamFd(p);
  for (Connection& c : connections_) {
    if (c.active) ::close(c.fd);
  }
  for (const UdpListener& u : udp_) ::close(u.fd);
  for (const int fd : tcpFds_) ::close(fd);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (epoll_ >= 0) ::close(epoll_);
}

Result<void> Worker::init(const std::vector<UdpListener>& udp, const std::vector<int>& tcpFds) {
  udp_ = udp;
  tcpFds_ = tcpFds;
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wakeFd_ < 0) {
    return makeError("epoll: " + std::error_code(errno, std::generic_category()).message());
  }
  auto add = [&](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  bool ok = add(wakeFd_, makeTag(Kind::kWake, 0, 0));
  for (size_t i = 0; i < udp_.size(); ++i) {
    ok = ok && add(udp_[i].fd, makeTag(Kind::kUdp, static_cast<uint32_t>(i), 0));
  }
  for (size_t i = 0; i < tcpFds_.size(); ++i) {
    ok = ok && add(tcpFds_[i], makeTag(Kind::kTcpListen, static_cast<uint32_t>(i), 0));
  }
  if (!ok)
    return makeError("epoll_ctl: " + std::error_code(errno, std::generic_category()).message());
  return {};
}

void Worker::wake() {
  const uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
}

void Worker::run() {
  // The hold is tens of microseconds: the default timer slack (50 us) would double it.
  if (server_.options.udpHold.count() > 0) (void)::prctl(PR_SET_TIMERSLACK, 1000UL);
  std::array<epoll_event, kMaxEvents> events{};
  now_ = steadyMicros();
  wallNow_ = nowMicros();
  refreshPolicy();
  while (!server_.stopping.load(std::memory_order_relaxed)) {
    int timeoutMs = 1000;
    if (!deadlines_.empty()) {
      const int64_t wait = (deadlines_.top().at - now_ + 999) / 1000;
      timeoutMs = static_cast<int>(std::clamp<int64_t>(wait, 0, timeoutMs));
    }
    if (!connections_.empty())
      timeoutMs = std::min(timeoutMs, static_cast<int>(kSweepMicros / 1000));
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeoutMs);
    now_ = steadyMicros();
    wallNow_ = nowMicros();
    refreshPolicy();
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
      const uint32_t what = events[static_cast<size_t>(i)].events;
      switch (tagKind(tag)) {
        case Kind::kWake: {
          uint64_t value = 0;
          (void)!::read(wakeFd_, &value, sizeof value);
          break;
        }
        case Kind::kUdp:
          onUdpReadable(udp_[tagIndex(tag)]);
          break;
        case Kind::kTcpListen:
          onTcpAccept(tcpFds_[tagIndex(tag)]);
          break;
        case Kind::kConnection:
          if (tagIndex(tag) < connections_.size() && connections_[tagIndex(tag)].active &&
              connections_[tagIndex(tag)].gen == tagGen(tag)) {
            onConnectionEvent(tagIndex(tag), what);
          }
          break;
        case Kind::kUpstream:
          if (tagIndex(tag) < pending_.size() && pending_[tagIndex(tag)].active &&
              pending_[tagIndex(tag)].gen == tagGen(tag)) {
            onUpstreamEvent(tagIndex(tag), what);
          }
          break;
      }
    }
    expireDeadlines();
    resumeConnections();
    if (now_ - lastSweep_ >= kSweepMicros) {
      sweepConnections();
      lastSweep_ = now_;
    }
    flushHits();
  }
  flushHits();
}

void Worker::refreshPolicy() {
  const uint64_t gen = server_.policyGeneration.load(std::memory_order_acquire);
  if (gen == policyGen_) return;
  policy_ = server_.currentPolicy();
  policyGen_ = gen;
  soas_.clear();
  for (const PolicySourceInfo& source : policy_->sources()) soas_.push_back(negativeSoaFor(source));
}

IpAddress Worker::clientAddress(const ClientRef& client) const {
  if (client.tcp) return connections_[client.connection].client;
  return client.address != nullptr ? fromSockaddr(*client.address) : IpAddress();
}

void Worker::countAnswer(bool tcp, uint16_t qtype, std::span<const uint8_t> response) {
  counters_.answers[tcp ? 1 : 0][qtypeSlot(qtype)][rcodeSlot(responseRcode(response))].add();
}

void Worker::recordHit(const IpAddress& client, const Name& qname, uint16_t qtype, bool tcp,
                       const PolicyMatch& match, bool newDomain) {
  if (localHits_.size() >= kMaxLocalHits) {
    counters_.hitsDropped.add();
    return;
  }
  HitEvent& e = localHits_.emplace_back();
  e.timeMicros = wallNow_;
  e.client = client;
  e.qname = qname;
  e.qtype = qtype;
  e.tcp = tcp;
  e.newDomain = newDomain;
  e.match = match;
  e.policy = policy_;
}

void Worker::flushHits() {
  if (localHits_.empty()) return;
  size_t lost = 0;
  hitQueue_.with([&](std::vector<HitEvent>& queue) {
    for (HitEvent& e : localHits_) {
      if (queue.size() >= kMaxQueuedHits) {
        ++lost;
        continue;
      }
      queue.push_back(std::move(e));
    }
  });
  if (lost > 0) counters_.hitsDropped.add(lost);
  localHits_.clear();
}

// ---- UDP ----

void Worker::onUdpReadable(const UdpListener& listener) {
  struct Slot {
    std::array<uint8_t, kUdpQueryBuffer> data;
    sockaddr_storage address;
    iovec iov;
    alignas(cmsghdr) std::array<uint8_t, kUdpControlBuffer> control;  // received (wildcard only)
    ReplySource source;                                               // to answer from
  };
  // Static per thread: 32 x 4 KiB is too much for the stack of every worker's frame.
  thread_local std::vector<Slot> slots(kUdpBatch);
  thread_local std::vector<std::vector<uint8_t>> replyData(kUdpBatch);
  std::array<mmsghdr, kUdpBatch> in{};
  std::array<mmsghdr, kUdpBatch> outMsgs{};
  std::array<iovec, kUdpBatch> outIov{};

  for (uint8_t round = 0; round < kMaxUdpBatchesPerEvent; ++round) {
    for (size_t i = 0; i < kUdpBatch; ++i) {
      Slot& s = slots[i];
      s.iov = iovec{s.data.data(), s.data.size()};
      in[i] = mmsghdr{};
      in[i].msg_hdr.msg_name = &s.address;
      in[i].msg_hdr.msg_namelen = sizeof s.address;
      in[i].msg_hdr.msg_iov = &s.iov;
      in[i].msg_hdr.msg_iovlen = 1;
      if (listener.pktinfo) {
        in[i].msg_hdr.msg_control = s.control.data();
        in[i].msg_hdr.msg_controllen = s.control.size();
      }
    }
    int n = ::recvmmsg(listener.fd, in.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0 && round > 0 && server_.options.udpHold.count() > 0) {
      // Answered a batch and the socket is dry: hold, then read what came meanwhile as one batch.
      const auto us = server_.options.udpHold.count();
      const timespec hold{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
      (void)::nanosleep(&hold, nullptr);
      n = ::recvmmsg(listener.fd, in.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
      now_ = steadyMicros();
      wallNow_ = nowMicros();
    }
    if (n <= 0) return;
    size_t replyCount = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      Slot& s = slots[i];
      if ((in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        counters_.drops[static_cast<size_t>(DropReason::kOversize)].add();
        continue;
      }
      ClientRef client;
      client.udpFd = listener.fd;
      client.address = &s.address;
      client.addressLength = in[i].msg_hdr.msg_namelen;
      if (listener.pktinfo) {
        replySourceFrom(in[i].msg_hdr, s.source);
        client.source = &s.source;
      }
      size_t length = 0;
      const auto wire = std::span<const uint8_t>(s.data.data(), in[i].msg_len);
      if (handleQuery(wire, client, length) != Disposition::kReply) continue;
      // The response goes out with the batch; its bytes move to a per-slot buffer because out_
      // is reused by the next query.
      std::vector<uint8_t>& data = replyData[replyCount];
      data.assign(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(length));
      outIov[replyCount] = iovec{data.data(), data.size()};
      outMsgs[replyCount] = mmsghdr{};
      outMsgs[replyCount].msg_hdr.msg_name = &s.address;
      outMsgs[replyCount].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
      outMsgs[replyCount].msg_hdr.msg_iov = &outIov[replyCount];
      outMsgs[replyCount].msg_hdr.msg_iovlen = 1;
      if (listener.pktinfo && s.source.length > 0) {
        outMsgs[replyCount].msg_hdr.msg_control = s.source.control.data();
        outMsgs[replyCount].msg_hdr.msg_controllen = s.source.length;
      }
      ++replyCount;
    }
    size_t sent = 0;
    while (sent < replyCount) {
      const int m =
          ::sendmmsg(listener.fd, &outMsgs[sent], static_cast<unsigned>(replyCount - sent), 0);
      if (m > 0) {
        sent += static_cast<size_t>(m);
        continue;
      }
      // A full socket buffer: UDP may lose answers, the client retries.
      if (m == 0 || errno == EAGAIN || errno == EWOULDBLOCK) break;
      // This one answer cannot go (its source address was just removed, the client's network is
      // unreachable...): the rest of the batch still can.
      ++sent;
    }
    // Not back to epoll_wait yet, even after a short batch: under load more datagrams arrived
    // while these were answered, and one more recvmmsg is cheaper than a wait plus a wake-up
    // (bench/RESULTS.md, Protective DNS).
  }
}

// ---- the query path ----

Worker::Disposition Worker::handleQuery(std::span<const uint8_t> wire, const ClientRef& client,
                                        size_t& length) {
  const ParseError error = parseMessage(wire, query_);
  if (wire.size() < kHeaderSize) {
    counters_.malformed[static_cast<size_t>(ParseError::kTruncatedHeader)].add();
    counters_.drops[static_cast<size_t>(DropReason::kShortHeader)].add();
    return Disposition::kNoReply;
  }
  if (query_.header.qr) {
    counters_.drops[static_cast<size_t>(DropReason::kResponse)].add();
    return Disposition::kNoReply;
  }
  if (!client.tcp && !server_.options.allowedClients.empty() &&
      !server_.allowed.contains(clientAddress(client))) {
    counters_.drops[static_cast<size_t>(DropReason::kNotAllowed)].add();
    return Disposition::kNoReply;
  }
  const bool tcp = client.tcp;
  const size_t limit = responseLimit(query_, tcp, server_.options.response.udpPayloadSize);
  const ResponseOptions& options = server_.options.response;
  const uint16_t qtype = query_.hasQuestion ? query_.question.type : 0;
  auto reply = [&](uint16_t rcode) {
    length = writeErrorResponse(query_, rcode, out_, limit, options);
    if (length == 0) return Disposition::kNoReply;
    counters_.answers[tcp ? 1 : 0][qtypeSlot(qtype)][rcodeSlot(rcode)].add();
    return Disposition::kReply;
  };
  if (error != ParseError::kNone) {
    counters_.malformed[std::min(static_cast<size_t>(error), kParseErrorSlots - 1)].add();
    return reply(kRcodeFormErr);
  }
  // RFC 1035 4.1.1: NOTIMP for a kind of query the server does not support (as BIND, Unbound
  // and PowerDNS answer other opcodes).
  if (query_.header.opcode != kOpcodeQuery) return reply(kRcodeNotImp);
  if (!query_.hasQuestion) return reply(kRcodeFormErr);
  if (query_.edns.present && query_.edns.version != 0)
    return reply(kRcodeBadVers);  // RFC 6891 6.1.3
  // Only the Internet class is forwarded; zone transfers and the obsolete MAILA/MAILB are not a
  // resolver's business.
  if (query_.question.qclass != kClassIn) return reply(kRcodeRefused);
  if (qtype == 251 || qtype == 252) return reply(kRcodeRefused);
  if (qtype == 253 || qtype == 254) return reply(kRcodeNotImp);

  const PolicyMatch match = policy_->matchQname(query_.question.name);
  bool checkResponseIp = policy_->hasResponseIpTriggers();
  size_t sourceLimit = SIZE_MAX;
  const Name& qname = query_.question.name;
  auto hit = [&] { recordHit(clientAddress(client), qname, qtype, tcp, match); };
  switch (match.action) {
    case PolicyAction::kNone:
      break;
    case PolicyAction::kAllow:
      checkResponseIp = false;
      break;
    case PolicyAction::kPassthru:
      hit();
      sourceLimit = match.source;
      break;
    case PolicyAction::kNxdomain:
    case PolicyAction::kNodata:
      hit();
      length = writePolicyNegative(
          query_, match.action == PolicyAction::kNxdomain ? kRcodeNxDomain : kRcodeNoError,
          soas_[match.source], match.ttl, out_, limit, options);
      if (length == 0) return Disposition::kNoReply;
      countAnswer(tcp, qtype, std::span(out_).first(length));
      return Disposition::kReply;
    case PolicyAction::kDrop:
      hit();
      counters_.drops[static_cast<size_t>(DropReason::kPolicy)].add();
      return Disposition::kNoReply;
    case PolicyAction::kTcpOnly:
      hit();
      if (!tcp) {
        length = writeTruncated(query_, out_, limit, options);
        if (length == 0) return Disposition::kNoReply;
        countAnswer(tcp, qtype, std::span(out_).first(length));
        return Disposition::kReply;
      }
      break;
    case PolicyAction::kLocalData: {
      hit();
      const LocalData& data = *match.localData;
      if (!data.hasCname) {
        length = writeLocalData(query_, data, soas_[match.source], match.ttl, out_, limit, options);
        if (length == 0) return Disposition::kNoReply;
        countAnswer(tcp, qtype, std::span(out_).first(length));
        return Disposition::kReply;
      }
      auto target = match.cnameTarget(qname);
      if (!target.ok()) return reply(kRcodeServFail);
      if (qtype == kTypeCname) {
        length = writeCnameAnswer(query_, *target, data.cnameTtl, nullptr, out_, limit, options);
        if (length == 0) return Disposition::kNoReply;
        countAnswer(tcp, qtype, std::span(out_).first(length));
        return Disposition::kReply;
      }
      // The garden's answer comes from upstream like any other, behind the CNAME.
      return resolve(query_, client, *target, false, SIZE_MAX, &match, length);
    }
  }
  return resolve(query_, client, qname, checkResponseIp, sourceLimit, nullptr, length);
}

Worker::Disposition Worker::resolve(const Message& query, const ClientRef& client,
                                    const Name& resolveName, bool checkResponseIp,
                                    size_t sourceLimit, const PolicyMatch* cname, size_t& length) {
  const bool tcp = client.tcp;
  const size_t limit = responseLimit(query, tcp, server_.options.response.udpPayloadSize);
  const ResponseOptions& options = server_.options.response;
  const uint16_t qtype = query.question.type;
  const bool dnssecOk = query.edns.dnssecOk;

  // 1. The cache.
  std::span<uint8_t> hitBuffer =
      cname != nullptr ? std::span<uint8_t>(chase_) : std::span<uint8_t>(out_);
  const auto hit = server_.cache.lookup(resolveName, qtype, query.question.qclass, dnssecOk,
                                        query.header.id, now_, hitBuffer);
  if (hit) {
    if (cname != nullptr) {
      if (parseMessage(hitBuffer.first(hit->length), answer_) != ParseError::kNone) {
        length = 0;
        return Disposition::kNoReply;
      }
      length = writeCnameAnswer(query, resolveName, cname->localData->cnameTtl, &answer_, out_,
                                limit, options);
    } else {
      if (checkResponseIp) {
        if (parseMessage(hitBuffer.first(hit->length), answer_) == ParseError::kNone) {
          const PolicyMatch m = matchAnswerAddresses(answer_, *policy_, sourceLimit);
          if (m.matched() && m.action != PolicyAction::kPassthru) {
            return answerResponseIp(m, query, tcp, clientAddress(client), length);
          }
          // PASSTHRU (a hub "monitor" indicator): answered as is, but it is a sighting.
          if (m.matched()) recordHit(clientAddress(client), query.question.name, qtype, tcp, m);
        }
      }
      setForwardedFlags(out_.data(), query.header, options);
      length = fitResponse(out_, hit->length, query, limit, options);
    }
    if (length == 0) return Disposition::kNoReply;
    countAnswer(tcp, qtype, std::span(out_).first(length));
    return Disposition::kReply;
  }

  // 2. Upstream: join the query already in flight for this question, if any, else send one.
  const bool cd = query.header.cd;
  const uint64_t hash = questionHash(resolveName, qtype, query.question.qclass, cd, dnssecOk);
  const uint32_t joined =
      findInFlight(hash, resolveName, qtype, query.question.qclass, cd, dnssecOk);
  if (joined != kNoSlot) {
    fillWaiter(pending_[joined].waiters.emplace_back(), query, client, limit, checkResponseIp,
               sourceLimit, cname);
    if (tcp) ++connections_[client.connection].inFlight;
    counters_.coalesced.add();
    return Disposition::kPending;
  }
  if (pendingCount_ >= server_.options.maxPendingPerThread) {
    counters_.overload.add();
    length = writeErrorResponse(query, kRcodeServFail, out_, limit, options);
    if (length == 0) return Disposition::kNoReply;
    countAnswer(tcp, qtype, std::span(out_).first(length));
    return Disposition::kReply;
  }
  uint32_t slot = 0;
  if (!freePending_.empty()) {
    slot = freePending_.back();
    freePending_.pop_back();
  } else {
    slot = static_cast<uint32_t>(pending_.size());
    pending_.emplace_back();
  }
  Pending& p = pending_[slot];
  p.active = true;
  ++p.gen;
  ++pendingCount_;
  p.waiters.clear();
  fillWaiter(p.waiters.emplace_back(), query, client, limit, checkResponseIp, sourceLimit, cname);
  p.resolveName = resolveName;
  p.qtype = qtype;
  p.qclass = query.question.qclass;
  p.checkingDisabled = cd;
  p.dnssecOk = dnssecOk;
  p.questionHash = hash;
  uint32_t& head = inFlight_[hash & (inFlight_.size() - 1)];
  p.nextInFlight = head;
  head = slot;
  p.fd = -1;
  p.attempts = 0;
  p.triedMask = 0;
  p.upstreamTcp = false;
  p.tcpSent = false;
  p.tcpHave = 0;
  if (tcp) ++connections_[client.connection].inFlight;
  if (!sendUpstream(slot)) {
    // No socket could be had (descriptor limit): an answer now beats a timeout later.
    counters_.overload.add();
    if (tcp) --connections_[client.connection].inFlight;
    releasePending(slot);
    length = writeErrorResponse(query, kRcodeServFail, out_, limit, options);
    if (length == 0) return Disposition::kNoReply;
    countAnswer(tcp, qtype, std::span(out_).first(length));
    return Disposition::kReply;
  }
  return Disposition::kPending;
}

void Worker::fillWaiter(Waiter& w, const Message& query, const ClientRef& client, size_t limit,
                        bool checkResponseIp, size_t sourceLimit, const PolicyMatch* cname) const {
  w.tcpClient = client.tcp;
  w.udpFd = client.udpFd;
  w.clientAddressLength = 0;
  if (!client.tcp && client.address != nullptr) {
    w.clientAddress = *client.address;
    w.clientAddressLength = client.addressLength;
  }
  w.replySource.length = 0;
  if (client.source != nullptr) w.replySource = *client.source;
  w.connection = client.connection;
  w.connectionGen = client.connectionGen;
  w.client = clientAddress(client);
  w.query.header = query.header;
  w.query.question = query.question;
  w.query.ednsPresent = query.edns.present;
  w.query.dnssecOk = query.edns.dnssecOk;
  w.query.limit = limit;
  w.cnameChase = cname != nullptr;
  w.cnameTtl = cname != nullptr ? cname->localData->cnameTtl : 0;
  w.checkResponseIp = checkResponseIp;
  w.sourceLimit = sourceLimit;
}

uint64_t Worker::questionHash(const Name& name, uint16_t qtype, uint16_t qclass, bool cd,
                              bool dnssecOk) const {
  std::array<uint8_t, kMaxNameWire + 5> key{};
  const Name lower = name.lowercased();
  const auto wire = lower.wire();
  std::copy(wire.begin(), wire.end(), key.begin());
  uint8_t* tail = key.data() + wire.size();
  store16(tail, qtype);
  store16(tail + 2, qclass);
  tail[4] = static_cast<uint8_t>((cd ? 1 : 0) | (dnssecOk ? 2 : 0));
  return sipHash24(inFlightKey_, std::span<const uint8_t>(key.data(), wire.size() + 5));
}

uint32_t Worker::findInFlight(uint64_t hash, const Name& name, uint16_t qtype, uint16_t qclass,
                              bool cd, bool dnssecOk) const {
  for (uint32_t slot = inFlight_[hash & (inFlight_.size() - 1)]; slot != kNoSlot;
       slot = pending_[slot].nextInFlight) {
    const Pending& p = pending_[slot];
    if (p.questionHash == hash && p.qtype == qtype && p.qclass == qclass &&
        p.checkingDisabled == cd && p.dnssecOk == dnssecOk && p.waiters.size() < kMaxWaiters &&
        p.resolveName == name) {
      return slot;
    }
  }
  return kNoSlot;
}

void Worker::unlinkInFlight(uint32_t slot) {
  uint32_t* link = &inFlight_[pending_[slot].questionHash & (inFlight_.size() - 1)];
  while (*link != kNoSlot) {
    if (*link == slot) {
      *link = pending_[slot].nextInFlight;
      return;
    }
    link = &pending_[*link].nextInFlight;
  }
}

Worker::Disposition Worker::answerResponseIp(const PolicyMatch& match, const Message& query,
                                             bool tcp, const IpAddress& client, size_t& length) {
  const uint16_t qtype = query.question.type;
  recordHit(client, query.question.name, qtype, tcp, match);
  const ResponseOptions& options = server_.options.response;
  const size_t limit = responseLimit(query, tcp, options.udpPayloadSize);
  const NegativeSoa& soa = soas_[match.source];
  switch (match.action) {
    case PolicyAction::kDrop:
      counters_.drops[static_cast<size_t>(DropReason::kPolicy)].add();
      return Disposition::kNoReply;
    case PolicyAction::kNxdomain:
      length = writePolicyNegative(query, kRcodeNxDomain, soa, match.ttl, out_, limit, options);
      break;
    case PolicyAction::kTcpOnly:
      length = tcp ? writePolicyNegative(query, kRcodeNoError, soa, match.ttl, out_, limit, options)
                   : writeTruncated(query, out_, limit, options);
      break;
    case PolicyAction::kLocalData:
      if (match.localData->hasCname) {
        auto target = match.cnameTarget(query.question.name);
        length = target.ok() ? writeCnameAnswer(query, *target, match.localData->cnameTtl, nullptr,
                                                out_, limit, options)
                             : writeErrorResponse(query, kRcodeServFail, out_, limit, options);
      } else {
        length = writeLocalData(query, *match.localData, soa, match.ttl, out_, limit, options);
      }
      break;
    default:  // NODATA (PASSTHRU never gets here)
      length = writePolicyNegative(query, kRcodeNoError, soa, match.ttl, out_, limit, options);
      break;
  }
  if (length == 0) return Disposition::kNoReply;
  countAnswer(tcp, qtype, std::span(out_).first(length));
  return Disposition::kReply;
}

// ---- upstreams ----

bool Worker::sendUpstream(uint32_t slot) {
  Pending& p = pending_[slot];
  const size_t index = server_.pickUpstream(upstreamCursor_, p.triedMask);
  const UpstreamState& u = *server_.upstreams[index];
  const int fd = ::socket(u.address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // Connected: the kernel picks a random ephemeral source port and drops datagrams from any
  // other address or port, so only the upstream itself (or a spoofer guessing the port, id and
  // case) can answer.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&u.address), u.addressLength) !=
      0) {  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
    ::close(fd);
    return false;
  }
  p.fd = fd;
  p.upstream = static_cast<uint16_t>(index);
  ++p.attempts;
  p.triedMask |= uint32_t{1} << index;
  p.upstreamId = random_.next16();
  p.sentName = randomizeCase(p.resolveName, random_);
  p.upstreamTcp = false;
  std::array<uint8_t, 512> buf{};
  const size_t n =
      writeUpstreamQuery(buf, p.upstreamId, p.sentName, p.qtype, p.qclass, p.checkingDisabled,
                         p.dnssecOk, server_.options.response.udpPayloadSize);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = makeTag(Kind::kUpstream, slot, p.gen);
  if (n == 0 || ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    closeUpstreamFd(p);
    return false;
  }
  // A failed send (no route, buffer full) is left to the timeout, which tries the next upstream.
  (void)!::send(fd, buf.data(), n, MSG_DONTWAIT);
  counters_.upQueries[index].add();
  p.attemptStart = now_;
  p.deadline =
      now_ + std::chrono::duration_cast<std::chrono::microseconds>(server_.options.upstreamTimeout)
                 .count();
  deadlines_.push(Deadline{p.deadline, slot, p.gen});
  return true;
}

void Worker::closeUpstreamFd(Pending& p) {
  if (p.fd >= 0) {
    ::close(p.fd);  // also leaves the epoll set
    p.fd = -1;
  }
}

void Worker::releasePending(uint32_t slot) {
  Pending& p = pending_[slot];
  closeUpstreamFd(p);
  unlinkInFlight(slot);
  p.waiters.clear();
  p.active = false;
  p.tcpBuffer.clear();
  p.tcpBuffer.shrink_to_fit();
  --pendingCount_;
  freePending_.push_back(slot);
}

void Worker::expireDeadlines() {
  while (!deadlines_.empty() && deadlines_.top().at <= now_) {
    const Deadline d = deadlines_.top();
    deadlines_.pop();
    if (d.slot >= pending_.size()) continue;
    Pending& p = pending_[d.slot];
    if (!p.active || p.gen != d.gen || p.deadline != d.at) continue;  // answered or moved on
    upstreamFailed(d.slot, true);
  }
}

void Worker::upstreamFailed(uint32_t slot, bool timeout) {
  Pending& p = pending_[slot];
  // A refused or broken exchange counts against the upstream's health like a timeout.
  (timeout ? counters_.upTimeouts : counters_.upErrors)[p.upstream].add();
  server_.upstreamTimedOut(p.upstream);
  closeUpstreamFd(p);
  if (p.attempts < server_.options.attempts && sendUpstream(slot)) return;
  failPending(slot, kRcodeServFail);
}

void Worker::failPending(uint32_t slot, uint16_t rcode) {
  Pending& p = pending_[slot];
  for (Waiter& w : p.waiters) {
    const Message q = w.query.asMessage();
    const size_t length =
        writeErrorResponse(q, rcode, out_, w.query.limit, server_.options.response);
    replyWaiter(w, std::span(out_).first(length));
  }
  releasePending(slot);
}

void Worker::replyWaiter(Waiter& w, std::span<const uint8_t> response, bool count) {
  if (w.tcpClient) {
    if (w.connection >= connections_.size()) return;
    Connection& c = connections_[w.connection];
    if (!c.active || c.gen != w.connectionGen) {
      counters_.drops[static_cast<size_t>(DropReason::kClientGone)].add();
      return;
    }
    --c.inFlight;
    if (!response.empty()) {
      if (count) countAnswer(true, w.query.question.type, response);
      sendOnConnection(w.connection, response);
    } else if (c.readClosed && c.inFlight == 0 && c.outOffset == c.out.size()) {
      closeConnection(w.connection);
    }
    // Queries that waited in the buffer while the pipeline was full are taken up after this
    // round of events, not from in here (the caller still holds references into pending_).
    if (c.active && c.readPaused && c.inFlight < server_.options.maxTcpPipeline) {
      resume_.emplace_back(w.connection, c.gen);
    }
    return;
  }
  if (response.empty()) return;
  if (count) countAnswer(false, w.query.question.type, response);
  // The writer never writes through msg_iov: the const_cast only fits the sendmsg API.
  iovec iov{const_cast<uint8_t*>(response.data()), response.size()};
  msghdr m{};
  m.msg_name = &w.clientAddress;
  m.msg_namelen = w.clientAddressLength;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (w.replySource.length > 0) {
    m.msg_control = w.replySource.control.data();
    m.msg_controllen = w.replySource.length;
  }
  (void)!::sendmsg(w.udpFd, &m, MSG_DONTWAIT);
}

void Worker::onUpstreamEvent(uint32_t slot, uint32_t events) {
  Pending& p = pending_[slot];
  const uint32_t gen = p.gen;
  if (!p.upstreamTcp) {
    const int fd = p.fd;
    for (;;) {
      const ssize_t n = ::recv(fd, upstream_.data(), upstream_.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        // ECONNREFUSED: an ICMP port unreachable for the connected socket. Next upstream.
        upstreamFailed(slot, false);
        return;
      }
      onUpstreamAnswer(slot, upstream_, static_cast<size_t>(n));
      if (!p.active || p.gen != gen || p.fd != fd) return;
    }
  }
  // TCP fallback: connect, send the query once, read the length-prefixed answer.
  if ((events & (EPOLLERR | EPOLLHUP)) != 0 && !p.tcpSent) {
    upstreamFailed(slot, false);
    return;
  }
  if (!p.tcpSent && (events & EPOLLOUT) != 0) {
    const ssize_t n = ::send(p.fd, p.tcpBuffer.data(), p.tcpBuffer.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(p.tcpBuffer.size())) {  // a few hundred bytes fit or fail
      upstreamFailed(slot, false);
      return;
    }
    p.tcpSent = true;
    p.tcpHave = 0;
    p.tcpBuffer.assign(2, 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = makeTag(Kind::kUpstream, slot, p.gen);
    (void)::epoll_ctl(epoll_, EPOLL_CTL_MOD, p.fd, &ev);
    return;
  }
  if (!p.tcpSent || (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return;
  for (;;) {
    const ssize_t n =
        ::recv(p.fd, p.tcpBuffer.data() + p.tcpHave, p.tcpBuffer.size() - p.tcpHave, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
      upstreamFailed(slot, false);
      return;
    }
    p.tcpHave += static_cast<size_t>(n);
    if (p.tcpHave < p.tcpBuffer.size()) continue;
    if (p.tcpBuffer.size() == 2) {
      const size_t length = load16(p.tcpBuffer.data());
      if (length < kHeaderSize) {
        upstreamFailed(slot, false);
        return;
      }
      p.tcpBuffer.resize(2 + length);
      continue;
    }
    const size_t length = p.tcpBuffer.size() - 2;
    std::copy(p.tcpBuffer.begin() + 2, p.tcpBuffer.end(), upstream_.begin());
    onUpstreamAnswer(slot, upstream_, length);
    if (p.active && p.gen == gen && p.upstreamTcp) {
      upstreamFailed(slot, false);  // not accepted (spoofed or malformed over TCP): give up on it
    }
    return;
  }
}

void Worker::startTcpFallback(uint32_t slot) {
  Pending& p = pending_[slot];
  closeUpstreamFd(p);
  counters_.upTcp[p.upstream].add();
  const UpstreamState& u = *server_.upstreams[p.upstream];
  const int fd = ::socket(u.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failPending(slot, kRcodeServFail);
    return;
  }
  p.fd = fd;
  p.upstreamTcp = true;
  p.tcpSent = false;
  p.tcpBuffer.assign(2 + 512, 0);
  const size_t n = writeUpstreamQuery(std::span(p.tcpBuffer).subspan(2), p.upstreamId, p.sentName,
                                      p.qtype, p.qclass, p.checkingDisabled, p.dnssecOk,
                                      server_.options.response.udpPayloadSize);
  store16(p.tcpBuffer.data(), static_cast<uint16_t>(n));
  p.tcpBuffer.resize(2 + n);
  const int rc = ::connect(
      fd, reinterpret_cast<const sockaddr*>(&u.address),
      u.addressLength);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLIN;
  ev.data.u64 = makeTag(Kind::kUpstream, slot, p.gen);
  if ((rc != 0 && errno != EINPROGRESS) || n == 0 ||
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    upstreamFailed(slot, false);
    return;
  }
  p.deadline = now_ + 2 * std::chrono::duration_cast<std::chrono::microseconds>(
                              server_.options.upstreamTimeout)
                              .count();
  deadlines_.push(Deadline{p.deadline, slot, p.gen});
}

void Worker::onUpstreamAnswer(uint32_t slot, std::span<uint8_t> buffer, size_t length) {
  Pending& p = pending_[slot];
  const auto wire = std::span<const uint8_t>(buffer.data(), length);
  if (parseMessage(wire, answer_) != ParseError::kNone) {
    counters_.upMalformed[p.upstream].add();
    return;
  }
  const UpstreamVerdict verdict =
      verifyUpstreamAnswer(answer_, p.upstreamId, p.sentName, p.qtype, p.qclass);
  if (verdict != UpstreamVerdict::kAccept) {
    counters_.upSpoofed[p.upstream].add();
    return;
  }
  const uint64_t micros = static_cast<uint64_t>(std::max<int64_t>(0, now_ - p.attemptStart));
  size_t bucket = 0;
  while (bucket < kLatencyBoundsMicros.size() && micros > kLatencyBoundsMicros[bucket]) ++bucket;
  counters_.latency[p.upstream][bucket].add();
  counters_.latencySumMicros[p.upstream].add(micros);
  server_.upstreamAnswered(p.upstream);

  if (answer_.header.tc && !p.upstreamTcp) {
    startTcpFallback(slot);
    return;
  }
  const uint16_t rcode = answer_.rcode();
  if ((rcode == kRcodeServFail || rcode == kRcodeRefused || rcode == kRcodeNotImp) &&
      p.attempts < server_.options.attempts) {
    counters_.upErrors[p.upstream].add();
    closeUpstreamFd(p);
    if (sendUpstream(slot)) return;
    failPending(slot, kRcodeServFail);
    return;
  }
  (void)server_.cache.insert(answer_, p.dnssecOk, now_);
  if (server_.options.newDomainMemory > 0 && rcode == kRcodeNoError) {
    // A first sighting is about the name: recorded once, for the first client that asked it
    // (not one that asked a name the policy rewrote to it).
    const auto asked = std::find_if(p.waiters.begin(), p.waiters.end(),
                                    [](const Waiter& w) { return !w.cnameChase; });
    if (asked != p.waiters.end() && server_.seen.with([&](SeenNames& seen) {
          return seen.insert(p.resolveName.lowercased());
        })) {
      recordHit(asked->client, asked->query.question.name, p.qtype, asked->tcpClient, {}, true);
    }
  }
  deliver(slot, buffer.first(length), answer_);
}

void Worker::deliver(uint32_t slot, std::span<const uint8_t> wire, const Message& answer) {
  Pending& p = pending_[slot];
  // Nothing in here adds to pending_ or to the waiters: the references stay valid.
  for (Waiter& w : p.waiters) answerWaiter(w, p.resolveName, wire, answer);
  releasePending(slot);
}

void Worker::answerWaiter(Waiter& w, const Name& resolved, std::span<const uint8_t> wire,
                          const Message& answer) {
  const Message q = w.query.asMessage();
  const ResponseOptions& options = server_.options.response;
  if (w.cnameChase) {
    const size_t n =
        writeCnameAnswer(q, resolved, w.cnameTtl, &answer, out_, w.query.limit, options);
    replyWaiter(w, std::span(out_).first(n));
    return;
  }
  if (w.checkResponseIp) {
    const PolicyMatch m = matchAnswerAddresses(answer, *policy_, w.sourceLimit);
    if (m.matched() && m.action != PolicyAction::kPassthru) {
      size_t n = 0;
      if (answerResponseIp(m, q, w.tcpClient, w.client, n) != Disposition::kReply) n = 0;
      replyWaiter(w, std::span(out_).first(n), false);  // answerResponseIp counted it
      return;
    }
    if (m.matched()) recordHit(w.client, q.question.name, q.question.type, w.tcpClient, m);
  }
  // A copy of the upstream's answer with the client's id, its spelling of the name (same length:
  // the question is never compressed), its RD and CD bits; `wire` (which `answer` reads) stays
  // as it came for the next waiter.
  std::copy(wire.begin(), wire.end(), out_.begin());
  uint8_t* m = out_.data();
  store16(m, w.query.header.id);
  const auto name = w.query.question.name.wire();
  std::copy(name.begin(), name.end(), m + kHeaderSize);
  setForwardedFlags(m, w.query.header, options);
  size_t n = fitResponse(out_, wire.size(), q, w.query.limit, options);
  if (n == 0) n = writeErrorResponse(q, kRcodeServFail, out_, w.query.limit, options);
  replyWaiter(w, std::span(out_).first(n));
}

// ---- TCP clients ----

void Worker::onTcpAccept(int fd) {
  for (;;) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int c =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&address),
                  &length,  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
                  SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) return;
    if (!server_.options.allowedClients.empty() &&
        !server_.allowed.contains(fromSockaddr(address))) {
      counters_.drops[static_cast<size_t>(DropReason::kNotAllowed)].add();
      ::close(c);
      continue;
    }
    if (server_.tcpConnections.fetch_add(1, std::memory_order_relaxed) >=
        server_.options.maxTcpConnections) {
      server_.tcpConnections.fetch_sub(1, std::memory_order_relaxed);
      counters_.tcpRefused.add();
      ::close(c);
      continue;
    }
    counters_.tcpAccepted.add();
    uint32_t slot = 0;
    if (!freeConnections_.empty()) {
      slot = freeConnections_.back();
      freeConnections_.pop_back();
    } else {
      slot = static_cast<uint32_t>(connections_.size());
      connections_.emplace_back();
    }
    Connection& conn = connections_[slot];
    conn.active = true;
    ++conn.gen;
    conn.fd = c;
    conn.client = fromSockaddr(address);
    conn.in.resize(512);
    conn.inLength = 0;
    conn.out.clear();
    conn.outOffset = 0;
    conn.inFlight = 0;
    conn.lastActive = now_;
    conn.readClosed = conn.readPaused = conn.writeArmed = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = makeTag(Kind::kConnection, slot, conn.gen);
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c, &ev) != 0) closeConnection(slot);
  }
}

void Worker::updateConnectionEvents(Connection& c) {
  epoll_event ev{};
  ev.events = (c.readPaused || c.readClosed ? 0u : static_cast<uint32_t>(EPOLLIN)) |
              (c.outOffset < c.out.size() ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = makeTag(Kind::kConnection, static_cast<uint32_t>(&c - connections_.data()), c.gen);
  (void)::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.writeArmed = (ev.events & EPOLLOUT) != 0;
}

void Worker::onConnectionEvent(uint32_t slot, uint32_t events) {
  Connection& c = connections_[slot];
  if ((events & EPOLLOUT) != 0) {
    flushConnection(slot);
    if (!c.active) return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !c.readPaused && !c.readClosed) {
    for (;;) {
      if (c.inLength == c.in.size()) {
        if (c.in.size() >= 2 + kMaxMessage) break;  // a full message is waiting to be handled
        c.in.resize(std::min<size_t>(c.in.size() * 2, 2 + kMaxMessage));
      }
      const ssize_t n = ::recv(c.fd, c.in.data() + c.inLength, c.in.size() - c.inLength, 0);
      if (n > 0) {
        c.inLength += static_cast<size_t>(n);
        c.lastActive = now_;
        processConnectionInput(slot);
        if (!c.active || c.readPaused) return;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      // EOF or an error: the client has sent all it will. Answers still owed go out first.
      c.readClosed = true;
      if (n < 0 || (c.inFlight == 0 && c.outOffset == c.out.size())) {
        closeConnection(slot);
        return;
      }
      updateConnectionEvents(c);
      return;
    }
  }
}

void Worker::processConnectionInput(uint32_t slot) {
  Connection& c = connections_[slot];
  size_t pos = 0;
  while (c.inLength - pos >= 2 && c.inFlight < server_.options.maxTcpPipeline) {
    const size_t length = load16(&c.in[pos]);
    if (c.inLength - pos - 2 < length) {
      if (c.in.size() < 2 + length) c.in.resize(2 + length);
      break;
    }
    ClientRef client;
    client.tcp = true;
    client.connection = slot;
    client.connectionGen = c.gen;
    size_t reply = 0;
    const auto wire = std::span<const uint8_t>(&c.in[pos + 2], length);
    pos += 2 + length;
    const Disposition d = handleQuery(wire, client, reply);
    if (!c.active) return;
    if (d == Disposition::kReply) sendOnConnection(slot, std::span(out_).first(reply));
    if (!c.active) return;
  }
  if (pos > 0) {
    std::memmove(c.in.data(), c.in.data() + pos, c.inLength - pos);
    c.inLength -= pos;
  }
  const bool pause = c.inFlight >= server_.options.maxTcpPipeline;
  if (pause != c.readPaused) {
    c.readPaused = pause;
    updateConnectionEvents(c);
  }
}

void Worker::sendOnConnection(uint32_t slot, std::span<const uint8_t> response) {
  Connection& c = connections_[slot];
  if (c.out.size() - c.outOffset + response.size() > kMaxConnectionOutput) {
    counters_.tcpAborted.add();  // a client that sends queries but does not read the answers
    closeConnection(slot);
    return;
  }
  if (c.outOffset == c.out.size()) {
    c.out.clear();
    c.outOffset = 0;
  }
  const size_t at = c.out.size();
  c.out.resize(at + 2 + response.size());
  store16(&c.out[at], static_cast<uint16_t>(response.size()));
  std::copy(response.begin(), response.end(), c.out.begin() + static_cast<std::ptrdiff_t>(at + 2));
  c.lastActive = now_;
  flushConnection(slot);
}

void Worker::flushConnection(uint32_t slot) {
  Connection& c = connections_[slot];
  while (c.outOffset < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.outOffset, c.out.size() - c.outOffset,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.outOffset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    closeConnection(slot);
    return;
  }
  if (c.outOffset == c.out.size()) {
    c.out.clear();
    c.outOffset = 0;
    if (c.readClosed && c.inFlight == 0) {
      closeConnection(slot);
      return;
    }
  }
  const bool wantWrite = c.outOffset < c.out.size();
  if (wantWrite != c.writeArmed) updateConnectionEvents(c);
}

void Worker::closeConnection(uint32_t slot) {
  Connection& c = connections_[slot];
  if (!c.active) return;
  ::close(c.fd);
  c.fd = -1;
  c.active = false;
  c.in.clear();
  c.in.shrink_to_fit();
  c.out.clear();
  c.out.shrink_to_fit();
  c.inLength = c.outOffset = 0;
  server_.tcpConnections.fetch_sub(1, std::memory_order_relaxed);
  freeConnections_.push_back(slot);
}

void Worker::resumeConnections() {
  // Taking up buffered queries can complete (cache hits) and pause again; iterate on a copy.
  std::vector<std::pair<uint32_t, uint32_t>> work;
  work.swap(resume_);
  for (const auto& [slot, gen] : work) {
    Connection& c = connections_[slot];
    if (!c.active || c.gen != gen || !c.readPaused) continue;
    c.readPaused = false;
    processConnectionInput(slot);
    if (c.active) updateConnectionEvents(c);
  }
  work.clear();
  if (resume_.empty()) resume_.swap(work);  // keep the capacity
}

void Worker::sweepConnections() {
  const int64_t idle =
      std::chrono::duration_cast<std::chrono::microseconds>(server_.options.tcpIdleTimeout).count();
  for (uint32_t slot = 0; slot < connections_.size(); ++slot) {
    Connection& c = connections_[slot];
    if (!c.active || c.inFlight > 0 || c.outOffset < c.out.size()) continue;
    if (now_ - c.lastActive >= idle) {
      counters_.tcpIdleClosed.add();
      closeConnection(slot);
    }
  }
}

const WorkerCounters& workerCounters(const Worker& worker) {
  return worker.counters();
}

}  // namespace mamori::dns
