// Hand-building DNS messages for tests, independently of the code under test: expected bytes in
// the tests come from these few lines (RFC 1035 4.1 layouts written out), never from the
// library's own writer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace mamori::dns::testutil {

using Bytes = std::vector<uint8_t>;

inline void put8(Bytes& b, int v) {
  b.push_back(static_cast<uint8_t>(v));
}
inline void put16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}
inline void putBytes(Bytes& b, std::span<const uint8_t> v) {
  b.insert(b.end(), v.begin(), v.end());
}
inline void putList(Bytes& b, std::initializer_list<int> v) {
  for (const int x : v) put8(b, x);
}

// "www.example.com" -> 3 www 7 example 3 com 0 (no escapes; "" is the root).
inline Bytes wireName(std::string_view dotted) {
  Bytes out;
  while (!dotted.empty()) {
    const size_t dot = dotted.find('.');
    const std::string_view label = dotted.substr(0, dot);
    put8(out, static_cast<int>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  put8(out, 0);
  return out;
}

inline Bytes header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                    uint16_t ar) {
  Bytes b;
  put16(b, id);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, ns);
  put16(b, ar);
  return b;
}

// Owner given as raw bytes (a wire name or a 2-byte pointer), then the fixed fields and rdata.
inline void putRecord(Bytes& b, std::span<const uint8_t> owner, uint16_t type, uint16_t rclass,
                      uint32_t ttl, std::span<const uint8_t> rdata) {
  putBytes(b, owner);
  put16(b, type);
  put16(b, rclass);
  put32(b, ttl);
  put16(b, static_cast<uint32_t>(rdata.size()));
  putBytes(b, rdata);
}

inline Bytes pointer(uint16_t offset) {
  return Bytes{static_cast<uint8_t>(0xC0 | (offset >> 8)), static_cast<uint8_t>(offset)};
}

// OPT pseudo-record: root owner, type 41, class = payload size, TTL = ext rcode, version, flags.
inline void putOpt(Bytes& b, uint16_t payload, bool dnssecOk, std::span<const uint8_t> options = {},
                   uint8_t extendedRcode = 0, uint8_t version = 0) {
  put8(b, 0);
  put16(b, 41);
  put16(b, payload);
  put8(b, extendedRcode);
  put8(b, version);
  put16(b, dnssecOk ? 0x8000 : 0);
  put16(b, static_cast<uint32_t>(options.size()));
  putBytes(b, options);
}

// A standard query: RD set, one question of class IN, optionally with an OPT record.
inline Bytes query(std::string_view name, uint16_t type, uint16_t id = 0x1234, bool edns = false,
                   uint16_t payload = 4096, bool dnssecOk = false) {
  Bytes b = header(id, 0x0100, 1, 0, 0, edns ? 1 : 0);
  putBytes(b, wireName(name));
  put16(b, type);
  put16(b, 1);
  if (edns) putOpt(b, payload, dnssecOk);
  return b;
}

}  // namespace mamori::dns::testutil
