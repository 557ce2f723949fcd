// Deterministic pseudo-random numbers for mamori-gencap.
//
// The generator must produce byte-identical captures for the same arguments, so every random
// choice comes from these generators seeded from --seed, never from the clock or std::random_device
// (whose output and distributions differ between standard libraries).
#pragma once

#include <cstddef>
#include <cstdint>

#include "mamori/core/ip_address.h"  // Uint128

namespace mamori::gencap {

// splitmix64 step: turns any 64-bit state into a well-mixed value. Used to seed xoshiro and to
// derive independent streams from (seed, index) pairs without storing per-index state.
inline uint64_t splitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A stream seed for item `index` of purpose `salt` under `seed`.
inline uint64_t deriveSeed(uint64_t seed, uint64_t salt, uint64_t index) {
  uint64_t s = seed ^ (salt * 0xD6E8FEB86659FD93ULL);
  s = splitMix64(s) ^ index;
  return splitMix64(s);
}

// xoshiro256** (Blackman & Vigna): fast, 256-bit state, good statistical quality.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& word : s_) word = splitMix64(s);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  uint32_t next32() { return static_cast<uint32_t>(next() >> 32); }

  // Uniform in [0, n) by multiply-shift (Lemire); the bias for n << 2^32 is negligible here.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((uint64_t{next32()} * n) >> 32); }
  uint64_t below64(uint64_t n) {
    return static_cast<uint64_t>((static_cast<Uint128>(next()) * n) >> 64);
  }
  // Uniform in [lo, hi], lo <= hi.
  uint32_t between(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
  // True with probability percent/100.
  bool percent(uint32_t p) { return below(100) < p; }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Bytes are taken least-significant first so the output does not depend on host byte order.
  void fill(uint8_t* out, size_t n) {
    while (n > 0) {
      uint64_t v = next();
      const size_t take = n < 8 ? n : 8;
      for (size_t i = 0; i < take; ++i, v >>= 8) out[i] = static_cast<uint8_t>(v);
      out += take;
      n -= take;
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace mamori::gencap
