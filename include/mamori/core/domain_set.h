// DomainSuffixSet: domain names with tags, matched against a name and all of its parent domains.
//
// "evil.example" in the set matches "evil.example" and "a.b.evil.example" but not
// "notevil.example". Names are compared case-insensitively (DNS 0x20 randomization) without the
// trailing dot. The table is open addressing over one string arena with a per-process random hash
// seed, because the names looked up come from attackers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"

namespace mamori {

class DomainSuffixSet {
 public:
  DomainSuffixSet();

  // Adds a name (normalized: lowercased, trailing dot removed). Errors on an empty name, a label
  // longer than 63 bytes, a name longer than 253 bytes, or empty labels ("a..b").
  Result<void> add(std::string_view domain, uint32_t tag);

  // Calls fn(tag) for every entry equal to `name` or to one of its parent domains. A name that is
  // not a valid domain (too long, empty labels) matches nothing.
  template <class Fn>
  void forEachMatch(std::string_view name, Fn&& fn) const {
    if (slots_.empty()) return;
    char buf[kMaxName];
    const int n = normalize(name, buf);
    if (n <= 0) return;
    const std::string_view full(buf, static_cast<size_t>(n));
    // Hash every suffix and prefetch its home slot before probing any: in a large table each probe
    // is a cache miss, and issuing them together overlaps their latency.
    uint64_t hashes[kMaxLabels];
    uint8_t starts[kMaxLabels];
    size_t count = 0;
    for (size_t pos = 0;;) {
      const uint64_t h = hash(full.substr(pos));
      __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
      hashes[count] = h;
      starts[count++] = static_cast<uint8_t>(pos);
      const auto dot = full.find('.', pos);
      if (dot == std::string_view::npos) break;
      pos = dot + 1;
    }
    for (size_t k = 0; k < count; ++k) {
      findAll(full.substr(starts[k]), hashes[k], [&](uint32_t tag) { fn(tag); });
    }
  }
  bool matches(std::string_view name) const {
    bool any = false;
    forEachMatch(name, [&](uint32_t) { any = true; });
    return any;
  }

  size_t size() const { return count_; }
  size_t memoryBytes() const;

  static constexpr size_t kMaxName = 256;
  static constexpr size_t kMaxLabels = 127;  // 253 bytes of one-byte labels and dots
  // Lowercases and strips one trailing dot into buf; returns length, or -1 if not a valid name.
  static int normalize(std::string_view name, char (&buf)[kMaxName]);

 private:
  template <class Fn>
  void findAll(std::string_view key, uint64_t h, Fn&& fn) const;
  uint64_t hash(std::string_view s) const;
  void grow();

  struct Slot {
    uint64_t hash;    // 0 = empty
    uint32_t offset;  // into arena_
    uint32_t tag;
    uint8_t length;
  };
  std::vector<Slot> slots_;
  std::string arena_;
  uint64_t seed_;
  size_t count_ = 0;
};

template <class Fn>
void DomainSuffixSet::findAll(std::string_view key, uint64_t h, Fn&& fn) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == 0) return;
    if (slot.hash == h && slot.length == key.size() &&
        std::string_view(arena_.data() + slot.offset, slot.length) == key) {
      fn(slot.tag);  // the same name may be present with several tags: keep probing
    }
  }
}

}  // namespace mamori
