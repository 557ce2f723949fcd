#include "events_hash.h"

#include <cstring>
#include <span>

#include "mamori/core/crypto.h"

namespace mamori::detect {
namespace {

constexpr uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
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
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

// Little-endian load of up to 8 bytes, as the SipHash specification reads message words.
uint64_t loadLittle(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

}  // namespace

uint64_t sipHash24(SipKey key, std::string_view data) {
  SipState s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
             key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const char* p = data.data();
  size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) s.absorb(loadLittle(p, 8));
  s.absorb(loadLittle(p, n) | (uint64_t{data.size() & 0xff} << 56));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

SipKey processSipKey() {
  static const SipKey key = [] {
    uint8_t bytes[16];
    randomBytes(std::span<uint8_t>(bytes));
    SipKey k;
    std::memcpy(&k.k0, bytes, 8);
    std::memcpy(&k.k1, bytes + 8, 8);
    return k;
  }();
  return key;
}

uint64_t mixSeeded(uint64_t value) {
  static const uint64_t seed = processSipKey().k0 ^ processSipKey().k1;
  // splitmix64's finalizer over the seeded value: every input bit reaches every output bit.
  uint64_t z = value ^ seed;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace mamori::detect
