// Decoded packets and the decoder's anomaly vocabulary.
//
// Malformed traffic is data, not an error: a decoder that meets a truncated or garbled header
// records a named anomaly, counts it and moves on (the Zeek "weird" model). Anomaly counts are part
// of every run's output and ledger entry.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "mamori/core/ip_address.h"

namespace mamori::sensor {

// X-macro so names and enum stay in one place.
#define MAMORI_ANOMALIES(X)              \
  X(TruncatedEthernet, "truncated_ethernet") \
  X(TruncatedVlan, "truncated_vlan")     \
  X(VlanTooDeep, "vlan_too_deep")        \
  X(TruncatedSll, "truncated_sll")       \
  X(TruncatedLoopback, "truncated_loopback") \
  X(TruncatedIpv4, "truncated_ipv4")     \
  X(BadIpv4Version, "bad_ipv4_version")  \
  X(BadIpv4HeaderLength, "bad_ipv4_header_length") \
  X(BadIpv4TotalLength, "bad_ipv4_total_length") \
  X(TruncatedIpv6, "truncated_ipv6")     \
  X(BadIpv6Version, "bad_ipv6_version")  \
  X(TruncatedIpv6ExtHeader, "truncated_ipv6_ext_header") \
  X(Ipv6ExtHeaderChainTooLong, "ipv6_ext_header_chain_too_long") \
  X(BadFragment, "bad_fragment")         \
  X(FragmentOverlap, "fragment_overlap") \
  X(FragmentTableFull, "fragment_table_full") \
  X(FragmentTimeout, "fragment_timeout") \
  X(TruncatedTcp, "truncated_tcp")       \
  X(BadTcpHeaderLength, "bad_tcp_header_length") \
  X(TruncatedUdp, "truncated_udp")       \
  X(BadUdpLength, "bad_udp_length")      \
  X(TruncatedIcmp, "truncated_icmp")     \
  X(UnknownLinkType, "unknown_link_type")

enum class Anomaly : uint8_t {
#define MAMORI_ANOMALY_ENUM(id, name) k##id,
  MAMORI_ANOMALIES(MAMORI_ANOMALY_ENUM)
#undef MAMORI_ANOMALY_ENUM
      kCount
};

constexpr size_t kAnomalyCount = static_cast<size_t>(Anomaly::kCount);
std::string_view anomalyName(Anomaly a);

struct AnomalyCounters {
  std::array<uint64_t, kAnomalyCount> counts{};
  void add(Anomaly a) { ++counts[static_cast<size_t>(a)]; }
  uint64_t total() const;
};

// TCP flag bits as on the wire.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

// One decoded IP packet with its transport header. `payload` is a view into the capture buffer (or
// the decoder's reassembly buffer for a reassembled fragment) and is valid only until the next
// call to the decoder: payload bytes are looked at in memory and never stored.
struct DecodedPacket {
  int64_t tsMicros = 0;                // capture timestamp, microseconds since the Unix epoch
  IpAddress src;
  IpAddress dst;
  std::span<const uint8_t> payload;    // transport payload
  uint32_t ipLength = 0;               // bytes of the IP datagram (header + payload) on the wire
  uint32_t tcpSeq = 0;
  uint16_t sport = 0;                  // for ICMP: the echo identifier, else 0
  uint16_t dport = 0;                  // for ICMP: type << 8 | code
  uint16_t vlan = 0;                   // outermost 802.1Q VLAN id, 0 if none
  uint8_t ipProto = 0;                 // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, others passed through
  uint8_t tcpFlags = 0;
};

}  // namespace mamori::sensor
