// Frames composed field by field, for decoder and selector tests: lengths are computed from the
// parts, so expected values come from how a frame was built, not from the code under test.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "mamori/sensor/decoder.h"

namespace mamori::sensor::testing {

using Frame = std::vector<uint8_t>;

constexpr int kEth = static_cast<int>(LinkType::kEthernet);
constexpr int kSll = static_cast<int>(LinkType::kLinuxSll);
constexpr int kSll2 = static_cast<int>(LinkType::kLinuxSll2);
constexpr int kRaw = static_cast<int>(LinkType::kRaw);
constexpr int kRawAlt = static_cast<int>(LinkType::kRawAlt);
constexpr int kDltIpv4 = static_cast<int>(LinkType::kIpv4);
constexpr int kDltIpv6 = static_cast<int>(LinkType::kIpv6);
constexpr int kNull = static_cast<int>(LinkType::kNull);
constexpr int kLoop = static_cast<int>(LinkType::kLoop);

// ---- frame composition ------------------------------------------------------------------------

inline void put8(Frame& f, unsigned v) {
  f.push_back(static_cast<uint8_t>(v & 0xff));
}
inline void put16(Frame& f, unsigned v) {
  put8(f, v >> 8);
  put8(f, v);
}
inline void put32(Frame& f, uint32_t v) {
  put16(f, v >> 16);
  put16(f, v & 0xffff);
}
inline void append(Frame& f, const Frame& more) {
  f.insert(f.end(), more.begin(), more.end());
}
inline Frame cat(std::initializer_list<Frame> parts) {
  Frame f;
  for (const auto& p : parts) {
    append(f, p);
  }
  return f;
}
inline Frame bytesOf(std::string_view s) {
  return Frame(s.begin(), s.end());
}
inline Frame counting(size_t n, uint8_t start = 0) {
  Frame f(n);
  for (size_t i = 0; i < n; ++i) {
    f[i] = static_cast<uint8_t>(start + i);
  }
  return f;
}

struct Tcp {
  uint16_t sport = 49152;
  uint16_t dport = 443;
  uint32_t seq = 0x01020304;
  uint8_t flags = kTcpSyn | kTcpAck;
  size_t optionWords = 0;
  int dataOffset = -1;  // override of the header-length nibble
};
inline Frame tcp(const Tcp& h, const Frame& payload) {
  Frame f;
  put16(f, h.sport);
  put16(f, h.dport);
  put32(f, h.seq);
  put32(f, 0);  // ack
  const unsigned words = h.dataOffset >= 0 ? static_cast<unsigned>(h.dataOffset)
                                           : static_cast<unsigned>(5 + h.optionWords);
  put8(f, words << 4);
  put8(f, h.flags);
  put16(f, 65535);  // window
  put16(f, 0);      // checksum
  put16(f, 0);      // urgent
  for (size_t i = 0; i < h.optionWords * 4; ++i) {
    put8(f, 1);  // NOP options
  }
  append(f, payload);
  return f;
}

inline Frame udp(uint16_t sport, uint16_t dport, const Frame& payload, int lengthOverride = -1) {
  Frame f;
  put16(f, sport);
  put16(f, dport);
  put16(f, lengthOverride >= 0 ? static_cast<unsigned>(lengthOverride)
                               : static_cast<unsigned>(8 + payload.size()));
  put16(f, 0);
  append(f, payload);
  return f;
}

// `rest` starts with the 4 bytes after type/code/checksum (e.g. echo id + sequence).
inline Frame icmp(uint8_t type, uint8_t code, const Frame& rest) {
  Frame f;
  put8(f, type);
  put8(f, code);
  put16(f, 0);
  append(f, rest);
  return f;
}

struct Ip4 {
  std::array<uint8_t, 4> src{192, 0, 2, 1};
  std::array<uint8_t, 4> dst{198, 51, 100, 7};
  uint8_t proto = 6;
  uint16_t id = 0x1234;
  bool more = false;
  uint16_t offset8 = 0;  // fragment offset in 8-octet units
  size_t optionWords = 0;
  int version = 4;
  int ihl = -1;    // override
  int total = -1;  // override
};
inline Frame ipv4(const Ip4& h, const Frame& payload) {
  Frame f;
  const unsigned ihl =
      h.ihl >= 0 ? static_cast<unsigned>(h.ihl) : static_cast<unsigned>(5 + h.optionWords);
  put8(f, (static_cast<unsigned>(h.version) << 4) | ihl);
  put8(f, 0);
  put16(f, h.total >= 0 ? static_cast<unsigned>(h.total)
                        : static_cast<unsigned>(20 + h.optionWords * 4 + payload.size()));
  put16(f, h.id);
  put16(f, (h.more ? 0x2000u : 0u) | h.offset8);
  put8(f, 64);
  put8(f, h.proto);
  put16(f, 0);
  append(f, Frame(h.src.begin(), h.src.end()));
  append(f, Frame(h.dst.begin(), h.dst.end()));
  for (size_t i = 0; i < h.optionWords * 4; ++i) {
    put8(f, 1);  // NOP options
  }
  append(f, payload);
  return f;
}

const std::array<uint8_t, 16> kV6Src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const std::array<uint8_t, 16> kV6Dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

struct Ip6 {
  uint8_t next = 6;
  int payloadLength = -1;  // override
  int version = 6;
};
inline Frame ipv6(const Ip6& h, const Frame& payload) {
  Frame f;
  put32(f, static_cast<uint32_t>(h.version) << 28);
  put16(f, h.payloadLength >= 0 ? static_cast<unsigned>(h.payloadLength)
                                : static_cast<unsigned>(payload.size()));
  put8(f, h.next);
  put8(f, 64);
  append(f, Frame(kV6Src.begin(), kV6Src.end()));
  append(f, Frame(kV6Dst.begin(), kV6Dst.end()));
  append(f, payload);
  return f;
}
// RFC 8200 uniform extension header of (units + 1) * 8 bytes.
inline Frame ext6(uint8_t next, uint8_t units) {
  Frame f;
  put8(f, next);
  put8(f, units);
  f.resize((size_t{units} + 1) * 8, 0);
  return f;
}
// RFC 4302 authentication header of (units + 2) * 4 bytes.
inline Frame ah6(uint8_t next, uint8_t units) {
  Frame f;
  put8(f, next);
  put8(f, units);
  f.resize((size_t{units} + 2) * 4, 0xaa);
  return f;
}
inline Frame frag6(uint8_t next, uint16_t offset8, bool more, uint32_t id) {
  Frame f;
  put8(f, next);
  put8(f, 0);
  put16(f, static_cast<unsigned>(offset8 << 3) | (more ? 1u : 0u));
  put32(f, id);
  return f;
}

inline Frame eth(uint16_t type, const Frame& payload,
          const std::vector<std::pair<uint16_t, uint16_t>>& tags = {}) {
  Frame f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  for (const auto& [tpid, tci] : tags) {
    put16(f, tpid);
    put16(f, tci);
  }
  put16(f, type);
  append(f, payload);
  return f;
}
inline Frame sll(uint16_t protocol, const Frame& payload) {
  Frame f;
  put16(f, 0);  // packet type: to us
  put16(f, 1);  // ARPHRD_ETHER
  put16(f, 6);  // address length
  put32(f, 0x02000000);
  put32(f, 0x00010000);
  put16(f, protocol);
  append(f, payload);
  return f;
}
inline Frame sll2(uint16_t protocol, const Frame& payload) {
  Frame f;
  put16(f, protocol);
  put16(f, 0);  // reserved
  put32(f, 3);  // ifindex
  put16(f, 1);  // ARPHRD_ETHER
  put8(f, 0);   // packet type
  put8(f, 6);   // address length
  put32(f, 0x02000000);
  put32(f, 0x00010000);
  append(f, payload);
  return f;
}
inline Frame nullLe(uint32_t family, const Frame& payload) {
  Frame f = {static_cast<uint8_t>(family), static_cast<uint8_t>(family >> 8),
             static_cast<uint8_t>(family >> 16), static_cast<uint8_t>(family >> 24)};
  append(f, payload);
  return f;
}
inline Frame familyBe(uint32_t family, const Frame& payload) {
  Frame f;
  put32(f, family);
  append(f, payload);
  return f;
}


}  // namespace mamori::sensor::testing
