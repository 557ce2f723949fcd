// FrameBatch: captured frames copied into one buffer, the unit in which frames move from a reader
// to the selector. libpcap reuses its buffer on every read, so frames must be copied once anyway;
// copying them into batches lets reading and selecting run on different cores, and lets the
// selector have a whole batch of flow-table lookups in flight at once.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace mamori::sensor {

class FrameBatch {
 public:
  static constexpr size_t kMaxFrames = 256;
  static constexpr size_t kArenaBytes = size_t{512} * 1024;

  struct Frame {
    int64_t tsMicros;
    uint32_t offset;
    uint32_t length;
    int linkType;
  };

  FrameBatch() : arena_(kArenaBytes) { frames_.reserve(kMaxFrames); }

  // Copies a frame in; false when the batch is full (hand it on and retry with an empty one). An
  // empty batch accepts any frame, growing its buffer for one larger than the usual arena.
  bool add(int linkType, std::span<const uint8_t> frame, int64_t tsMicros) {
    if (frames_.size() == kMaxFrames) return false;
    if (used_ + frame.size() > arena_.size()) {
      if (!frames_.empty()) return false;
      arena_.resize(frame.size());
    }
    if (!frame.empty()) std::memcpy(arena_.data() + used_, frame.data(), frame.size());
    frames_.push_back(Frame{tsMicros, static_cast<uint32_t>(used_), static_cast<uint32_t>(frame.size()), linkType});
    used_ += frame.size();
    return true;
  }

  void clear() {
    frames_.clear();
    used_ = 0;
  }
  bool empty() const { return frames_.empty(); }
  size_t size() const { return frames_.size(); }
  const Frame& frame(size_t i) const { return frames_[i]; }
  std::span<const uint8_t> bytes(const Frame& f) const {
    return std::span<const uint8_t>(arena_.data() + f.offset, f.length);
  }

 private:
  std::vector<uint8_t> arena_;
  std::vector<Frame> frames_;
  size_t used_ = 0;
};

}  // namespace mamori::sensor
