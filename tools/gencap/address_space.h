// AddressSpace: the domestic prefix set as seen by the generator, and random draws of domestic
// and foreign public unicast addresses.
//
// Kept local to the tool (sorted, merged intervals + binary search) rather than using
// mamori::PrefixSet so the generator is an independent oracle for the sensor's classification.
#pragma once

#include <filesystem>
#include <utility>
#include <vector>

#include "mamori/core/ip_address.h"
#include "rng.h"

namespace mamori::gencap {

class AddressSpace {
 public:
  // Reads one prefix per line ('#' comments and blank lines skipped). Throws mamori::Failure
  // naming the file and line.
  void loadFile(const std::filesystem::path& path);
  void add(const IpPrefix& prefix);
  // Must be called after the last add/loadFile and before any query.
  void finalize();

  bool hasV4() const { return !v4Prefixes_.empty(); }
  bool hasV6() const { return !v6Prefixes_.empty(); }
  bool isDomestic(const IpAddress& a) const;

  // A host inside a domestic prefix chosen uniformly among the prefixes (so small prefixes are
  // represented, not only the largest blocks). Precondition: hasV4() / hasV6().
  IpAddress randomDomestic(Rng& rng, bool v6) const;
  // A global unicast address outside the domestic set and outside special-purpose ranges
  // (RFC 6890 registries: private, loopback, documentation, CGN, multicast, 6to4, ...).
  IpAddress randomForeign(Rng& rng, bool v6) const;
  // Same special-purpose exclusion, but domestic addresses allowed.
  static IpAddress randomPublic(Rng& rng, bool v6);
  static bool isSpecialPurpose(const IpAddress& a);

 private:
  std::vector<IpPrefix> v4Prefixes_;
  std::vector<IpPrefix> v6Prefixes_;
  std::vector<std::pair<uint32_t, uint32_t>> v4Ranges_;  // merged, inclusive
  std::vector<std::pair<Uint128, Uint128>> v6Ranges_;
};

}  // namespace mamori::gencap
