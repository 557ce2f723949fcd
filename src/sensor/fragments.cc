#include "fragments.h"

#include "mamori/core/siphash.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace mamori::sensor {

namespace {

constexpr size_t kMaxReservedBuckets = 65536;
// Buffers of released datagrams above these sizes are freed, so an attack burst does not leave
// the table holding its peak memory forever.
constexpr size_t kKeepStoreBytes = 4096;
constexpr size_t kKeepPieces = 64;

}  // namespace

size_t FragmentTable::KeyHash::operator()(const FragmentKey& k) const {
  std::array<uint8_t, 38> buf{};
  std::memcpy(buf.data(), k.src.data(), 16);
  std::memcpy(buf.data() + 16, k.dst.data(), 16);
  buf[32] = static_cast<uint8_t>(k.id >> 24);
  buf[33] = static_cast<uint8_t>(k.id >> 16);
  buf[34] = static_cast<uint8_t>(k.id >> 8);
  buf[35] = static_cast<uint8_t>(k.id);
  buf[36] = k.proto;
  buf[37] = k.family;
  return static_cast<size_t>(sipHash24(sipKey, buf));
}

FragmentTable::FragmentTable(const DecoderLimits& limits, AnomalyCounters& anomalies)
    : maxPending_(limits.maxPendingDatagrams),
      maxDatagramBytes_(limits.maxDatagramBytes),
      timeoutMicros_(limits.fragmentTimeoutMicros < 0
                         ? 0
                         : static_cast<uint64_t>(limits.fragmentTimeoutMicros)),
      anomalies_(anomalies),
      index_(0, KeyHash{randomSipKey()}) {
  index_.reserve(std::min<size_t>(maxPending_, kMaxReservedBuckets));
  assembled_.reserve(std::min<size_t>(maxDatagramBytes_, 65535 + 40));
}

void FragmentTable::expire(int64_t tsMicros) {
  if (!haveNow_ || tsMicros > now_) {
    now_ = tsMicros;
    haveNow_ = true;
  }
  // Datagrams are linked in creation order and `created` follows the monotonic clock, so the
  // oldest is always at the head and the check costs O(1) when nothing is due.
  while (oldest_ != kNone) {
    // created <= now_, so the unsigned difference is exact even across the int64 range.
    const uint64_t age =
        static_cast<uint64_t>(now_) - static_cast<uint64_t>(slots_[oldest_].created);
    if (age <= timeoutMicros_) {
      break;
    }
    anomalies_.add(Anomaly::kFragmentTimeout);
    release(oldest_);
  }
}

FragmentVerdict FragmentTable::reject(const FragmentKey& key) {
  anomalies_.add(Anomaly::kBadFragment);
  if (auto it = index_.find(key); it != index_.end()) {
    release(it->second);
  }
  return FragmentVerdict::kRejected;
}

uint32_t FragmentTable::create(const FragmentKey& key) {
  if (index_.size() >= maxPending_ && oldest_ != kNone) {
    anomalies_.add(Anomaly::kFragmentTableFull);
    release(oldest_);
  }
  uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Datagram& dg = slots_[idx];
  dg.key = key;
  dg.created = now_;
  dg.covered = dg.maxEnd = dg.total = dg.headerLength = 0;
  dg.nextHeader = 0;
  dg.haveFirst = dg.haveLast = false;
  dg.newer = kNone;
  dg.older = newest_;
  if (newest_ != kNone) {
    slots_[newest_].newer = idx;
  }
  newest_ = idx;
  if (oldest_ == kNone) {
    oldest_ = idx;
  }
  index_.emplace(key, idx);
  return idx;
}

void FragmentTable::release(uint32_t idx) {
  Datagram& dg = slots_[idx];
  if (dg.older != kNone) {
    slots_[dg.older].newer = dg.newer;
  } else {
    oldest_ = dg.newer;
  }
  if (dg.newer != kNone) {
    slots_[dg.newer].older = dg.older;
  } else {
    newest_ = dg.older;
  }
  dg.older = dg.newer = kNone;
  index_.erase(dg.key);
  if (dg.store.capacity() > kKeepStoreBytes) {
    std::vector<uint8_t>().swap(dg.store);
  } else {
    dg.store.clear();
  }
  if (dg.pieces.capacity() > kKeepPieces) {
    std::vector<Piece>().swap(dg.pieces);
  } else {
    dg.pieces.clear();
  }
  free_.push_back(idx);
}

void FragmentTable::insertData(Datagram& dg, const Fragment& fragment) {
  const auto start = fragment.offset;
  const auto end = static_cast<uint32_t>(start + fragment.data.size());
  auto addGap = [&](uint32_t from, uint32_t to) {
    const auto at = static_cast<uint32_t>(dg.store.size());
    const auto src = fragment.data.subspan(from - start, to - from);
    dg.store.insert(dg.store.end(), src.begin(), src.end());
    dg.covered += to - from;
    scratch_.push_back(Piece{from, to, at});
  };

  scratch_.clear();
  size_t i = 0;
  // Pieces are disjoint and sorted, so their ends are sorted too.
  while (i < dg.pieces.size() && dg.pieces[i].end <= start) {
    scratch_.push_back(dg.pieces[i++]);
  }
  uint32_t cursor = start;
  bool intersects = false;
  bool differs = false;
  bool newBytes = false;
  for (; i < dg.pieces.size() && dg.pieces[i].start < end; ++i) {
    const Piece p = dg.pieces[i];
    if (p.start > cursor) {
      addGap(cursor, p.start);
      newBytes = true;
    }
    const uint32_t lo = std::max(start, p.start);
    const uint32_t hi = std::min(end, p.end);
    intersects = true;
    if (std::memcmp(dg.store.data() + p.at + (lo - p.start), fragment.data.data() + (lo - start),
                    hi - lo) != 0) {
      differs = true;
    }
    scratch_.push_back(p);
    cursor = std::max(cursor, p.end);
  }
  if (cursor < end) {
    addGap(cursor, end);
    newBytes = true;
  }
  for (; i < dg.pieces.size(); ++i) {
    scratch_.push_back(dg.pieces[i]);
  }
  dg.pieces.swap(scratch_);
  if (intersects && (differs || newBytes)) {
    anomalies_.add(Anomaly::kFragmentOverlap);
  }
}

FragmentVerdict FragmentTable::add(const Fragment& fragment, ReassembledDatagram& out) {
  const size_t len = fragment.data.size();
  // RFC 791 / RFC 8200: every fragment but the last carries a multiple of 8 bytes.
  if (fragment.more && (len == 0 || len % 8 != 0)) {
    return reject(fragment.key);
  }
  const uint64_t end64 = uint64_t{fragment.offset} + len;
  if (end64 > maxDatagramBytes_) {
    return reject(fragment.key);
  }
  const auto end = static_cast<uint32_t>(end64);

  uint32_t idx;
  if (auto it = index_.find(fragment.key); it != index_.end()) {
    idx = it->second;
  } else {
    if (maxPending_ == 0) {
      anomalies_.add(Anomaly::kFragmentTableFull);
      return FragmentVerdict::kHeld;
    }
    idx = create(fragment.key);
  }
  Datagram& dg = slots_[idx];

  if (!fragment.more) {
    if ((dg.haveLast && dg.total != end) || end < dg.maxEnd) {
      return reject(fragment.key);
    }
  } else if (dg.haveLast && end > dg.total) {
    return reject(fragment.key);
  }
  const bool first = fragment.offset == 0 && !dg.haveFirst;
  const uint64_t header = dg.haveFirst ? dg.headerLength : (first ? fragment.headerLength : 0);
  if (header + std::max(dg.maxEnd, end) > maxDatagramBytes_) {
    return reject(fragment.key);
  }

  if (first) {
    dg.haveFirst = true;
    dg.headerLength = fragment.headerLength;
    dg.nextHeader = fragment.nextHeader;
  }
  if (!fragment.more) {
    dg.haveLast = true;
    dg.total = end;
  }
  dg.maxEnd = std::max(dg.maxEnd, end);
  insertData(dg, fragment);

  if (!dg.haveFirst || !dg.haveLast || dg.covered != dg.total) {
    return FragmentVerdict::kHeld;
  }

  assembled_.resize(dg.total);
  for (const Piece& p : dg.pieces) {
    std::memcpy(assembled_.data() + p.start, dg.store.data() + p.at, p.end - p.start);
  }
  out.data = std::span<const uint8_t>(assembled_.data(), dg.total);
  out.headerLength = dg.headerLength;
  out.nextHeader = dg.nextHeader;
  release(idx);
  return FragmentVerdict::kComplete;
}

}  // namespace mamori::sensor
