// Scenario "load": benchmark traffic with a controlled number of flows open at once, written as a
// stream (memory grows with --concurrent and --flows, never with --packets), plus an optional
// selection order with many criteria, a few of which match the traffic.
//
// Every flow is a pure function of (seed, flow index) -- FlowSpec below -- so the order writer
// can name endpoints and names that are in the traffic without recording the traffic.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "address_space.h"
#include "capture_writer.h"
#include "mamori/core/result.h"
#include "payloads.h"
#include "rng.h"
#include "scenarios.h"
#include "wire.h"

#ifndef MAMORI_DATA_DIR_BUILD
#define MAMORI_DATA_DIR_BUILD "data"
#endif

namespace mamori::gencap {

namespace {

// Salts that separate the independent random streams derived from --seed.
constexpr uint64_t kSaltPools = 0x9001;
constexpr uint64_t kSaltFlow = 0xF10;
constexpr uint64_t kSaltVocabulary = 0x70CA;
constexpr uint64_t kSaltPair = 0x9A1;
constexpr uint64_t kSaltSchedule = 0x5C4E;
constexpr uint64_t kSaltIndicators = 0x1D1C;

constexpr uint32_t kTcpFixedPackets = 6;  // SYN, SYN-ACK, ACK, FIN, FIN, ACK
constexpr uint32_t kTcpMinData = 2;       // one request, one response
constexpr size_t kInTrafficTarget = 20;

enum class Kind : uint8_t { kHttp, kTls, kRawTcp, kDns, kIcmp };
enum class Cls : uint8_t { kForeignForeign, kForeignDomestic, kDomesticForeign, kDomesticDomestic };

std::string_view view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};  // NOLINT: bytes as text
}

// ---- vocabulary of domain names -----------------------------------------------------------------

class Vocabulary {
 public:
  Vocabulary(uint64_t seed, size_t size) {
    Rng rng(deriveSeed(seed, kSaltVocabulary, 0));
    names_.reserve(size);
    static constexpr std::string_view kTlds[] = {"com", "com",  "com", "net",   "org",   "jp",
                                                 "io",  "info", "xyz", "top",   "de",    "cn",
                                                 "ru",  "br",   "kr",  "co.jp", "ne.jp", "or.jp"};
    static constexpr std::string_view kHosts[] = {"api", "cdn", "mail", "static", "login", "img"};
    for (size_t i = 0; i < size; ++i) {
      std::string name;
      const uint32_t form = rng.below(100);
      if (form < 25) {
        name = "www.";
      } else if (form < 35) {
        name = std::string(kHosts[rng.below(std::size(kHosts))]) + ".";
      } else if (form < 50) {
        name = word(rng) + ".";
      }
      name += word(rng);
      name += ".";
      name += kTlds[rng.below(std::size(kTlds))];
      names_.push_back(std::move(name));
    }
    for (const auto& n : names_) {
      // Every parent with at least two labels: a domain criterion equal to any of these would
      // match traffic under suffix matching.
      std::string_view s = n;
      for (;;) {
        suffixes_.insert(std::string(s));
        const size_t dot = s.find('.');
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
        if (s.find('.') == std::string_view::npos) break;
      }
    }
  }

  size_t size() const { return names_.size(); }
  const std::string& operator[](size_t i) const { return names_[i]; }
  bool coversTraffic(const std::string& name) const { return suffixes_.count(name) > 0; }

  static std::string word(Rng& rng) {
    static constexpr char kConsonants[] = "bdfghjkmnprstvwyz";
    static constexpr char kVowels[] = "aeiou";
    std::string w;
    const uint32_t syllables = rng.between(2, 4);
    for (uint32_t i = 0; i < syllables; ++i) {
      w += kConsonants[rng.below(sizeof kConsonants - 1)];
      w += kVowels[rng.below(sizeof kVowels - 1)];
    }
    if (rng.percent(30)) w += 'n';
    return w;
  }

 private:
  std::vector<std::string> names_;
  std::unordered_set<std::string> suffixes_;
};

// ---- host pools ---------------------------------------------------------------------------------

struct HostPools {
  std::vector<IpAddress> pool[2][2];  // [domestic][v6]
  std::vector<uint32_t> sorted4;      // every pool address, for the indicator writer
  std::vector<Uint128> sorted6;

  HostPools(const AddressSpace& space, uint64_t seed, uint64_t flows) {
    const size_t sizes[2][2] = {
        {std::max<size_t>(256, flows / 2), std::max<size_t>(64, flows / 16)},
        {std::max<size_t>(256, flows / 3), std::max<size_t>(64, flows / 16)}};
    for (int domestic = 0; domestic < 2; ++domestic) {
      for (int v6 = 0; v6 < 2; ++v6) {
        if (domestic == 1 && !(v6 == 1 ? space.hasV6() : space.hasV4())) continue;
        Rng rng(deriveSeed(seed, kSaltPools, static_cast<uint64_t>(domestic * 2 + v6)));
        auto& p = pool[domestic][v6];
        p.reserve(sizes[domestic][v6]);
        for (size_t i = 0; i < sizes[domestic][v6]; ++i) {
          p.push_back(domestic == 1 ? space.randomDomestic(rng, v6 == 1)
                                    : space.randomForeign(rng, v6 == 1));
          if (v6 == 1) {
            sorted6.push_back(p.back().v6Value());
          } else {
            sorted4.push_back(p.back().v4Value());
          }
        }
      }
    }
    std::sort(sorted4.begin(), sorted4.end());
    std::sort(sorted6.begin(), sorted6.end());
  }

  bool anyIn(uint32_t lo, uint32_t hi) const {
    auto it = std::lower_bound(sorted4.begin(), sorted4.end(), lo);
    return it != sorted4.end() && *it <= hi;
  }
  bool anyIn(Uint128 lo, Uint128 hi) const {
    auto it = std::lower_bound(sorted6.begin(), sorted6.end(), lo);
    return it != sorted6.end() && *it <= hi;
  }
};

// ---- flows --------------------------------------------------------------------------------------

struct FlowSpec {
  IpAddress client;
  IpAddress server;
  uint64_t stream = 0;  // seed of the flow's own packet-level random stream
  uint32_t nameIndex = 0;
  uint16_t clientPort = 0;  // ICMP: the echo identifier
  uint16_t serverPort = 0;
  Kind kind = Kind::kHttp;
  Cls cls = Cls::kForeignForeign;
  uint8_t icmpPairs = 1;

  bool isTcp() const { return kind == Kind::kHttp || kind == Kind::kTls || kind == Kind::kRawTcp; }
  bool hasName() const { return kind == Kind::kHttp || kind == Kind::kTls || kind == Kind::kDns; }
  uint32_t minPackets() const {
    if (isTcp()) return kTcpFixedPackets + kTcpMinData;
    if (kind == Kind::kDns) return 2;
    return 2U * icmpPairs;
  }
  const IpAddress& foreignEndpoint() const {
    return cls == Cls::kForeignDomestic ? client : server;
  }
};

class LoadModel {
 public:
  LoadModel(const AddressSpace& space, uint64_t seed, uint64_t flows)
      : seed_(seed),
        pools_(space, seed, flows),
        vocabulary_(seed, std::clamp<size_t>(flows / 4, 1000, 100000)) {}

  const HostPools& pools() const { return pools_; }
  const Vocabulary& vocabulary() const { return vocabulary_; }

  FlowSpec flow(uint64_t index) const {
    Rng r(deriveSeed(seed_, kSaltFlow, index));
    FlowSpec f;
    const uint32_t kindRoll = r.below(100);
    if (kindRoll < 60) {
      const uint32_t app = r.below(100);
      f.kind = app < 30 ? Kind::kHttp : (app < 60 ? Kind::kTls : Kind::kRawTcp);
    } else {
      f.kind = kindRoll < 95 ? Kind::kDns : Kind::kIcmp;
    }
    if (index == 0) f.kind = Kind::kHttp;  // so that any --flows has a TCP flow to absorb packets
    bool v6 = r.percent(10);
    const uint32_t clsRoll = r.below(100);
    f.cls = clsRoll < 25   ? Cls::kForeignDomestic
            : clsRoll < 50 ? Cls::kDomesticForeign
            : clsRoll < 90 ? Cls::kForeignForeign
                           : Cls::kDomesticDomestic;
    const bool clientDomestic = f.cls == Cls::kDomesticForeign || f.cls == Cls::kDomesticDomestic;
    const bool serverDomestic = f.cls == Cls::kForeignDomestic || f.cls == Cls::kDomesticDomestic;
    if ((clientDomestic || serverDomestic) && pools_.pool[1][v6 ? 1 : 0].empty()) v6 = !v6;
    const auto& clients = pools_.pool[clientDomestic ? 1 : 0][v6 ? 1 : 0];
    const auto& servers = pools_.pool[serverDomestic ? 1 : 0][v6 ? 1 : 0];
    // Servers are popular (quadratic skew towards low indices), clients uniform.
    const double u = r.unit();
    f.server = servers[static_cast<size_t>(u * u * static_cast<double>(servers.size()))];
    do {
      f.client = clients[r.below(static_cast<uint32_t>(clients.size()))];
    } while (f.client == f.server);
    f.clientPort = static_cast<uint16_t>(32768 + r.below(28232));
    switch (f.kind) {
      case Kind::kHttp:
        f.serverPort = r.percent(90) ? 80 : 8080;
        break;
      case Kind::kTls:
        f.serverPort = r.percent(90) ? 443 : 8443;
        break;
      case Kind::kRawTcp: {
        static constexpr uint16_t kPorts[] = {23, 23, 23, 2323, 4444, 6667, 7547, 5555};
        f.serverPort = kPorts[r.below(std::size(kPorts))];
        break;
      }
      case Kind::kDns:
        f.serverPort = 53;
        break;
      case Kind::kIcmp:
        f.serverPort = 0;
        break;
    }
    const double w = r.unit();
    f.nameIndex = static_cast<uint32_t>(w * w * static_cast<double>(vocabulary_.size()));
    f.icmpPairs = static_cast<uint8_t>(1 + r.below(2));
    f.stream = r.next();
    return f;
  }

 private:
  uint64_t seed_;
  HostPools pools_;
  Vocabulary vocabulary_;
};

// ---- packet emission ----------------------------------------------------------------------------

struct FlowState {
  FlowSpec spec;
  Rng rng{0};
  uint32_t seq[2] = {0, 0};  // next sequence number, [0] client, [1] server
  uint32_t flowLabel[2] = {0, 0};
  uint32_t next = 0;   // index of the next packet
  uint32_t total = 0;  // packets in this flow
  uint32_t data = 0;   // TCP data packets
  uint16_t ipId[2] = {0, 0};
  uint16_t dnsId = 0;
  uint16_t dnsType = 0;
  uint8_t ttl[2] = {64, 64};
  bool nxdomain = false;
};

class Emitter {
 public:
  Emitter(const LoadModel& model, std::string_view canary) : model_(model), canary_(canary) {}

  // `total` may be below the flow's natural length: the flow is then cut short after its first
  // `total` packets (an open connection, a query without answer).
  FlowState open(const FlowSpec& spec, uint32_t dataPackets, uint32_t total) {
    FlowState s;
    s.spec = spec;
    s.rng = Rng(spec.stream);
    s.seq[0] = s.rng.next32();
    s.seq[1] = s.rng.next32();
    s.flowLabel[0] = s.rng.next32() & 0xFFFFF;
    s.flowLabel[1] = s.rng.next32() & 0xFFFFF;
    s.ipId[0] = static_cast<uint16_t>(s.rng.next32());
    s.ipId[1] = static_cast<uint16_t>(s.rng.next32());
    s.ttl[0] = static_cast<uint8_t>(64 - s.rng.between(3, 20));
    s.ttl[1] = static_cast<uint8_t>((s.rng.percent(50) ? 64 : 128) - s.rng.between(3, 20));
    s.data = dataPackets;
    s.total = total;
    s.dnsId = static_cast<uint16_t>(s.rng.next32());
    const uint32_t t = s.rng.below(100);
    s.dnsType = t < 60 ? kDnsA : t < 85 ? kDnsAaaa : t < 92 ? kDnsMx : kDnsTxt;
    s.nxdomain = s.rng.percent(8);
    return s;
  }

  // Builds the next packet of `s` into packet(); the flow is complete when s.next == s.total.
  void next(FlowState& s) {
    switch (s.spec.kind) {
      case Kind::kHttp:
      case Kind::kTls:
      case Kind::kRawTcp:
        nextTcp(s);
        break;
      case Kind::kDns:
        nextDns(s);
        break;
      case Kind::kIcmp:
        nextIcmp(s);
        break;
    }
    ++s.next;
  }

  const Bytes& packet() const { return packet_; }

 private:
  IpParams ipParams(FlowState& s, bool forward) {
    const int side = forward ? 0 : 1;
    IpParams p;
    p.src = forward ? s.spec.client : s.spec.server;
    p.dst = forward ? s.spec.server : s.spec.client;
    p.ipId = s.ipId[side]++;
    p.ttl = s.ttl[side];
    p.flowLabel = s.flowLabel[side];
    p.dontFragment = s.spec.isTcp();
    return p;
  }

  void nextTcp(FlowState& s) {
    const uint32_t i = s.next;
    const uint32_t dataEnd = 3 + s.data;
    bool forward = true;
    uint8_t flags = tcp::kAck;
    payload_.clear();
    if (i == 0) {
      flags = tcp::kSyn;
    } else if (i == 1) {
      forward = false;
      flags = tcp::kSyn | tcp::kAck;
    } else if (i < 3) {
      // third packet of the handshake: ACK
    } else if (i < dataEnd) {
      const uint32_t k = i - 3;
      forward = k % 2 == 0;
      flags = tcp::kPsh | tcp::kAck;
      tcpPayload(s, k, forward);
    } else if (i == dataEnd) {
      flags = tcp::kFin | tcp::kAck;
    } else if (i == dataEnd + 1) {
      forward = false;
      flags = tcp::kFin | tcp::kAck;
    }
    const int side = forward ? 0 : 1;
    TcpParams t;
    t.sport = forward ? s.spec.clientPort : s.spec.serverPort;
    t.dport = forward ? s.spec.serverPort : s.spec.clientPort;
    t.seq = s.seq[side];
    t.ack = (flags & tcp::kAck) != 0 ? s.seq[1 - side] : 0;
    t.flags = flags;
    const bool syn = (flags & tcp::kSyn) != 0;
    t.window = syn ? (forward ? 64240 : 65160) : static_cast<uint16_t>(250 + s.rng.below(1800));
    if (syn) t.mss = s.spec.client.isV4() ? 1460 : 1440;
    buildTcp(packet_, ipParams(s, forward), t, payload_);
    s.seq[side] +=
        static_cast<uint32_t>(payload_.size()) + ((flags & (tcp::kSyn | tcp::kFin)) != 0 ? 1U : 0U);
  }

  void tcpPayload(FlowState& s, uint32_t k, bool client) {
    Rng& r = s.rng;
    const std::string& host = model_.vocabulary()[s.spec.nameIndex];
    switch (s.spec.kind) {
      case Kind::kHttp:
        if (client) {
          httpRequest(r, host);
        } else {
          httpResponse(r);
        }
        return;
      case Kind::kTls:
        if (k == 0) {
          uint8_t randoms[96];
          r.fill(randoms, sizeof randoms);
          ClientHelloParams p;
          p.sni = host;
          p.canary = canary_;
          p.random = randoms;
          p.sessionId = randoms + 32;
          p.keyShare = randoms + 64;
          p.padRecordTo = r.percent(60) ? 517 : r.between(300, 700);
          (void)appendClientHello(payload_, p);
        } else if (k == 1) {
          uint8_t randoms[96];
          r.fill(randoms, sizeof randoms);
          scratch_.clear();
          appendRandomWithCanary(scratch_, r.between(60, 1200), canary_, r);
          appendServerFlight(payload_, randoms, randoms + 32, randoms + 64, scratch_);
        } else {
          scratch_.clear();
          appendRandomWithCanary(scratch_, client ? r.between(60, 500) : r.between(60, 1395),
                                 canary_, r);
          appendTlsRecord(payload_, 0x17, scratch_);
        }
        return;
      case Kind::kRawTcp:
        appendTextWithCanary(payload_, client ? r.between(60, 400) : r.between(60, 1400), canary_,
                             r);
        return;
      case Kind::kDns:
      case Kind::kIcmp:
        return;
    }
  }

  void httpRequest(Rng& r, const std::string& host) {
    static constexpr std::string_view kDirs[] = {"static",   "api/v1",   "images",
                                                 "assets",   "login",    "cgi-bin",
                                                 "wp-admin", "download", "search"};
    static constexpr std::string_view kFiles[] = {"index.html", "app.js", "logo.png",  "data.json",
                                                  "style.css",  "status", "update.bin"};
    static constexpr std::string_view kAgents[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "curl/8.5.0",
        "python-requests/2.31.0", "Go-http-client/1.1"};
    const bool post = r.percent(15);
    target_.clear();
    target_ += '/';
    target_ += kDirs[r.below(std::size(kDirs))];
    target_ += '/';
    target_ += canary_;
    target_ += '/';
    target_ += kFiles[r.below(std::size(kFiles))];
    target_ += "?v=";
    target_ += std::to_string(r.below(100000));
    headers_.assign("Accept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nCookie: sid=");
    appendHex(headers_, r, r.between(16, 600));
    headers_ += "\r\n";
    scratch_.clear();
    if (post) appendTextWithCanary(scratch_, r.between(20, 300), canary_, r);
    appendHttpRequest(payload_, post ? "POST" : "GET", target_, host,
                      kAgents[r.below(std::size(kAgents))], headers_, view(scratch_));
  }

  void httpResponse(Rng& r) {
    const uint32_t roll = r.below(100);
    const std::string_view status = roll < 85   ? "HTTP/1.1 200 OK"
                                    : roll < 95 ? "HTTP/1.1 404 Not Found"
                                                : "HTTP/1.1 302 Found";
    const size_t total = r.between(60, 1400);
    const size_t body = total > 160 ? total - 160 : 0;
    scratch_.clear();
    appendTextWithCanary(scratch_, body, canary_, r);
    appendHttpResponse(payload_, status, "text/html; charset=utf-8",
                       "Server: nginx\r\nCache-Control: max-age=600\r\n", view(scratch_));
  }

  static void appendHex(std::string& out, Rng& r, uint32_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t bits = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (i % 16 == 0) bits = r.next();
      out += kHex[bits & 15];
      bits >>= 4;
    }
  }

  void nextDns(FlowState& s) {
    const bool query = s.next == 0;
    const std::string& name = model_.vocabulary()[s.spec.nameIndex];
    payload_.clear();
    if (query) {
      appendDnsHeader(payload_, s.dnsId, 0x0100, 1, 0, 0, 1);
      appendDnsQuestion(payload_, name, s.dnsType);
      appendDnsOpt(payload_, canary_);
    } else {
      dnsResponse(s, name);
    }
    const auto sport = query ? s.spec.clientPort : s.spec.serverPort;
    const auto dport = query ? s.spec.serverPort : s.spec.clientPort;
    buildUdp(packet_, ipParams(s, query), sport, dport, payload_);
  }

  void dnsResponse(FlowState& s, const std::string& name) {
    Rng& r = s.rng;
    // The zone is the last two labels; in wire form a label's length byte sits at the same index
    // as the label's first character in dotted form, so the offset follows from the text.
    const size_t last = name.rfind('.');
    const size_t prev = name.rfind('.', last - 1);
    const auto zone =
        static_cast<uint16_t>(kDnsQuestionOffset + (prev == std::string::npos ? 0 : prev + 1));
    if (s.nxdomain) {
      appendDnsHeader(payload_, s.dnsId, 0x8183, 1, 0, 1, 1);
      appendDnsQuestion(payload_, name, s.dnsType);
      const size_t rd = beginDnsRecord(payload_, zone, kDnsSoa, 900);
      appendDnsNameWithPointer(payload_, "ns1", zone);
      appendDnsNameWithPointer(payload_, "hostmaster", zone);
      for (uint32_t v : {2026090100U + r.below(99), 7200U, 3600U, 1209600U, 900U}) {
        put32(payload_, v);
      }
      finishDnsRecord(payload_, rd);
      appendDnsOpt(payload_, canary_);
      return;
    }
    const uint16_t answers =
        s.dnsType == kDnsA ? static_cast<uint16_t>(r.between(1, 3))
                           : (s.dnsType == kDnsAaaa ? static_cast<uint16_t>(r.between(1, 2)) : 1);
    appendDnsHeader(payload_, s.dnsId, 0x8180, 1, answers, 0, 1);
    appendDnsQuestion(payload_, name, s.dnsType);
    const uint32_t ttl = r.between(30, 3600);
    for (uint16_t a = 0; a < answers; ++a) {
      const size_t rd = beginDnsRecord(payload_, kDnsQuestionOffset, s.dnsType, ttl);
      if (s.dnsType == kDnsA || s.dnsType == kDnsAaaa) {
        const IpAddress ip = AddressSpace::randomPublic(r, s.dnsType == kDnsAaaa);
        putBytes(payload_, {ip.bytes().data(), ip.isV4() ? 4U : 16U});
      } else if (s.dnsType == kDnsMx) {
        put16(payload_, 10);
        appendDnsNameWithPointer(payload_, "mx", zone);
      } else {
        appendTxtString(payload_, "v=spf1 -all");
      }
      finishDnsRecord(payload_, rd);
    }
    appendDnsOpt(payload_, canary_);
  }

  void nextIcmp(FlowState& s) {
    const bool request = s.next % 2 == 0;
    const auto seq = static_cast<uint16_t>(s.next / 2 + 1);
    // The reply echoes the request's data, so derive it from (flow, seq) rather than the stream.
    Rng data(s.spec.stream ^ seq);
    payload_.clear();
    appendTextWithCanary(payload_, 56, canary_, data);
    buildIcmpEcho(packet_, ipParams(s, request), !request, s.spec.clientPort, seq, payload_);
  }

  const LoadModel& model_;
  std::string_view canary_;
  Bytes packet_;
  Bytes payload_;
  Bytes scratch_;
  std::string target_;
  std::string headers_;
};

// ---- the packet budget ----------------------------------------------------------------------

// Decides, flow by flow in index order, how many packets each flow gets so that the total is
// exactly --packets.
//
// With enough packets every flow is complete, and what is left after each flow's minimum goes to
// the TCP flows as extra data packets: an equal share, the remainder to the first flows, and a
// random transfer within each pair of consecutive TCP flows so sizes vary while the sum stays
// exact. With fewer packets than the flows' minimum (flow-table pressure tests ask for many flows
// and few packets), every flow gets one packet plus a proportional part of the rest, spread by
// exact integer error diffusion, and flows are cut short: connections stay open, queries go
// unanswered.
class Budget {
 public:
  struct Plan {
    uint32_t total = 0;
    uint32_t data = 0;  // TCP data packets of the complete flow
  };

  Budget(uint64_t seed, uint64_t packets, uint64_t flows, uint64_t minimum, uint64_t spare,
         uint64_t tcpFlows)
      : seed_(seed), tcpFlows_(tcpFlows), complete_(packets >= minimum) {
    if (complete_) {
      const uint64_t extra = packets - minimum;
      share_ = tcpFlows == 0 ? 0 : extra / tcpFlows;
      remainder_ = tcpFlows == 0 ? 0 : extra % tcpFlows;
    } else {
      extra_ = packets - flows;
      spare_ = spare;
    }
  }

  bool complete() const { return complete_; }

  Plan next(const FlowSpec& f) {
    Plan p;
    if (!complete_) {
      const uint32_t minimum = f.minPackets();
      seen_ += minimum - 1;
      const auto target = static_cast<uint64_t>(Uint128{extra_} * seen_ / spare_);
      p.total = static_cast<uint32_t>(1 + target - given_);
      given_ = target;
      p.data = f.isTcp() ? kTcpMinData : 0;
      return p;
    }
    if (!f.isTcp()) {
      p.total = f.minPackets();
      return p;
    }
    const uint64_t j = tcpIndex_++;
    uint64_t n = kTcpMinData + share_ + (j < remainder_ ? 1 : 0);
    const uint64_t pair = j / 2;
    if (pair * 2 + 1 < tcpFlows_) {
      Rng r(deriveSeed(seed_, kSaltPair, pair));
      const uint64_t d = r.below64(share_ + 1);
      n = j % 2 == 0 ? n + d : n - d;
    }
    if (n > 0xFFFFFFF0ULL) throw UsageError("too many packets per flow; raise --flows");
    p.data = static_cast<uint32_t>(n);
    p.total = kTcpFixedPackets + p.data;
    return p;
  }

 private:
  uint64_t seed_;
  uint64_t tcpFlows_;
  bool complete_;
  uint64_t share_ = 0;
  uint64_t remainder_ = 0;
  uint64_t tcpIndex_ = 0;
  uint64_t extra_ = 0;  // packets beyond one per flow (cut-short mode)
  uint64_t spare_ = 0;  // sum over flows of (minimum - 1)
  uint64_t seen_ = 0;
  uint64_t given_ = 0;
};

// ---- the order ------------------------------------------------------------------------------

// A bijection on 32-bit values (each step is invertible), so distinct counters give distinct
// addresses without remembering the ones already used.
uint32_t permute32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7FEB352DU;
  x ^= x >> 15;
  x *= 0x846CA68BU;
  x ^= x >> 16;
  return x;
}

class OrderWriter {
 public:
  explicit OrderWriter(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
      throw Failure("cannot open indicators file '" + path + "': " + std::strerror(errno));
    }
    buffer_.reserve(1 << 20);
  }
  ~OrderWriter() {
    if (file_ != nullptr) std::fclose(file_);
  }
  OrderWriter(const OrderWriter&) = delete;
  OrderWriter& operator=(const OrderWriter&) = delete;

  void put(std::string_view s) {
    buffer_ += s;
    if (buffer_.size() >= (1 << 20)) flush();
  }
  void finish() {
    flush();
    std::FILE* f = file_;
    file_ = nullptr;
    const bool bad = std::fflush(f) != 0 || std::ferror(f) != 0;
    if (std::fclose(f) != 0 || bad) throw Failure("cannot write indicators file '" + path_ + "'");
  }

 private:
  void flush() {
    if (!buffer_.empty() &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw Failure("cannot write indicators file '" + path_ + "': " + std::strerror(errno));
    }
    buffer_.clear();
  }
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

// Positions for k in-traffic entries spread over n entries (strictly increasing when n >= k).
bool isSpreadPosition(uint64_t index, uint64_t n, uint64_t k, uint64_t& nextSlot) {
  if (nextSlot >= k) return false;
  const uint64_t pos = ((2 * nextSlot + 1) * n) / (2 * k);
  if (index != pos) return false;
  ++nextSlot;
  return true;
}

std::string randomIndicatorIp(Rng& r, const HostPools& pools, uint32_t& counter, uint32_t key) {
  const bool v6 = r.percent(10);
  const bool prefix = r.percent(5);
  for (;;) {
    if (!v6) {
      if (!prefix) {
        const IpAddress a = IpAddress::v4(permute32(counter++ ^ key));
        if (AddressSpace::isSpecialPurpose(a) || pools.anyIn(a.v4Value(), a.v4Value())) continue;
        return a.toString();
      }
      const unsigned len = r.between(20, 28);
      const uint32_t host = (uint32_t{1} << (32 - len)) - 1;
      const uint32_t base = r.next32() & ~host;
      if (AddressSpace::isSpecialPurpose(IpAddress::v4(base)) ||
          AddressSpace::isSpecialPurpose(IpAddress::v4(base | host)) ||
          pools.anyIn(base, base | host)) {
        continue;
      }
      return IpAddress::v4(base).toString() + "/" + std::to_string(len);
    }
    const IpAddress a = AddressSpace::randomPublic(r, true);
    if (!prefix) {
      if (pools.anyIn(a.v6Value(), a.v6Value())) continue;
      return a.toString();
    }
    const unsigned len = r.between(48, 64);
    const Uint128 host = (Uint128{1} << (128 - len)) - 1;
    const Uint128 base = a.v6Value() & ~host;
    if (AddressSpace::isSpecialPurpose(IpAddress::v6(base)) || pools.anyIn(base, base | host))
      continue;
    return IpAddress::v6(base).toString() + "/" + std::to_string(len);
  }
}

std::string randomIndicatorDomain(Rng& r, const Vocabulary& vocabulary) {
  static constexpr std::string_view kTlds[] = {"com", "net", "org", "info", "xyz", "top",
                                               "ru",  "cn",  "io",  "biz",  "cc",  "su"};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (;;) {
    std::string name;
    const int labels = r.percent(30) ? 2 : 1;
    for (int l = 0; l < labels; ++l) {
      const uint32_t len = r.between(6, 14);
      name += static_cast<char>('a' + r.below(26));
      for (uint32_t i = 1; i < len; ++i) name += kChars[r.below(sizeof kChars - 1)];
      name += '.';
    }
    name += kTlds[r.below(std::size(kTlds))];
    if (!vocabulary.coversTraffic(name)) return name;
  }
}

void writeOrder(const std::string& path, const LoadModel& model, const LoadOptions& options,
                uint64_t seed) {
  // Endpoints and names that are in the traffic: taken from flows spread over the whole run,
  // skipping domestic-to-domestic flows (never a valid scope) and repeats.
  std::vector<std::string> trafficIps;
  std::vector<std::string> trafficDomains;
  {
    std::unordered_set<std::string> seen;
    const uint64_t wantIps = std::min<uint64_t>(kInTrafficTarget, options.indicatorIps);
    const uint64_t wantDomains = std::min<uint64_t>(kInTrafficTarget, options.indicatorDomains);
    for (uint64_t j = 0; j < kInTrafficTarget; ++j) {
      const uint64_t start = j * options.flows / kInTrafficTarget;
      for (uint64_t i = start; i < options.flows && i < start + 64; ++i) {
        const FlowSpec f = model.flow(i);
        if (f.cls == Cls::kDomesticDomestic) continue;
        const std::string ip = f.foreignEndpoint().toString();
        if (trafficIps.size() < wantIps && seen.insert(ip).second) trafficIps.push_back(ip);
        break;
      }
      for (uint64_t i = start; i < options.flows && i < start + 64; ++i) {
        const FlowSpec f = model.flow(i);
        if (f.cls == Cls::kDomesticDomestic || !f.hasName()) continue;
        const std::string& name = model.vocabulary()[f.nameIndex];
        if (trafficDomains.size() < wantDomains && seen.insert(name).second) {
          trafficDomains.push_back(name);
          break;
        }
      }
    }
  }

  OrderWriter out(path);
  out.put(
      "{\n\"id\": \"bench-order\",\n\"purpose\": \"benchmark\",\n"
      "\"scopes\": [\"foreign-foreign\", \"foreign-domestic\", \"domestic-foreign\"],\n"
      "\"valid_from\": \"2026-01-01T00:00:00Z\",\n\"valid_until\": \"2027-12-31T00:00:00Z\",\n"
      "\"criteria\": [\n{\"id\": \"ips\", \"ips\": [");
  Rng r(deriveSeed(seed, kSaltIndicators, 1));
  auto counter = static_cast<uint32_t>(r.next32());
  const auto key = static_cast<uint32_t>(r.next32());
  uint64_t slot = 0;
  for (uint64_t i = 0; i < options.indicatorIps; ++i) {
    out.put(i == 0 ? "\n\"" : ",\n\"");
    if (isSpreadPosition(i, options.indicatorIps, trafficIps.size(), slot)) {
      out.put(trafficIps[slot - 1]);
    } else {
      out.put(randomIndicatorIp(r, model.pools(), counter, key));
    }
    out.put("\"");
  }
  out.put("\n]},\n{\"id\": \"domains\", \"domains\": [");
  Rng d(deriveSeed(seed, kSaltIndicators, 2));
  slot = 0;
  for (uint64_t i = 0; i < options.indicatorDomains; ++i) {
    out.put(i == 0 ? "\n\"" : ",\n\"");
    if (isSpreadPosition(i, options.indicatorDomains, trafficDomains.size(), slot)) {
      out.put(trafficDomains[slot - 1]);
    } else {
      out.put(randomIndicatorDomain(d, model.vocabulary()));
    }
    out.put("\"");
  }
  out.put("\n]},\n{\"id\": \"telnet\", \"port\": 23}\n]\n}\n");
  out.finish();
  std::cerr << "indicators: " << options.indicatorIps << " ips (" << trafficIps.size()
            << " in traffic), " << options.indicatorDomains << " domains (" << trafficDomains.size()
            << " in traffic)\n";
}

}  // namespace

void runLoad(const CommonOptions& common, const LoadOptions& options) {
  // The clock only feeds the timing line on stderr, never the capture.
  const auto started = std::chrono::steady_clock::now();
  if (options.flows > 0xFFFFFFFFULL) {
    throw UsageError("--flows must be below 2^32");
  }
  AddressSpace space;
  if (options.domestic.empty()) {
    space.loadFile(std::string(MAMORI_DATA_DIR_BUILD) + "/domestic/jp-ipv4.txt");
    space.loadFile(std::string(MAMORI_DATA_DIR_BUILD) + "/domestic/jp-ipv6.txt");
  } else {
    for (const auto& file : options.domestic) space.loadFile(file);
  }
  space.finalize();
  if (!space.hasV4() && !space.hasV6()) throw UsageError("the domestic prefix set is empty");

  const LoadModel model(space, common.seed, options.flows);

  if (options.packets < options.flows) {
    throw UsageError("--packets " + std::to_string(options.packets) + " must be at least --flows " +
                     std::to_string(options.flows) + " (every flow has at least one packet)");
  }
  // Pass 1: each flow's minimum, and how many TCP flows can take the rest.
  uint64_t minimum = 0;
  uint64_t spare = 0;
  uint64_t tcpFlows = 0;
  for (uint64_t i = 0; i < options.flows; ++i) {
    const FlowSpec f = model.flow(i);
    minimum += f.minPackets();
    spare += f.minPackets() - 1;
    tcpFlows += f.isTcp() ? 1 : 0;
  }
  Budget budget(common.seed, options.packets, options.flows, minimum, spare, tcpFlows);

  // Pass 2: keep up to --concurrent flows open; each step sends the next packet of a random open
  // flow, and a finished flow's slot goes to the next new flow.
  CaptureWriter writer(common.out, common.format, common.link);
  Emitter emitter(model, common.canary);
  Rng schedule(deriveSeed(common.seed, kSaltSchedule, 0));
  std::vector<FlowState> open;
  open.reserve(static_cast<size_t>(std::min(options.concurrent, options.flows)));
  uint64_t nextFlow = 0;
  uint64_t counts[5] = {0, 0, 0, 0, 0};
  uint64_t cutShort = 0;
  auto openFlow = [&]() {
    const FlowSpec f = model.flow(nextFlow++);
    counts[static_cast<int>(f.kind)] += 1;
    const Budget::Plan plan = budget.next(f);
    cutShort += plan.total < f.minPackets() ? 1 : 0;
    return emitter.open(f, plan.data, plan.total);
  };
  while (open.size() < options.concurrent && nextFlow < options.flows) open.push_back(openFlow());
  uint64_t ts = common.baseTime * 1000000;
  while (!open.empty()) {
    const size_t at = schedule.below(static_cast<uint32_t>(open.size()));
    FlowState& s = open[at];
    emitter.next(s);
    writer.write(ts, emitter.packet());
    ts += 1 + schedule.below(19);
    if (s.next == s.total) {
      if (nextFlow < options.flows) {
        s = openFlow();
      } else {
        s = open.back();
        open.pop_back();
      }
    }
  }
  writer.finish();
  if (writer.packets() != options.packets) {
    throw Failure("internal: wrote " + std::to_string(writer.packets()) + " packets, expected " +
                  std::to_string(options.packets));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "load: " << writer.packets() << " packets, " << options.flows << " flows (http "
            << counts[0] << ", tls " << counts[1] << ", other tcp " << counts[2] << ", dns "
            << counts[3] << ", icmp " << counts[4] << "; " << cutShort << " cut short), "
            << writer.bytes() << " bytes in " << seconds << " s\n";

  if (!options.indicatorsOut.empty())
    writeOrder(options.indicatorsOut, model, options, common.seed);
}

}  // namespace mamori::gencap
