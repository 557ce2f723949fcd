// Network-layer composition for mamori-gencap: IPv4/IPv6 (with Hop-by-Hop and Fragment extension
// headers), TCP, UDP, ICMP/ICMPv6 echo, all with correct lengths and checksums.
//
// Every build function clears `out` and leaves one complete IP packet in it (first byte is the IP
// version nibble); the link layer is added by CaptureWriter. Sizes beyond what the headers can
// express throw mamori::Failure: this is a control-plane tool, and a silent wrap would produce a
// capture that lies about its own lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "mamori/core/ip_address.h"

namespace mamori::gencap {

using Bytes = std::vector<uint8_t>;

inline void put8(Bytes& b, uint8_t v) {
  b.push_back(v);
}
inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put24(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
// resize + memcpy: vector::insert from char iterators copies element by element.
inline void putBytes(Bytes& b, std::span<const uint8_t> s) {
  if (s.empty()) return;
  const size_t at = b.size();
  b.resize(at + s.size());
  std::memcpy(b.data() + at, s.data(), s.size());
}
inline void putStr(Bytes& b, std::string_view s) {
  if (s.empty()) return;
  const size_t at = b.size();
  b.resize(at + s.size());
  std::memcpy(b.data() + at, s.data(), s.size());
}
inline void set16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void set24(Bytes& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v >> 16);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
  b[at + 2] = static_cast<uint8_t>(v);
}
inline std::span<const uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};  // NOLINT: char and uint8_t alias
}

// Narrowing with a range check; `what` names the field in the error.
uint16_t checkedU16(size_t v, const char* what);
uint8_t checkedU8(size_t v, const char* what);

namespace tcp {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
}  // namespace tcp

inline constexpr uint8_t kProtoHopByHop = 0;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIpv6Fragment = 44;
inline constexpr uint8_t kProtoIcmpv6 = 58;

struct IpParams {
  IpAddress src;
  IpAddress dst;
  uint16_t ipId = 0;         // IPv4 identification
  uint8_t ttl = 64;          // TTL or hop limit
  uint32_t flowLabel = 0;    // IPv6, low 20 bits
  bool dontFragment = true;  // IPv4 DF bit
  bool hopByHop = false;     // IPv6: insert a Hop-by-Hop header (one PadN option) before the L4
};

struct TcpParams {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t mss = 0;  // non-zero: add SYN options (MSS, SACK permitted, window scale 7)
};

// One's-complement sum of big-endian 16-bit words (odd trailing byte padded with zero).
uint64_t checksumAdd(uint64_t sum, std::span<const uint8_t> data);
uint16_t checksumFold(uint64_t sum);
// TCP/UDP/ICMPv6 checksum over the IPv4 or IPv6 pseudo-header and the whole segment (with its
// checksum field zero).
uint16_t transportChecksum(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                           std::span<const uint8_t> segment);

void buildTcp(Bytes& out, const IpParams& ip, const TcpParams& t, std::span<const uint8_t> payload);
void buildUdp(Bytes& out, const IpParams& ip, uint16_t sport, uint16_t dport,
              std::span<const uint8_t> payload);
// ICMP echo (IPv4) or ICMPv6 echo (IPv6) request or reply.
void buildIcmpEcho(Bytes& out, const IpParams& ip, bool reply, uint16_t id, uint16_t seq,
                   std::span<const uint8_t> data);

// A UDP datagram cut into IP fragments of at most `maxFragmentData` bytes of fragmentable data
// (rounded down to a multiple of 8), returned in offset order. IPv4 uses ip.ipId as the
// identification; IPv6 uses a Fragment extension header with identification `fragmentId`.
std::vector<Bytes> buildUdpFragments(const IpParams& ip, uint32_t fragmentId, uint16_t sport,
                                     uint16_t dport, std::span<const uint8_t> payload,
                                     size_t maxFragmentData);

}  // namespace mamori::gencap
