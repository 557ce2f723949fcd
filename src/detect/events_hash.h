// Seeded hashing for detect's tables keyed by attacker-controlled text (paths, client addresses,
// Host headers): SipHash-2-4 under a per-process random key, so an attacker who cannot learn the
// key cannot choose inputs that collide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mamori::detect {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `data` under `key`, 64-bit output.
uint64_t sipHash24(SipKey key, std::string_view data);

// The key drawn once per process from the system RNG.
SipKey processSipKey();

// A hasher for std::unordered_map over text keys.
struct SeededTextHash {
  SipKey key = processSipKey();
  size_t operator()(std::string_view s) const { return static_cast<size_t>(sipHash24(key, s)); }
};

// Mixes an integer key (ids and window numbers) with the process key; ids are ours, but how many
// there are and which windows exist are chosen by whoever wrote the input.
uint64_t mixSeeded(uint64_t value);

}  // namespace mamori::detect
