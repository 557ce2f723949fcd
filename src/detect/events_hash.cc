#include "events_hash.h"

namespace mamori::detect {

SipKey processSipKey() {
  static const SipKey key = randomSipKey();
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
