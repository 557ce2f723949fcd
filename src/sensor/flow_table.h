// FlowTable: bidirectional flows in a preallocated pool with a bounded open-addressing index.
//
// The table never grows past its capacity: when full, the caller evicts the least recently seen
// flow (the head of the idle list) before inserting. All memory is allocated up front, so the
// packet path does not allocate. The index hash is keyed with a per-run random seed because flow
// keys are chosen by whoever sends the packets.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "huge_pages.h"
#include "mamori/core/ip_address.h"

namespace mamori::sensor {

// Canonical flow key: endpoint A is the lower (address, port) of the two, so both directions of a
// conversation find the same entry.
struct FlowKey {
  std::array<uint8_t, 16> addrA{};
  std::array<uint8_t, 16> addrB{};
  uint16_t portA = 0;
  uint16_t portB = 0;
  uint8_t ipProto = 0;
  uint8_t family = 0;

  bool operator==(const FlowKey& o) const {
    return portA == o.portA && portB == o.portB && ipProto == o.ipProto && family == o.family &&
           addrA == o.addrA && addrB == o.addrB;
  }
};

// Makes the canonical key for a packet; `fromA` tells whether the packet's source is endpoint A.
FlowKey makeFlowKey(const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport,
                    uint8_t ipProto, bool& fromA);

inline constexpr uint32_t kNoIndex = 0xffffffffU;

enum class FlowList : uint8_t { kActive = 0, kClosing = 1 };

struct Flow {
  FlowKey key;
  int64_t first = 0;
  int64_t last = 0;
  int64_t touched = 0;         // when the flow was last moved to the tail of its list
  uint64_t bytes[2] = {0, 0};  // [0] initiator → responder, [1] responder → initiator
  uint64_t criteria = 0;       // bit i: criterion i matched
  uint32_t pkts[2] = {0, 0};
  uint32_t prev = kNoIndex;  // LRU links within `list`
  uint32_t next = kNoIndex;
  uint32_t inspection = kNoIndex;  // index of this flow's inspection state, if any
  uint32_t synSeq[2] = {0, 0};     // sequence number after each direction's SYN
  uint8_t initiatorIsA = 1;
  uint8_t tcpFlags[2] = {0, 0};
  uint8_t directionClass = 0;
  FlowList list = FlowList::kActive;
  uint8_t finSeen = 0;   // bit 0 initiator, bit 1 responder
  uint8_t analysed = 0;  // in scope: metadata and payload inspection allowed
  uint8_t synSeen = 0;      // bit per direction
  uint8_t inspectDone = 0;  // bit per direction: nothing left to inspect, skip the payload
  uint16_t vlan = 0;
};

class FlowTable {
 public:
  FlowTable(uint32_t capacity, uint64_t seed);

  uint64_t hash(const FlowKey& key) const;
  // The flow with this key, or nullptr.
  Flow* find(const FlowKey& key, uint64_t hash);
  // Hints for batched lookups: start loading the index slot, then the flow it points to.
  void prefetchSlot(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void prefetchFlow(uint64_t hash) const {
    const Slot& s = slots_[hash & mask_];
    if (s.flow != 0) __builtin_prefetch(&pool_[s.flow - 1]);
  }
  // Inserts a new flow; precondition: not present and !full(). Returned flow is zero-initialised
  // except its key, and is at the tail of the active list.
  Flow* insert(const FlowKey& key, uint64_t hash);
  void remove(Flow* flow);

  bool full() const { return size_ == capacity_; }
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t indexOf(const Flow* f) const { return static_cast<uint32_t>(f - pool_.data()); }
  Flow& at(uint32_t index) { return pool_[index]; }

  // Moves a flow to the tail (most recent) of a list.
  void touch(Flow* flow, FlowList list);
  // Least recently seen flow of a list, or nullptr.
  Flow* oldest(FlowList list) {
    const uint32_t h = heads_[static_cast<size_t>(list)];
    return h == kNoIndex ? nullptr : &pool_[h];
  }

  // Bytes this table holds for a given capacity (for sizing from a memory bound).
  static size_t bytesPerFlow();

 private:
  struct Slot {
    uint32_t flow;  // flow index + 1; 0 = empty
    uint32_t tag;   // high hash bits, to skip most key comparisons
  };
  void unlink(uint32_t index);
  void linkTail(uint32_t index, FlowList list);

  HugePageVector<Flow> pool_;
  std::vector<uint32_t> freeList_;
  HugePageVector<Slot> slots_;
  std::array<uint32_t, 2> heads_{kNoIndex, kNoIndex};
  std::array<uint32_t, 2> tails_{kNoIndex, kNoIndex};
  uint64_t seed_;
  uint64_t mask_;
  uint32_t capacity_;
  uint32_t size_ = 0;
};

}  // namespace mamori::sensor
