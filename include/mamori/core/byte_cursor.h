// ByteCursor: bounds-checked reading of untrusted bytes.
//
// Every read copies the field out (never casts bytes to structs). A read past the end sets a
// sticky failure flag and returns zero, so a parser can read a whole header and check ok() once
// instead of branching on every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace mamori {

class ByteCursor {
 public:
  ByteCursor() = default;
  explicit ByteCursor(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }
  std::span<const uint8_t> whole() const { return data_; }

  bool has(size_t n) const { return ok_ && n <= remaining(); }

  uint8_t u8() {
    if (!has(1)) return fail<uint8_t>();
    return data_[pos_++];
  }
  uint16_t u16be() {
    if (!has(2)) return fail<uint16_t>();
    const auto v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u24be() {
    if (!has(3)) return fail<uint32_t>();
    const uint32_t v = (uint32_t{data_[pos_]} << 16) | (uint32_t{data_[pos_ + 1]} << 8) |
                       uint32_t{data_[pos_ + 2]};
    pos_ += 3;
    return v;
  }
  uint32_t u32be() {
    if (!has(4)) return fail<uint32_t>();
    const uint32_t v = (uint32_t{data_[pos_]} << 24) | (uint32_t{data_[pos_ + 1]} << 16) |
                       (uint32_t{data_[pos_ + 2]} << 8) | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  // A view of the next n bytes (valid as long as the underlying buffer), advancing past them.
  std::span<const uint8_t> bytes(size_t n) {
    if (!has(n)) return fail<std::span<const uint8_t>>();
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(size_t n) {
    if (!has(n)) {
      fail<int>();
      return;
    }
    pos_ += n;
  }
  // Moves to an absolute offset (used by DNS name compression); fails past the end.
  void seek(size_t offset) {
    if (!ok_ || offset > data_.size()) {
      fail<int>();
      return;
    }
    pos_ = offset;
  }

 private:
  template <class T>
  T fail() {
    ok_ = false;
    return T{};
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace mamori
