// De-identification of what a record says about domestic endpoints.
//
// Domestic addresses become Crypto-PAn pseudonyms wherever they appear: as endpoints, as DNS
// answers, and inside names — a reverse-lookup name (d.c.b.a.in-addr.arpa, nibble ip6.arpa) or an
// IP literal in SNI/Host would otherwise carry a domestic address in clear.
#pragma once

#include <string>
#include <string_view>

#include "mamori/core/ip_address.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/pseudonymizer.h"

namespace mamori::sensor {

struct Deidentifier {
  const PrefixSet& domestic;
  const Pseudonymizer& pseudonymizer;

  IpAddress address(const IpAddress& a) const {
    return domestic.contains(a) ? pseudonymizer.pseudonymize(a) : a;
  }
  // The name with any embedded domestic address replaced by its pseudonym.
  std::string name(std::string_view name) const;
};

// Parses a full reverse-lookup name into the address it names (for tests and de-identification).
Result<IpAddress> addressFromReverseName(std::string_view name);
std::string reverseName(const IpAddress& a);

}  // namespace mamori::sensor
