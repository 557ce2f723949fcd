// Seeded hashing for detect's tables keyed by attacker-controlled text (paths, client addresses,
// Host headers): SipHash-2-4 under a per-process random key, so an attacker who cannot learn the
// key cannot choose inputs that collide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/core/siphash.h"

namespace mamori::detect {

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
