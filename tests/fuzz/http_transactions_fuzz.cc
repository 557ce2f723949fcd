// libFuzzer target for HttpTransactionExtractor: the input is a sequence of TCP segments of two
// connections, each "[control byte][length: 2 bytes big-endian][payload]". Control byte bits:
//   0    direction (0 client -> server, 1 server -> client)
//   1-3  SYN, FIN, RST
//   4-5  sequence number: 0 in order, 1 rewound 3 bytes (overlap), 2 ahead 5 bytes, 3 bogus
//   6    the capture clock jumps past the idle timeout
//   7    second connection
// Small limits make every limit reachable. Invariants: never crash, emitted transactions agree
// with the statistics.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mamori/sensor/http_transactions.h"

using namespace mamori;
using namespace mamori::sensor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HttpTransactionExtractor::Limits limits;
  limits.maxConnections = 2;
  limits.maxBufferedBytes = 256;
  limits.maxHeadBytes = 512;
  limits.maxPipelined = 4;
  limits.idleTimeoutMicros = 1'000'000;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;

  const IpAddress client = IpAddress::v4(0xc6336407);        // 198.51.100.7
  const IpAddress server = IpAddress::v4(0xc0000250);        // 192.0.2.80
  uint32_t next[2][2] = {{1000, 900000}, {50000, 7000000}};  // [connection][direction]
  int64_t now = 1'000'000;
  const std::span<const uint8_t> input(data, size);
  size_t pos = 0;
  while (pos + 3 <= input.size()) {
    const uint8_t control = input[pos];
    size_t length = static_cast<size_t>(input[pos + 1]) << 8 | input[pos + 2];
    pos += 3;
    if (length > input.size() - pos) length = input.size() - pos;
    const auto payload = input.subspan(pos, length);
    pos += length;

    const int side = control & 1;
    const int conn = (control >> 7) & 1;
    DecodedPacket p;
    now += (control & 0x40) != 0 ? 2'000'000 : 10;
    p.tsMicros = now;
    p.src = side == 0 ? client : server;
    p.dst = side == 0 ? server : client;
    const uint16_t clientPort = conn == 0 ? 40000 : 40001;
    p.sport = side == 0 ? clientPort : 80;
    p.dport = side == 0 ? 80 : clientPort;
    p.ipProto = 6;
    p.tcpFlags = kTcpAck;
    if ((control & 0x02) != 0) p.tcpFlags |= kTcpSyn;
    if ((control & 0x04) != 0) p.tcpFlags |= kTcpFin;
    if ((control & 0x08) != 0) p.tcpFlags |= kTcpRst;
    if ((control & 0x02) != 0 && side == 0) p.tcpFlags &= static_cast<uint8_t>(~kTcpAck);
    uint32_t& seq = next[conn][side];
    switch ((control >> 4) & 3) {
      case 0:
        p.tcpSeq = seq;
        break;
      case 1:
        p.tcpSeq = seq - 3;
        break;
      case 2:
        p.tcpSeq = seq + 5;
        break;
      default:
        p.tcpSeq = seq ^ 0x5a5a0000U;
        break;
    }
    p.payload = payload;
    p.ipLength = static_cast<uint32_t>(40 + payload.size());
    x.onPacket(p, out);
    seq = p.tcpSeq + static_cast<uint32_t>(payload.size()) +
          ((p.tcpFlags & (kTcpSyn | kTcpFin)) != 0 ? 1U : 0U);
  }
  x.finish(out);

  const HttpTransactionStats& s = x.stats();
  if (s.transactions != out.size() || s.unanswered > s.transactions) __builtin_trap();
  uint64_t unanswered = 0;
  for (const HttpTransaction& t : out) {
    if (t.method.empty() || t.target.empty() || t.protocol.size() != 8) __builtin_trap();
    if (t.status < 0) {
      ++unanswered;
      if (t.responseBytes != -1 || t.durationMicros != -1) __builtin_trap();
    } else if (t.status < 100 || t.status > 999 || t.responseBytes < 0 || t.durationMicros < 0) {
      __builtin_trap();
    }
    if (t.target.size() > limits.maxHeadBytes) __builtin_trap();
  }
  if (unanswered != s.unanswered) __builtin_trap();
  return 0;
}
