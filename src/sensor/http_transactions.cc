#include "mamori/sensor/http_transactions.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <random>
#include <unordered_map>

#include "mamori/core/siphash.h"
#include "flow_table.h"
#include "fragments.h"
#include "proto/http/http.h"

namespace mamori::sensor {

namespace {

using http::HeadParse;

constexpr uint8_t kProtoTcp = 6;
// An RST whose sequence number is this far from the expected one is not believed: a blind
// injector would have to guess within this window.
constexpr int64_t kRstWindow = int64_t{1} << 20;
// Short message-head prefixes are parsed on every segment so that a stream that is not HTTP is
// recognised early; past this, the head is parsed again only when a line ends.
constexpr size_t kEagerParseBytes = 32;

// a - b in sequence space (RFC 9293 3.4): wraps, so a difference under 2^31 is "ahead".
int64_t seqDiff(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b);
}


// Connections are keyed by attacker-chosen addresses and ports, so the hash is keyed (SipHash).
struct KeyHash {
  SipKey key;
  size_t operator()(const FlowKey& k) const {
    std::array<uint8_t, 38> b{};
    std::memcpy(b.data(), k.addrA.data(), 16);
    std::memcpy(b.data() + 16, k.addrB.data(), 16);
    std::memcpy(b.data() + 32, &k.portA, 2);
    std::memcpy(b.data() + 34, &k.portB, 2);
    b[36] = k.ipProto;
    b[37] = k.family;
    return static_cast<size_t>(sipHash24(key, b));
  }
};

enum class Phase : uint8_t {
  kHead,        // accumulating a message head
  kBody,        // skipping `remaining` body bytes
  kChunkSize,   // accumulating a chunk-size line
  kChunkData,   // skipping `remaining` chunk bytes
  kChunkEnd,    // the (CR)LF after chunk data
  kTrailers,    // trailer lines up to the empty line
  kUntilClose,  // response body delimited by the close
  kTunnel,      // after CONNECT 2xx or 101: no longer HTTP/1.x
};

struct Direction {
  std::vector<uint8_t> buf;  // incomplete head or line, at most Limits::maxHeadBytes
  std::map<uint64_t, std::vector<uint8_t>> held;  // out-of-order segments by stream offset
  uint64_t delivered = 0;                         // stream offset of nextSeq
  uint64_t heldBytes = 0;
  uint64_t remaining = 0;  // kBody, kChunkData
  uint64_t bodyBytes = 0;  // body bytes of the response being received
  uint32_t nextSeq = 0;
  uint32_t finSeq = 0;
  Phase phase = Phase::kHead;
  bool started = false;
  bool finSeen = false;
  bool closed = false;
};

struct Pending {
  HttpTransaction tx;
  bool headRequest = false;
  bool connect = false;
  bool answered = false;  // the response head was seen
};

struct Connection {
  FlowKey key;
  IpAddress client;
  IpAddress server;
  uint16_t clientPort = 0;
  uint16_t serverPort = 0;
  bool clientIsA = true;
  bool abandoned = false;
  bool remove = false;  // erase at the end of the current packet
  bool sawRequest = false;
  uint32_t clientIsn = 0;
  bool clientSyn = false;
  int64_t last = 0;
  Direction dir[2];  // [0] client to server, [1] server to client
  std::deque<Pending> pending;
};

}  // namespace

struct HttpTransactionExtractor::Impl {
  using List = std::list<Connection>;

  explicit Impl(Limits l) : limits(l) {
    index = std::unordered_map<FlowKey, List::iterator, KeyHash>(16, KeyHash{randomSipKey()});
    if (limits.maxHeadBytes == 0) limits.maxHeadBytes = 1;
  }

  Limits limits;
  HttpTransactionStats stats;
  List lru;  // least recently seen first
  std::unordered_map<FlowKey, List::iterator, KeyHash> index;
  int64_t now = 0;           // latest capture time seen: drives the idle timeout
  int64_t packetMicros = 0;  // time of the packet being processed
  std::vector<HttpTransaction>* out = nullptr;

  // ---- emission ---------------------------------------------------------------------------------

  void emit(Connection& c, Pending& p) {
    HttpTransaction& tx = p.tx;
    tx.client = c.client;
    tx.server = c.server;
    tx.clientPort = c.clientPort;
    tx.serverPort = c.serverPort;
    ++stats.transactions;
    if (tx.status < 0) ++stats.unanswered;
    out->push_back(std::move(tx));
  }

  // Every pending request leaves: with what is known of its response, or unanswered.
  void emitAll(Connection& c, bool serverReset) {
    for (Pending& p : c.pending) {
      if (p.answered) {
        p.tx.responseBytes = static_cast<int64_t>(c.dir[1].bodyBytes);
      } else {
        p.tx.connectionReset = serverReset;
      }
      emit(c, p);
    }
    c.pending.clear();
  }

  void freeBuffers(Connection& c) {
    for (Direction& d : c.dir) {
      std::vector<uint8_t>().swap(d.buf);
      d.held.clear();
      d.heldBytes = 0;
    }
  }

  void abandon(Connection& c) {
    if (c.abandoned) return;
    ++stats.abandonedConnections;
    c.abandoned = true;
    emitAll(c, false);
    freeBuffers(c);
  }

  void end(Connection& c, bool serverReset) {
    if (!c.abandoned && (!c.dir[0].held.empty() || !c.dir[1].held.empty())) {
      // Data beyond a gap that was never filled.
      ++stats.abandonedConnections;
    }
    emitAll(c, serverReset);
    c.remove = true;
  }

  void erase(List::iterator it) {
    index.erase(it->key);
    lru.erase(it);
  }

  void expire() {
    while (!lru.empty() && lru.front().last < now - limits.idleTimeoutMicros) {
      end(lru.front(), false);
      erase(lru.begin());
    }
  }

  // ---- HTTP message framing ---------------------------------------------------------------------

  // Appends up to the first LF of `data` to the line buffer. True when a whole line is in buf.
  bool takeLine(Connection& c, Direction& d, std::span<const uint8_t>& data) {
    const auto lf = std::find(data.begin(), data.end(), uint8_t{'\n'});
    const bool complete = lf != data.end();
    const size_t n = static_cast<size_t>(lf - data.begin()) + (complete ? 1 : 0);
    if (d.buf.size() + n > limits.maxHeadBytes) {
      abandon(c);
      return false;
    }
    d.buf.insert(d.buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
    return complete;
  }

  // Whether the head in buf may now be decidable: it is still short, its first line or an empty
  // line just ended, or it reached the limit.
  bool worthParsing(const Direction& d, size_t appendedFrom) const {
    const auto& b = d.buf;
    if (b.size() <= kEagerParseBytes || b.size() >= limits.maxHeadBytes) return true;
    const bool hadLf = std::find(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(appendedFrom),
                                 '\n') != b.begin() + static_cast<std::ptrdiff_t>(appendedFrom);
    for (size_t j = appendedFrom; j < b.size(); ++j) {
      if (b[j] != '\n') continue;
      if (!hadLf) return true;
      if (j >= 1 && b[j - 1] == '\n') return true;
      if (j >= 2 && b[j - 1] == '\r' && b[j - 2] == '\n') return true;
    }
    return false;
  }

  void requestHead(Connection& c, Direction& d, const http::HttpRequestMessageHead& h) {
    if (c.pending.size() >= limits.maxPipelined) {
      abandon(c);
      return;
    }
    if (!c.sawRequest) {
      c.sawRequest = true;
      ++stats.connections;
    }
    Pending p;
    p.tx.requestMicros = packetMicros;
    p.tx.method = h.method;
    p.tx.target = h.target;
    p.tx.protocol = h.protocol;
    p.tx.host = h.host;
    p.tx.userAgent = h.userAgent;
    p.tx.referer = h.referer;
    p.headRequest = h.method == "HEAD";
    p.connect = h.method == "CONNECT";
    c.pending.push_back(std::move(p));
    if (h.method == "CONNECT") {
      d.phase = Phase::kTunnel;  // what follows is not HTTP, whatever the answer
    } else if (h.chunked) {
      d.phase = Phase::kChunkSize;
    } else if (h.otherCoding) {
      abandon(c);  // RFC 9112 6.3: a request body of unknown length cannot be framed
    } else if (h.contentLength > 0) {
      d.phase = Phase::kBody;
      d.remaining = static_cast<uint64_t>(h.contentLength);
    }
  }

  void responseHead(Connection& c, Direction& d, const http::HttpResponseHead& h) {
    if (c.pending.empty()) {
      abandon(c);  // a response to a request not seen: pairing would be off from here on
      return;
    }
    Pending& p = c.pending.front();
    if (h.status < 200 && h.status != 101) return;  // interim (100 Continue, 103 Early Hints)
    p.answered = true;
    p.tx.status = h.status;
    p.tx.durationMicros = std::max<int64_t>(0, packetMicros - p.tx.requestMicros);
    d.bodyBytes = 0;
    const bool tunnel = h.status == 101 || (p.connect && h.status < 300);
    if (tunnel || p.headRequest || h.status == 204 || h.status == 304) {
      responseDone(c, d);
      if (tunnel) {
        c.dir[0].phase = Phase::kTunnel;
        d.phase = Phase::kTunnel;
      }
    } else if (h.chunked) {
      d.phase = Phase::kChunkSize;
    } else if (h.contentLength == 0) {
      responseDone(c, d);
    } else if (h.contentLength > 0) {
      d.phase = Phase::kBody;
      d.remaining = static_cast<uint64_t>(h.contentLength);
    } else {
      d.phase = Phase::kUntilClose;
    }
  }

  void responseDone(Connection& c, Direction& d) {
    Pending& p = c.pending.front();
    p.tx.responseBytes = static_cast<int64_t>(d.bodyBytes);
    emit(c, p);
    c.pending.pop_front();
    d.bodyBytes = 0;
  }

  void messageDone(Connection& c, int side) {
    Direction& d = c.dir[side];
    d.phase = Phase::kHead;
    if (side == 1) responseDone(c, d);
  }

  // Parses a head from buf after `data` was appended; returns the bytes of `data` it used.
  size_t headBytes(Connection& c, int side, std::span<const uint8_t> data) {
    Direction& d = c.dir[side];
    const size_t before = d.buf.size();
    const size_t take = std::min<size_t>(data.size(), limits.maxHeadBytes - before);
    d.buf.insert(d.buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    if (!worthParsing(d, before)) return take;
    HeadParse r;
    size_t used = 0;
    if (side == 0) {
      http::HttpRequestMessageHead h;
      r = http::parseRequestMessageHead(d.buf, limits.maxHeadBytes, h);
      if (r == HeadParse::kOk) {
        used = h.headBytes;
        d.buf.clear();
        requestHead(c, d, h);
      }
    } else {
      http::HttpResponseHead h;
      r = http::parseResponseHead(d.buf, limits.maxHeadBytes, h);
      if (r == HeadParse::kOk) {
        used = h.headBytes;
        d.buf.clear();
        responseHead(c, d, h);
      }
    }
    switch (r) {
      case HeadParse::kOk:
        // The previous parse needed more, so the head ends inside the newly appended bytes.
        return used - before;
      case HeadParse::kNeedMore:
        return take;
      case HeadParse::kBad:
        if (side == 0 && !c.sawRequest) {
          // Not HTTP at all: ignored (not counted) until it ends, so that none of its later
          // segments is mistaken for the start of a connection seen mid-stream.
          c.abandoned = true;
          freeBuffers(c);
          return take;
        }
        [[fallthrough]];
      case HeadParse::kTooLarge:
        abandon(c);
        return take;
    }
    return take;
  }

  // In-order stream bytes of one direction.
  void feed(Connection& c, int side, std::span<const uint8_t> data) {
    Direction& d = c.dir[side];
    while (!data.empty() && !c.abandoned) {
      switch (d.phase) {
        case Phase::kHead:
          data = data.subspan(headBytes(c, side, data));
          break;
        case Phase::kBody:
        case Phase::kChunkData: {
          const size_t n = static_cast<size_t>(std::min<uint64_t>(d.remaining, data.size()));
          d.remaining -= n;
          if (side == 1) d.bodyBytes += n;
          data = data.subspan(n);
          if (d.remaining == 0) {
            if (d.phase == Phase::kBody) {
              messageDone(c, side);
            } else {
              d.phase = Phase::kChunkEnd;
            }
          }
          break;
        }
        case Phase::kChunkSize: {
          if (!takeLine(c, d, data)) break;
          uint64_t size = 0;
          size_t lineBytes = 0;
          if (http::parseChunkSizeLine(d.buf, limits.maxHeadBytes, size, lineBytes) !=
              HeadParse::kOk) {
            abandon(c);
            break;
          }
          d.buf.clear();
          d.remaining = size;
          d.phase = size == 0 ? Phase::kTrailers : Phase::kChunkData;
          break;
        }
        case Phase::kChunkEnd:
        case Phase::kTrailers: {
          if (!takeLine(c, d, data)) break;
          const bool empty = d.buf.size() == 1 || (d.buf.size() == 2 && d.buf[0] == '\r');
          d.buf.clear();
          if (d.phase == Phase::kChunkEnd) {
            if (!empty) {
              abandon(c);
            } else {
              d.phase = Phase::kChunkSize;
            }
          } else if (empty) {
            messageDone(c, side);
          }
          break;
        }
        case Phase::kUntilClose:
          d.bodyBytes += data.size();
          data = {};
          break;
        case Phase::kTunnel:
          data = {};
          break;
      }
    }
  }

  // ---- TCP reassembly ---------------------------------------------------------------------------

  void deliver(Connection& c, int side, uint32_t seq, std::span<const uint8_t> data) {
    Direction& d = c.dir[side];
    const int64_t ahead = seqDiff(seq, d.nextSeq);
    if (ahead > 0) {
      if (static_cast<uint64_t>(ahead) + data.size() > limits.maxBufferedBytes ||
          d.heldBytes + data.size() > limits.maxBufferedBytes) {
        abandon(c);  // the gap cannot be bridged within the buffer limit
        return;
      }
      const uint64_t offset = d.delivered + static_cast<uint64_t>(ahead);
      auto& slot = d.held[offset];
      if (slot.size() < data.size()) {
        d.heldBytes += data.size() - slot.size();
        slot.assign(data.begin(), data.end());
      }
      return;
    }
    const auto behind = static_cast<uint64_t>(-ahead);
    if (behind >= data.size()) return;  // retransmission of delivered bytes
    advance(c, side, data.subspan(behind));
    // Held segments that now touch the delivered edge.
    while (!c.abandoned && !d.held.empty() && d.held.begin()->first <= d.delivered) {
      auto node = d.held.extract(d.held.begin());
      d.heldBytes -= node.mapped().size();
      const uint64_t end = node.key() + node.mapped().size();
      if (end > d.delivered) {
        advance(c, side, std::span<const uint8_t>(node.mapped()).subspan(d.delivered - node.key()));
      }
    }
  }

  void advance(Connection& c, int side, std::span<const uint8_t> data) {
    Direction& d = c.dir[side];
    d.nextSeq += static_cast<uint32_t>(data.size());
    d.delivered += data.size();
    feed(c, side, data);
  }

  void checkClosed(Connection& c, int side) {
    Direction& d = c.dir[side];
    if (d.closed || !d.finSeen || (d.started && d.nextSeq != d.finSeq)) return;
    d.closed = true;
    if (side == 1 && !c.abandoned) {
      if (d.phase == Phase::kUntilClose && !c.pending.empty()) responseDone(c, d);
      emitAll(c, false);  // nothing more can answer them
    }
    if (c.dir[0].closed && c.dir[1].closed) end(c, false);
  }

  Connection* create(const DecodedPacket& p, const FlowKey& key, bool fromA, bool srcIsClient) {
    if (index.size() >= limits.maxConnections) {
      ++stats.droppedConnections;
      return nullptr;
    }
    lru.emplace_back();
    Connection& c = lru.back();
    c.key = key;
    c.clientIsA = srcIsClient == fromA;
    c.client = srcIsClient ? p.src : p.dst;
    c.server = srcIsClient ? p.dst : p.src;
    c.clientPort = srcIsClient ? p.sport : p.dport;
    c.serverPort = srcIsClient ? p.dport : p.sport;
    index.emplace(key, std::prev(lru.end()));
    return &c;
  }

  void onPacket(const DecodedPacket& p) {
    if (p.ipProto != kProtoTcp) return;
    now = std::max(now, p.tsMicros);
    packetMicros = p.tsMicros;
    expire();
    bool fromA = true;
    const FlowKey key = makeFlowKey(p.src, p.sport, p.dst, p.dport, kProtoTcp, fromA);
    const bool syn = (p.tcpFlags & kTcpSyn) != 0;
    const bool ack = (p.tcpFlags & kTcpAck) != 0;
    const bool rst = (p.tcpFlags & kTcpRst) != 0;

    auto found = index.find(key);
    if (found != index.end() && syn && !ack) {
      Connection& old = *found->second;
      const bool fromClient = old.clientIsA == fromA;
      // A new SYN on the same 4-tuple (port reuse) starts a new connection.
      if (!fromClient || !old.clientSyn || old.clientIsn != p.tcpSeq) {
        end(old, false);
        erase(found->second);
        found = index.end();
      }
    }
    Connection* c = nullptr;
    if (found == index.end()) {
      if (rst) return;
      if (syn) {
        c = create(p, key, fromA, !ack);
      } else if (http::looksLikeHttpRequest(p.payload)) {
        c = create(p, key, fromA, true);
      }
      if (c == nullptr) return;
    } else {
      lru.splice(lru.end(), lru, found->second);
      c = &*found->second;
    }
    c->last = now;
    process(*c, p, (c->clientIsA == fromA) ? 0 : 1);
    if (c->remove) erase(std::prev(lru.end()));
  }

  // An abandoned connection is followed no further; it stays in the table only so that its
  // remaining packets are not picked up again as a connection seen mid-stream.
  static void abandonedPacket(Connection& c, const DecodedPacket& p, int side) {
    if ((p.tcpFlags & kTcpFin) != 0) {
      c.dir[side].closed = true;
      if (c.dir[0].closed && c.dir[1].closed) c.remove = true;
    }
  }

  void process(Connection& c, const DecodedPacket& p, int side) {
    Direction& d = c.dir[side];
    const bool syn = (p.tcpFlags & kTcpSyn) != 0;
    if ((p.tcpFlags & kTcpRst) != 0) {
      if (!d.started || std::abs(seqDiff(p.tcpSeq, d.nextSeq)) <= kRstWindow) {
        end(c, side == 1 && !c.abandoned);
      }
      return;
    }
    if (c.abandoned) {
      abandonedPacket(c, p, side);
      return;
    }
    const uint32_t dataSeq = p.tcpSeq + (syn ? 1U : 0U);
    if (syn && !d.started) {
      d.started = true;
      d.nextSeq = dataSeq;
      if (side == 0) {
        c.clientSyn = true;
        c.clientIsn = p.tcpSeq;
      }
    }
    if (!p.payload.empty() && !d.started && !d.closed) {
      const bool startsMessage =
          side == 0 ? http::looksLikeHttpRequest(p.payload)
                    : (http::looksLikeHttpResponse(p.payload) && !c.pending.empty());
      if (startsMessage) {
        d.started = true;
        d.nextSeq = dataSeq;
      }
    }
    if (!p.payload.empty() && d.started && !d.closed) {
      deliver(c, side, dataSeq, p.payload);
      if (c.remove) return;
      if (c.abandoned) {
        abandonedPacket(c, p, side);
        return;
      }
    }
    if ((p.tcpFlags & kTcpFin) != 0 && !d.finSeen) {
      d.finSeen = true;
      d.finSeq = dataSeq + static_cast<uint32_t>(p.payload.size());
    }
    checkClosed(c, 0);
    checkClosed(c, 1);
  }
};

HttpTransactionExtractor::HttpTransactionExtractor() : HttpTransactionExtractor(Limits{}) {}

HttpTransactionExtractor::HttpTransactionExtractor(Limits limits)
    : impl_(std::make_unique<Impl>(limits)) {}

HttpTransactionExtractor::~HttpTransactionExtractor() = default;

void HttpTransactionExtractor::onPacket(const DecodedPacket& packet,
                                        std::vector<HttpTransaction>& out) {
  impl_->out = &out;
  impl_->onPacket(packet);
  impl_->out = nullptr;
}

void HttpTransactionExtractor::finish(std::vector<HttpTransaction>& out) {
  impl_->out = &out;
  for (Connection& c : impl_->lru) impl_->end(c, false);
  impl_->lru.clear();
  impl_->index.clear();
  impl_->out = nullptr;
}

const HttpTransactionStats& HttpTransactionExtractor::stats() const {
  return impl_->stats;
}

}  // namespace mamori::sensor
