#include "mamori/sensor/selector.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <deque>
#include <random>

#include "criteria_matcher.h"
#include "deidentify.h"
#include "flow_table.h"
#include "inspection.h"
#include "mamori/core/crypto.h"
#include "mamori/core/time.h"
#include "mamori/sensor/decoder.h"
#include "proto/dns/dns.h"
#include "proto/http/http.h"
#include "proto/tls/tls.h"

namespace mamori::sensor {
namespace {

constexpr size_t kMaxAppBuffer = size_t{16} * 1024;  // enough for any real ClientHello or request head
constexpr size_t kMaxHeldSegments = 8;       // out-of-order segments held per direction
constexpr size_t kMaxDnsQuestions = 8;
constexpr size_t kMaxDnsAnswers = 16;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

// An echo reply is keyed as the mirror of its request — (requester, identifier) ↔ (responder,
// request type) — so that request and reply are one flow.
void icmpEchoPorts(const DecodedPacket& p, uint16_t& sport, uint16_t& dport) {
  const bool v4Reply = p.ipProto == 1 && (p.dport >> 8) == 0;
  const bool v6Reply = p.ipProto == 58 && (p.dport >> 8) == 129;
  if (v4Reply || v6Reply) {
    sport = static_cast<uint16_t>((v4Reply ? 8 : 128) << 8);
    dport = p.sport;
  }
}

bool isDnsPort(uint16_t p) {
  return p == 53 || p == 5353 || p == 5355;
}

template <class T>
void pushUnique(std::vector<T>& v, const T& x, size_t cap) {
  if (v.size() < cap && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

std::string_view flowEndName(FlowEnd e) {
  switch (e) {
    case FlowEnd::kFin:
      return "fin";
    case FlowEnd::kRst:
      return "rst";
    case FlowEnd::kIdle:
      return "idle";
    case FlowEnd::kActiveTimeout:
      return "active-timeout";
    case FlowEnd::kEvicted:
      return "evicted";
    case FlowEnd::kEndOfInput:
      return "end-of-input";
  }
  return "unknown";
}

struct Selector::Impl {
  const SelectionOrder& order;
  const PrefixSet& domestic;
  const Pseudonymizer& pseudonymizer;
  SelectorConfig config;
  Sink sink;
  std::unique_ptr<CriteriaMatcher> matcher;
  PacketDecoder decoder;
  FlowTable flows;
  std::deque<Inspection> inspections;  // stable addresses, chunked: prefetchable by index
  std::vector<uint32_t> freeInspections;
  uint32_t maxInspections;
  RunCounts counts;
  DecodedPacket packet;

  Impl(const SelectionOrder& o, const PrefixSet& d, const Pseudonymizer& p, SelectorConfig c,
       Sink s, std::unique_ptr<CriteriaMatcher> m, uint32_t capacity, uint64_t seed)
      : order(o),
        domestic(d),
        pseudonymizer(p),
        config(c),
        sink(std::move(s)),
        matcher(std::move(m)),
        flows(capacity, seed),
        maxInspections(capacity) {
    counts.perCriterion.assign(order.criteria.size(), 0);
  }

  // A run that stops early (an input error) never calls finish(): free the open pattern streams.
  ~Impl() {
    uint64_t ignored = 0;
    for (auto& in : inspections) {
      for (auto& d : in.dir) {
        if (d.patterns != nullptr) matcher->closeStream(d.patterns, ignored);
      }
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  static IpAddress endpoint(const FlowKey& k, bool a) {
    const auto& bytes = a ? k.addrA : k.addrB;
    return k.family == 4 ? IpAddress::v4Bytes(bytes.data()) : IpAddress::v6Bytes(bytes.data());
  }

  Inspection* inspectionOf(Flow& f) {
    if (f.inspection != kNoIndex) return &inspections[f.inspection];
    uint32_t index;
    if (!freeInspections.empty()) {
      index = freeInspections.back();
      freeInspections.pop_back();
    } else if (inspections.size() < maxInspections) {
      index = static_cast<uint32_t>(inspections.size());
      inspections.emplace_back();
    } else {
      ++counts.inspectionSkipped;
      return nullptr;
    }
    f.inspection = index;
    Inspection* in = &inspections[index];
    const bool patterns = matcher->hasPatterns();
    for (auto& d : in->dir) d.patternsDone = !patterns;
    return in;
  }

  void releaseInspection(Flow& f) {
    if (f.inspection == kNoIndex) return;
    inspections[f.inspection].reset();
    freeInspections.push_back(f.inspection);
    f.inspection = kNoIndex;
  }

  // Frames are processed in batches so that the flow-table lookups of a batch are in flight at
  // once: a lookup is two dependent cache misses (index slot, then flow), which would otherwise
  // dominate the packet path (bench/RESULTS.md).
  static constexpr size_t kLookahead = 64;
  struct Ready {
    FlowKey key;
    uint64_t hash;
    bool fromA;
  };
  FrameBatch pending;  // frames given one at a time through onFrame()
  std::array<DecodedPacket, kLookahead> decoded{};
  std::array<Ready, kLookahead> ready{};

  void onFrame(int linkType, std::span<const uint8_t> frame, int64_t ts) {
    if (!pending.add(linkType, frame, ts)) {
      onBatch(pending);
      pending.clear();
      (void)pending.add(linkType, frame, ts);  // an empty batch takes any frame
    }
  }

  void flushPending() {
    onBatch(pending);
    pending.clear();
  }

  void onBatch(const FrameBatch& batch) {
    size_t m = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const FrameBatch::Frame& frame = batch.frame(i);
      ++counts.frames;
      counts.frameBytes += frame.length;
      const uint64_t reassembledBefore = decoder.reassembledDatagrams();
      switch (decoder.decode(frame.linkType, batch.bytes(frame), frame.tsMicros, decoded[m])) {
        case DecodeStatus::kAnomaly:
          ++counts.undecodable;
          continue;
        case DecodeStatus::kConsumed:
          continue;
        case DecodeStatus::kPacket:
          break;
      }
      ++counts.packets;
      ++m;
      // A reassembled datagram lives in the decoder's buffer only until the next decode: process
      // what is decoded so far before decoding further.
      if (m == kLookahead || decoder.reassembledDatagrams() != reassembledBefore) {
        processDecoded(m);
        m = 0;
      }
    }
    processDecoded(m);
  }

  void processDecoded(size_t m) {
    for (size_t j = 0; j < m; ++j) {
      const DecodedPacket& p = decoded[j];
      Ready& r = ready[j];
      uint16_t sport = p.sport, dport = p.dport;
      icmpEchoPorts(p, sport, dport);
      r.key = makeFlowKey(p.src, sport, p.dst, dport, p.ipProto, r.fromA);
      r.hash = flows.hash(r.key);
      flows.prefetchSlot(r.hash);
    }
    for (size_t j = 0; j < m; ++j) flows.prefetchFlow(ready[j].hash);
    for (size_t j = 0; j < m; ++j) onPacket(decoded[j], ready[j]);
  }

  // Flows sit in their list in the order they were last *touched*; a flow is re-touched at most
  // once per kTouchMicros of capture time, which saves two random writes per packet. Expiry
  // therefore re-checks the real last-seen time of the head and re-queues flows touched lazily.
  static constexpr int64_t kTouchMicros = 1'000'000;

  void expire(int64_t now) {
    while (Flow* f = flows.oldest(FlowList::kClosing)) {
      if (now - f->touched < config.closeLingerMicros) break;
      if (now - f->last < config.closeLingerMicros) {
        requeue(f, f->list);
        continue;
      }
      endFlow(*f, closedBy(*f));
    }
    while (Flow* f = flows.oldest(FlowList::kActive)) {
      if (now - f->touched < config.idleTimeoutMicros) break;
      if (now - f->last < config.idleTimeoutMicros) {
        requeue(f, f->list);
        continue;
      }
      endFlow(*f, FlowEnd::kIdle);
    }
  }

  static FlowEnd closedBy(const Flow& f) {
    return ((f.tcpFlags[0] | f.tcpFlags[1]) & kTcpRst) ? FlowEnd::kRst : FlowEnd::kFin;
  }

  void requeue(Flow* f, FlowList list) {
    flows.touch(f, list);
    f->touched = f->last;
  }

  Flow* newFlow(const FlowKey& key, uint64_t hash, bool fromA, const DecodedPacket& p) {
    if (flows.full()) {
      Flow* victim = flows.oldest(FlowList::kClosing);
      if (victim == nullptr) victim = flows.oldest(FlowList::kActive);
      ++counts.evicted;
      endFlow(*victim, FlowEnd::kEvicted);
    }
    Flow* f = flows.insert(key, hash);
    // The initiator is the sender of the first packet, except that a SYN-ACK seen first comes
    // from the responder.
    const bool synAck = p.ipProto == kProtoTcp && (p.tcpFlags & kTcpSyn) && (p.tcpFlags & kTcpAck);
    f->initiatorIsA = static_cast<uint8_t>(fromA != synAck);
    const IpAddress& initiator = synAck ? p.dst : p.src;
    const IpAddress& responder = synAck ? p.src : p.dst;
    const unsigned cls =
        (domestic.contains(initiator) ? 2U : 0U) | (domestic.contains(responder) ? 1U : 0U);
    f->directionClass = static_cast<uint8_t>(cls);
    f->first = p.tsMicros;
    f->touched = p.tsMicros;
    f->vlan = p.vlan;
    ++counts.flows;
    ++counts.flowsByClass[cls];
    const auto dc = static_cast<DirectionClass>(cls);
    if (!order.inScope(dc)) {
      ++counts.notAnalysed;
    } else if (!order.validAt(p.tsMicros)) {
      ++counts.notAnalysed;
      ++counts.outsideWindow;
    } else {
      f->analysed = 1;
      const uint16_t responderPort = synAck ? p.sport : p.dport;
      f->criteria = matcher->matchAddress(initiator) | matcher->matchAddress(responder) |
                    matcher->matchPort(responderPort, p.ipProto);
      // Directions with nothing to look for are never inspected: without pattern criteria only
      // the initiator's first bytes (ClientHello, request head) and DNS messages carry metadata.
      if (!matcher->hasPatterns()) {
        if (p.ipProto == kProtoTcp) {
          f->inspectDone = isDnsPort(responderPort) ? 0 : 2;
        } else if (!(p.ipProto == kProtoUdp && (isDnsPort(p.sport) || isDnsPort(p.dport)))) {
          f->inspectDone = 3;
        }
      }
    }
    return f;
  }

  void onPacket(const DecodedPacket& p, const Ready& r) {
    expire(p.tsMicros);
    const FlowKey& key = r.key;
    const uint64_t hash = r.hash;
    const bool fromA = r.fromA;
    Flow* f = flows.find(key, hash);
    if (f != nullptr && p.tsMicros - f->first >= config.activeTimeoutMicros) {
      endFlow(*f, FlowEnd::kActiveTimeout);
      f = nullptr;
    }
    if (f == nullptr) f = newFlow(key, hash, fromA, p);

    const unsigned dir = (fromA == static_cast<bool>(f->initiatorIsA)) ? 0 : 1;
    ++f->pkts[dir];
    f->bytes[dir] += p.ipLength;
    f->last = std::max(f->last, p.tsMicros);
    FlowList list = f->list;
    if (p.ipProto == kProtoTcp) {
      f->tcpFlags[dir] |= p.tcpFlags;
      if (p.tcpFlags & kTcpFin) f->finSeen |= static_cast<uint8_t>(1U << dir);
      if ((p.tcpFlags & kTcpRst) || f->finSeen == 3) list = FlowList::kClosing;
    }
    if (list != f->list || p.tsMicros - f->touched >= kTouchMicros) {
      flows.touch(f, list);
      f->touched = p.tsMicros;
    }
    if (f->analysed && !((f->inspectDone >> dir) & 1U)) {
      if (p.ipProto == kProtoTcp && (p.tcpFlags & kTcpSyn)) {
        f->synSeq[dir] = p.tcpSeq + 1;
        f->synSeen |= static_cast<uint8_t>(1U << dir);
      } else if (!p.payload.empty()) {
        inspect(*f, dir, p);
      }
    }
  }

  void inspect(Flow& f, unsigned dir, const DecodedPacket& p) {
    Inspection* in = inspectionOf(f);
    if (in == nullptr) return;
    if (p.ipProto == kProtoTcp) {
      inspectTcp(f, *in, dir, p);
      return;
    }
    if (p.payload.empty()) return;
    if (p.ipProto == kProtoUdp && (isDnsPort(p.sport) || isDnsPort(p.dport))) {
      parseDns(f, *in, p.payload);
    }
    if (matcher->hasPatterns()) matcher->scanBlock(p.payload, f.criteria);
  }

  void inspectTcp(Flow& f, Inspection& in, unsigned dir, const DecodedPacket& p) {
    DirectionStream& ds = in.dir[dir];
    std::span<const uint8_t> data = p.payload;
    if (!ds.seqKnown) {
      ds.nextSeq = ((f.synSeen >> dir) & 1U) ? f.synSeq[dir] : p.tcpSeq;
      ds.seqKnown = true;
    }
    const auto offset = static_cast<int32_t>(p.tcpSeq - ds.nextSeq);
    if (offset < 0) {  // retransmission overlapping what was delivered: keep only the new part
      const auto overlap = static_cast<uint64_t>(-static_cast<int64_t>(offset));
      if (overlap >= data.size()) return;
      data = data.subspan(static_cast<size_t>(overlap));
    } else if (offset > 0) {
      if (ds.held.size() < kMaxHeldSegments) {
        ds.held.push_back(HeldSegment{p.tcpSeq, std::vector<uint8_t>(data.begin(), data.end())});
        return;
      }
      ++counts.streamGaps;  // give up on the gap: continue from this segment
      ds.held.clear();
    }
    deliver(f, in, dir, data);
    ds.nextSeq = static_cast<uint32_t>(p.tcpSeq + static_cast<uint32_t>(p.payload.size()));
    drainHeld(f, in, dir);
    if (ds.appDone && ds.patternsDone) f.inspectDone |= static_cast<uint8_t>(1U << dir);
  }

  void drainHeld(Flow& f, Inspection& in, unsigned dir) {
    DirectionStream& ds = in.dir[dir];
    bool progressed = true;
    while (progressed && !ds.held.empty()) {
      progressed = false;
      for (size_t i = 0; i < ds.held.size(); ++i) {
        HeldSegment& h = ds.held[i];
        const auto offset = static_cast<int32_t>(h.seq - ds.nextSeq);
        if (offset > 0) continue;
        const auto skip = static_cast<uint64_t>(-static_cast<int64_t>(offset));
        HeldSegment segment = std::move(h);
        ds.held.erase(ds.held.begin() + static_cast<std::ptrdiff_t>(i));
        if (skip < segment.bytes.size()) {
          deliver(f, in, dir,
                  std::span<const uint8_t>(segment.bytes).subspan(static_cast<size_t>(skip)));
          ds.nextSeq =
              static_cast<uint32_t>(segment.seq + static_cast<uint32_t>(segment.bytes.size()));
        }
        progressed = true;
        break;
      }
    }
  }

  void deliver(Flow& f, Inspection& in, unsigned dir, std::span<const uint8_t> data) {
    DirectionStream& ds = in.dir[dir];
    if (!ds.appDone) parseApp(f, in, dir, data);
    if (!ds.patternsDone) {
      if (ds.patterns == nullptr) ds.patterns = matcher->openStream();
      if (ds.patterns == nullptr) {
        ds.patternsDone = true;
        ++counts.inspectionSkipped;
        return;
      }
      const size_t n = std::min<size_t>(data.size(), config.inspectDepth - ds.inspected);
      matcher->scanStream(ds.patterns, data.first(n), f.criteria);
      ds.inspected += static_cast<uint32_t>(n);
      if (ds.inspected >= config.inspectDepth) ds.patternsDone = true;
    }
  }

  // Application metadata from the initiator's stream (and the responder's for DNS over TCP).
  void parseApp(Flow& f, Inspection& in, unsigned dir, std::span<const uint8_t> data) {
    DirectionStream& ds = in.dir[dir];
    const bool dnsTcp = isDnsPort(f.initiatorIsA ? f.key.portB : f.key.portA);
    if (dir == 1 && !dnsTcp) {
      ds.appDone = true;
      return;
    }
    std::span<const uint8_t> view = data;
    if (!ds.appBuffer.empty()) {
      ds.appBuffer.insert(ds.appBuffer.end(), data.begin(), data.end());
      view = ds.appBuffer;
    }
    bool needMore = false;
    if (dnsTcp) {
      const auto message = dns::dnsTcpFrame(view);
      if (message.empty()) {
        needMore = true;
      } else {
        parseDns(f, in, message);
      }
    } else {
      needMore = parseStreamHead(f, in, view);
    }
    if (needMore && view.size() < kMaxAppBuffer) {
      if (ds.appBuffer.empty()) ds.appBuffer.assign(data.begin(), data.end());
      return;
    }
    ds.appDone = true;
    std::vector<uint8_t>().swap(ds.appBuffer);  // free the held bytes now
  }

  // TLS ClientHello or HTTP request head at the start of a stream; returns true to wait for more.
  bool parseStreamHead(Flow& f, Inspection& in, std::span<const uint8_t> view) {
    tls::ClientHello hello;
    switch (tls::parseClientHello(view, hello)) {
      case tls::TlsParse::kOk:
        in.app = AppProto::kTls;
        in.tlsSni = hello.sni;
        in.tlsJa4 = tls::ja4(hello, 't');
        in.tlsJa3 = tls::ja3(hello);
        in.tlsVersion = tls::offeredVersion(hello);
        if (!in.tlsSni.empty() && matcher->hasDomains())
          f.criteria |= matcher->matchDomain(in.tlsSni);
        if (matcher->hasJa4()) f.criteria |= matcher->matchJa4(in.tlsJa4);
        return false;
      case tls::TlsParse::kNeedMore:
        return true;
      case tls::TlsParse::kMalformed:
        ++counts.appMalformed;
        return false;
      case tls::TlsParse::kNotTls:
        break;
    }
    http::HttpRequestHead head;
    switch (http::parseHttpRequestHead(view, head)) {
      case http::HttpParse::kOk:
        in.app = AppProto::kHttp;
        in.httpMethod = head.method;
        in.httpHost = head.host;
        if (!in.httpHost.empty() && matcher->hasDomains())
          f.criteria |= matcher->matchDomain(in.httpHost);
        return false;
      case http::HttpParse::kNeedMore:
        return true;
      case http::HttpParse::kNotHttp:
        in.app = AppProto::kUnknown;
        return false;
    }
    return false;
  }

  void parseDns(Flow& f, Inspection& in, std::span<const uint8_t> message) {
    dns::DnsMessage m;
    if (dns::parseDnsMessage(message, m) != dns::DnsParse::kOk) {
      ++counts.appMalformed;
      return;
    }
    in.app = AppProto::kDns;
    for (const auto& q : m.questions) {
      if (in.dnsQuestions.size() < kMaxDnsQuestions &&
          std::none_of(in.dnsQuestions.begin(), in.dnsQuestions.end(),
                       [&](const auto& e) { return e.type == q.type && e.name == q.name; })) {
        in.dnsQuestions.push_back({q.name, q.type});
      }
      if (matcher->hasDomains()) f.criteria |= matcher->matchDomain(q.name);
    }
    if (m.isResponse) {
      pushUnique(in.dnsRcodes, m.rcode, 4);
      for (const auto& a : m.answers) pushUnique(in.dnsAnswers, a, kMaxDnsAnswers);
      if (matcher->hasDomains()) {
        for (const auto& c : m.cnames) f.criteria |= matcher->matchDomain(c);
      }
    }
  }

  void endFlow(Flow& f, FlowEnd why) {
    decideFlow(f, why);
    flows.remove(&f);
  }

  // Decides the flow: a record if selected, a count if not; then frees its inspection state.
  void decideFlow(Flow& f, FlowEnd why) {
    Inspection* in = f.inspection != kNoIndex ? &inspections[f.inspection] : nullptr;
    if (in != nullptr) {
      for (auto& d : in->dir) {
        if (d.patterns != nullptr) {
          matcher->closeStream(d.patterns, f.criteria);
          d.patterns = nullptr;
        }
      }
    }
    if (f.analysed && f.criteria != 0) {
      ++counts.selected;
      for (size_t i = 0; i < counts.perCriterion.size(); ++i) {
        if ((f.criteria >> i) & 1U) ++counts.perCriterion[i];
      }
      sink(makeRecord(f, in, why));
    } else {
      ++counts.discarded;
    }
    releaseInspection(f);
  }

  SelectedRecord makeRecord(const Flow& f, const Inspection* in, FlowEnd why) const {
    SelectedRecord r;
    r.order = order.id;
    for (size_t i = 0; i < order.criteria.size(); ++i) {
      if ((f.criteria >> i) & 1U) r.criteria.push_back(order.criteria[i].id);
    }
    const bool a = f.initiatorIsA != 0;
    r.directionClass = static_cast<DirectionClass>(f.directionClass);
    r.ipProto = f.key.ipProto;
    r.src = endpoint(f.key, a);
    r.dst = endpoint(f.key, !a);
    r.sport = a ? f.key.portA : f.key.portB;
    r.dport = a ? f.key.portB : f.key.portA;
    r.srcDomestic = (f.directionClass & 2U) != 0;
    r.dstDomestic = (f.directionClass & 1U) != 0;
    if (r.srcDomestic) r.src = pseudonymizer.pseudonymize(r.src);
    if (r.dstDomestic) r.dst = pseudonymizer.pseudonymize(r.dst);
    r.first = f.first;
    r.last = f.last;
    r.pkts = {f.pkts[0], f.pkts[1]};
    r.bytes = {f.bytes[0], f.bytes[1]};
    r.tcpFlags = {f.tcpFlags[0], f.tcpFlags[1]};
    r.vlan = f.vlan;
    r.end = why;
    r.id = toHex(sha256(fmt::format("{}|{}|{}|{}|{}|{}|{}", order.id, r.src.toString(), r.sport,
                                    r.dst.toString(), r.dport, r.ipProto, r.first)))
               .substr(0, 32);
    if (in == nullptr) return r;
    const Deidentifier deid{domestic, pseudonymizer};
    switch (in->app) {
      case AppProto::kDns:
        r.app = "dns";
        for (const auto& q : in->dnsQuestions) {
          r.dnsQueries.push_back({deid.name(q.name), std::string(dns::typeName(q.type))});
        }
        for (uint8_t rc : in->dnsRcodes) r.dnsRcodes.emplace_back(dns::rcodeName(rc));
        for (const auto& ans : in->dnsAnswers) {
          r.dnsAnswers.push_back(deid.address(ans));
        }
        break;
      case AppProto::kTls:
        r.app = "tls";
        r.tlsSni = deid.name(in->tlsSni);
        r.tlsJa4 = in->tlsJa4;
        r.tlsJa3 = in->tlsJa3;
        r.tlsVersion = tls::versionName(in->tlsVersion);
        break;
      case AppProto::kHttp:
        r.app = "http";
        r.httpMethod = in->httpMethod;
        r.httpHost = deid.name(in->httpHost);
        break;
      case AppProto::kUnknown:
      case AppProto::kUndetermined:
        break;
    }
    return r;
  }

  void finish() {
    flushPending();
    while (Flow* f = flows.oldest(FlowList::kClosing)) {
      endFlow(*f, closedBy(*f));
    }
    while (Flow* f = flows.oldest(FlowList::kActive)) endFlow(*f, FlowEnd::kEndOfInput);
    counts.anomalies = decoder.anomalies();
    counts.nonIp = decoder.nonIpFrames();
  }
};

Selector::Selector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Selector::~Selector() = default;

Result<std::unique_ptr<Selector>> Selector::create(const SelectionOrder& order,
                                                   const PrefixSet& domestic,
                                                   const Pseudonymizer& pseudonymizer,
                                                   SelectorConfig config, Sink sink) {
  auto matcher = CriteriaMatcher::build(order);
  if (!matcher) return matcher.error();
  // The memory bound covers the flow table and a worst-case inspection state per flow.
  const size_t perFlow =
      FlowTable::bytesPerFlow() + sizeof(Inspection) + 2 * (*matcher)->streamStateBytes();
  const uint64_t capacity = config.flowMemoryBytes / perFlow;
  if (capacity < 1024) {
    return makeError(fmt::format("flow memory bound of {} bytes is too small (at least {} needed)",
                                 config.flowMemoryBytes, 1024 * perFlow));
  }
  uint64_t seed = config.seed;
  if (seed == 0) {
    std::array<uint8_t, 8> bytes{};
    randomBytes(bytes);
    for (uint8_t b : bytes) seed = (seed << 8) | b;
  }
  auto impl = std::make_unique<Impl>(
      order, domestic, pseudonymizer, config, std::move(sink), std::move(matcher).value(),
      static_cast<uint32_t>(std::min<uint64_t>(capacity, 0x7fffffff)), seed);
  return std::unique_ptr<Selector>(new Selector(std::move(impl)));
}

void Selector::onFrame(int linkType, std::span<const uint8_t> frame, int64_t tsMicros) {
  impl_->onFrame(linkType, frame, tsMicros);
}
void Selector::onBatch(const FrameBatch& batch) {
  impl_->flushPending();  // frames given through onFrame() come first
  impl_->onBatch(batch);
}
void Selector::finish() {
  impl_->finish();
}
const RunCounts& Selector::counts() const {
  return impl_->counts;
}
uint32_t Selector::flowCapacity() const {
  return impl_->flows.capacity();
}


}  // namespace mamori::sensor
