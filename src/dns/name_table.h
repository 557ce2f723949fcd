// NameTable: the compact store behind Policy's QNAME triggers (internal to src/dns).
//
// Every entry is one record in a byte arena — [key length][key bytes][4-byte payload] — where the
// key is a lowercased wire-form name without its root byte. The index is open addressing with
// linear probing over 8-byte slots {32-bit fingerprint, 32-bit arena offset}, sized (after
// compact()) for a 0.7 load factor with a multiply-shift range reduction, so the table need not
// be a power of two. A lookup that misses (most queries) compares fingerprints only and never
// touches the arena; a hit reads one arena record. About 11.4 bytes of index plus key + 5 bytes
// of arena per entry, against hundreds per name in a tree of heap nodes.
//
// Keys come from the network, so the hash is SipHash under a random key. A key may appear more
// than once (several sources, exact and wildcard kinds): lookups visit every entry with the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/core/siphash.h"

namespace mamori::dns {

class NameTable {
 public:
  explicit NameTable(SipKey key) : key_(key) {}

  uint64_t hash(std::span<const uint8_t> key) const { return sipHash24(key_, key); }

  // Adds an entry (duplicates are the caller's business). Fails only when the arena would pass
  // 4 GiB.
  Result<void> insert(std::span<const uint8_t> key, uint64_t hash, uint32_t payload);

  void prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(hash)]);
  }

  // Calls fn(uint32_t payload) for every entry whose key equals `key`.
  template <class Fn>
  void forEach(std::span<const uint8_t> key, uint64_t hash, Fn&& fn) const {
    visit(key, hash, [&](uint32_t offset) { fn(loadPayload(offset, key.size())); });
  }
  // The same with fn(uint32_t& payload): the builder updates entries in place.
  template <class Fn>
  void update(std::span<const uint8_t> key, uint64_t hash, Fn&& fn) {
    visit(key, hash, [&](uint32_t offset) {
      uint32_t payload = loadPayload(offset, key.size());
      fn(payload);
      std::memcpy(&arena_[offset + 1 + key.size()], &payload, 4);
    });
  }

  // Shrinks the index to the final load factor; call once when all entries are in.
  void compact();

  size_t size() const { return count_; }
  size_t memoryBytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

 private:
  struct Slot {
    uint32_t fingerprint;
    uint32_t offset;  // into arena_; 0 = empty (arena_[0] is a never-used byte)
  };

  size_t home(uint64_t hash) const {
    // Lemire's range reduction: maps the low 32 bits uniformly onto [0, size).
    return static_cast<size_t>((uint64_t{static_cast<uint32_t>(hash)} * slots_.size()) >> 32);
  }
  static uint32_t fingerprintOf(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

  uint32_t loadPayload(uint32_t offset, size_t keyLength) const {
    uint32_t payload;
    std::memcpy(&payload, &arena_[offset + 1 + keyLength], 4);
    return payload;
  }

  template <class Fn>
  void visit(std::span<const uint8_t> key, uint64_t hash, Fn&& fn) const {
    if (slots_.empty()) return;
    const uint32_t fp = fingerprintOf(hash);
    const size_t n = slots_.size();
    for (size_t i = home(hash);; i = (i + 1 == n ? 0 : i + 1)) {
      const Slot& slot = slots_[i];
      if (slot.offset == 0) return;
      if (slot.fingerprint == fp && arena_[slot.offset] == key.size() &&
          (key.empty() || std::memcmp(&arena_[slot.offset + 1], key.data(), key.size()) == 0)) {
        fn(slot.offset);
      }
    }
  }

  void rebuild(size_t slotCount);
  void place(uint32_t fingerprint, uint32_t offset, uint64_t hash);

  SipKey key_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> arena_;
  size_t count_ = 0;
};

}  // namespace mamori::dns
