// Fuzz target: incident report validation (documents arrive from any authenticated client).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "mamori/core/time.h"
#include "mamori/hub/incident_report.h"

namespace {

using mamori::hub::Stage;

void checkErrors(const std::vector<mamori::hub::FieldError>& errors) {
  if (errors.empty() || errors.size() > mamori::hub::kMaxErrors + 1) __builtin_trap();
  // The error list is what the API returns; it must always serialize.
  (void)mamori::hub::fieldErrorsJson(errors).dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int64_t now = mamori::parseRfc3339("2025-10-11T16:00:00Z").value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return 0;

  mamori::hub::ValidationOptions options;
  options.organisationId = "org_0123456789abcdef";

  auto draft = mamori::hub::validateDraft(doc, now, options);
  if (draft.ok()) {
    // A normalized draft is a valid draft, and serializable.
    (void)draft->dump();
    if (!mamori::hub::validateDraft(*draft, now, options).ok()) __builtin_trap();
  } else {
    checkErrors(draft.errors());
  }

  for (const auto stage : mamori::hub::kStages) {
    auto report = mamori::hub::validateSubmission(doc, stage, now, options);
    if (!report.ok()) {
      checkErrors(report.errors());
      continue;
    }
    // Every submission is also a valid draft; normalizing is idempotent; stages only add
    // requirements, so a valid later stage is valid at every earlier one.
    if (!draft.ok()) __builtin_trap();
    (void)report->document.dump();
    auto again = mamori::hub::validateSubmission(report->document, stage, now, options);
    if (!again.ok() || again->document != report->document) __builtin_trap();
    if (report->document["reporter"]["organisation"] != options.organisationId) __builtin_trap();
    if (report->discoveredAt > now + options.clockSkewMicros) __builtin_trap();
    if (report->occurredAt && *report->occurredAt > report->discoveredAt) __builtin_trap();
    (void)mamori::hub::stageStatusJson(mamori::hub::stageStatus(
        report->discoveredAt, {{stage, now}}, mamori::hub::ReportDeadlines{}, now));
  }
  for (const auto later : {Stage::kInterim, Stage::kFinal}) {
    const auto earlier = static_cast<Stage>(static_cast<int>(later) - 1);
    if (mamori::hub::validateSubmission(doc, later, now, options).ok() &&
        !mamori::hub::validateSubmission(doc, earlier, now, options).ok()) {
      __builtin_trap();
    }
  }
  return 0;
}
