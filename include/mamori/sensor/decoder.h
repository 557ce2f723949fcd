// PacketDecoder: link layer → IP (with fragment reassembly) → transport.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "mamori/sensor/packet.h"

namespace mamori::sensor {

// Link types by their libpcap DLT numbers.
enum class LinkType : int {
  kNull = 0,        // DLT_NULL (BSD loopback, host-order family)
  kEthernet = 1,    // DLT_EN10MB
  kRaw = 101,       // LINKTYPE_RAW (DLT_RAW differs per platform; libpcap maps to 101 in files)
  kRawAlt = 12,     // DLT_RAW as some platforms number it
  kLoop = 108,      // DLT_LOOP (network-order family)
  kLinuxSll = 113,  // DLT_LINUX_SLL
  kIpv4 = 228,      // DLT_IPV4
  kIpv6 = 229,      // DLT_IPV6
  kLinuxSll2 = 276, // DLT_LINUX_SLL2
};

bool isSupportedLinkType(int dlt);

struct DecoderLimits {
  uint32_t maxPendingDatagrams = 8192;     // concurrent fragmented datagrams being reassembled
  uint32_t maxDatagramBytes = 65535 + 40;  // largest reassembled datagram accepted
  int64_t fragmentTimeoutMicros = 30'000'000;
  uint32_t maxVlanDepth = 4;               // 802.1Q / QinQ tags accepted before giving up
};

enum class DecodeStatus : uint8_t {
  kPacket,    // `out` holds a decoded packet
  kConsumed,  // frame absorbed without a packet: a fragment held for reassembly, or a non-IP frame
  kAnomaly,   // malformed; counted in anomalies()
};

class PacketDecoder {
 public:
  explicit PacketDecoder(DecoderLimits limits = {});
  ~PacketDecoder();
  PacketDecoder(const PacketDecoder&) = delete;
  PacketDecoder& operator=(const PacketDecoder&) = delete;

  // Decodes one captured frame of the given link type. Never throws, never reads outside `frame`.
  // On kPacket, `out.payload` stays valid until the next call.
  DecodeStatus decode(int linkType, std::span<const uint8_t> frame, int64_t tsMicros,
                      DecodedPacket& out);

  const AnomalyCounters& anomalies() const { return anomalies_; }
  uint64_t nonIpFrames() const { return nonIp_; }
  uint64_t reassembledDatagrams() const { return reassembled_; }

 private:
  struct Reassembler;
  AnomalyCounters anomalies_;
  DecoderLimits limits_;
  std::unique_ptr<Reassembler> reassembler_;
  uint64_t nonIp_ = 0;
  uint64_t reassembled_ = 0;
};

}  // namespace mamori::sensor
