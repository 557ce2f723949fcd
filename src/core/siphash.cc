#include "mamori/core/siphash.h"

#include <array>
#include <cstring>

#include "mamori/core/crypto.h"

namespace mamori {
namespace {

constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t load64le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

SipKey randomSipKey() {
  std::array<uint8_t, 16> bytes{};
  randomBytes(bytes);
  SipKey k;
  std::memcpy(&k.k0, bytes.data(), 8);
  std::memcpy(&k.k1, bytes.data() + 8, 8);
  return k;
}

uint64_t sipHash24(SipKey key, std::span<const uint8_t> in) {
  const uint64_t k0 = key.k0;
  const uint64_t k1 = key.k1;
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
  uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
  uint64_t v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const size_t n = in.size();
  size_t i = 0;
  for (; n - i >= 8; i += 8) {
    const uint64_t m = load64le(in.data() + i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n) << 56;
  for (size_t j = 0; i + j < n; ++j) {
    last |= uint64_t{in[i + j]} << (8 * j);
  }
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace mamori
