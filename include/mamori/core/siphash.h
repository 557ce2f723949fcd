// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed hash for tables keyed by attacker-chosen
// data (fragment ids, connection tuples, request paths). Without the key, nobody can choose inputs
// that collide, so such tables cannot be degraded into linear scans.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mamori {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

// A fresh key from the system's random generator.
SipKey randomSipKey();

// 64-bit SipHash-2-4 of `data` under `key`.
uint64_t sipHash24(SipKey key, std::span<const uint8_t> data);
inline uint64_t sipHash24(SipKey key, std::string_view data) {
  return sipHash24(key, std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
}

}  // namespace mamori
