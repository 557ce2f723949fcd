// The classifier's signature table (private to src/detect). Public view: Classifier::rules().
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "mamori/detect/category.h"
#include "mamori/detect/classifier.h"

namespace mamori::detect::rules {

// Which normalized string of a request a rule is matched against. Each field has its own
// vectorscan database, so a rule only ever sees the text it was written for: a URL in a query
// parameter is an SSRF candidate, the same URL in a Referer is just where the visitor came from.
enum Field : uint8_t {
  kTarget = 1U << 0,     // NormalizedRequest::combined (decoded path + "?" + query)
  kPath = 1U << 1,       // NormalizedRequest::decodedPath (dot segments kept)
  kQuery = 1U << 2,      // NormalizedRequest::query
  kUserAgent = 1U << 3,  // decoded User-Agent
  kReferer = 1U << 4,    // decoded Referer
  kHeader = 1U << 5,     // decoded Host header and the method
};
inline constexpr std::size_t kFieldCount = 6;

struct Rule {
  uint32_t id;
  Category category;
  uint8_t fields;           // Field bits; 0 for rules decided in code (no pattern)
  bool recon;               // reconnaissance only: does no harm even if it "works"
  CategoryMask also;        // further categories the request carries when this rule matches
  std::string_view method;  // required method, lowercase; empty for any
  std::string_view cve;
  std::string_view description;
  const char* pattern;  // vectorscan (PCRE subset) expression over lowercase text, or nullptr
};

// Rule ids decided in code rather than by a pattern.
inline constexpr uint32_t kClimbedAboveRootRuleId = 2001;
// Apache 2.4.49 traversal (CVE-2021-41773); encoded twice it is CVE-2021-42013.
inline constexpr uint32_t kApacheTraversalRuleId = 10060;

// Every rule, sorted by id.
std::span<const Rule> all();
// The same rules as RuleInfo (for Classifier::rules()).
std::span<const RuleInfo> infos();

}  // namespace mamori::detect::rules
