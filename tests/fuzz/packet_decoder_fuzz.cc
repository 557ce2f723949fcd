// libFuzzer target for PacketDecoder.
//
// Input: byte 0 selects the link type (index into kLinks); the rest is used twice:
//  1. as one frame, decoded by a fresh decoder;
//  2. as a sequence of records [u16 big-endian length][u8 timestamp step, x100 µs][frame bytes],
//     decoded by one decoder with a small fragment table and a short timeout, so reassembly,
//     eviction and expiry are reached.
// Invariants checked beyond memory safety: kAnomaly always comes with a counted anomaly, and a
// packet's payload is readable in full.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mamori/core/byte_cursor.h"
#include "mamori/sensor/decoder.h"

namespace {

using mamori::sensor::DecodedPacket;
using mamori::sensor::DecoderLimits;
using mamori::sensor::DecodeStatus;
using mamori::sensor::PacketDecoder;

constexpr int kLinks[] = {1, 113, 276, 101, 12, 228, 229, 0, 108};
constexpr size_t kLinkCount = sizeof(kLinks) / sizeof(kLinks[0]);

void decodeChecked(PacketDecoder& decoder, int link, std::span<const uint8_t> frame, int64_t ts) {
  DecodedPacket out;
  const uint64_t before = decoder.anomalies().total();
  const DecodeStatus status = decoder.decode(link, frame, ts, out);
  if (status == DecodeStatus::kAnomaly && decoder.anomalies().total() == before) {
    __builtin_trap();
  }
  if (status == DecodeStatus::kPacket) {
    volatile uint8_t sink = 0;
    for (const uint8_t b : out.payload) {
      sink = static_cast<uint8_t>(sink ^ b);
    }
    if (out.tsMicros != ts) {
      __builtin_trap();
    }
  } else if (!out.payload.empty()) {
    __builtin_trap();
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const int link = kLinks[data[0] % kLinkCount];
  const std::span<const uint8_t> rest(data + 1, size - 1);

  {
    PacketDecoder decoder;
    decodeChecked(decoder, link, rest, 0);
  }

  DecoderLimits limits;
  limits.maxPendingDatagrams = 4;
  limits.fragmentTimeoutMicros = 1000;
  limits.maxVlanDepth = 2;
  PacketDecoder decoder(limits);
  mamori::ByteCursor cursor(rest);
  int64_t ts = 0;
  while (cursor.remaining() >= 3) {
    const uint16_t length = cursor.u16be();
    const uint8_t step = cursor.u8();
    const auto frame = cursor.bytes(std::min<size_t>(length, cursor.remaining()));
    ts += int64_t{step} * 100;
    decodeChecked(decoder, link, frame, ts);
  }
  return 0;
}
