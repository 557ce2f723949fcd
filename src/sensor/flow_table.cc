#include "flow_table.h"

#include <bit>

namespace mamori::sensor {
namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

FlowKey makeFlowKey(const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport,
                    uint8_t ipProto, bool& fromA) {
  FlowKey k;
  const int cmp = std::memcmp(src.bytes().data(), dst.bytes().data(), 16);
  fromA = cmp < 0 || (cmp == 0 && sport <= dport);
  if (fromA) {
    k.addrA = src.bytes();
    k.addrB = dst.bytes();
    k.portA = sport;
    k.portB = dport;
  } else {
    k.addrA = dst.bytes();
    k.addrB = src.bytes();
    k.portA = dport;
    k.portB = sport;
  }
  k.ipProto = ipProto;
  k.family = src.family();
  return k;
}

FlowTable::FlowTable(uint32_t capacity, uint64_t seed)
    : seed_(seed | 1), capacity_(capacity == 0 ? 1 : capacity) {
  pool_.allocateZeroed(capacity_);  // each flow is initialised on insert
  freeList_.reserve(capacity_);
  for (uint32_t i = capacity_; i > 0; --i) freeList_.push_back(i - 1);
  // Index at most half full: short probe sequences even at capacity.
  const uint64_t slots = std::bit_ceil(uint64_t{capacity_} * 2);
  slots_.allocateZeroed(slots);  // zero = empty: untouched pages cost nothing
  mask_ = slots - 1;
}

size_t FlowTable::bytesPerFlow() {
  return sizeof(Flow) + sizeof(uint32_t) + 4 * sizeof(Slot);
}

uint64_t FlowTable::hash(const FlowKey& k) const {
  uint64_t h = seed_;
  h = mix(h ^ load64(k.addrA.data()));
  h = mix(h ^ load64(k.addrA.data() + 8));
  h = mix(h ^ load64(k.addrB.data()));
  h = mix(h ^ load64(k.addrB.data() + 8));
  h = mix(h ^ (uint64_t{k.portA} | uint64_t{k.portB} << 16 | uint64_t{k.ipProto} << 32 |
               uint64_t{k.family} << 40));
  return h;
}

Flow* FlowTable::find(const FlowKey& key, uint64_t h) {
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.flow == 0) return nullptr;
    if (s.tag == tag && pool_[s.flow - 1].key == key) return &pool_[s.flow - 1];
  }
}

Flow* FlowTable::insert(const FlowKey& key, uint64_t h) {
  const uint32_t index = freeList_.back();
  freeList_.pop_back();
  uint64_t i = h & mask_;
  while (slots_[i].flow != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{index + 1, static_cast<uint32_t>(h >> 32)};
  Flow& f = pool_[index];
  f = Flow{};
  f.key = key;
  ++size_;
  linkTail(index, FlowList::kActive);
  return &f;
}

void FlowTable::remove(Flow* flow) {
  const uint32_t index = indexOf(flow);
  unlink(index);
  // Backward-shift deletion keeps linear probing correct without tombstones.
  uint64_t i = hash(flow->key) & mask_;
  while (slots_[i].flow != index + 1) i = (i + 1) & mask_;
  uint64_t hole = i;
  for (uint64_t j = (hole + 1) & mask_; slots_[j].flow != 0; j = (j + 1) & mask_) {
    const uint64_t home = hash(pool_[slots_[j].flow - 1].key) & mask_;
    // Move j into the hole if its home position is not cyclically within (hole, j].
    const bool between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!between) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{0, 0};
  freeList_.push_back(index);
  --size_;
}

void FlowTable::unlink(uint32_t index) {
  Flow& f = pool_[index];
  const auto l = static_cast<size_t>(f.list);
  if (f.prev != kNoIndex) {
    pool_[f.prev].next = f.next;
  } else {
    heads_[l] = f.next;
  }
  if (f.next != kNoIndex) {
    pool_[f.next].prev = f.prev;
  } else {
    tails_[l] = f.prev;
  }
  f.prev = f.next = kNoIndex;
}

void FlowTable::linkTail(uint32_t index, FlowList list) {
  Flow& f = pool_[index];
  const auto l = static_cast<size_t>(list);
  f.list = list;
  f.prev = tails_[l];
  f.next = kNoIndex;
  if (tails_[l] != kNoIndex) {
    pool_[tails_[l]].next = index;
  } else {
    heads_[l] = index;
  }
  tails_[l] = index;
}

void FlowTable::touch(Flow* flow, FlowList list) {
  const uint32_t index = indexOf(flow);
  if (flow->list == list && tails_[static_cast<size_t>(list)] == index) return;
  unlink(index);
  linkTail(index, list);
}

}  // namespace mamori::sensor
