// Noise removal and aggregation: detections in, *events requiring confirmation* out.
//
// A policy marks failed attempts, blocked attempts and pure reconnaissance as noise: they are
// counted in the summary and never raised. What remains is grouped by category and time window
// into events, each naming its burst pattern — one source against many targets (`one-to-many`),
// many sources against one target (`many-to-one`), or one source against one target (`single`) —
// with a severity, counts, and a few sample request lines as evidence.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/detect/category.h"
#include "mamori/detect/outcome.h"

namespace mamori::detect {

enum class BurstPattern : uint8_t { kSingle, kOneToMany, kManyToOne };
std::string_view burstPatternName(BurstPattern p);  // "single", "one-to-many", "many-to-one"

enum class Severity : uint8_t { kLow, kMedium, kHigh, kCritical };
std::string_view severityName(Severity s);  // "low", "medium", "high", "critical"
std::optional<Severity> parseSeverity(std::string_view name);

// The one category an event files a request under when it carries several, by precedence:
// exploit, log4shell, command-injection, sqli, ssti, path-traversal, sensitive-file, ssrf, xss,
// scanner. `categories` must be non-zero.
Category primaryCategory(CategoryMask categories);

struct NoisePolicy {
  bool failedIsNoise = true;          // kFailed outcomes are noise
  bool blockedIsNoise = true;         // kBlocked outcomes are noise
  bool reconnaissanceIsNoise = true;  // Detection::reconnaissanceOnly requests are noise
  int64_t windowMicros = int64_t{3600} * 1'000'000;  // events group requests within this window
  uint32_t oneToManyTargets = 3;  // a source hitting at least this many targets is one-to-many
  uint32_t manyToOneSources = 3;  // a target hit by at least this many sources is many-to-one
  uint32_t maxSamples = 3;        // sample request lines kept per event
  Severity minimumSeverity = Severity::kLow;  // events below this are counted as noise
};

// Reads a policy file (TOML, keys as in docs/detect.md); absent keys keep the defaults. Errors
// name the file, the key and what was wrong.
Result<NoisePolicy> loadNoisePolicy(const std::filesystem::path& path);

// One detected request, as the aggregator needs it. Views are only read during add().
struct Observation {
  uint64_t line = 0;            // 1-based line (or request ordinal) in the input
  int64_t timeMicros = 0;       // request time; 0 if unknown
  std::string_view source;      // client address as recorded
  std::string_view target;      // Host or server address; empty if unknown
  CategoryMask categories = 0;  // non-zero
  std::span<const std::string_view> cves;
  bool reconnaissanceOnly = false;
  Outcome outcome = Outcome::kUnknown;
  std::string_view sample;  // the request as evidence (the log line, or method + target)
};

struct EventSample {
  uint64_t line = 0;
  std::string text;
};

struct Event {
  std::string id;  // stable for the same input: hex of a hash of category, pattern, key, window
  Category category = Category::kSqli;
  BurstPattern pattern = BurstPattern::kSingle;
  Severity severity = Severity::kLow;
  int64_t firstMicros = 0;
  int64_t lastMicros = 0;
  uint64_t requests = 0;
  std::vector<std::string> sources;  // distinct, at most kMaxListed (sourceCount has the total)
  uint64_t sourceCount = 0;
  std::vector<std::string> targets;  // distinct, at most kMaxListed
  uint64_t targetCount = 0;
  std::array<uint64_t, 4> outcomes{};  // requests per Outcome
  std::vector<std::string> cves;
  std::vector<EventSample> samples;
};
inline constexpr std::size_t kMaxListed = 20;

// Counts for summary.json.
struct DetectionSummary {
  uint64_t requests = 0;  // every request seen (detected or not): addRequest()
  uint64_t detected = 0;  // requests with at least one category
  uint64_t noise = 0;     // detected requests the policy removed
  uint64_t raised = 0;    // detected requests that ended in an event
  uint64_t events = 0;
  std::array<uint64_t, kCategoryCount> detectedByCategory{};
  std::array<uint64_t, kCategoryCount> noiseByCategory{};
  std::array<uint64_t, 4> byOutcome{};  // detected requests per Outcome
  // Noise by the first reason that applied: failed, blocked, reconnaissance, below severity.
  std::array<uint64_t, 4> noiseByReason{};
};

class EventAggregator {
 public:
  explicit EventAggregator(NoisePolicy policy);
  ~EventAggregator();
  EventAggregator(const EventAggregator&) = delete;
  EventAggregator& operator=(const EventAggregator&) = delete;

  void addRequest() { ++summary_.requests; }
  // A detected request (categories != 0). Returns true if it was kept (not noise by the
  // per-request rules; its event may still be noise at finish() if below minimumSeverity).
  // Call in input order: samples are the earliest lines.
  bool add(const Observation& observation);
  // Groups everything kept into events (ordered by first time, then id). Call once, at the end.
  std::vector<Event> finish();
  const DetectionSummary& summary() const { return summary_; }

 private:
  struct Impl;
  NoisePolicy policy_;
  DetectionSummary summary_;
  std::unique_ptr<Impl> impl_;
};

// One event as a JSON object on one line (docs/detect.md), without the newline.
std::string eventJson(const Event& event);
// The summary as a JSON document (policy included, so a reader knows what was noise).
std::string summaryJson(const DetectionSummary& summary, const NoisePolicy& policy);

}  // namespace mamori::detect
