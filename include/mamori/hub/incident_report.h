// Unified incident reports: the document format, its validation, and stage deadlines.
//
// One report family with a shared core (reporter, sector, times, systems, impact, access vector,
// indicators, contacts, police) and one type-specific part (`ransomware`, `ddos`,
// `unauthorized_access`, `data_leak`, `service_outage`). A report is filed as a sequence of stage
// submissions (`initial` 速報, `interim`, `final`); each stage requires more fields. The full
// format, limits and examples are in docs/incident-reports.md.
//
// Validation is pure: no database, no clock (the caller passes `now`), no exceptions escaping.
// Every problem in a document is reported at once, each naming its JSON path
// (`ransomware.backups.status`, `indicators[2].value`; "" is the document itself).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/hub/model.h"

namespace mamori::hub {

enum class ReportType : uint8_t {
  kRansomware,
  kDdos,
  kUnauthorizedAccess,
  kDataLeak,
  kServiceOutage,
};
inline constexpr std::array<ReportType, 5> kReportTypes = {
    ReportType::kRansomware, ReportType::kDdos, ReportType::kUnauthorizedAccess,
    ReportType::kDataLeak, ReportType::kServiceOutage};

// The value of the document's `type` field: "ransomware", "ddos", "unauthorized-access",
// "data-leak", "service-outage".
std::string_view reportTypeName(ReportType type);
// The key of the type-specific part: "ransomware", "ddos", "unauthorized_access", "data_leak",
// "service_outage" (JSON keys are snake_case; enum values are kebab-case).
std::string_view reportTypePartKey(ReportType type);
std::optional<ReportType> parseReportType(std::string_view name);

enum class Stage : uint8_t { kInitial, kInterim, kFinal };
inline constexpr std::array<Stage, 3> kStages = {Stage::kInitial, Stage::kInterim, Stage::kFinal};

// "initial", "interim", "final".
std::string_view stageName(Stage stage);
std::optional<Stage> parseStage(std::string_view name);

// One problem in a document. `field` is the JSON path ("impact.level", "indicators[2].value",
// `reporter["odd key"]` for keys that are not plain identifiers, "" for the document itself);
// `problem` is a sentence for people ("must be one of none, minor, ...").
struct FieldError {
  std::string field;
  std::string problem;
  bool operator==(const FieldError&) const = default;
};

// [{"field": ..., "problem": ...}, ...] — the machine-readable list the API returns in a 4xx.
nlohmann::json fieldErrorsJson(const std::vector<FieldError>& errors);

// The JSON path of member `key` of the value at path `parent` ("" for the document), spelled as
// FieldError::field is: "parent.key", or parent["key"] for a key that is not a plain identifier
// (JSON-quoted and shortened, so a hostile key can neither forge a path nor bloat an error list).
std::string memberPath(std::string_view parent, std::string_view key);

// The problem with a free-text string, as FieldError::problem words it, or nullopt: not valid
// UTF-8, longer than `maxBytes`, or control characters (line breaks and tabs allowed when
// `multiline`).
std::optional<std::string> textProblem(std::string_view s, size_t maxBytes, bool multiline);

// Indicator types: incident reports' `indicators[].type` and the hub's shared indicators.
inline constexpr std::array<std::string_view, 8> kIndicatorTypes = {
    "ipv4", "ipv6", "domain", "url", "sha256", "md5", "email", "filename"};

// The canonical spelling of an indicator `value` of `type` (one of kIndicatorTypes): addresses as
// IpAddress::toString (RFC 5952), domains lower case without the trailing dot (at least two labels
// of 1-63 bytes, at most 253 bytes), hashes lower case, email domains lower case; url and filename
// as given. With `allowPrefix` (shared indicators), ipv4/ipv6 values may also be CIDR prefixes
// with the host bits zero ("198.51.100.0/24"); a full-length prefix is returned as the address.
// The error message is the problem, as FieldError::problem words it.
Result<std::string> canonicalIndicatorValue(std::string_view type, std::string_view value,
                                            bool allowPrefix = false);

// A validated value, or every problem found. Like mamori::Result, but an error is a list of
// FieldErrors, because a form must show all of them at once.
template <class T>
class [[nodiscard]] Validation {
 public:
  Validation(T value)
      : state_(std::move(value)) {}           // NOLINT(google-explicit-constructor): like Result
  Validation(std::vector<FieldError> errors)  // NOLINT(google-explicit-constructor)
      : state_(std::move(errors)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // Empty when ok().
  const std::vector<FieldError>& errors() const {
    static const std::vector<FieldError> kNone;
    return ok() ? kNone : std::get<1>(state_);
  }
  // All problems joined into one message ("impact.level: must be ...; sector: ..."), to bridge to
  // Result / Failure where a single message is enough (CLI).
  Error toError() const;

 private:
  std::variant<T, std::vector<FieldError>> state_;
};

template <class T>
Error Validation<T>::toError() const {
  std::string message;
  for (const auto& e : errors()) {
    if (!message.empty()) message += "; ";
    message += e.field.empty() ? e.problem : e.field + ": " + e.problem;
  }
  return makeError(std::move(message));
}

struct ValidationOptions {
  // The submitting organisation's id, from the caller's token. The normalized document carries it
  // as reporter.organisation; a document naming a different organisation is rejected. Empty:
  // reporter.organisation is only checked for format (tools that validate files offline).
  std::string organisationId;
  // How far in the future a time may lie before it is an error (clients' clocks drift).
  int64_t clockSkewMicros = 5LL * 60 * 1'000'000;
};

// A document that passed validateSubmission, with the fields the hub indexes and shares by.
// (NOLINT: the implicit destructor runs nlohmann::json's, which flattens nested values into a
// std::vector and so may in theory hit bad_alloc, then terminate.)
struct ValidatedReport {  // NOLINT(bugprone-exception-escape)
  // Normalized: unknown/null fields absent, times as formatRfc3339 (UTC, microseconds), indicator
  // values canonical (IPs per RFC 5952, hashes and domains lower case), tlp and sensitivity
  // defaulted, reporter.organisation = ValidationOptions::organisationId when given.
  nlohmann::json document;
  ReportType type = ReportType::kRansomware;
  Stage stage = Stage::kInitial;
  Sector sector = Sector::kInformationCommunications;
  int64_t discoveredAt = 0;
  std::optional<int64_t> occurredAt;
  std::string impactLevel;  // none | minor | moderate | severe | critical
  Tlp tlp = Tlp::kAmber;
  int sensitivity = 0;  // kMinLevel..kMaxLevel
  bool policeContacted = false;
  // The reporter's choice to let police organisations receive this report through sharing
  // (police.include_in_sharing; false when absent). Sharing must honour it.
  bool includePoliceInSharing = false;
};

// Validates one stage submission. Checks types, formats, enums, limits, unknown fields, the fields
// the stage requires (requirements grow initial ⊂ interim ⊂ final), cross-field rules
// (occurred_at <= discovered_at, no time beyond now + skew, ...) and that only the part matching
// `type` is present. Never throws on any input (including non-objects and discarded values).
Validation<ValidatedReport> validateSubmission(const nlohmann::json& doc, Stage stage,
                                               int64_t nowMicros,
                                               const ValidationOptions& options = {});

// Validates a draft the console saves between steps: the same type, format, enum, limit,
// unknown-field and cross-field checks, but no field is required (an empty object is a valid
// draft) and no defaults are filled. Returns the normalized draft.
Validation<nlohmann::json> validateDraft(const nlohmann::json& doc, int64_t nowMicros,
                                         const ValidationOptions& options = {});

// Limits (bytes for strings; items for lists). Documented in docs/incident-reports.md.
inline constexpr size_t kMaxIdLength = 64;      // reporter.organisation
inline constexpr size_t kMaxNameLength = 200;   // names, roles, services, group
inline constexpr size_t kMaxEmailLength = 254;  // RFC 5321 path limit
inline constexpr size_t kMaxPhoneLength = 32;
inline constexpr size_t kMaxCaseReferenceLength = 100;
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMaxIndicatorValueLength = 2048;
inline constexpr size_t kMaxShortTextLength = 4096;     // impact.description, notes, mitigation
inline constexpr size_t kMaxDescriptionLength = 16384;  // description
inline constexpr size_t kMaxSystems = 1000;
inline constexpr size_t kMaxServices = 200;
inline constexpr size_t kMaxIndicators = 5000;
inline constexpr size_t kMaxContacts = 50;
inline constexpr size_t kMaxEnumList = 32;  // ddos.vectors, data_leak.data_categories
inline constexpr int64_t kMaxCount = 1'000'000'000'000'000;  // 10^15: any integer count or rate
// Past this many, one last error says more were found: bounds the error response and the work
// spent describing a hostile document.
inline constexpr size_t kMaxErrors = 100;
inline constexpr int kDefaultSensitivity = 1;
inline constexpr Tlp kDefaultTlp = Tlp::kAmber;

// Deadlines from discovered_at for each stage. NIS2 Art. 23: early warning 24 h, notification
// 72 h, final report one month.
struct ReportDeadlines {
  int64_t initialMicros = 24LL * 3600 * 1'000'000;
  int64_t interimMicros = 72LL * 3600 * 1'000'000;
  int64_t finalMicros = 30LL * 24 * 3600 * 1'000'000;

  int64_t forStage(Stage stage) const;
};
// Each deadline positive, and initial <= interim <= final.
Result<void> validateDeadlines(const ReportDeadlines& deadlines);

// When each stage was submitted (the first accepted submission of it), microseconds.
using SubmittedStages = std::map<Stage, int64_t>;

struct StageDeadline {
  Stage stage = Stage::kInitial;
  int64_t dueAt = 0;  // discoveredAt + deadline (saturating)
  // When the stage was satisfied: its own submission, or an earlier submission of a later stage
  // (a final report filed first also answers the initial and interim ones, since it requires a
  // superset of their fields). Empty while outstanding.
  std::optional<int64_t> submittedAt;
  std::optional<Stage> satisfiedBy;  // which submission satisfied it
  // Satisfied after dueAt, or still outstanding with now > dueAt. Exactly at dueAt is on time.
  bool overdue = false;
};

struct StageStatus {
  std::array<StageDeadline, 3> stages{};  // indexed by Stage: initial, interim, final
  std::optional<Stage> nextDue;           // first outstanding stage; empty when all are satisfied
  // Some stage is outstanding and past due now (what dashboards flag; late-but-filed excluded).
  bool overdueNow = false;

  const StageDeadline& operator[](Stage stage) const { return stages[static_cast<size_t>(stage)]; }
};

StageStatus stageStatus(int64_t discoveredAt, const SubmittedStages& submitted,
                        const ReportDeadlines& deadlines, int64_t nowMicros);

// {"next_due": "interim"|null, "overdue_now": bool, "stages": [{"stage", "due_at",
//  "submitted_at"|null, "satisfied_by"|null, "overdue"}, ...]} with RFC 3339 times.
nlohmann::json stageStatusJson(const StageStatus& status);

}  // namespace mamori::hub
