// Deterministic pseudo-random numbers for mamori-genweblog.
//
// The corpus must be byte-identical for the same arguments (the benchmark's numbers are only
// comparable across machines and runs if the input is), so every choice comes from this
// generator seeded from --seed, never from the clock or std::random_device, and no
// <random> distribution is used (their output differs between standard libraries).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mamori::genweblog {

// xoshiro256** (Blackman & Vigna) seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) {
      uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31);
    }
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

  // Uniform in [0, n) by multiply-shift; the bias for the small n used here is negligible.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * uint64_t{n}) >> 32); }
  size_t index(size_t n) { return below(static_cast<uint32_t>(n)); }
  // Uniform in [0, n); the modulo bias is below 2^-40 for the n (line counts) used here.
  uint64_t below64(uint64_t n) { return next() % n; }
  // Uniform in [lo, hi], lo <= hi.
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint32_t>(hi - lo + 1)));
  }
  bool percent(uint32_t p) { return below(100) < p; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Exponentially distributed with the given mean (inter-arrival times).
  double exponential(double mean) { return -mean * std::log(1.0 - unit()); }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[index(items.size())];
  }
  // Picks an index by integer weights (sum > 0).
  size_t weighted(const std::vector<uint32_t>& weights) {
    uint32_t total = 0;
    for (uint32_t w : weights) total += w;
    uint32_t r = below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// FNV-1a: a stable hash so that a path always gets the same response size.
inline uint64_t stableHash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace mamori::genweblog
