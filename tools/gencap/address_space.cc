#include "address_space.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "mamori/core/result.h"

namespace mamori::gencap {

namespace {

struct V4Range {
  uint32_t base;
  unsigned length;
};

// IPv4 special-purpose blocks that never appear as real Internet endpoints.
constexpr V4Range kSpecialV4[] = {
    {0x00000000, 8},  {0x0A000000, 8},  {0x64400000, 10}, {0x7F000000, 8},  {0xA9FE0000, 16},
    {0xAC100000, 12}, {0xC0000000, 24}, {0xC0000200, 24}, {0xC0586300, 24}, {0xC0A80000, 16},
    {0xC6120000, 15}, {0xC6336400, 24}, {0xCB007100, 24}, {0xE0000000, 4},  {0xF0000000, 4},
};

bool inV4(uint32_t a, uint32_t base, unsigned length) {
  const uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  return (a & mask) == base;
}

bool inV6(Uint128 a, Uint128 base, unsigned length) {
  const Uint128 mask = length == 0 ? 0 : ~Uint128{0} << (128 - length);
  return (a & mask) == base;
}

Uint128 v6Const(uint64_t high, uint64_t low) {
  return (Uint128{high} << 64) | low;
}

std::pair<Uint128, Uint128> v6Bounds(const IpPrefix& p) {
  const Uint128 base = p.address.v6Value();
  const Uint128 hostMask =
      p.length == 0 ? ~Uint128{0} : (p.length == 128 ? 0 : (~Uint128{0} >> p.length));
  return {base, base | hostMask};
}

template <class T>
void mergeRanges(std::vector<std::pair<T, T>>& r) {
  std::sort(r.begin(), r.end());
  std::vector<std::pair<T, T>> merged;
  for (const auto& x : r) {
    if (!merged.empty() &&
        (x.first <= merged.back().second ||
         (merged.back().second != static_cast<T>(~T{0}) && x.first == merged.back().second + 1))) {
      merged.back().second = std::max(merged.back().second, x.second);
    } else {
      merged.push_back(x);
    }
  }
  r.swap(merged);
}

template <class T>
bool inRanges(const std::vector<std::pair<T, T>>& r, T a) {
  auto it = std::upper_bound(r.begin(), r.end(), a,
                             [](T v, const std::pair<T, T>& range) { return v < range.first; });
  if (it == r.begin()) return false;
  --it;
  return a <= it->second;
}

}  // namespace

void AddressSpace::loadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Failure("cannot read domestic prefix file '" + path.string() + "'");
  std::string line;
  size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    auto prefix = IpPrefix::parse(std::string_view(line).substr(start));
    if (!prefix) {
      throw Failure(path.string() + ":" + std::to_string(lineNo) + ": " + prefix.error().message);
    }
    add(*prefix);
  }
}

void AddressSpace::add(const IpPrefix& prefix) {
  if (prefix.address.isV4()) {
    v4Prefixes_.push_back(prefix);
    const uint32_t base = prefix.address.v4Value();
    const uint32_t host = prefix.length == 0
                              ? ~uint32_t{0}
                              : (prefix.length == 32 ? 0 : (~uint32_t{0} >> prefix.length));
    v4Ranges_.emplace_back(base, base | host);
  } else {
    v6Prefixes_.push_back(prefix);
    v6Ranges_.push_back(v6Bounds(prefix));
  }
}

void AddressSpace::finalize() {
  mergeRanges(v4Ranges_);
  mergeRanges(v6Ranges_);
}

bool AddressSpace::isDomestic(const IpAddress& a) const {
  if (a.isV4()) return inRanges(v4Ranges_, a.v4Value());
  if (a.isV6()) return inRanges(v6Ranges_, a.v6Value());
  return false;
}

bool AddressSpace::isSpecialPurpose(const IpAddress& a) {
  if (a.isV4()) {
    const uint32_t v = a.v4Value();
    for (const auto& r : kSpecialV4) {
      if (inV4(v, r.base, r.length)) return true;
    }
    return false;
  }
  const Uint128 v = a.v6Value();
  if (!inV6(v, v6Const(0x2000000000000000ULL, 0), 3)) return true;  // not global unicast
  return inV6(v, v6Const(0x2001000000000000ULL, 0), 23) ||          // IETF protocol assignments
         inV6(v, v6Const(0x20010DB800000000ULL, 0), 32) ||          // documentation
         inV6(v, v6Const(0x2002000000000000ULL, 0), 16) ||          // 6to4
         inV6(v, v6Const(0x3FFF000000000000ULL, 0), 20);            // documentation (RFC 9637)
}

IpAddress AddressSpace::randomPublic(Rng& rng, bool v6) {
  for (;;) {
    IpAddress a;
    if (v6) {
      // 2000::/3 with random bits below.
      const Uint128 bits = (Uint128{rng.next()} << 64) | rng.next();
      a = IpAddress::v6((bits >> 3) | (Uint128{1} << 125));
    } else {
      a = IpAddress::v4(rng.next32());
    }
    if (!isSpecialPurpose(a)) return a;
  }
}

IpAddress AddressSpace::randomForeign(Rng& rng, bool v6) const {
  for (;;) {
    const IpAddress a = randomPublic(rng, v6);
    if (!isDomestic(a)) return a;
  }
}

IpAddress AddressSpace::randomDomestic(Rng& rng, bool v6) const {
  const auto& prefixes = v6 ? v6Prefixes_ : v4Prefixes_;
  if (prefixes.empty()) throw Failure("internal: no domestic prefixes of this family");
  const IpPrefix& p = prefixes[rng.below(static_cast<uint32_t>(prefixes.size()))];
  if (!v6) {
    const unsigned hostBits = 32U - p.length;
    const uint32_t mask =
        hostBits == 0 ? 0 : (hostBits == 32 ? ~uint32_t{0} : ((uint32_t{1} << hostBits) - 1));
    for (;;) {
      const uint32_t host = rng.next32() & mask;
      // Skip the network and broadcast addresses of ordinary subnets.
      if (hostBits >= 2 && (host == 0 || host == mask)) continue;
      return IpAddress::v4(p.address.v4Value() | host);
    }
  }
  const unsigned hostBits = 128U - p.length;
  const Uint128 mask =
      hostBits == 0 ? 0 : (hostBits == 128 ? ~Uint128{0} : ((Uint128{1} << hostBits) - 1));
  for (;;) {
    const Uint128 host = ((Uint128{rng.next()} << 64) | rng.next()) & mask;
    if (hostBits >= 1 && host == 0) continue;  // subnet-router anycast
    return IpAddress::v6(p.address.v6Value() | host);
  }
}

}  // namespace mamori::gencap
