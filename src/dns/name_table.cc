#include "name_table.h"

#include <cmath>
#include <limits>

namespace mamori::dns {

namespace {

// Linear probing at 0.7 load: an unsuccessful search scans about 6 slots (48 bytes, usually one
// cache line) and only compares fingerprints. bench/dns/policy_bench.cc measures the trade.
constexpr double kMaxLoad = 0.7;

}  // namespace

void NameTable::place(uint32_t fingerprint, uint32_t offset, uint64_t hash) {
  const size_t n = slots_.size();
  size_t i = home(hash);
  while (slots_[i].offset != 0) i = (i + 1 == n ? 0 : i + 1);
  slots_[i] = Slot{fingerprint, offset};
}

void NameTable::rebuild(size_t slotCount) {
  slots_.assign(slotCount, Slot{0, 0});
  // Walk the arena rather than the old index: it holds every key, so hashes are recomputed and
  // the old table can go first.
  size_t offset = 1;
  while (offset < arena_.size()) {
    const size_t length = arena_[offset];
    const std::span<const uint8_t> key(&arena_[offset + 1], length);
    const uint64_t h = hash(key);
    place(fingerprintOf(h), static_cast<uint32_t>(offset), h);
    offset += 1 + length + 4;
  }
}

Result<void> NameTable::insert(std::span<const uint8_t> key, uint64_t hash, uint32_t payload) {
  if (arena_.empty()) arena_.push_back(0);  // offset 0 marks empty slots
  const size_t need = 1 + key.size() + 4;
  if (key.size() > 255 || arena_.size() + need > std::numeric_limits<uint32_t>::max()) {
    return makeError("policy name table full (4 GiB of names)");
  }
  const auto offset = static_cast<uint32_t>(arena_.size());
  arena_.push_back(static_cast<uint8_t>(key.size()));
  arena_.insert(arena_.end(), key.begin(), key.end());
  uint8_t bytes[4];
  std::memcpy(bytes, &payload, 4);
  arena_.insert(arena_.end(), bytes, bytes + 4);
  ++count_;
  if (static_cast<double>(count_) > static_cast<double>(slots_.size()) * kMaxLoad) {
    rebuild(slots_.empty() ? 16 : slots_.size() * 2);  // includes the new entry
  } else {
    place(fingerprintOf(hash), offset, hash);
  }
  return {};
}

void NameTable::compact() {
  const auto target = static_cast<size_t>(std::ceil(static_cast<double>(count_) / kMaxLoad)) + 1;
  if (count_ > 0 && target < slots_.size()) {
    rebuild(target);
    slots_.shrink_to_fit();
  }
  arena_.shrink_to_fit();
}

}  // namespace mamori::dns
