// Name: a DNS domain name in uncompressed wire form (RFC 1035 3.1), held inline.
//
// The wire form is the sequence of length-prefixed labels ending with the zero-length root label:
// "www.example.com." is 3 'w' 'w' 'w' 7 'e' ... 3 'c' 'o' 'm' 0. A Name never allocates (255
// bytes inline), so the query path can parse, lowercase and compare names on the stack.
//
// Case is preserved exactly as read (the question's 0x20 mix must come back to the client and from
// the upstream as sent), and equality is case-insensitive for ASCII letters only (RFC 4343).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mamori/core/result.h"

namespace mamori::dns {

inline constexpr size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, length octets and root included
inline constexpr size_t kMaxLabel = 63;
inline constexpr size_t kMaxLabels = 127;  // 127 one-byte labels + root = 255 bytes

// ASCII-only lowercase: DNS folds A-Z and nothing else (RFC 4343).
constexpr uint8_t lowerAscii(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

// Case-insensitive equality of two uncompressed wire-form names (or wire suffixes).
bool wireNamesEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

class Name {
 public:
  Name() = default;  // the root

  // Parses presentation format: labels separated by '.', "\X" for a literal X and "\DDD" for a
  // byte in decimal. A name ending in '.' is absolute; any other name is relative and `origin` is
  // appended (the root when origin is null); "@" alone is the origin. Errors name the problem
  // (empty label, label over 63 bytes, name over 255 bytes, bad escape).
  static Result<Name> fromText(std::string_view text, const Name* origin = nullptr);
  // Takes exactly one uncompressed wire-form name (labels and the root byte, nothing after it).
  static Result<Name> fromWire(std::span<const uint8_t> wire);

  std::span<const uint8_t> wire() const { return {wire_.data(), length_}; }
  size_t wireLength() const { return length_; }
  size_t labelCount() const { return labels_; }
  bool isRoot() const { return labels_ == 0; }

  // The wire form of the ancestor that remains after dropping the first `skip` labels (skip ==
  // labelCount() gives the root). Precondition: skip <= labelCount().
  std::span<const uint8_t> suffix(size_t skip) const;
  // The first label's bytes (empty for the root).
  std::span<const uint8_t> firstLabel() const {
    return isRoot() ? std::span<const uint8_t>() : std::span<const uint8_t>(&wire_[1], wire_[0]);
  }

  // "www.example.com." ("." for the root), with the escapes fromText() reads, so the text parses
  // back to an identical name.
  std::string toText() const;
  void appendText(std::string& out) const;

  Name lowercased() const;
  // True when this name equals `ancestor` or lies below it (case-insensitive).
  bool isSubdomainOf(const Name& ancestor) const;
  // Byte-for-byte equality, case included: what 0x20 randomization checks.
  bool identical(const Name& other) const {
    return length_ == other.length_ &&
           std::equal(wire_.begin(), wire_.begin() + length_, other.wire_.begin());
  }
  // DNS name equality: case-insensitive.
  friend bool operator==(const Name& a, const Name& b) {
    return wireNamesEqual(a.wire(), b.wire());
  }

  // Building blocks for parsers: start from the root and append labels left to right. Returns
  // false (and leaves the name unchanged) if the label is empty, over 63 bytes, or the name would
  // exceed 255 bytes.
  void clear() {
    length_ = 1;
    labels_ = 0;
    wire_[0] = 0;
  }
  bool appendLabel(std::span<const uint8_t> label);
  // Appends every label of `tail` (a valid wire name); false if the result would be too long.
  bool appendName(const Name& tail);

 private:
  std::array<uint8_t, kMaxNameWire> wire_{};  // wire_[0] == 0: the root
  uint8_t length_ = 1;                        // bytes in use, root byte included
  uint8_t labels_ = 0;
};

}  // namespace mamori::dns
