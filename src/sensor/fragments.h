// FragmentTable: bounded IPv4/IPv6 fragment reassembly for PacketDecoder (internal).
//
// Contract:
// - At most `maxPendingDatagrams` datagrams are pending; a new one past that evicts the oldest
//   (counted kFragmentTableFull).
// - A pending datagram older than `fragmentTimeoutMicros` (measured from its first fragment, on
//   the clock of packet timestamps, which is made monotonic by taking the largest seen) is dropped
//   by expire() (counted kFragmentTimeout).
// - Overlapping data: the bytes that arrived first win. An overlap whose bytes differ, or that
//   also brings new bytes, is counted kFragmentOverlap; a pure retransmission (every byte already
//   held and identical) is not, because duplicated frames are common on mirror ports.
// - Inconsistent fragments (non-final piece not a multiple of 8 or empty, data past a known end,
//   a second different end, a datagram beyond `maxDatagramBytes`) are counted kBadFragment and
//   drop the pending datagram of that key.
// - Memory held per datagram is the unique bytes actually received (pieces are stored as they
//   come, not in a datagram-sized buffer), so the table's footprint follows the traffic seen.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "mamori/core/siphash.h"
#include "mamori/sensor/decoder.h"
#include "mamori/sensor/packet.h"

namespace mamori::sensor {

struct FragmentKey {
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  uint32_t id = 0;
  uint8_t proto = 0;   // IPv4: the protocol field; IPv6: 0 (RFC 8200 keys on addresses and id)
  uint8_t family = 0;  // 4 or 6
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

struct Fragment {
  FragmentKey key;
  std::span<const uint8_t> data;  // this fragment's part of the fragmentable data
  uint32_t offset = 0;            // in bytes
  bool more = false;              // IPv4 MF / IPv6 M flag
  // Taken from the first-arriving fragment with offset 0 only:
  uint32_t headerLength = 0;  // IPv4 header, or IPv6 header + unfragmentable extension headers
  uint8_t nextHeader = 0;     // protocol of the reassembled data
};

struct ReassembledDatagram {
  std::span<const uint8_t> data;  // fragmentable data, in the table's buffer until the next add()
  uint32_t headerLength = 0;
  uint8_t nextHeader = 0;
};

enum class FragmentVerdict : uint8_t {
  kHeld,      // stored (or dropped for a reason counted elsewhere, e.g. a zero-size table)
  kComplete,  // `out` holds the whole datagram
  kRejected,  // inconsistent fragment; kBadFragment counted
};

class FragmentTable {
 public:
  FragmentTable(const DecoderLimits& limits, AnomalyCounters& anomalies);
  FragmentTable(const FragmentTable&) = delete;
  FragmentTable& operator=(const FragmentTable&) = delete;

  // Advances the clock to tsMicros (if later) and drops timed-out datagrams.
  void expire(int64_t tsMicros);
  FragmentVerdict add(const Fragment& fragment, ReassembledDatagram& out);
  size_t pending() const { return index_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Piece {
    uint32_t start = 0;  // offset in the datagram
    uint32_t end = 0;
    uint32_t at = 0;  // offset in Datagram::store
  };
  struct Datagram {
    FragmentKey key;
    std::vector<Piece> pieces;  // sorted by start, disjoint
    std::vector<uint8_t> store;
    int64_t created = 0;
    uint32_t covered = 0;  // bytes held (pieces are disjoint, so this is the sum of their sizes)
    uint32_t maxEnd = 0;
    uint32_t total = 0;  // valid once haveLast
    uint32_t headerLength = 0;
    uint32_t older = kNone;
    uint32_t newer = kNone;
    uint8_t nextHeader = 0;
    bool haveFirst = false;
    bool haveLast = false;
  };
  struct KeyHash {
    SipKey sipKey;
    size_t operator()(const FragmentKey& key) const;
  };

  FragmentVerdict reject(const FragmentKey& key);
  uint32_t create(const FragmentKey& key);
  void release(uint32_t idx);
  void insertData(Datagram& dg, const Fragment& fragment);

  uint32_t maxPending_;
  uint32_t maxDatagramBytes_;
  uint64_t timeoutMicros_;
  AnomalyCounters& anomalies_;
  std::vector<Datagram> slots_;
  std::vector<uint32_t> free_;
  std::unordered_map<FragmentKey, uint32_t, KeyHash> index_;
  uint32_t oldest_ = kNone;
  uint32_t newest_ = kNone;
  int64_t now_ = 0;
  bool haveNow_ = false;
  std::vector<Piece> scratch_;
  std::vector<uint8_t> assembled_;
};

}  // namespace mamori::sensor
