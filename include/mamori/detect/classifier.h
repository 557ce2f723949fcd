// Classifier: one request in, the categories of attack it carries out.
//
// Every classifier reads the normalized request (normalize.h), so an evasion meets the same rule
// as the plain attack. Signatures for all categories are compiled into vectorscan databases once
// and matched in one pass per field; SQL injection is decided by the tokenizer (sqli.h) run over
// each query parameter value and path segment, combined with signatures.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "mamori/core/crypto.h"
#include "mamori/core/result.h"
#include "mamori/detect/access_log.h"
#include "mamori/detect/category.h"
#include "mamori/detect/normalize.h"

namespace mamori::detect {

// One signature, for evidence and documentation. Ids are stable across releases.
struct RuleInfo {
  uint32_t id;
  Category category;
  std::string_view cve;          // "CVE-2024-3400" for exploit rules, else empty
  std::string_view description;  // what the rule recognises, in a few words
};

inline constexpr std::size_t kMaxDetectionCves = 4;

struct Detection {
  CategoryMask categories = 0;
  // CVE ids of the exploit rules that matched (static strings), at most kMaxDetectionCves.
  std::array<std::string_view, kMaxDetectionCves> cves{};
  uint8_t cveCount = 0;
  // For each category, the id of the first rule that matched it (0 if none); sqli decided by the
  // tokenizer has id kSqliTokenizerRuleId and its fingerprint below.
  std::array<uint32_t, kCategoryCount> ruleIds{};
  std::array<char, 6> sqliFingerprint{};
  // True when every matched category is reconnaissance (scanner fingerprints, probes for the
  // existence of a file) with no payload that would do harm if it worked.
  bool reconnaissanceOnly = false;

  void clear() { *this = Detection{}; }
};

inline constexpr uint32_t kSqliTokenizerRuleId = 1000;

class Classifier {
 public:
  // Compiles the signature databases. Fails only if vectorscan rejects a pattern or has no memory
  // (a build defect, reported with the rule id).
  //
  // Compiling takes about a second and a half; with a `cacheDir`, the compiled databases are
  // saved there (mode 0600 in a 0700 directory) and later runs load them in milliseconds when the
  // rules, the vectorscan version and the CPU are the same. A cache file that is missing, damaged,
  // stale or unwritable is never an error: the databases are compiled instead.
  static Result<std::unique_ptr<Classifier>> create(const std::filesystem::path& cacheDir = {});
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Classifies one request. `normalized` must be normalizeTarget(request.target). Never throws.
  // Not thread-safe (keeps vectorscan scratch space): one Classifier per thread.
  void classify(const HttpRequestLine& request, const NormalizedRequest& normalized,
                Detection& out);

  // Every signature, in id order.
  static std::span<const RuleInfo> rules();

  // True when create() loaded the databases from its cache directory.
  bool loadedFromCache() const { return fromCache_; }

 private:
  Classifier();
  bool loadCache(const std::filesystem::path& file, const Sha256Digest& key);
  void saveCache(const std::filesystem::path& dir, const std::filesystem::path& file,
                 const Sha256Digest& key) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool fromCache_ = false;
};

}  // namespace mamori::detect
