#include "mamori/core/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mamori {

IpAddress IpAddress::v4(uint32_t hostOrder) {
  IpAddress a;
  a.family_ = 4;
  a.bytes_[0] = static_cast<uint8_t>(hostOrder >> 24);
  a.bytes_[1] = static_cast<uint8_t>(hostOrder >> 16);
  a.bytes_[2] = static_cast<uint8_t>(hostOrder >> 8);
  a.bytes_[3] = static_cast<uint8_t>(hostOrder);
  return a;
}

IpAddress IpAddress::v4Bytes(const uint8_t* networkOrder4) {
  IpAddress a;
  a.family_ = 4;
  std::memcpy(a.bytes_.data(), networkOrder4, 4);
  return a;
}

IpAddress IpAddress::v6Bytes(const uint8_t* networkOrder16) {
  IpAddress a;
  a.family_ = 6;
  std::memcpy(a.bytes_.data(), networkOrder16, 16);
  return a;
}

IpAddress IpAddress::v6(Uint128 hostOrder) {
  IpAddress a;
  a.family_ = 6;
  for (int i = 15; i >= 0; --i) {
    a.bytes_[static_cast<size_t>(i)] = static_cast<uint8_t>(hostOrder);
    hostOrder >>= 8;
  }
  return a;
}

uint32_t IpAddress::v4Value() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

Uint128 IpAddress::v6Value() const {
  Uint128 v = 0;
  for (uint8_t b : bytes_) v = (v << 8) | b;
  return v;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return makeError("invalid IP address '" + std::string(text) + "'");
  }
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t raw[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, raw) == 1) return v4Bytes(raw);
  } else if (inet_pton(AF_INET6, buf, raw) == 1) {
    return v6Bytes(raw);
  }
  return makeError("invalid IP address '" + std::string(text) + "'");
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN];
  if (family_ == 4) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof buf);
  } else if (family_ == 6) {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  } else {
    return "unset";
  }
  return buf;
}

namespace {
bool hostBitsZero(const IpAddress& a, unsigned length) {
  const unsigned bits = a.isV4() ? 32 : 128;
  for (unsigned i = length; i < bits; ++i) {
    if ((a.bytes()[i / 8] >> (7 - i % 8)) & 1U) return false;
  }
  return true;
}
}  // namespace

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return addr.error();
  const unsigned maxLen = addr->isV4() ? 32 : 128;
  unsigned length = maxLen;
  if (slash != std::string_view::npos) {
    const auto lenText = text.substr(slash + 1);
    if (lenText.empty() || lenText.size() > 3) {
      return makeError("invalid prefix length in '" + std::string(text) + "'");
    }
    length = 0;
    for (char c : lenText) {
      if (c < '0' || c > '9') return makeError("invalid prefix length in '" + std::string(text) + "'");
      length = length * 10 + static_cast<unsigned>(c - '0');
    }
    if (length > maxLen) return makeError("prefix length out of range in '" + std::string(text) + "'");
  }
  if (!hostBitsZero(*addr, length)) {
    return makeError("prefix '" + std::string(text) + "' has bits set past its length");
  }
  return IpPrefix{*addr, static_cast<uint8_t>(length)};
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != address.family()) return false;
  for (unsigned i = 0; i < length; ++i) {
    const unsigned byte = i / 8;
    const unsigned shift = 7 - i % 8;
    if (((a.bytes()[byte] >> shift) & 1U) != ((address.bytes()[byte] >> shift) & 1U)) return false;
  }
  return true;
}

std::string IpPrefix::toString() const { return address.toString() + "/" + std::to_string(length); }

}  // namespace mamori
