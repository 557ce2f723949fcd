// IP addresses and prefixes, IPv4 and IPv6 in one value type.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "mamori/core/result.h"

namespace mamori {

__extension__ typedef unsigned __int128 Uint128;  // NOLINT(modernize-use-using): __extension__ silences -Wpedantic

// An IPv4 or IPv6 address. IPv4 uses bytes_[0..3]; the rest are zero. Trivially copyable so that
// flow keys can hold it by value.
class IpAddress {
 public:
  IpAddress() = default;

  static IpAddress v4(uint32_t hostOrder);
  static IpAddress v4Bytes(const uint8_t* networkOrder4);
  static IpAddress v6Bytes(const uint8_t* networkOrder16);
  static IpAddress v6(Uint128 hostOrder);
  // Parses dotted-quad IPv4 or RFC 4291/5952 text IPv6.
  static Result<IpAddress> parse(std::string_view text);

  bool isV4() const { return family_ == 4; }
  bool isV6() const { return family_ == 6; }
  uint8_t family() const { return family_; }
  uint32_t v4Value() const;   // host order; precondition isV4()
  Uint128 v6Value() const;    // host order; precondition isV6()
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6.
  std::string toString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
  uint8_t family_ = 0;  // 0 = unset, 4, 6
};

// An address with a prefix length; the address is stored masked to the prefix.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;

  // "192.0.2.0/24", "2001:db8::/32", or a bare address (a host prefix). Bits set past the prefix
  // length are an error, so typos do not silently widen a prefix.
  static Result<IpPrefix> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
  std::string toString() const;

  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
};

}  // namespace mamori
